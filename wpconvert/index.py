"""The site index: what a first pass over the export learns about every item.

Writers of sites need to know things about items they have not reached yet: where the post
a link points to will live, which image a gallery's ids name. A first pass records, for
each item, its identity, its old permalink and its new location in an on-disk SQLite
table, so that memory stays flat however large the export is.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .model import Item
from .tempdb import TempDatabase
from .transform.context import AttachmentRef


@dataclass(frozen=True, slots=True)
class Entry:
    """One item as the index knows it. ``path``/``url`` are "" when it is not written."""

    seq: int
    id: int | None
    post_type: str
    status: str
    slug: str
    title: str
    date: str
    parent: int
    link: str
    attachment_url: str
    path: str
    url: str


_IMAGE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|bmp|tiff?|heic)(?:$|[?#])", re.I)
_COLUMNS = "seq, id, post_type, status, slug, title, date, parent, link, attachment_url, path, url"
# The same, of the items table named "i" in a join.
ENTRY_COLUMNS = ", ".join(f"i.{c}" for c in _COLUMNS.split(", "))


def link_key(url: str) -> str:
    """The part of a permalink that identifies a post: its path, decoded, with one ``/``.

    ``https://example.org/2024/05/hello/`` and ``http://www.example.org/2024/05/hello``
    give the same key; so do percent-encoded and decoded non-ASCII slugs.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # "http://[::1/x": not a URL anything can link to
        return ""
    path = unquote(parts.path or "/")
    if not path.endswith("/"):
        path += "/"
    return path


class SiteIndex(TempDatabase):
    """Items by position, id and old permalink, kept in a temporary SQLite file."""

    def __init__(self, site_hosts: set[str]) -> None:
        super().__init__(
            "index",
            """
            CREATE TABLE items (seq INTEGER PRIMARY KEY, id INTEGER, post_type TEXT,
                status TEXT, slug TEXT, title TEXT, date TEXT, parent INTEGER, link TEXT,
                attachment_url TEXT, path TEXT, url TEXT, link_key TEXT, alt TEXT,
                caption TEXT, publish INTEGER, menu_order INTEGER);
            """,
        )
        self.site_hosts = {h.lower().removeprefix("www.") for h in site_hosts if h}
        self._rows: list[tuple[object, ...]] = []
        self.count = 0
        self._page: dict[int, Entry] = {}  # read ahead by at_in_order()
        self._attachments: dict[int, AttachmentRef | None] = {}  # looked up so far (bounded)

    def add(self, item: Item, publish: bool) -> int:
        """Record ``item`` (the next in export order); ``publish``: it gets a page."""
        seq = self.count
        self.count += 1
        # SQLite integers are 64-bit; an id beyond that (hand-edited exports) cannot be a
        # real WordPress id: keep it out of the lookups rather than fail.
        post_id = item.id if item.id is not None and -(1 << 63) <= item.id < (1 << 63) else None
        parent = item.parent if -(1 << 63) <= item.parent < (1 << 63) else 0
        alt = item.meta_value("_wp_attachment_image_alt") or "" if item.post_type == "attachment" else ""
        self._rows.append((
            seq, post_id, item.post_type, item.status, item.slug, item.title, item.date or "",
            parent, item.link, item.attachment_url, "", "",
            link_key(item.link) if item.link and "?" not in item.link else "",
            alt, item.excerpt if item.post_type == "attachment" else "", int(publish),
            item.menu_order if -(1 << 63) <= item.menu_order < (1 << 63) else 0,
        ))
        if len(self._rows) >= 2000:
            self.flush()
        return seq

    def flush(self) -> None:
        """Write buffered rows and build the lookup indexes."""
        if self._rows:
            self.db.executemany(f"INSERT INTO items VALUES ({','.join('?' * 17)})", self._rows)
            self._rows.clear()

    def finish(self) -> None:
        """Call once every item was added: makes lookups fast."""
        self._forget()
        self.flush()
        self.db.executescript(
            "CREATE INDEX IF NOT EXISTS by_id ON items(id);"
            "CREATE INDEX IF NOT EXISTS by_link ON items(link_key);"
        )

    def to_publish(self) -> Iterator[Entry]:
        """Every item that gets a page, in export order (before locations are set).

        Read in pages of rows, so that the caller may update rows (set_location) as it goes
        and memory holds one page, not the whole export."""
        last = -1
        while True:
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM items WHERE publish = 1 AND seq > ? ORDER BY seq LIMIT 1000", (last,)
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield Entry(*row)
            last = rows[-1][0]

    def set_location(self, seq: int, path: str, url: str) -> None:
        """Record where the ``seq``-th item is written and served."""
        self.set_locations([(seq, path, url)])

    def set_locations(self, located: list[tuple[int, str, str]]) -> None:
        """:meth:`set_location` for many items: (seq, path, url) each."""
        self._forget()
        self.db.executemany("UPDATE items SET path = ?, url = ? WHERE seq = ?", [(p, u, s) for s, p, u in located])

    # -- lookups ----------------------------------------------------------------------------
    def _one(self, where: str, args: tuple[object, ...]) -> Entry | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM items WHERE {where} ORDER BY seq LIMIT 1", args).fetchone()
        return Entry(*row) if row else None

    def at(self, seq: int) -> Entry | None:
        """The entry of the ``seq``-th item of the export."""
        return self._one("seq = ?", (seq,))

    # Entries read at once by at_in_order(): one query per item was a tenth of the index's
    # cost. Workers take batches of consecutive items, so most of a page is used.
    PAGE = 256

    def at_in_order(self, seq: int) -> Entry | None:
        """:meth:`at`, for a pass in export order once the plan is made: reads ahead."""
        entry = self._page.get(seq)
        if entry is None:
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM items WHERE seq >= ? AND seq < ? ORDER BY seq", (seq, seq + self.PAGE)
            ).fetchall()
            self._page = {row[0]: Entry(*row) for row in rows}
            entry = self._page.get(seq)
        return entry

    def _forget(self) -> None:
        """Drop what was read ahead or looked up (the table is changing)."""
        if self._page:
            self._page = {}
        self._attachments.clear()  # in place: views handed out share it

    def by_id(self, post_id: int) -> Entry | None:
        """The first item with this post id (ids repeat in some exports)."""
        if not -(1 << 63) <= post_id < (1 << 63):
            return None
        return self._one("id = ?", (post_id,))

    def by_link(self, url: str) -> Entry | None:
        """The item whose old permalink is ``url`` (any host, either scheme)."""
        return self._one("link_key = ?", (link_key(url),))

    def children(self, parent_id: int, post_type: str) -> Iterator[Entry]:
        """Items of ``post_type`` whose parent is ``parent_id``, in menu/export order."""
        for row in self.db.execute(
            f"SELECT {_COLUMNS} FROM items WHERE parent = ? AND post_type = ? ORDER BY seq",
            (parent_id, post_type),
        ):
            yield Entry(*row)

    def of_type(self, post_type: str) -> Iterator[Entry]:
        """Every item of a post type, in export order."""
        for row in self.db.execute(
            f"SELECT {_COLUMNS} FROM items WHERE post_type = ? ORDER BY seq", (post_type,)
        ):
            yield Entry(*row)

    def written(self) -> Iterator[Entry]:
        """Every item that gets a page, in export order."""
        for row in self.db.execute(f"SELECT {_COLUMNS} FROM items WHERE path != '' ORDER BY seq"):
            yield Entry(*row)

    def is_site_url(self, url: str) -> bool:
        """True when ``url`` points at the exported site (either scheme, with or without www)."""
        try:
            host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        except ValueError:
            return False
        return host in self.site_hosts

    def resolve(self, url: str) -> Entry | None:
        """The item an internal link points to: ``?p=``, ``?page_id=``,
        ``?attachment_id=`` or an old pretty permalink."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.query:
            q = parse_qs(parts.query)
            for key in ("p", "page_id", "attachment_id", "preview_id"):
                if key in q and q[key][0].isdigit():
                    return self.by_id(int(q[key][0]))
        return self.by_link(url)

    def attached_images(self, parent_id: int | None) -> list[AttachmentRef]:
        """The images attached to post ``parent_id``, in WordPress's gallery order
        (``menu_order``, then id): what a ``[gallery]`` without ids shows."""
        if parent_id is None or not -(1 << 63) <= parent_id < (1 << 63):
            return []
        rows = self.db.execute(
            "SELECT id, attachment_url, title, alt, caption, menu_order FROM items WHERE parent = ? "
            "AND post_type = 'attachment' ORDER BY menu_order, id, seq", (parent_id,),
        ).fetchall()
        return [AttachmentRef(*r) for r in rows if _IMAGE.search(r[1] or "")]

    def attachments(self) -> Mapping[int, AttachmentRef]:
        """Attachment files by post id, for galleries and featured images."""
        return _Attachments(self.db, self._attachments)


class _Attachments(Mapping[int, AttachmentRef]):
    """A read-only view of the attachments, looked up on demand (and remembered in
    ``seen``: a gallery asks for each of its ids twice, and posts share images)."""

    LIMIT = 4096

    def __init__(self, db: sqlite3.Connection, seen: dict[int, AttachmentRef | None]) -> None:
        self.db = db
        self.seen = seen

    def _lookup(self, key: int) -> AttachmentRef | None:
        try:
            return self.seen[key]
        except KeyError:
            pass
        if not -(1 << 63) <= key < (1 << 63):
            return None
        row = self.db.execute(
            "SELECT id, attachment_url, title, alt, caption, menu_order FROM items "
            "WHERE id = ? AND post_type = 'attachment' ORDER BY seq LIMIT 1", (key,),
        ).fetchone()
        ref = AttachmentRef(*row) if row is not None else None
        if len(self.seen) >= self.LIMIT:
            self.seen.clear()
        self.seen[key] = ref
        return ref

    def __getitem__(self, key: int) -> AttachmentRef:
        ref = self._lookup(key)
        if ref is None:
            raise KeyError(key)
        return ref

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and self._lookup(key) is not None

    def get(self, key: int, default: Any = None) -> Any:
        """The attachment with post id ``key``, or ``default``."""
        ref = self._lookup(key)
        return default if ref is None else ref

    def __iter__(self) -> Iterator[int]:
        for (i,) in self.db.execute("SELECT id FROM items WHERE post_type = 'attachment' ORDER BY seq"):
            yield i

    def __len__(self) -> int:
        n: int = self.db.execute("SELECT COUNT(*) FROM items WHERE post_type = 'attachment'").fetchone()[0]
        return n
