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

import unicodedata
from dataclasses import dataclass, field
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
        if any(ch in _PATH_UNSAFE or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs")
               for ch in seg):
            return None
    # A page address ends in "/" (its redirect page is <path>/index.html); an old address
    # of a file (".html") stays one, so that the redirect page is that file.
    tail = "" if segments[-1].lower().endswith((".html", ".htm")) else "/"
    return "/" + "/".join(segments) + tail


@dataclass
class Redirects:
    """Every old address of the site and where it now lives."""

    # (query key, id) → target, e.g. ("p", 10) → "/posts/hello/"
    queries: dict[tuple[str, int], str] = field(default_factory=dict)
    # old path ("/2024/05/hello/", decoded) → target
    paths: dict[str, str] = field(default_factory=dict)

    def add_query(self, key: str, post_id: int | None, target: str) -> None:
        """``/?key=post_id`` → ``target`` (the first one given wins)."""
        if post_id is not None and target:
            self.queries.setdefault((key, post_id), target)

    def add_path(self, path: str, target: str) -> None:
        """Old ``path`` → ``target`` (the first one given wins; never a path onto itself)."""
        if path and target and path != target:
            self.paths.setdefault(path, target)

    def __bool__(self) -> bool:
        return bool(self.queries or self.paths)

    @staticmethod
    def _target(target: str) -> str:
        return target if "://" in target else url_quote(target)

    def netlify(self) -> str:
        """The ``_redirects`` file (Netlify, Cloudflare Pages)."""
        lines = ["# Old WordPress addresses and where they moved (written by wpconvert)."]
        for (key, post_id), target in sorted(self.queries.items()):
            lines.append(f"/  {key}={post_id}  {self._target(target)}  301!")
        for path, target in self.paths.items():
            lines.append(f"{url_quote(path)}  {self._target(target)}  301!")
        return "\n".join(lines) + "\n"

    def nginx(self) -> str:
        """``nginx-redirects.conf``: maps for the ``http {}`` block."""
        out = [
            "# Old WordPress addresses and where they moved (written by wpconvert).",
            "# Include this file in the http {} block, then add to the server {} block:",
            "#     if ($wpconvert_p) { return 301 $wpconvert_p; }",
            "#     if ($wpconvert_page_id) { return 301 $wpconvert_page_id; }",
            "#     if ($wpconvert_attachment_id) { return 301 $wpconvert_attachment_id; }",
            "#     if ($wpconvert_path) { return 301 $wpconvert_path; }",
            "# Long paths may need a larger map_hash_bucket_size.",
        ]
        for key in ("p", "page_id", "attachment_id"):
            out.append(f"map $arg_{key} $wpconvert_{key} {{")
            out.append('    default "";')
            for (k, post_id), target in sorted(self.queries.items()):
                if k == key:
                    out.append(f'    {post_id} "{_nginx_value(self._target(target))}";')
            out.append("}")
        out.append("map $uri $wpconvert_path {")
        out.append('    default "";')
        seen: set[str] = set()
        for path, target in self.paths.items():
            # nginx compares map strings ignoring case: the first of a case-variant pair wins.
            folded = path.casefold()
            if folded in seen or any(ch in _NGINX_UNSAFE or ord(ch) < 0x20 for ch in path):
                continue
            seen.add(folded)
            value = _nginx_value(self._target(target))
            out.append(f'    "{path}" "{value}";')
            bare = path.rstrip("/")
            if bare and bare.casefold() not in seen:
                seen.add(bare.casefold())
                out.append(f'    "{bare}" "{value}";')
        out.append("}")
        return "\n".join(out) + "\n"


def _nginx_value(url: str) -> str:
    """A URL made safe inside a double-quoted nginx string (no variables, no quotes)."""
    return url.replace("\\", "%5C").replace('"', "%22").replace("$", "%24").replace(" ", "%20")
