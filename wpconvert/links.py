"""Rewriting links in converted Markdown: to other posts, and to downloaded media.

Old WordPress links take many forms: pretty permalinks (``/2024/05/hello/``), ``?p=ID``,
``?page_id=ID``, ``?attachment_id=ID`` and attachment pages. Each internal link is pointed
at the new location of its target; a link to an item that the export does not hold (or
that is not published) is left as it is and listed in the report. Media URLs point at the
local file once the media were downloaded.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from .index import Entry, SiteIndex
from .report import Report

# A URL in Markdown or raw HTML: absolute up to a delimiter Markdown or HTML uses, or
# root-relative as a Markdown link target (bare or in <…>) or an href/src value. One pass,
# so a link that was just rewritten is not looked at again. Both branches start with a
# literal character ("h" or "/", the look-behinds come after the "/" and include it), so
# the regex engine skips quickly over the text in between.
_URL = re.compile(
    r"""https?://[^\s<>"'()\[\]`]+"""
    r"""|/(?:(?<=\]\(/)|(?<=\]\(</)|(?<=href="/)|(?<=src="/)|(?<=href='/))(?!/)[^\s<>"'()]*"""
)
_UPLOADS = "/wp-content/uploads/"
# Site addresses that are no content: not reported when no item has them.
_NOT_CONTENT = re.compile(r"/(feed|wp-admin|wp-login\.php|wp-json)\b")
_REMEMBERED = 10_000  # site lookups a rewriter keeps

MediaLookup = Callable[[str], "str | None"]


def _relative(target: str, entry: Entry) -> str:
    """A path inside the output, relative to the folder of ``entry``'s file."""
    start = posixpath.dirname(entry.path) or "."
    return posixpath.relpath(target, start)


class LinkRewriter:
    """Rewrites the URLs of one site's pages. ``media(url)`` gives a downloaded file's path
    inside the output (or None); set it when media are downloaded."""

    def __init__(
        self, index: SiteIndex, report: Report, media: MediaLookup | None = None, *, origin: str = "",
    ) -> None:
        self.index = index
        self.report = report
        self.media = media
        # Where a root-relative link ("/wp-admin/…", "/wp-content/uploads/…") that points at
        # nothing of the new site is sent instead: the old site ("https://example.org").
        # Static site writers set it, since such a link would 404 at the new site's root;
        # empty leaves the link as it is.
        self.origin = origin.rstrip("/")
        self._found: dict[str, tuple[bool, Entry | None]] = {}

    def ref(self, target: str, entry: Entry) -> str:
        """How ``entry``'s page refers to ``target``: a site URL ("/…") as is, an output
        path relative to the page."""
        if target.startswith("/") or "://" in target:
            return target
        return _relative(target, entry)

    def media_url(self, url: str, entry: Entry) -> str:
        """A media URL as the page should use it (local when downloaded)."""
        if self.media is not None:
            local = self.media(url)
            if local:
                return self.ref(local, entry)
        return url

    def resolve(self, url: str, entry: Entry) -> str | None:
        """The new reference for ``url``, or None to leave it unchanged."""
        trail = ""
        while url and url[-1] in ".,;:!?":
            trail = url[-1] + trail
            url = url[:-1]
        rooted = url.startswith("/")
        new = self._resolve(url, entry, rooted)
        if new is None and rooted and self.origin:
            new = self.origin + url
        return new + trail if new is not None else None

    def _resolve(self, url: str, entry: Entry, rooted: bool) -> str | None:
        if rooted:
            host = min(self.index.site_hosts, default="")
            if not host:
                return None
            url = f"https://{host}{url}"
        if _UPLOADS in url or ".files.wordpress.com/" in url:
            if self.media is None:
                return None
            new = self.media_url(url, entry)
            return new if new != url else None
        site, target = self._lookup(url)
        if not site:
            return None
        fragment = url.partition("#")[2]
        if target is not None and target.post_type == "attachment" and target.attachment_url:
            # An attachment page: point at the file itself.
            return self.media_url(target.attachment_url, entry)
        if target is None or not target.url:
            if _UPLOADS not in url and not _NOT_CONTENT.search(url):
                self._unresolved(url, entry)
            return None
        return self.ref(target.url, entry) + (f"#{fragment}" if fragment else "")

    def _lookup(self, url: str) -> tuple[bool, Entry | None]:
        """Whether ``url`` is on the site, and the item it points to. Remembered: the index is
        complete before links are rewritten (the writers plan first), and pages link to the
        same addresses again and again."""
        found = self._found.get(url)
        if found is None:
            if len(self._found) >= _REMEMBERED:
                self._found.clear()
            site = self.index.is_site_url(url)
            found = self._found[url] = (site, self.index.resolve(url.partition("#")[0]) if site else None)
        return found

    def _unresolved(self, url: str, entry: Entry) -> None:
        # Reported once per URL: the writer merges reports and drops repeats.
        self.report.problem(
            "WPC301", "warning",
            f"link to {url}: no published item of the export has that address; left as is",
            entry.path,
        )

    def rewrite(self, text: str, entry: Entry) -> str:
        """``text`` with every internal and media URL rewritten."""
        if "://" not in text and "/" not in text:
            return text
        return _URL.sub(lambda m: self.resolve(m.group(), entry) or m.group(), text)
