"""Where a media URL is stored locally: a safe relative path derived from the URL.

The path is the part after ``/wp-content/uploads/`` when the URL has one (``2024/05/cat.jpg``),
else the host followed by the URL path (``cdn.example.com/img/cat.jpg``). Every segment is
percent-decoded and then made safe on POSIX and Windows alike:

* ``.``, ``..`` and empty segments are dropped, so the path never leaves the media folder
  (``/wp-content/uploads/../../etc/passwd`` → ``etc/passwd``; ``%2e%2e`` likewise);
* control characters (NUL included), ``/`` and ``\\`` inside a segment and the characters
  Windows reserves (``<>:"|?*``) become ``_``; trailing dots and spaces are removed;
* Windows device names (``CON``, ``NUL``, ``COM1`` … also with an extension: ``CON.jpg``)
  get a leading ``_``;
* a segment longer than 150 bytes of UTF-8 is cut (on a character boundary), keeping its
  extension and adding a short hash of the full segment, so long names stay distinct; a
  path longer than 240 bytes in all becomes ``_long/<hash>/<filename>``;
* a query string that selects a different file (anything but ``ssl``, ``ver``, ``utm_*``)
  is folded into the filename as a short hash: ``cat.jpg?w=300`` → ``cat-1f0c3e2a.jpg``.

Segments are NFC-normalised. Names that differ only in letter case stay distinct here and
may collide on a case-insensitive file system.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from ..paths import INVISIBLE
from .kinds import UPLOADS_MARKER, is_wpcom_files_host

MAX_SEGMENT_BYTES = 150
MAX_PATH_BYTES = 240
_HASH_LEN = 8

_WINDOWS_RESERVED_CHARS = frozenset('<>:"|?*/\\')
_WINDOWS_DEVICE_RE = re.compile(
    r"^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])$", re.IGNORECASE
)
# Query parameters that never change which file is served.
_IGNORED_QUERY_KEYS = frozenset({"ssl", "ver"})
# An extension worth keeping when a name is cut: a dot and a few letters or digits.
_EXT_RE = re.compile(r"\.[A-Za-z0-9]{1,10}$")


def _short_hash(text: str, length: int = _HASH_LEN) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def _truncate_utf8(text: str, limit: int) -> str:
    """The longest prefix of ``text`` that is at most ``limit`` bytes of UTF-8."""
    return text.encode("utf-8")[: max(limit, 0)].decode("utf-8", "ignore")


def _split_ext(name: str) -> tuple[str, str]:
    m = _EXT_RE.search(name)
    if m and m.start() > 0:
        return name[: m.start()], name[m.start():]
    return name, ""


def _clean_chars(segment: str) -> str:
    out = []
    for ch in segment:
        if ch in INVISIBLE:
            continue  # bidi overrides disguise names ("\u202egnp.exe" shows as "exe.png")
        if ch in _WINDOWS_RESERVED_CHARS or unicodedata.category(ch) in ("Cc", "Cs"):
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


def fit_segment(segment: str, limit: int = MAX_SEGMENT_BYTES) -> str:
    """``segment`` cut to ``limit`` bytes of UTF-8, keeping its extension, plus a hash.

    A segment within the limit is returned unchanged.
    """
    if len(segment.encode("utf-8")) <= limit:
        return segment
    stem, ext = _split_ext(segment)
    digest = _short_hash(segment)
    room = limit - len(ext.encode("utf-8")) - 1 - len(digest)
    return f"{_truncate_utf8(stem, room)}-{digest}{ext}"


def sanitize_segment(segment: str) -> str:
    """One decoded path segment made safe as a file or folder name (see the module doc).

    Returns "" for segments to drop (empty, ``.`` and ``..``).
    """
    segment = unicodedata.normalize("NFC", segment)
    if segment in ("", ".", ".."):
        return ""
    cleaned = _clean_chars(segment).rstrip(" .")
    if not cleaned:
        return "_"
    base = cleaned.split(".", 1)[0].rstrip(" ")
    if _WINDOWS_DEVICE_RE.match(base):
        cleaned = "_" + cleaned
    return fit_segment(cleaned)


def _decoded_segments(raw_path: str) -> list[str]:
    return [unquote(seg, errors="replace") for seg in raw_path.split("/")]


def uploads_relative(url: str) -> str | None:
    """The decoded path of ``url`` relative to the uploads folder, or None.

    That is the part after ``/wp-content/uploads/``, or the whole path on a WordPress.com
    files host (its uploads live at the root). ``.``/``..``/empty segments are dropped;
    nothing else is changed, so the result names the file in a copy of the uploads folder.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    path = parts.path
    idx = path.lower().find(UPLOADS_MARKER)
    if idx >= 0:
        rest = path[idx + len(UPLOADS_MARKER):]
    elif is_wpcom_files_host(parts.hostname or ""):
        rest = path
    else:
        return None
    segments = [s for s in _decoded_segments(rest) if s not in ("", ".", "..")]
    if not segments or any("/" in s or "\\" in s or "\x00" in s for s in segments):
        return None
    return "/".join(segments)


def _host_segment(netloc_host: str | None, port: int | None) -> str:
    host = (netloc_host or "").rstrip(".").lower()
    if not host:
        return ""
    return f"{host}_{port}" if port is not None else host


def _significant_query(query: str) -> str:
    """The query's parameters that select a file, sorted and re-encoded ("" for none)."""
    pairs = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if k.lower() not in _IGNORED_QUERY_KEYS and not k.lower().startswith("utm_")
    ]
    if not pairs and query and "=" not in query and "&" not in query:
        # A bare query ("?abc") is significant as a whole.
        return query
    return urlencode(sorted(pairs))


def _fold_query(name: str, query: str) -> str:
    stem, ext = _split_ext(name)
    return f"{stem}-{_short_hash(query)}{ext}"


def local_path(url: str) -> PurePosixPath:
    """The safe relative path under the media folder where ``url`` is stored.

    Deterministic and total: any string gives a relative path without ``..``, absolute
    parts, control characters or names Windows rejects (see the module documentation).
    Uploads URLs drop their host on purpose: ``http``/``https``, ``www.`` and Photon copies
    of one upload (``i0.wp.com/example.com/wp-content/uploads/…``) map to one file.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = parts.hostname
    except ValueError:  # a malformed netloc ("[::1", bad port): keep what can be kept
        parts = urlsplit(url.strip().replace("[", "_").replace("]", "_"))
        port, host = None, parts.netloc.split("@")[-1]
    path = parts.path
    idx = path.lower().find(UPLOADS_MARKER)
    host_segment = ""
    if idx >= 0:
        raw_segments = _decoded_segments(path[idx + len(UPLOADS_MARKER):])
    else:
        host_segment = sanitize_segment(_host_segment(host, port))
        raw_segments = _decoded_segments(path)
    segments = [s for s in (sanitize_segment(r) for r in raw_segments) if s]
    if not segments or path.endswith("/"):
        segments.append("index")  # a folder URL or a bare host: give the file a name
    if host_segment:
        segments.insert(0, host_segment)
    query = _significant_query(parts.query)
    if query:
        segments[-1] = fit_segment(_fold_query(segments[-1], query))
    total = len("/".join(segments).encode("utf-8"))
    if total > MAX_PATH_BYTES:
        segments = ["_long", _short_hash(posixpath.join(*segments), 16), segments[-1]]
    return PurePosixPath(*segments)
