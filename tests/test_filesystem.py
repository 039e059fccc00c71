"""The file system: hostile names stay inside the output and never collide; nothing the tool
did not write is overwritten.

Slugs, titles, dates, term names and media URLs come from whoever could write a post. They
carry ``../``, absolute paths, NUL and other control characters, Windows device names, very
long names and names that are equal on a case-insensitive file system. Whatever they say:

* nothing is written outside the output folder (the whole temporary tree is compared before
  and after, and the library's own temporary files must be gone);
* every written file has a distinct path under Unicode case folding, and every path
  segment is portable (no control character, no reserved name, at most 255 bytes);
* the manifest lists exactly the files written.

And the output folder belongs to the tool: a non-empty folder it did not write is refused
(``OutputError``) unless ``--force``, a rerun into its own folder works and gives the same
tree, and a single-file output never replaces the export it reads.
"""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wpconvert
from wpconvert import writers
from wpconvert.errors import OutputError
from wpconvert.output import MANIFEST
from wpconvert.paths import path_key

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SITE_FORMATS = [f for f in ("markdown", "hugo", "jekyll") if f in writers.available()]

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Hostile</title><link>https://blog.example.org</link><description></description>
<language>en</language><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://blog.example.org</wp:base_site_url>
<wp:base_blog_url>https://blog.example.org</wp:base_blog_url>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[{login}]]></wp:author_login>
<wp:author_email>a@example.org</wp:author_email><wp:author_display_name><![CDATA[{login}]]></wp:author_display_name>
</wp:author>
{terms}
"""

ITEM = """<item>
<title><![CDATA[{title}]]></title><link>{link}</link><dc:creator><![CDATA[{login}]]></dc:creator>
<guid isPermaLink="false">https://blog.example.org/?p={id}</guid>
<content:encoded><![CDATA[{content}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{id}</wp:post_id><wp:post_date><![CDATA[{date}]]></wp:post_date>
<wp:post_date_gmt><![CDATA[{date}]]></wp:post_date_gmt>
<wp:post_name><![CDATA[{slug}]]></wp:post_name><wp:status><![CDATA[{status}]]></wp:status>
<wp:post_parent>{parent}</wp:post_parent><wp:menu_order>0</wp:menu_order>
<wp:post_type><![CDATA[{type}]]></wp:post_type><wp:post_password></wp:post_password>
{attachment}{categories}</item>
"""


def cdata(text: str) -> str:
    return text.replace("]]>", "]]]]><![CDATA[>")


def build_export(items: list[dict[str, Any]], *, login: str = "ada", terms: list[tuple[str, str, str]] = ()) -> str:
    """A WXR document with ``items`` (dicts of title, slug, type, …) and terms (taxonomy, slug, name)."""
    term_xml = "".join(
        f"<wp:term><wp:term_id>{900 + n}</wp:term_id><wp:term_taxonomy>{tax}</wp:term_taxonomy>"
        f"<wp:term_slug><![CDATA[{cdata(slug)}]]></wp:term_slug><wp:term_name><![CDATA[{cdata(name)}]]>"
        "</wp:term_name></wp:term>\n"
        for n, (tax, slug, name) in enumerate(terms)
    )
    out = [HEADER.format(login=cdata(login), terms=term_xml)]
    for n, it in enumerate(items, 1):
        cats = "".join(
            f'<category domain="{tax}" nicename="{slug}"><![CDATA[{cdata(name)}]]></category>'
            for tax, slug, name in it.get("terms", ())
        )
        att = it.get("attachment_url", "")
        out.append(ITEM.format(
            title=cdata(it.get("title", f"Item {n}")), slug=cdata(it.get("slug", "")), id=it.get("id", n),
            type=it.get("type", "post"), status=it.get("status", "publish"), parent=it.get("parent", 0),
            date=cdata(it.get("date", "2024-05-02 10:00:00")), login=cdata(login),
            link=it.get("link", f"https://blog.example.org/?p={it.get('id', n)}").replace("&", "&amp;"),
            content=cdata(it.get("content", f"Body {n}.")), categories=cats,
            attachment=f"<wp:attachment_url><![CDATA[{cdata(att)}]]></wp:attachment_url>" if att else "",
        ))
    out.append("</channel>\n</rss>\n")
    return "".join(out)


def hostile_names(escape_dir: Path) -> list[str]:
    """Names that try to leave the folder, break a file system, or collide."""
    return [
        "../../escape", "../" * 12 + "escape-deep", "..", ".", "./dot", "a/../../escape-mid", "a/b/c",
        str(escape_dir / "abs-escape"), "/abs-root", "C:\\Windows\\escape", "\\\\server\\share\\escape",
        "..\\..\\escape-bs", "%2e%2e%2fescape-enc", "%2e%2e/escape-enc2", "%2F%2Fescape", "．．／fullwidth",
        "a%00b", "%00", "nul%00.md", "ctl%01%1b%7f%c2%85", "tab\tname", "new\nline", "\u202eevil", "zero\u200bwidth",
        "CON", "con", "Con.md", "aux.txt", "LPT1", "nul", "COM¹", "prn.tar.gz", "conin$",
        "trailing.", "trailing ", " leading", "...", ".hidden", ".wpconvert-manifest.json", "manifest",
        "x" * 400, "日" * 200, "é" * 200 + "x", "🎉" * 100,
        "Foo", "foo", "FOO", "Straße", "STRASSE", "strasse", "\u00e9t\u00e9", "e\u0301te\u0301", "ǅemal", "ǆemal",
        "ﬁle", "file", "static", "content", "_posts", "config", "data",
        "%e6%97%a5", "%E6%97%A5", "日", "-", "~", "*", "?", "<>", '"q"', "|", ":", "a:b",
    ]


HOSTILE_DATES = ("../../../escape-date", "2024/../../escape", "/abs/x", "C:\\x", "9999-99-99 99:99:99", "20",
                 "2024-05-02/../../../escape")


def hostile_export(tmp: Path, *, dates: bool = False) -> str:
    escape = tmp / "escaped"
    names = hostile_names(escape)
    items: list[dict[str, Any]] = []
    n = 0
    for name in names:
        n += 1
        items.append({"id": n, "slug": name, "title": name, "type": "post"})
        n += 1
        items.append({"id": n, "slug": "", "title": name, "type": "post", "date": "2024-06-01 10:00:00"})
    # Pages nested under hostile parents (the parent's name becomes a folder).
    first_page = n + 1
    for k, name in enumerate(names[:30]):
        n += 1
        items.append({"id": n, "slug": name, "title": name, "type": "page",
                      "parent": first_page + k - 1 if k else 0})
    # Custom post types with hostile names (a section folder each).
    for name in ("../../escape-type", "CON", "Portfolio", "portfolio", "x" * 300, "a/b"):
        n += 1
        items.append({"id": n, "slug": "item", "title": "Typed", "type": name})
    if dates:
        # Dates make date folders and prefixes: hostile ones must not make paths.
        for date in HOSTILE_DATES:
            n += 1
            items.append({"id": n, "slug": f"dated-{n}", "title": "Dated", "date": date})
    # Attachments and media URLs with traversal in their paths.
    for url in ("https://blog.example.org/wp-content/uploads/../../../../escape.png",
                "https://blog.example.org/wp-content/uploads/2024/05/..%2f..%2f..%2fescape2.png",
                "https://blog.example.org/wp-content/uploads/2024/05/CON.png",
                "https://blog.example.org/wp-content/uploads/2024/05/harbour.png",
                "https://blog.example.org/wp-content/uploads/2024/05/HARBOUR.png",
                "https://blog.example.org/wp-content/uploads/%2e%2e/%2e%2e/secret.txt",
                "https://blog.example.org/wp-content/uploads/2024/05/a%00b.png",
                "file:///etc/passwd", "https://blog.example.org/" + "x" * 300 + ".png"):
        n += 1
        items.append({"id": n, "slug": f"att-{n}", "title": url, "type": "attachment", "status": "inherit",
                      "attachment_url": url})
        n += 1
        items.append({"id": n, "slug": f"uses-{n}", "title": "Uses media",
                      "content": f'<img src="{url}" alt="x"> <a href="{url}">file</a>'})
    terms = [("category", name, name) for name in names[:40]] + [("post_tag", "../../escape-tag", "../../tag")]
    for it, (tax, slug, name) in zip(items, terms, strict=False):
        it["terms"] = [(tax, slug, name)]
    return build_export(items, login="../../escape-author", terms=terms)


# -- snapshot helpers -------------------------------------------------------------------------
def snapshot(root: Path, skip: Path | None = None) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` (except under ``skip``) with its size and mtime."""
    out: dict[str, tuple[int, int]] = {}
    for dirpath, dirs, files in os.walk(root):
        here = Path(dirpath)
        if skip is not None and (here == skip or skip in here.parents):
            dirs[:] = []
            continue
        for name in dirs + files:
            p = here / name
            if skip is not None and p == skip:
                continue
            st = p.lstat()
            out[p.relative_to(root).as_posix()] = (st.st_size if p.is_file() else -1, st.st_mtime_ns)
    return out


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink())


_WINDOWS_FORBIDDEN = set('<>:"|?*\\')
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{d}{n}" for d in ("COM", "LPT") for n in "123456789¹²³"
}


def assert_portable(rel: str) -> None:
    for seg in rel.split("/"):
        assert seg not in ("", ".", ".."), rel
        assert len(seg.encode("utf-8")) <= 255, rel
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in seg), repr(rel)
        assert not (_WINDOWS_FORBIDDEN & set(seg)), repr(rel)
        assert seg == seg.rstrip(". "), repr(rel)
        assert seg.split(".")[0].rstrip(" ").upper() not in _RESERVED, repr(rel)
        assert unicodedata.normalize("NFC", seg) == seg, repr(rel)
        assert "\u202e" not in seg, repr(rel)


def check_tree(out: Path) -> list[str]:
    """The output's files are portable, distinct under case folding, and in the manifest."""
    written = files_under(out)
    assert MANIFEST in written
    keys: dict[tuple[str, ...], str] = {}
    for rel in written:
        assert_portable(rel)
        key = path_key(rel)
        assert key not in keys, f"{rel!r} and {keys[key]!r} are the same file on a case-insensitive system"
        keys[key] = rel
    # A file may not share its name with a folder under case folding either.
    dirs = {path_key(p.relative_to(out).as_posix()) for p in out.rglob("*") if p.is_dir()}
    assert not dirs & set(keys), sorted(dirs & set(keys))[:3]
    manifest = json.loads((out / MANIFEST).read_text("utf-8"))["files"]
    assert sorted(manifest) == sorted(set(written) - {MANIFEST}), "the manifest must list exactly the files written"
    return written


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The library's temporary files go under ``tmp_path/tmp`` (so that leaks are seen)."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield scratch
    assert sorted(os.listdir(scratch)) == [], "temporary files left behind"


LAYOUTS = [
    {},
    {"layout": "folder", "date_folders": "year/month", "date_prefix": True},
    {"group_by_type": False, "comments": "front-matter"},
]


@pytest.mark.parametrize("fmt", SITE_FORMATS)
def test_hostile_names_stay_inside_and_never_collide(tmp_path: Path, fmt: str, private_tmp: Path) -> None:
    export = tmp_path / "in" / "hostile.xml"
    export.parent.mkdir()
    export.write_text(hostile_export(tmp_path), "utf-8")
    work = tmp_path / "work"
    work.mkdir()
    layouts = LAYOUTS if fmt == "markdown" else LAYOUTS[:1]
    for n, layout in enumerate(layouts):
        out = work / f"out{n}"
        before = snapshot(tmp_path, skip=out)
        report = wpconvert.convert(export, fmt, out, jobs=1, include="all", **layout)
        after = snapshot(tmp_path, skip=out)
        new = sorted(set(after) - set(before))
        assert new == [], f"{fmt} {layout}: written outside the output folder: {new[:10]}"
        assert not (tmp_path / "escaped").exists()
        assert not Path("/abs-root").exists() and not Path("/escape").exists()
        written = check_tree(out)
        pages = [e.path for e in report.entries if e.action == "written"]
        assert len(pages) > 150, f"{fmt}: only {len(pages)} items written"
        assert len({path_key(p) for p in pages}) == len(pages), f"{fmt}: two items share a path"
        assert set(pages) <= set(written)


@pytest.mark.parametrize("layout", LAYOUTS[1:2] + [{"date_folders": "year"}, {"date_prefix": True}],
                         ids=["folder-year-month-prefix", "year", "prefix"])
def test_hostile_dates_make_no_paths(tmp_path: Path, layout: dict[str, Any], private_tmp: Path) -> None:
    """``post_date`` feeds date folders and file name prefixes: a hand-edited export's
    ``../../x`` or ``/abs`` there must neither escape nor crash the run."""
    items = [{"id": n, "slug": f"dated-{n}", "title": "Dated", "date": d} for n, d in enumerate(HOSTILE_DATES, 1)]
    export = tmp_path / "dates.xml"
    export.write_text(build_export(items), "utf-8")
    out = tmp_path / "work" / "out"
    out.parent.mkdir()
    before = snapshot(tmp_path, skip=out)
    report = wpconvert.convert(export, "markdown", out, jobs=1, **layout)
    assert sorted(set(snapshot(tmp_path, skip=out)) - set(before)) == []
    check_tree(out)
    assert sum(e.action == "written" for e in report.entries) == len(HOSTILE_DATES)


INDEX_NAMES = ("index", "Index", "INDEX.md", "index.md", "_index", "_index.md", "index.html", "posts", "pages")


@pytest.mark.parametrize("layout", LAYOUTS + [{"group_by_type": False, "layout": "folder"}],
                         ids=["default", "folder-dates", "flat", "flat-folder"])
def test_index_names(tmp_path: Path, layout: dict[str, Any], private_tmp: Path) -> None:
    """Slugs named like the files and folders the layouts use (``index``, ``_index``,
    ``posts``) get a path of their own in every layout."""
    items = [{"id": n, "slug": name, "title": name, "type": t}
             for n, (name, t) in enumerate(((nm, t) for nm in INDEX_NAMES for t in ("post", "page")), 1)]
    export = tmp_path / "index.xml"
    export.write_text(build_export(items), "utf-8")
    out = tmp_path / "out"
    report = wpconvert.convert(export, "markdown", out, jobs=1, **layout)
    check_tree(out)
    pages = [e.path for e in report.entries if e.action == "written"]
    assert len(pages) == len(items) and len({path_key(p) for p in pages}) == len(pages)


def test_hostile_media_stay_inside(tmp_path: Path, private_tmp: Path) -> None:
    """Downloaded media (from a local uploads copy) with traversal in their URLs: files land in
    the output's media folder only, and nothing outside the uploads copy is read."""
    uploads = tmp_path / "site" / "wp-content" / "uploads"
    (uploads / "2024" / "05").mkdir(parents=True)
    for name in ("harbour.png", "boats.png"):
        (uploads / "2024" / "05" / name).write_bytes((FIXTURES / "uploads" / "2024" / "05" / name).read_bytes())
    (uploads / "2024" / "05" / "CON.png").write_bytes(b"\x89PNG\r\n\x1a\nCON")
    # Files beside the uploads copy that URLs with ../ try to reach.
    (tmp_path / "site" / "secret.txt").write_text("SECRET-OUTSIDE-UPLOADS", "utf-8")
    (tmp_path / "site" / "escape.png").write_bytes(b"\x89PNG\r\n\x1a\nSECRET-OUTSIDE-UPLOADS")
    (tmp_path / "escape.png").write_bytes(b"\x89PNG\r\n\x1a\nSECRET-OUTSIDE-UPLOADS")
    export = tmp_path / "in" / "hostile.xml"
    export.parent.mkdir()
    export.write_text(hostile_export(tmp_path), "utf-8")
    for fmt in SITE_FORMATS:
        out = tmp_path / f"out-{fmt}"
        before = snapshot(tmp_path, skip=out)
        wpconvert.convert(export, fmt, out, jobs=1, media="download", media_from=str(uploads), offline=True)
        assert sorted(set(snapshot(tmp_path, skip=out)) - set(before)) == []
        written = check_tree(out)
        for rel in written:
            assert b"SECRET-OUTSIDE-UPLOADS" not in (out / rel).read_bytes(), f"{fmt}: {rel} holds a file from outside"
        assert any(rel.endswith("harbour.png") for rel in written), f"{fmt}: media were not copied at all"


MEDIA_PATHS = (
    "/wp-content/uploads/2024/05/..%2f..%2f..%2fescape-enc.png", "/wp-content/uploads/%2e%2e/%2e%2e/escape-dots.png",
    "/wp-content/uploads/2024/05/CON.png", "/wp-content/uploads/2024/05/aux.tar.gz",
    "/wp-content/uploads/2024/05/Foo.png", "/wp-content/uploads/2024/05/foo.png", "/wp-content/uploads/2024/05/FOO.PNG",
    "/wp-content/uploads/2024/05/a%00b.png", "/wp-content/uploads/2024/05/ctl%01%1b.png",
    "/wp-content/uploads/2024/05/%E2%80%AEgnp.exe", "/wp-content/uploads/2024/05/trailing.%20",
    "/wp-content/uploads/2024/05/" + "x" * 300 + ".png", "/wp-content/uploads/2024/05/" + "%E6%97%A5" * 120 + ".png",
    "/wp-content/uploads/2024/05/St%C3%A4dte.png", "/wp-content/uploads/2024/05/Sta%CC%88dte.png",
    "/wp-content/uploads/C:%5CWindows%5Cescape.png", "/wp-content/uploads/2024/05/q.png?x=../../escape",
    "/escape-root.png", "/wp-content/uploads/2024/05/", "/wp-content/uploads/2024/05/.hidden.png",
)


def test_hostile_downloads_stay_inside(tmp_path: Path, private_tmp: Path) -> None:
    """Media downloaded over HTTP (a server on 127.0.0.1) under hostile URL paths: every file
    lands inside the media folder under a portable, distinct name."""
    from media_server import payload, running

    class AnyPath(dict[str, Any]):
        def get(self, key: str, default: Any = None) -> Any:
            return lambda req, hit: req.respond(200, payload(key), {"Content-Type": "image/png"})

    with running() as srv:
        srv.routes = AnyPath()
        site = f"http://127.0.0.1:{srv.port}"
        items: list[dict[str, Any]] = []
        for n, path in enumerate(MEDIA_PATHS, 1):
            items.append({"id": 2 * n, "slug": f"att-{n}", "title": f"Attachment {n}", "type": "attachment",
                          "status": "inherit", "attachment_url": site + path})
            items.append({"id": 2 * n + 1, "slug": f"post-{n}", "title": f"Post {n}",
                          "content": f'<img src="{site + path}" alt="x">'})
        text = build_export(items).replace("https://blog.example.org", site)
        export = tmp_path / "in" / "downloads.xml"
        export.parent.mkdir()
        export.write_text(text, "utf-8")
        for fmt in SITE_FORMATS:
            out = tmp_path / f"out-{fmt}"
            before = snapshot(tmp_path, skip=out)
            report = wpconvert.convert(export, fmt, out, jobs=1, media="download", media_jobs=2)
            assert sorted(set(snapshot(tmp_path, skip=out)) - set(before)) == []
            check_tree(out)
            fetched = [m for m in report.media if m.get("path")]
            assert len(fetched) >= 10, report.media
            paths = [m["path"] for m in fetched]
            assert len({path_key(p) for p in paths}) == len(paths), "two downloads share a file"
            for m in fetched:
                assert (out / m["path"]).is_file(), m


def test_hostile_names_json_media_folder(tmp_path: Path, private_tmp: Path) -> None:
    """The JSON format puts downloaded media beside the file, in ``<stem>-media``."""
    uploads = tmp_path / "uploads"
    (uploads / "2024" / "05").mkdir(parents=True)
    (uploads / "2024" / "05" / "harbour.png").write_bytes(b"\x89PNG\r\n\x1a\nH")
    (tmp_path / "escape.png").write_bytes(b"\x89PNG\r\n\x1a\nSECRET-OUTSIDE-UPLOADS")
    export = tmp_path / "hostile.xml"
    export.write_text(hostile_export(tmp_path), "utf-8")
    out = tmp_path / "out" / "site.json"
    before = snapshot(tmp_path, skip=tmp_path / "out")
    wpconvert.convert(export, "json", out, media="download", media_from=str(uploads), offline=True)
    assert sorted(set(snapshot(tmp_path, skip=tmp_path / "out")) - set(before)) == []
    media = tmp_path / "out" / "site-media"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["site-media", "site.json"]
    written = check_tree(media)
    for rel in written:
        assert b"SECRET-OUTSIDE-UPLOADS" not in (media / rel).read_bytes()
    json.loads(out.read_text("utf-8"))


# -- the output folder belongs to the tool -------------------------------------------------
STATUSES = FIXTURES / "statuses.xml"


@pytest.mark.parametrize("fmt", SITE_FORMATS)
def test_foreign_folder_refused_unless_force(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.txt").write_text("not yours", "utf-8")
    (out / "sub").mkdir()
    with pytest.raises(OutputError) as err:
        wpconvert.convert(STATUSES, fmt, out, jobs=1)
    message = str(err.value)
    assert "\n" not in message and "README.txt" in message and "--force" in message
    assert files_under(out) == ["README.txt"], "a refused run must not write anything"

    wpconvert.convert(STATUSES, fmt, out, jobs=1, force=True)
    assert (out / "README.txt").read_text("utf-8") == "not yours"
    manifest = json.loads((out / MANIFEST).read_text("utf-8"))["files"]
    assert "README.txt" not in manifest
    # The folder is ours now (with a foreign file in it, kept): a rerun still needs --force.
    with pytest.raises(OutputError):
        wpconvert.convert(STATUSES, fmt, out, jobs=1)


@pytest.mark.parametrize("fmt", SITE_FORMATS)
def test_rerun_into_own_folder(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    wpconvert.convert(STATUSES, fmt, out, jobs=1)
    first = {rel: (out / rel).read_bytes() for rel in check_tree(out)}
    # A file the user put inside one of our folders is neither refused nor touched.
    sub = next(p for p in out.iterdir() if p.is_dir())
    (sub / "my-notes.txt").write_text("mine", "utf-8")
    wpconvert.convert(STATUSES, fmt, out, jobs=1)
    again = {rel: (out / rel).read_bytes() for rel in files_under(out)}
    assert again.pop((sub / "my-notes.txt").relative_to(out).as_posix()) == b"mine"
    assert again == first


def test_a_rerun_removes_a_killed_run_s_temporary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    walks: list[str] = []
    walk = os.walk

    def counted(top: Any, *args: Any, **kw: Any) -> Any:
        walks.append(str(top))
        return walk(top, *args, **kw)

    monkeypatch.setattr(os, "walk", counted)
    wpconvert.convert(STATUSES, "hugo", out, jobs=1)
    assert walks == []  # a new folder holds no earlier run's files: not searched
    sub = next(p for p in (out / "content").iterdir() if p.is_dir())
    left = [sub / ".wpconvert-1a2b3c.tmp", sub / "photo.jpg.part", out / ".wpconvert-tmp-x"]
    for p in left:
        p.write_bytes(b"half written by a killed run")
    wpconvert.convert(STATUSES, "hugo", out, jobs=1)
    assert walks == [str(out)]
    assert not [p for p in left if p.exists()]


def test_empty_existing_folder_is_fine(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    wpconvert.convert(STATUSES, "markdown", out, jobs=1)
    check_tree(out)


def test_output_that_is_a_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("precious", "utf-8")
    with pytest.raises(OutputError):
        wpconvert.convert(STATUSES, "markdown", out, jobs=1)
    assert out.read_text("utf-8") == "precious"


def test_single_file_output_never_replaces_its_input(tmp_path: Path) -> None:
    export = tmp_path / "site.xml"
    export.write_bytes(STATUSES.read_bytes())
    with pytest.raises(OutputError):
        wpconvert.convert(export, "json", export)
    assert export.read_bytes() == STATUSES.read_bytes(), "the export was overwritten by its own conversion"


def test_single_file_output_not_ours_is_refused_unless_force(tmp_path: Path) -> None:
    precious = tmp_path / "notes.json"
    precious.write_text('{"mine": true}\n', "utf-8")
    with pytest.raises(OutputError):
        wpconvert.convert(STATUSES, "json", precious)
    assert precious.read_text("utf-8") == '{"mine": true}\n'
    wpconvert.convert(STATUSES, "json", precious, force=True)
    assert json.loads(precious.read_text("utf-8"))["wpconvert"]["format"] >= 1
    # Our own file is replaced by a rerun without --force.
    wpconvert.convert(STATUSES, "json", precious)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".wpconvert")]


@pytest.mark.parametrize("names", [[], ["a.md"], ["b/ü.md", "a/日本.md", "a/x q.md", "b/ü.md"]])
def test_manifest_is_streamed_as_plain_json(tmp_path: Path, names: list[str]) -> None:
    # The manifest is written piece by piece (it lists every file): it reads as the
    # JSON document it always was, sorted and without duplicates.
    from wpconvert.output import OutputTree

    tree = OutputTree(tmp_path / "out")
    for n in names:
        tree.write(n, "x")
    tree.finish()
    text = (tmp_path / "out" / MANIFEST).read_text("utf-8")
    files = sorted(set(names))
    expected = {"claimed": sorted({n.split("/")[0] for n in names}), "files": files}
    assert text == json.dumps(expected, ensure_ascii=False, indent=1) + "\n"
    assert tree.files_written == len(files)
