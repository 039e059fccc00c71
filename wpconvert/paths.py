"""Safe file names, collision-free output layout and safe writes.

Output names come from post titles and slugs, i.e. from anyone who could write a post, and
must work on Linux, macOS and Windows alike:

* :func:`safe_segment` turns any text into one portable path segment;
* :func:`slugify` makes a WordPress-like slug from a title;
* :class:`PathAllocator` hands out unique relative paths, judging collisions the way a
  case-insensitive, normalisation-insensitive file system (macOS, Windows) would;
* :func:`safe_join` joins a relative path to an output root, refusing to leave it;
* :func:`atomic_write` replaces a file's content all at once.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from .tempdb import TempDatabase

__all__ = [
    "PathAllocator",
    "atomic_write",
    "path_key",
    "safe_join",
    "safe_segment",
    "slugify",
]

# Characters Windows forbids in names (and '/', which no system allows in a segment).
_FORBIDDEN = frozenset('/\\<>:"|?*')
_REPLACEMENT = "_"
# Invisible characters that can disguise a name: bidi embeddings, overrides and isolates,
# direction marks, zero-width space, word joiner and the byte order mark. ZWNJ and ZWJ
# (U+200C, U+200D) are kept: Persian, Indic scripts and emoji sequences need them.
_INVISIBLE = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c", "\u200b", "\u2060", "\ufeff"]
)
INVISIBLE = _INVISIBLE  # for other modules that build names (media paths)
_WHITESPACE_CONTROLS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85")
# Windows device names, reserved with any extension and in any case. Windows also treats
# the superscript digits ¹ ² ³ as digits here.
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{dev}{n}" for dev in ("COM", "LPT") for n in "123456789¹²³"]
)
_EDGE = ". "  # stripped from both ends: Windows drops trailing dots and spaces
_MAX_FIXPOINT_ROUNDS = 8


# What _clean() does to each character, as one table for str.translate (a loop over the
# characters in Python cost seconds per 100,000 names): forbidden characters become "_",
# whitespace controls a space; other controls, disguising characters and lone surrogates go.
_CLEAN_TABLE: dict[int, str | None] = {ord(ch): _REPLACEMENT for ch in _FORBIDDEN}
for _code in [*range(0x20), *range(0x7F, 0xA0), *map(ord, _INVISIBLE), *range(0xD800, 0xE000)]:
    _CLEAN_TABLE.setdefault(_code, " " if chr(_code) in _WHITESPACE_CONTROLS else None)
# Text that needs none of it (nor NFC normalisation): printable ASCII without those.
_PLAIN_NAME = re.compile(r'[^/\\<>:"|?*]*')


def _clean(text: str) -> str:
    """One pass of character-level cleaning (no length or reserved-name handling)."""
    if text.isascii() and text.isprintable() and _PLAIN_NAME.fullmatch(text):
        return text.strip(_EDGE)
    return unicodedata.normalize("NFC", text).translate(_CLEAN_TABLE).strip(_EDGE)


def _truncate(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes, never inside a character."""
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[:max_bytes].decode("utf-8", "ignore")


def _is_reserved(name: str) -> bool:
    """True for a Windows device name, with or without extensions (``con``, ``Nul.tar.gz``)."""
    base = name.split(".", 1)[0].rstrip(" ")
    return base.upper() in _RESERVED


def _unreserve(name: str) -> str:
    """``con.md`` → ``con_.md``: the suffix goes on the part Windows checks."""
    base, dot, rest = name.partition(".")
    return f"{base}{_REPLACEMENT}{dot}{rest}"


def _segment_once(text: str, budget: int) -> str:
    """One round of making ``text`` a safe stem of at most ``budget`` bytes (may be "")."""
    stem = _clean(text)
    stem = _truncate(stem, budget).strip(_EDGE)
    if stem and _is_reserved(stem):
        stem = _truncate(stem, budget - len(_REPLACEMENT)).strip(_EDGE)
        if _is_reserved(stem):
            stem = _unreserve(stem)
    return stem


def _validate_ext(ext: str, max_bytes: int) -> int:
    """Check a caller's extension; return its size in bytes."""
    if ext and (ext != _clean("x" + ext)[1:] or not ext.startswith(".")):
        raise ValueError(f"unsafe extension {ext!r} (expected something like '.md')")
    size = len(ext.encode("utf-8"))
    if size + 1 > max_bytes:
        raise ValueError(f"extension {ext!r} leaves no room in {max_bytes} bytes")
    return size


def safe_segment(
    name: str, *, max_bytes: int = 255, ext: str = "", fallback: str = "untitled"
) -> str:
    """``name`` made into one path segment valid on Linux, macOS and Windows.

    The text is NFC-normalised; ``/ \\ < > : " | ? *`` become ``_``; tab, newline and other
    whitespace controls become spaces; other C0/C1 controls, DEL, lone surrogates, bidi
    embedding/override/isolate controls, direction marks, zero-width space, word joiner and
    BOM are removed. Every script and emoji is kept. Leading and trailing dots and spaces
    are stripped (so ``.`` and ``..`` vanish); Windows device names (``CON``, ``com1``,
    ``nul.txt``, ...) get a ``_`` after their base name (``con_``, ``nul_.txt``). The result,
    ``ext`` included, is at most ``max_bytes`` UTF-8 bytes, cut on a character boundary.

    ``ext`` (e.g. ``".md"``) is appended after sanitising and must itself be safe. When
    nothing usable is left, ``fallback`` (sanitised the same way) is used, and ``"_"`` if even
    that is empty. The function is idempotent for ``ext=""``:
    ``safe_segment(safe_segment(x)) == safe_segment(x)``.
    """
    key = (name, max_bytes, ext, fallback)
    done = _segments.get(key)
    if done is None:
        done = _safe_segment(name, max_bytes, ext, fallback)
        if len(_segments) >= 8192:
            _segments.clear()
        _segments[key] = done
    return done


# safe_segment()'s answers: planning a site asks for the same segments again and again
# (sections, years, a page's parents, each name once to plan and once to allocate).
_segments: dict[tuple[str, int, str, str], str] = {}


def _safe_segment(name: str, max_bytes: int, ext: str, fallback: str) -> str:
    budget = max_bytes - _validate_ext(ext, max_bytes)
    for candidate in (name, fallback, _REPLACEMENT):
        stem = candidate
        # Iterate to a fixed point so that the result is stable under re-application.
        for _ in range(_MAX_FIXPOINT_ROUNDS):
            again = _segment_once(stem, budget)
            if again == stem:
                break
            stem = again
        if stem and _segment_once(stem, budget) == stem:
            # The stem's base name is not reserved, and ``ext`` only adds after a dot.
            return stem + ext
    raise AssertionError("unreachable: '_' is always a safe segment")  # pragma: no cover


_TAG_RE = re.compile(r"<[^>]*>")
_DASHES_RE = re.compile(r"-{2,}")
_SEPARATORS = frozenset(" ./\\-–—‐‑‒―\u00a0\u3000")


def slugify(text: str) -> str:
    """A WordPress-like slug of a title: ``"Hello, World!"`` → ``"hello-world"``.

    Like ``sanitize_title_with_dashes``: HTML tags are dropped and entities decoded, text is
    lowercased, spaces, dots, slashes and dashes become ``-`` (``_`` is kept), other punctuation
    and symbols (emoji included) are removed, and runs of ``-`` collapse; unlike WordPress
    non-ASCII letters and digits are kept as text (``日本語`` stays ``日本語``, ``Café`` →
    ``café``) rather than percent-encoded or transliterated. May return ``""`` (for
    ``"!!!"``); pass the slug through :func:`safe_segment` before using it as a file name.
    """
    text = unicodedata.normalize("NFC", html.unescape(_TAG_RE.sub("", text))).lower()
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _SEPARATORS or category == "Zs" or ch in _WHITESPACE_CONTROLS:
            out.append("-")
        elif category[0] in "LMN" or ch in "_\u200c":
            out.append(ch)
    slug = _DASHES_RE.sub("-", "".join(out)).strip("-")
    return unicodedata.normalize("NFC", slug)


def path_key(path: PurePosixPath | str) -> tuple[str, ...]:
    """The identity of a relative path on a case- and normalisation-insensitive file system.

    Each segment is compared by Unicode canonical caseless matching, ``NFD(casefold(NFD(s)))``.
    """
    # For ASCII, NFD changes nothing and casefold() is lower().
    return tuple(
        part.lower() if part.isascii() else unicodedata.normalize("NFD", unicodedata.normalize("NFD", part).casefold())
        for part in posix_parts(path)
    )


def posix_parts(path: PurePosixPath | str) -> Sequence[str]:
    """``PurePosixPath(path).parts``, without making a PurePosixPath (which costs more than
    what is done with the parts, in the hot loops) for the usual ``"a/b/c"``: a string
    with an empty or ``.`` segment, or a leading ``/``, goes to pathlib."""
    if isinstance(path, str):
        parts = path.split("/")
        if "" not in parts and "." not in parts:
            return parts
    return PurePosixPath(path).parts


def posix_str(path: PurePosixPath | str) -> str:
    """``PurePosixPath(path).as_posix()``, as :func:`posix_parts` takes a plain string."""
    if isinstance(path, str):
        parts = path.split("/")
        if "" not in parts and "." not in parts:
            return path
    return PurePosixPath(path).as_posix()


def _digest(key: tuple[str, ...]) -> bytes:
    """A compact stand-in for a path key (collisions: 1 in 2**64 at a billion paths)."""
    return hashlib.blake2b("\x00".join(key).encode("utf-8", "surrogatepass"), digest_size=16).digest()


class DigestSet:
    """A set of digests (bytes), in memory up to :attr:`LIMIT`, then also in a temporary
    SQLite file: memory stays flat however many there are, and small runs never touch
    the disk. :meth:`close` removes the file."""

    LIMIT = 100_000

    def __init__(self, name: str) -> None:
        self._name = name  # letters only: part of the temporary file's name
        self._memory: set[bytes] = set()
        self._db: TempDatabase | None = None

    def __contains__(self, digest: object) -> bool:
        if digest in self._memory:
            return True
        if self._db is None:
            return False
        return self._db.db.execute("SELECT 1 FROM d WHERE h = ?", (digest,)).fetchone() is not None

    def __len__(self) -> int:
        on_disk = 0 if self._db is None else int(self._db.db.execute("SELECT COUNT(*) FROM d").fetchone()[0])
        return len(self._memory) + on_disk

    def add(self, digest: bytes) -> None:
        """Record ``digest``."""
        if digest in self:
            return  # (the memory holds only what the file does not)
        self._memory.add(digest)
        if len(self._memory) >= self.LIMIT:
            if self._db is None:
                self._db = TempDatabase(self._name, "CREATE TABLE d (h BLOB PRIMARY KEY) WITHOUT ROWID")
            self._db.db.executemany("INSERT OR IGNORE INTO d VALUES (?)", ((h,) for h in self._memory))
            self._memory.clear()

    def update(self, digests: Iterable[bytes]) -> None:
        """Record each of ``digests``."""
        for digest in digests:
            self.add(digest)

    def close(self) -> None:
        """Remove the temporary file, if there is one (the set is empty afterwards)."""
        self._memory.clear()
        if self._db is not None:
            self._db.close()
            self._db = None


class PathAllocator:
    """Hands out unique relative paths under one output root, deterministically.

    Requests are judged as macOS and Windows would judge them: ``Foo.md``, ``foo.md`` and
    ``FOO.md`` (or a decomposed ``é`` and a precomposed one) are the same file. A taken file
    path becomes ``name-2.ext``, ``name-3.ext``…; a taken directory (``allocate_dir``)
    becomes ``name-2``… on its last segment. A directory is taken once it was allocated or
    holds anything allocated; a file path also collides with a directory of the same name,
    and no path may pass through an allocated file. The same sequence of requests always
    gets the same answers.

    Every segment must already be safe (:func:`safe_segment` leaves its NFC form unchanged;
    paths come back in the form they were asked for, suffixed where needed); ``..``,
    absolute and empty paths raise :class:`ValueError`, as does a path that would pass
    through an allocated file (``a/b`` allocated as a file, then ``a/b/c.md``).
    """

    def __init__(self, *, max_bytes: int = 255) -> None:
        """``max_bytes`` bounds each segment, suffixes included."""
        self.max_bytes = max_bytes
        # Keys are 128-bit digests of the path keys, and past a limit they go to disk: an
        # export of a million posts must not hold a million paths in memory.
        self._files = DigestSet("pathfiles")
        self._dirs = DigestSet("pathdirs")
        # Next suffix number to try, per (parent key, stem key, ext key): keeps long runs of
        # equal titles linear without changing the answers.
        self._next: dict[tuple[object, ...], int] = {}
        # Remembered (bounded): segments found safe, and the folders above a path (_above).
        self._safe: set[str] = set()
        self._folders: dict[tuple[str, ...], tuple[bytes, ...]] = {}

    def __contains__(self, path: object) -> bool:
        """True when ``path`` (a PurePosixPath or str) is taken, as a file or a directory."""
        if not isinstance(path, (str, PurePosixPath)):
            return False
        key = _digest(path_key(path))
        return key in self._files or key in self._dirs

    def __len__(self) -> int:
        """How many files and directories were allocated or are implied by allocations."""
        return len(self._files) + len(self._dirs)

    def _check(self, path: PurePosixPath | str) -> PurePosixPath:
        """Validate a request: relative, no ``..``, every segment safe."""
        path = PurePosixPath(path)
        if path.is_absolute():
            raise ValueError(f"absolute path not allowed: {str(path)!r}")
        if not path.parts:
            raise ValueError("empty path")
        for part in path.parts:
            if part in self._safe:
                continue
            if part == "..":
                raise ValueError(f"path escapes the root: {str(path)!r}")
            nfc = unicodedata.normalize("NFC", part)
            if safe_segment(nfc, max_bytes=self.max_bytes) != nfc:
                raise ValueError(
                    f"unsafe path segment {part!r} in {str(path)!r} (use safe_segment)"
                )
            if len(self._safe) >= 4096:
                self._safe.clear()
            self._safe.add(part)
        return path

    def close(self) -> None:
        """Remove the temporary files of a large run (the allocator is empty afterwards)."""
        self._files.close()
        self._dirs.close()

    def _free(self, key: tuple[str, ...]) -> bool:
        """True when ``key`` is taken neither as a file nor as a directory."""
        h = _digest(key)
        return h not in self._files and h not in self._dirs

    def _take(self, key: tuple[str, ...], *, is_dir: bool) -> None:
        """Record ``key`` and every directory above it."""
        (self._dirs if is_dir else self._files).add(_digest(key))
        self._dirs.update(self._above(key))

    def _above(self, key: tuple[str, ...]) -> tuple[bytes, ...]:
        """The digests of the folders above ``key``, from the top (remembered: most paths
        of a site share them, and a digest costs more than a lookup)."""
        parent = key[:-1]
        found = self._folders.get(parent)
        if found is None:
            found = tuple(_digest(parent[:i]) for i in range(1, len(parent) + 1))
            if len(self._folders) >= 4096:
                self._folders.clear()
            self._folders[parent] = found
        return found

    def _suffixed(self, stem: str, ext: str, n: int) -> str:
        """``stem-n`` + ``ext``, the stem shortened to fit ``max_bytes``."""
        tail = f"-{n}{ext}"
        budget = self.max_bytes - len(tail.encode("utf-8"))
        if budget < 1:
            raise ValueError(f"no room for a suffix in {self.max_bytes} bytes")
        short = _truncate(stem, budget)
        return (short or "_") + tail

    def _allocate(self, path: PurePosixPath | str, *, is_dir: bool) -> PurePosixPath:
        """Shared logic of :meth:`allocate` and :meth:`allocate_dir`."""
        path = self._check(path)
        key = path_key(path)
        for i, folder in enumerate(self._above(key), 1):
            if folder in self._files:
                raise ValueError(
                    f"{str(path)!r} would be inside the allocated file {'/'.join(path.parts[:i])!r}"
                )
        if self._free(key):
            self._take(key, is_dir=is_dir)
            return path
        name = path.name
        # Safe segments never start with a dot, so a file's stem is never empty.
        stem, ext = (name, "") if is_dir else (path.stem, path.suffix)
        counter_key = (key[:-1], path_key(stem)[0], ext.casefold(), is_dir)
        n = self._next.get(counter_key, 2)
        while True:
            candidate = path.with_name(self._suffixed(stem, ext, n))
            n += 1
            ckey = path_key(candidate)
            if self._free(ckey):
                self._next[counter_key] = n
                self._take(ckey, is_dir=is_dir)
                return candidate

    def allocate(self, desired: PurePosixPath | str) -> PurePosixPath:
        """A unique file path: ``desired`` if free, else ``stem-2.ext``, ``stem-3.ext``…"""
        return self._allocate(desired, is_dir=False)

    def allocate_dir(self, desired: PurePosixPath | str) -> PurePosixPath:
        """A unique directory path (for folder-per-post layouts): ``desired`` or ``name-N``."""
        return self._allocate(desired, is_dir=True)


def safe_join(root: Path, rel: PurePosixPath | str) -> Path:
    """``root / rel``, refusing any ``rel`` that is absolute, has ``..`` or leaves ``root``.

    The check resolves symbolic links that exist, so a link inside ``root`` pointing
    outside is refused too. Raises :class:`ValueError`.
    """
    rel = PurePosixPath(rel)
    text = str(rel)
    if rel.is_absolute() or "\0" in text:
        raise ValueError(f"not a safe relative path: {text!r}")
    if ".." in rel.parts:
        raise ValueError(f"path escapes the output folder: {text!r}")
    joined = root.joinpath(*rel.parts)
    base = root.resolve()
    resolved = joined.resolve()
    if resolved != base and not resolved.is_relative_to(base):
        raise ValueError(f"path resolves outside {str(root)!r}: {text!r}")
    return joined


def atomic_write(path: str | os.PathLike[str], data: bytes | str | Iterable[str], *, durable: bool = False) -> None:
    """Replace ``path``'s content with ``data`` atomically (text, or pieces of text, as UTF-8).

    The data goes to a temporary file in the same folder (created, with its parents, when
    missing), then is renamed over ``path`` with :func:`os.replace`: readers, and a rerun
    after the process was killed, see the old content or the new, never a mix. With
    ``durable`` the file and the folder are also fsync'ed, so the rename survives a power
    cut (slow: thousands of fsyncs dominate a conversion, so only the manifest asks for it).
    The new file gets the usual permissions (0666 less the umask).
    """
    path = os.fspath(path)
    folder = os.path.dirname(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    made = False
    while True:
        # The process id and a counter: unique among the processes of a run (a leftover
        # of a killed run with the same name is stepped over: O_EXCL).
        tmp = os.path.join(folder, f".wpconvert-{os.getpid()}-{next(_TMP_COUNTER)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
        except FileNotFoundError:
            # The folder is missing: made once (asking first would cost a system call for
            # every file of a folder that exists, which most do).
            if made:
                raise
            os.makedirs(folder or ".", exist_ok=True)
            made = True
    try:
        if isinstance(data, (bytes, str)):
            # One buffer (most files): written as it is, without a file object around it.
            try:
                write_all(fd, data.encode("utf-8") if isinstance(data, str) else data)
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
        else:
            with os.fdopen(fd, "wb") as fh:
                for piece in data:  # pieces of text, written as they come (a file too big to hold)
                    fh.write(piece.encode("utf-8"))
                if durable:
                    fh.flush()
                    os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        _fsync_dir(folder)


_TMP_COUNTER = itertools.count()


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` (a write may take less than it is given)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_dir(folder: str) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(fd)
