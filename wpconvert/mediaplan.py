"""Media for one conversion run: which files the published items use, fetching them into
the output, and the URL → local file map that link rewriting and JSON use.

URLs are collected in a first pass (from published content, featured images and gallery
ids) into an on-disk SQLite table, so memory stays flat for any size of export.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from .media import FetchOptions, HostPolicy, MediaResult, candidates, find_media_urls, hosts_for_export
from .model import Item, Site
from .options import Options
from .output import OutputTree
from .report import Report
from .tempdb import TempDatabase

_GALLERY_IDS = re.compile(r"""\[gallery[^\]]*?\b(?:ids|include)=["']?([\d,\s]+)""")
_BARE_GALLERY = re.compile(r"\[gallery(?![^\]]*\b(?:ids|include)=)[^\]]*\]")
_BLOCK_IDS = re.compile(r'"ids":\[([\d,]+)\]|wp-image-(\d+)|"id":(\d+)')

MediaProgress = Callable[[int, int, int], None]


class MediaPlan(TempDatabase):
    """Collects, fetches and maps the media of one run."""

    def __init__(self, site: Site, options: Options, report: Report) -> None:
        self.site = site
        self.options = options
        self.report = report
        super().__init__(
            "media",
            "CREATE TABLE urls (url TEXT PRIMARY KEY, seq INTEGER);"
            "CREATE TABLE wanted_ids (id INTEGER PRIMARY KEY);"
            "CREATE TABLE attachments (id INTEGER PRIMARY KEY, url TEXT, parent INTEGER);"
            "CREATE TABLE wanted_parents (id INTEGER PRIMARY KEY);"
            "CREATE TABLE hosts (host TEXT PRIMARY KEY);"
            "CREATE TABLE local (url TEXT PRIMARY KEY, path TEXT);",
        )
        self._n = 0

    # -- first pass -------------------------------------------------------------------------
    def observe(self, item: Item, published: bool) -> None:
        """Learn from one item: attachment files, and the media a published item uses."""
        if item.post_type == "attachment" and item.attachment_url and item.id is not None \
                and 0 <= item.id < (1 << 63):
            parent = item.parent if 0 <= item.parent < (1 << 63) else 0
            self.db.execute("INSERT OR IGNORE INTO attachments VALUES (?, ?, ?)", (item.id, item.attachment_url, parent))
            host = item.attachment_url.split("/")[2] if "://" in item.attachment_url else ""
            if host:
                self.db.execute("INSERT OR IGNORE INTO hosts VALUES (?)", (host.lower(),))
        if not published:
            return
        rows = [(u, self._next()) for u in find_media_urls(item.content)]
        self.db.executemany("INSERT OR IGNORE INTO urls VALUES (?, ?)", rows)
        ids: list[int] = []
        thumb = item.meta_value("_thumbnail_id")
        if thumb and thumb.strip().isdigit():
            ids.append(int(thumb.strip()))
        if "[gallery" in item.content:
            for m in _GALLERY_IDS.finditer(item.content):
                ids.extend(int(x) for x in re.findall(r"\d+", m.group(1)))
            if _BARE_GALLERY.search(item.content) and item.id is not None and 0 <= item.id < (1 << 63):
                # A gallery without ids shows the images attached to the post.
                self.db.execute("INSERT OR IGNORE INTO wanted_parents VALUES (?)", (item.id,))
        if "<!-- wp:" in item.content:
            for m in _BLOCK_IDS.finditer(item.content):
                ids.extend(int(x) for x in re.findall(r"\d+", m.group(0)))
        self.db.executemany("INSERT OR IGNORE INTO wanted_ids VALUES (?)", [(i,) for i in ids if i < (1 << 63)])

    def _next(self) -> int:
        self._n += 1
        return self._n

    # -- fetching ---------------------------------------------------------------------------
    def urls(self) -> list[str]:
        """Every media URL to fetch, in first-seen order (wanted attachments last)."""
        content = [u for (u,) in self.db.execute("SELECT url FROM urls ORDER BY seq")]
        seen = set(content)
        extra = [
            u for (u,) in self.db.execute(
                "SELECT a.url FROM attachments a WHERE a.id IN (SELECT id FROM wanted_ids) "
                "OR a.parent IN (SELECT id FROM wanted_parents) ORDER BY a.id"
            ) if u not in seen
        ]
        return content + extra

    def fetch(self, tree: OutputTree, folder: str, progress: MediaProgress | None = None) -> list[MediaResult]:
        """Fetch every planned URL into ``folder`` of the output; record files and failures."""
        from .media import MediaFetcher

        opts = self.options
        attachment_hosts = [h for (h,) in self.db.execute("SELECT host FROM hosts ORDER BY host")]
        hosts = HostPolicy(hosts_for_export(self.site, (), list(opts.media_hosts) + attachment_hosts))
        if folder:
            tree.claim(folder)  # the fetcher writes there directly
        dest = tree.path(folder) if folder else tree.root
        fetch_opts = FetchOptions(jobs=max(1, opts.media_jobs), max_size=opts.max_media_size or None)

        def on_progress(p: object) -> None:
            if progress is not None:
                done, total, bytes_done = (getattr(p, k) for k in ("done", "total", "bytes_done"))
                progress(done, total, bytes_done)

        urls = self.urls()
        with MediaFetcher(
            dest, hosts, options=fetch_opts,
            media_from=Path(opts.media_from) if opts.media_from else None,
            offline=opts.offline, progress=on_progress,
        ) as fetcher:
            results = fetcher.fetch(urls)
        rows = []
        for r in results:
            entry: dict[str, object] = {"url": r.url, "status": r.status, "reason": r.reason, "size": r.size}
            if r.path is not None:
                rel = (PurePosixPath(folder) / r.path).as_posix() if folder else r.path.as_posix()
                entry["path"] = rel
                if r.ok:
                    rows.append((r.url, rel))
                    tree.record(rel)
            self.report.media.append(entry)
            if r.status == "failed":
                self.report.problem("WPC501", "error", f"media {r.url}: {r.reason}")
            elif r.status == "skipped":
                self.report.problem("WPC502", "warning", f"media {r.url} not fetched: {r.reason}")
            self.report.counts[f"media:{r.status}"] += 1
        self.db.executemany("INSERT OR REPLACE INTO local VALUES (?, ?)", rows)
        self.db.execute("CREATE INDEX IF NOT EXISTS local_url ON local(url)")
        # Committed, so that worker processes (--jobs) opening the file see it.
        self.db.commit()
        return results

    # -- lookups ----------------------------------------------------------------------------
    def lookup(self, url: str) -> str | None:
        """The output path of a fetched URL (or of its original, for a resized variant)."""
        for candidate in (url, *candidates(url)):
            row = self.db.execute("SELECT path FROM local WHERE url = ?", (candidate,)).fetchone()
            if row:
                path: str = row[0]
                return path
        return None

    def for_item(self, item: Item) -> dict[str, str]:
        """URL → local path for the media ``item`` uses (JSON's ``media`` field)."""
        out: dict[str, str] = {}
        urls = find_media_urls(item.content)
        if item.attachment_url:
            urls.append(item.attachment_url)
        for u in urls:
            local = self.lookup(u)
            if local:
                out[u] = local
        return out
