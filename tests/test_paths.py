"""Tests for safe file names, the path allocator, safe_join and atomic_write."""

from __future__ import annotations

import os
import stat
import tempfile
import unicodedata
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wpconvert import paths
from wpconvert.paths import (
    PathAllocator,
    atomic_write,
    path_key,
    safe_join,
    safe_segment,
    slugify,
)

FORBIDDEN = set('/\\<>:"|?*')
BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{d}{n}" for d in ("COM", "LPT") for n in "123456789"}


def assert_portable(segment: str, max_bytes: int = 255) -> None:
    """Everything a segment must satisfy on Linux, macOS and Windows."""
    assert segment
    assert len(segment.encode("utf-8")) <= max_bytes
    assert segment not in (".", "..")
    assert segment[0] not in ". " and segment[-1] not in ". "
    for ch in segment:
        assert ch not in FORBIDDEN, segment
        assert ch not in BIDI, segment
        assert not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F), segment
    assert segment.split(".")[0].rstrip(" ").upper() not in RESERVED
    assert unicodedata.is_normalized("NFC", segment)


# -- safe_segment -------------------------------------------------------------------------


@given(st.text(), st.integers(min_value=8, max_value=300))
def test_safe_segment_properties(text: str, max_bytes: int) -> None:
    once = safe_segment(text, max_bytes=max_bytes)
    assert_portable(once, max_bytes)
    assert safe_segment(once, max_bytes=max_bytes) == once


@given(st.text(), st.sampled_from([".md", ".json", ".html", ".tar.gz"]))
def test_safe_segment_with_extension(text: str, ext: str) -> None:
    result = safe_segment(text, ext=ext, max_bytes=40)
    assert result.endswith(ext)
    assert_portable(result, 40)
    stem = result[: -len(ext)]
    assert safe_segment(stem, max_bytes=40 - len(ext)) == stem


@given(st.text(st.characters(codec="utf-8"), min_size=1).filter(lambda t: t.isalnum()))
def test_safe_segment_keeps_ordinary_names(text: str) -> None:
    text = unicodedata.normalize("NFC", text)
    if text.upper() in RESERVED or len(text.encode()) > 255:
        return
    assert safe_segment(text) == text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Hello World", "Hello World"),
        ("What? Why: because/no", "What_ Why_ because_no"),
        ('a<b>c"d|e*f\\g', "a_b_c_d_e_f_g"),
        ("tab\there\nnewline", "tab here newline"),
        ("nul\x00byte\x7fdel\x85nel\x9bcsi", "nulbytedel nelcsi"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ("\u2066iso\u2069late\u200b\ufeff", "isolate"),
        ("zw\u200cnj", "zw\u200cnj"),  # ZWNJ kept (Persian)
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # ZWJ emoji sequence kept
        ("日本語のタイトル", "日本語のタイトル"),
        ("Привет, мир", "Привет, мир"),
        ("مرحبا بالعالم", "مرحبا بالعالم"),
        ("e\u0301te\u0301", "été"),  # NFC
        ("  .hidden file.  ", "hidden file"),
        ("...", "untitled"),
        (".", "untitled"),
        ("..", "untitled"),
        ("", "untitled"),
        ("con", "con_"),
        ("CON", "CON_"),
        ("Con.md", "Con_.md"),
        ("nul.tar.gz", "nul_.tar.gz"),
        ("lpt9", "lpt9_"),
        ("COM1", "COM1_"),
        ("com¹", "com¹_"),
        ("con .txt", "con _.txt"),
        ("console", "console"),
        ("com10", "com10"),
        ("lpt", "lpt"),
    ],
)
def test_safe_segment_examples(name: str, expected: str) -> None:
    assert safe_segment(name) == expected


def test_safe_segment_fallback() -> None:
    assert safe_segment("???", fallback="post-12") == "___"
    assert safe_segment("   ", fallback="post-12") == "post-12"
    assert safe_segment("\u202e", fallback="post-12", ext=".md") == "post-12.md"
    assert safe_segment("..", fallback="..") == "_"
    assert safe_segment("", fallback="con") == "con_"


def test_safe_segment_extension() -> None:
    assert safe_segment("con", ext=".md") == "con_.md"
    assert safe_segment("post", ext=".md") == "post.md"
    with pytest.raises(ValueError):
        safe_segment("post", ext="md/../x")
    with pytest.raises(ValueError):
        safe_segment("post", ext="md")
    with pytest.raises(ValueError):
        safe_segment("post", ext=".md", max_bytes=3)


def test_cjk_slug_truncated_on_character_boundary() -> None:
    title = "日本語" * 67  # 201 characters, 603 bytes
    result = safe_segment(title, ext=".md")
    raw = result.encode("utf-8")
    assert len(raw) <= 255
    assert result.endswith(".md")
    # 252 bytes of 3-byte characters: exactly 84 characters, nothing split.
    assert result == title[:84] + ".md"
    assert len(safe_segment(title)) == 85


def test_truncation_never_splits_multibyte() -> None:
    # 4-byte emoji against an odd budget: the partial character is dropped, not mangled.
    assert safe_segment("😀" * 10, max_bytes=10) == "😀😀"
    assert safe_segment("a" + "é" * 10, max_bytes=6) == "aéé"


def test_truncation_strips_new_trailing_dot() -> None:
    assert safe_segment("abc. def", max_bytes=4) == "abc"


# -- slugify ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("  Many   spaces  ", "many-spaces"),
        ("日本語のタイトル", "日本語のタイトル"),
        ("Привет, Мир", "привет-мир"),
        ("Café au lait", "café-au-lait"),
        ("„Deutsche“ Anführungszeichen", "deutsche-anführungszeichen"),
        ("Don't stop", "dont-stop"),
        ("<b>Bold</b> &amp; more", "bold-more"),
        ("v1.2/release_notes", "v1-2-release_notes"),
        ("em—dash – en", "em-dash-en"),
        ("party 🎉 time", "party-time"),
        ("---", ""),
        ("!!!", ""),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


@given(st.text())
def test_slugify_properties(text: str) -> None:
    slug = slugify(text)
    assert "--" not in slug
    assert not slug.startswith("-") and not slug.endswith("-")
    assert slug == slug.lower()
    assert not any(ch in FORBIDDEN or ch.isspace() for ch in slug)
    assert slugify(slug) == slug


# -- PathAllocator ------------------------------------------------------------------------


def P(text: str) -> PurePosixPath:
    return PurePosixPath(text)


def test_allocator_suffixes_before_extension() -> None:
    alloc = PathAllocator()
    assert alloc.allocate(P("posts/hello.md")) == P("posts/hello.md")
    assert alloc.allocate(P("posts/hello.md")) == P("posts/hello-2.md")
    assert alloc.allocate(P("posts/hello.md")) == P("posts/hello-3.md")
    assert alloc.allocate(P("pages/hello.md")) == P("pages/hello.md")
    assert alloc.allocate("posts/hello-2.md") == P("posts/hello-2-2.md")


def test_allocator_collides_case_and_normalisation_insensitively() -> None:
    alloc = PathAllocator()
    assert alloc.allocate(P("Foo.md")) == P("Foo.md")
    assert alloc.allocate(P("foo.md")) == P("foo-2.md")
    assert alloc.allocate(P("FOO.MD")) == P("FOO-3.MD")
    assert alloc.allocate(P("café.md")) == P("café.md")
    decomposed = unicodedata.normalize("NFD", "CAFÉ.md")
    assert alloc.allocate(P(decomposed)) == P(decomposed.replace(".md", "-2.md"))
    assert alloc.allocate(P("straße.md")) == P("straße.md")
    assert alloc.allocate(P("STRASSE.md")) == P("STRASSE-2.md")  # casefold: ß == ss
    # Directories differing only in case are the same directory.
    assert alloc.allocate(P("Dir/a.md")) == P("Dir/a.md")
    assert alloc.allocate(P("dir/A.md")) == P("dir/A-2.md")


def test_allocate_dir() -> None:
    alloc = PathAllocator()
    assert alloc.allocate_dir(P("posts/my-post")) == P("posts/my-post")
    assert alloc.allocate_dir(P("posts/My-Post")) == P("posts/My-Post-2")
    assert alloc.allocate_dir(P("posts/v1.2")) == P("posts/v1.2")
    assert alloc.allocate_dir(P("posts/v1.2")) == P("posts/v1.2-2")  # no ext split
    # A directory that already holds allocated things is taken.
    assert alloc.allocate_dir(P("posts")) == P("posts-2")
    # Files may go into an allocated directory.
    assert alloc.allocate(P("posts/my-post/index.md")) == P("posts/my-post/index.md")
    assert alloc.allocate(P("posts/my-post/index.md")) == P("posts/my-post/index-2.md")


def test_allocator_file_and_directory_conflicts() -> None:
    alloc = PathAllocator()
    alloc.allocate(P("news/item.md"))
    # A file may not take the name of an existing directory (case-insensitively).
    assert alloc.allocate(P("News")) == P("News-2")
    assert P("news") in alloc and "NEWS/ITEM.md" in alloc
    assert P("other") not in alloc
    # Nor a directory the name of an existing file.
    alloc.allocate(P("about"))
    assert alloc.allocate_dir(P("ABOUT")) == P("ABOUT-2")


def test_allocator_refuses_paths_under_a_file() -> None:
    alloc = PathAllocator()
    alloc.allocate(P("a/b"))
    # "a/b" is a file, so nothing can live under it; renaming the leaf cannot help.
    with pytest.raises(ValueError, match="file"):
        alloc.allocate(P("a/b/c.md"))
    with pytest.raises(ValueError, match="file"):
        alloc.allocate_dir(P("A/B/c"))


@pytest.mark.parametrize(
    "bad",
    ["../x.md", "a/../../x.md", "/etc/passwd", "", ".", "a/con.md", "a/b\\c.md", "x/ y.md"],
)
def test_allocator_rejects_unsafe_requests(bad: str) -> None:
    with pytest.raises(ValueError):
        PathAllocator().allocate(P(bad))


def test_allocator_suffix_respects_max_bytes() -> None:
    alloc = PathAllocator()
    name = "日" * 84 + ".md"  # 255 bytes
    assert alloc.allocate(P(name)) == P(name)
    second = alloc.allocate(P(name))
    assert second.name.endswith("-2.md")
    assert len(second.name.encode()) <= 255
    assert second.name == "日" * 83 + "-2.md"  # 249 + 5 bytes


def test_allocator_is_deterministic_and_unique() -> None:
    requests = [P(f"{d}/{n}.md") for d in ("a", "A", "b") for n in ("x", "X", "x-2", "y")] * 3
    first = [PathAllocator() for _ in range(2)]
    answers = [[alloc.allocate(r) for r in requests] for alloc in first]
    assert answers[0] == answers[1]
    keys = [path_key(p) for p in answers[0]]
    assert len(set(keys)) == len(keys)


segment = (
    st.lists(st.sampled_from([*"aAbBéÉßsS日_-.", "e\u0301", "E\u0301"]), min_size=1, max_size=4)
    .map("".join)
    .map(lambda t: safe_segment(t, max_bytes=12))
)


@given(
    st.lists(
        st.tuples(st.lists(segment, min_size=1, max_size=3), st.booleans()), max_size=40
    )
)
def test_allocator_properties(requests: list[tuple[list[str], bool]]) -> None:
    alloc = PathAllocator(max_bytes=12)
    files: list[PurePosixPath] = []
    dirs: list[PurePosixPath] = []
    for parts, is_dir in requests:
        desired = PurePosixPath(*parts)
        try:
            got = alloc.allocate_dir(desired) if is_dir else alloc.allocate(desired)
        except ValueError:
            # Only legitimate refusal: the request passes through an allocated file.
            assert any(path_key(desired)[: len(path_key(f))] == path_key(f) for f in files)
            continue
        assert got.parent == desired.parent
        for part in got.parts:
            assert safe_segment(part, max_bytes=12) == part
        (dirs if is_dir else files).append(got)
    keys = [path_key(p) for p in files + dirs]
    assert len(set(keys)) == len(keys), "two allocations equal under casefold/NFC"
    file_keys = {path_key(p) for p in files}
    for p in files + dirs:  # nothing lives under an allocated file
        key = path_key(p)
        assert not any(key[:i] in file_keys for i in range(1, len(key)))


# -- safe_join ----------------------------------------------------------------------------


def test_safe_join_inside(tmp_path: Path) -> None:
    assert safe_join(tmp_path, P("a/b.md")) == tmp_path / "a" / "b.md"
    assert safe_join(tmp_path, "a/./b.md") == tmp_path / "a" / "b.md"
    assert safe_join(tmp_path, P(".")) == tmp_path


@pytest.mark.parametrize("bad", ["../x", "a/../../x", "a/..", "/etc/passwd", "a/\0b"])
def test_safe_join_refuses_traversal(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        safe_join(tmp_path / "out", bad)


def test_safe_join_refuses_symlink_escape(tmp_path: Path) -> None:
    root = tmp_path / "out"
    outside = tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError, match="outside"):
        safe_join(root, P("link/x.md"))
    (root / "inner").mkdir()
    (root / "ok").symlink_to(root / "inner", target_is_directory=True)
    assert safe_join(root, P("ok/x.md")) == root / "ok" / "x.md"


# -- atomic_write -------------------------------------------------------------------------


def test_atomic_write_creates_parents_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "file.md"
    atomic_write(target, "héllo\r\n")
    assert target.read_bytes() == "héllo\r\n".encode()
    atomic_write(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.md"]  # no temp left


def test_atomic_write_uses_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "f", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o644


def test_atomic_write_failure_keeps_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.md"
    target.write_text("old")

    def boom(src: object, dst: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="fire"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.md"]


def test_atomic_write_writes_everything_when_writes_come_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))  # 3 bytes a call
    for data in ("héllo wörld, at most three bytes at a time", b"\x00" * 1000, ""):
        atomic_write(tmp_path / "f", data)
        assert (tmp_path / "f").read_bytes() == (data.encode() if isinstance(data, str) else data)


def test_atomic_write_failing_write_keeps_old_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "file.md"
    target.write_text("old")

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError, match="No space"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.md"]


def test_atomic_write_long_name(tmp_path: Path) -> None:
    name = safe_segment("日本語" * 100, ext=".md")
    atomic_write(tmp_path / name, "x")  # the temp name must not exceed the name limit
    assert (tmp_path / name).read_text() == "x"


def _clean_reference(text: str) -> str:
    """The character loop _clean() replaced with a translation table (kept as the spec)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        code = ord(ch)
        if ch in '/\\<>:"|?*':
            out.append("_")
        elif ch in "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85":
            out.append(" ")
        elif code < 0x20 or 0x7F <= code <= 0x9F or ch in paths.INVISIBLE or 0xD800 <= code <= 0xDFFF:
            continue
        else:
            out.append(ch)
    return "".join(out).strip(". ")


NAME_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from('ab. /\\<>:"|?*\t\n\x00\x1f\x7f\x85\x9f\u202e\u200b\ufeffe\u0301é\ud800')),
    st.from_regex(r"[ -~]{0,30}", fullmatch=True),
)


@given(NAME_TEXT)
def test_clean_is_the_character_loop(text: str) -> None:
    assert paths._clean(text) == _clean_reference(text)


# --- fast paths for ASCII names agree with the general rules ---------------------------------

ASCII_NAME = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=0x7F)),
    st.text(alphabet=st.sampled_from("aZ09_-./\\ \t\n\x1c\x1f\x00\x7f!%#?\"'<>|*()[]{}:;,~")),
)


def _path_key_reference(path: str) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFD", unicodedata.normalize("NFD", p).casefold())
                 for p in PurePosixPath(path).parts)


@given(st.one_of(ASCII_NAME, st.text()))
def test_path_key_is_caseless_matching(path: str) -> None:
    assert paths.path_key(path) == _path_key_reference(path)


def _url_segment_reference(text: str, max_bytes: int = 120) -> str:
    out: list[str] = []
    hyphen = False
    for ch in unicodedata.normalize("NFC", text).lower():
        cat = unicodedata.category(ch)
        if cat[0] in "LM" or cat == "Nd" or ch == "_":
            if hyphen and out:
                out.append("-")
            hyphen = False
            out.append(ch)
        elif ch in "-–—./\\" or cat[0] == "Z" or ch.isspace():
            hyphen = True
    seg = "".join(out).lstrip("_-")
    raw = seg.encode("utf-8")
    if len(raw) > max_bytes:
        seg = raw[:max_bytes].decode("utf-8", "ignore").rstrip("_-")
    seg = unicodedata.normalize("NFC", seg)
    return safe_segment(seg, max_bytes=max_bytes + 1) if seg else ""


@given(st.one_of(ASCII_NAME, st.text()), st.sampled_from([3, 120]))
def test_url_segment_ascii_path_agrees(text: str, max_bytes: int) -> None:
    from wpconvert.writers.generator import url_segment

    assert url_segment(text, max_bytes) == _url_segment_reference(text, max_bytes)


def _old_path_reference(link: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    from wpconvert.writers import redirects

    if not link:
        return None
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return None
    if parts.query or not parts.path:
        return None
    try:
        path = unicodedata.normalize("NFC", unquote(parts.path, errors="strict"))
    except UnicodeDecodeError:
        return None
    segments = path.strip("/").split("/")
    if segments == [""]:
        return None
    for seg in segments:
        if not seg or seg in (".", "..") or len(seg.encode("utf-8")) > redirects.MAX_SEGMENT_BYTES:
            return None
        if any(ch in redirects._PATH_UNSAFE or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs")
               for ch in seg):
            return None
    tail = "" if segments[-1].lower().endswith((".html", ".htm")) else "/"
    return "/" + "/".join(segments) + tail


@given(st.one_of(ASCII_NAME, st.text()), st.sampled_from(["/", "", ".html", "?p=1"]))
def test_old_path_ascii_check_agrees(path: str, end: str) -> None:
    from wpconvert.writers import redirects

    link = "http://example.test/" + path + end
    assert redirects.old_path(link) == _old_path_reference(link)


@given(st.text(), st.sampled_from([("", 255, "untitled"), (".md", 200, "post-7"), ("", 20, "x")]))
def test_safe_segment_remembers_each_question_apart(name: str, args: tuple[str, int, str]) -> None:
    ext, max_bytes, fallback = args
    first = safe_segment(name, max_bytes=max_bytes, ext=ext, fallback=fallback)
    paths._segments.clear()
    assert paths._safe_segment(name, max_bytes, ext, fallback) == first
    assert safe_segment(name, max_bytes=max_bytes, ext=ext, fallback=fallback) == first


# --- the allocator's memory: past a limit, taken paths go to a temporary file ----------------

REQUESTS = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["a", "A", "b", "posts", "Posts", "2024", "caf\u00e9", "cafe\u0301"]), min_size=0, max_size=2),
        st.sampled_from(["x", "X", "y", "index", "caf\u00e9"]),
        st.booleans(),
    ),
    max_size=40,
)


def _answers(requests: list[tuple[list[str], str, bool]]) -> list[str]:
    allocator = PathAllocator()
    out = []
    try:
        for folders, name, is_dir in requests:
            try:
                if is_dir:
                    got = allocator.allocate_dir(PurePosixPath(*folders, name))
                else:
                    got = allocator.allocate(PurePosixPath(*folders, name + ".md"))
                out.append(got.as_posix())
            except ValueError as exc:
                out.append(f"refused: {exc}")
        out.append(f"{len(allocator)} taken")
    finally:
        allocator.close()
    return out


@given(REQUESTS)
def test_allocations_do_not_depend_on_where_taken_paths_are_kept(requests: list[tuple[list[str], str, bool]]) -> None:
    in_memory = _answers(requests)
    limit = paths.DigestSet.LIMIT
    paths.DigestSet.LIMIT = 3
    try:
        assert _answers(requests) == in_memory
    finally:
        paths.DigestSet.LIMIT = limit


def test_digest_set_keeps_memory_bounded_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths.DigestSet, "LIMIT", 10)
    digests = paths.DigestSet("test")
    for n in range(95):
        digests.add(n.to_bytes(16, "big"))
        digests.add(n.to_bytes(16, "big"))  # again: counted once
    assert len(digests._memory) < 10
    assert len(digests) == 95
    assert all(n.to_bytes(16, "big") in digests for n in range(95))
    assert (200).to_bytes(16, "big") not in digests
    assert digests._db is not None
    file = digests._db._file
    assert os.path.exists(file)
    digests.close()
    assert not os.path.exists(file)
    assert len(digests) == 0


# -- OutputTree.path: a folder per page is checked with one lstat ---------------------------


def test_output_tree_checks_every_new_folder_under_a_checked_one(tmp_path: Path) -> None:
    from wpconvert.errors import OutputError
    from wpconvert.output import OutputTree

    root, outside = tmp_path / "out", tmp_path / "elsewhere"
    outside.mkdir()
    tree = OutputTree(root)
    # The first page checks content/posts the long way; the next ones one level each.
    assert tree.path("content/posts/a/index.md") == root / "content" / "posts" / "a" / "index.md"
    atomic_write(tree.path("content/posts/b/index.md"), "b")
    assert (root / "content/posts/b/index.md").read_text() == "b"
    (root / "content/posts").mkdir(parents=True, exist_ok=True)
    (root / "content/posts/evil").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutputError, match="outside"):
        tree.path("content/posts/evil/index.md")
    (root / "content/posts/inner").mkdir()
    (root / "content/posts/fine").symlink_to(root / "content/posts/inner", target_is_directory=True)
    assert tree.path("content/posts/fine/index.md") == root / "content/posts/fine/index.md"
    # A folder asked for as such (the media folder) is checked at its own name too.
    with pytest.raises(OutputError, match="outside"):
        tree.path("content/posts/evil")
    # A file's own name may be a symlink out: path() refuses it, and write() replaces the
    # link by rename instead of writing through it.
    (outside / "secret").write_text("keep")
    (root / "content/posts/inner/out.md").symlink_to(outside / "secret")
    with pytest.raises(OutputError, match="outside"):
        tree.path("content/posts/inner/out.md")
    tree.write("content/posts/inner/out.md", "new")
    assert (outside / "secret").read_text() == "keep"
    assert not (root / "content/posts/inner/out.md").is_symlink()
    assert (root / "content/posts/inner/out.md").read_text() == "new"
    for bad in ("content/posts/../../x/index.md", "content/posts/..", "/etc/x"):
        with pytest.raises(OutputError):
            tree.path(bad)
    assert not (outside / "index.md").exists()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["", ".", "..", "a", "b", "\0", " ", "é"]), min_size=1, max_size=4))
def test_output_tree_joins_plain_strings_as_pathlib_does(segments: list[str]) -> None:
    # OutputTree splits and joins "a/b/c" strings itself: the same paths (or the same
    # refusal) as pathlib and safe_join give, for empty, ".", ".." and NUL segments.
    from wpconvert.errors import OutputError
    from wpconvert.output import OutputTree

    text = "/".join(segments)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "out"
        tree = OutputTree(root)
        try:
            expected: Path | None = safe_join(root, PurePosixPath(text))
        except ValueError:
            expected = None
        def asked(rel: str) -> list[Path | None]:
            got: list[Path | None] = []
            for ask in (tree.path, lambda r: Path(tree._file(r))):
                try:
                    got.append(ask(rel))
                except OutputError:
                    got.append(None)
            return got

        assert asked(text) == [expected, expected]
        assert asked("/" + text) == [None, None]  # absolute: refused


def test_atomic_write_into_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError):
        atomic_write(tmp_path / "file" / "sub" / "page.md", "text")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["", ".", "..", "a", "Ä", "e\u0301", "ß", "İ", " x ", "\\", "ﬁ"]), max_size=5))
def test_paths_of_strings_split_without_pathlib_as_pathlib_splits_them(segments: list[str]) -> None:
    # posix_parts(), posix_str() and path_key() split plain strings themselves: the same
    # answers as pathlib's.
    text = "/".join(segments)
    for variant in (text, "/" + text, text + "/", text.replace("/", "//"), "./" + text):
        pure = PurePosixPath(variant)
        assert tuple(paths.posix_parts(variant)) == pure.parts, repr(variant)
        assert paths.posix_str(variant) == pure.as_posix(), repr(variant)
        assert path_key(variant) == path_key(pure), repr(variant)
