"""Old WordPress addresses → new ones: path checks and the server redirect files.

Hugo aliases and Jekyll's ``redirect_from`` cover the old *pretty* permalinks with HTML
redirect pages. Query-string addresses (``/?p=10``, ``/?page_id=30``,
``/?attachment_id=11``) cannot be files, so every redirect also goes to two server-side
files written into the site's static output:

* ``_redirects``: Netlify / Cloudflare Pages rules, query rules forced (``301!``) since
  ``/`` is a real file;
* ``nginx-redirects.conf``: ``map`` blocks on ``$arg_p``, ``$arg_page_id``,
  ``$arg_attachment_id`` and ``$uri``, for the ``http {}`` block, with the three-line
  ``server {}`` snippet in its header.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote, unquote, urlsplit

# Characters kept as they are when a path is written into a URL (RFC 3986 pchar, minus a
# few that servers or config files treat specially).
_URL_SAFE = "/-._~!&'()*+,=:@"
# nginx: characters a map key ($uri, decoded) may not hold without quoting trouble.
_NGINX_UNSAFE = frozenset('"\\$;{}#') | frozenset(" \t\r\n")
# Characters an old path may not hold to become a redirect page or a kept URL: ambiguous
# in a URL once decoded (``%``, ``#``, ``?``), or never made by WordPress (its slugs are
# letters, digits, ``-`` and ``_``) and hazardous in files, Markdown link targets and
# config (``\\ " ' < > | * ( ) [ ] { }``, whitespace). Windows device names (``con``) are
# fine on servers.
_PATH_UNSAFE = frozenset('%#?\\"\'<>|*()[]{}')
# The same for ASCII: those characters, white space and controls (ASCII has no Cf or Cs).
_ASCII_UNSAFE = re.compile("[" + re.escape("".join(sorted(_PATH_UNSAFE))) + "\x00-\x20\x7f]")
# What a filesystem can hold in one segment (bytes), for alias and redirect pages.
MAX_SEGMENT_BYTES = 255


def url_quote(path: str) -> str:
    """A path as it may appear in a URL: non-ASCII and unsafe characters percent-encoded."""
    return quote(path, safe=_URL_SAFE)


def old_path(link: str) -> str | None:
    """The old pretty permalink's path (decoded, NFC, one leading ``/``, a trailing ``/``
    unless it names an ``.html`` file),
    or None when ``link`` is a query-string address, the site root, or a path that cannot
    become a redirect page (empty, ``.``/``..`` or unsafe segments, control or format
    characters, segments longer than a file name may be)."""
    if not link:
        return None
    try:
        parts = urlsplit(link.strip())
    except ValueError:  # "http://[::1/x": no path anyone can request
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
        if not seg or seg in (".", "..") or len(seg.encode("utf-8")) > MAX_SEGMENT_BYTES:
            return None
        if seg.isascii():
            if _ASCII_UNSAFE.search(seg):
                return None
        elif any(ch in _PATH_UNSAFE or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs")
                 for ch in seg):
            return None
    # A page address ends in "/" (its redirect page is <path>/index.html); an old address
    # of a file (".html") stays one, so that the redirect page is that file.
    tail = "" if segments[-1].lower().endswith((".html", ".htm")) else "/"
    return "/" + "/".join(segments) + tail


_SCHEMA = """
DROP TABLE IF EXISTS redirect_query;
DROP TABLE IF EXISTS redirect_path;
DROP TABLE IF EXISTS redirect_seen;
CREATE TABLE redirect_query (key TEXT NOT NULL, id INTEGER NOT NULL, target TEXT NOT NULL,
    PRIMARY KEY (key, id)) WITHOUT ROWID;
CREATE TABLE redirect_path (path TEXT NOT NULL UNIQUE, target TEXT NOT NULL);
CREATE TABLE redirect_seen (key TEXT PRIMARY KEY) WITHOUT ROWID;
"""


class Redirects:
    """Every old address of the site and where it now lives.

    The rules are kept in tables of ``db`` (the site index's SQLite file: ``redirect_*``),
    not in memory, and the files are made a line at a time: a site of a million posts has
    millions of rules."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        db.executescript(_SCHEMA)

    def add_query(self, key: str, post_id: int | None, target: str) -> None:
        """``/?key=post_id`` → ``target`` (the first one given wins)."""
        if post_id is not None and target:
            self.db.execute("INSERT OR IGNORE INTO redirect_query VALUES (?, ?, ?)", (key, post_id, target))

    def add_path(self, path: str, target: str) -> None:
        """Old ``path`` → ``target`` (the first one given wins; never a path onto itself)."""
        if path and target and path != target:
            self.db.execute("INSERT OR IGNORE INTO redirect_path VALUES (?, ?)", (path, target))

    def __bool__(self) -> bool:
        row = self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM redirect_query) OR EXISTS (SELECT 1 FROM redirect_path)"
        ).fetchone()
        return bool(row[0])

    def _queries(self, key: str | None = None) -> Iterator[tuple[str, int, str]]:
        """Query rules by key, then id (all keys, or only ``key``)."""
        if key is None:
            cur = self.db.execute("SELECT key, id, target FROM redirect_query ORDER BY key, id")
        else:
            cur = self.db.execute("SELECT key, id, target FROM redirect_query WHERE key = ? ORDER BY id", (key,))
        yield from cur

    def _paths(self) -> Iterator[tuple[str, str]]:
        """Path rules in the order they were given."""
        yield from self.db.execute("SELECT path, target FROM redirect_path ORDER BY rowid")

    @staticmethod
    def _target(target: str) -> str:
        return target if "://" in target else url_quote(target)

    def netlify(self) -> Iterator[str]:
        """The ``_redirects`` file (Netlify, Cloudflare Pages), a line at a time."""
        yield "# Old WordPress addresses and where they moved (written by wpconvert).\n"
        for key, post_id, target in self._queries():
            yield f"/  {key}={post_id}  {self._target(target)}  301!\n"
        for path, target in self._paths():
            yield f"{url_quote(path)}  {self._target(target)}  301!\n"

    def nginx(self) -> Iterator[str]:
        """``nginx-redirects.conf`` (maps for the ``http {}`` block), a line at a time."""
        yield from (line + "\n" for line in (
            "# Old WordPress addresses and where they moved (written by wpconvert).",
            "# Include this file in the http {} block, then add to the server {} block:",
            "#     if ($wpconvert_p) { return 301 $wpconvert_p; }",
            "#     if ($wpconvert_page_id) { return 301 $wpconvert_page_id; }",
            "#     if ($wpconvert_attachment_id) { return 301 $wpconvert_attachment_id; }",
            "#     if ($wpconvert_path) { return 301 $wpconvert_path; }",
            "# Long paths may need a larger map_hash_bucket_size.",
        ))
        for key in ("p", "page_id", "attachment_id"):
            yield f"map $arg_{key} $wpconvert_{key} {{\n"
            yield '    default "";\n'
            for _, post_id, target in self._queries(key):
                yield f'    {post_id} "{_nginx_value(self._target(target))}";\n'
            yield "}\n"
        yield "map $uri $wpconvert_path {\n"
        yield '    default "";\n'
        self.db.execute("DELETE FROM redirect_seen")
        for path, target in self._paths():
            # nginx compares map strings ignoring case: the first of a case-variant pair wins.
            if any(ch in _NGINX_UNSAFE or ord(ch) < 0x20 for ch in path) or not self._first(path.casefold()):
                continue
            value = _nginx_value(self._target(target))
            yield f'    "{path}" "{value}";\n'
            bare = path.rstrip("/")
            if bare and self._first(bare.casefold()):
                yield f'    "{bare}" "{value}";\n'
        yield "}\n"

    def _first(self, folded: str) -> bool:
        """True the first time a case-folded map key is seen (in :meth:`nginx`)."""
        return self.db.execute("INSERT OR IGNORE INTO redirect_seen VALUES (?)", (folded,)).rowcount == 1


def _nginx_value(url: str) -> str:
    """A URL made safe inside a double-quoted nginx string (no variables, no quotes)."""
    return url.replace("\\", "%5C").replace('"', "%22").replace("$", "%24").replace(" ", "%20")
