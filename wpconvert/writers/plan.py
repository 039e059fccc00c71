"""Planning a Hugo or Jekyll site from the site index, with memory that stays flat.

:class:`SitePlan` keeps what planning needs to know about every published item (its
parent, its depth in the page tree, its natural URL path) and every URL taken in tables of
the site index's SQLite file (``plan_*``), not in Python objects: an export of a million
posts plans in the memory of a small one. The tables live as long as the index does (its
temporary file is dropped when the conversion ends); worker processes (``--jobs``) read
them through their own connection (:meth:`SiteIndex.reopen`), so the plan is committed
before writing starts.

The steps (see :meth:`GeneratorWriter.plan <wpconvert.writers.generator.GeneratorWriter.plan>`):

1. :meth:`SitePlan.load`: copy the published items' ids, types and parents, and with
   ``--keep-permalinks`` claim their old paths;
2. :meth:`SitePlan.structure`: the parent each hierarchical item is nested under (cycles
   cut), which items have children (branches) and how deep each one is;
3. :meth:`SitePlan.locate`: parents before children, each item's natural path, file and URL;
4. :meth:`SitePlan.plan_redirects`: aliases (old pretty paths of built items) and the
   server redirect rules.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..index import ENTRY_COLUMNS, Entry, SiteIndex
from ..paths import path_key
from .redirects import Redirects, old_path

# A plan_items row as the tree walk reads it: (seq, id, post_type, built, parent).
_Row = tuple[Any, ...]

if TYPE_CHECKING:  # pragma: no cover - typing only (generator imports this module)
    from .generator import GeneratorWriter

# Rows read from SQLite at a time.
PAGE = 1000
# Deepest page nesting followed (deeper chains are cut, as cycles are).
MAX_DEPTH = 64

_SCHEMA = """
DROP TABLE IF EXISTS plan_items;
DROP TABLE IF EXISTS plan_alias;
DROP TABLE IF EXISTS plan_claimed;
CREATE TABLE plan_items (
    seq INTEGER PRIMARY KEY,        -- the item's position in the export
    id INTEGER,                     -- its WordPress id (NULL when missing or out of range)
    post_type TEXT NOT NULL,
    built INTEGER NOT NULL,         -- 1: the generator builds its page
    parent INTEGER NOT NULL,        -- the WordPress id of its parent (0: none)
    kept TEXT,                      -- --keep-permalinks: the old path it keeps as its URL
    pseq INTEGER,                   -- seq of the item it is nested under
    depth INTEGER NOT NULL DEFAULT 0,
    branch INTEGER NOT NULL DEFAULT 0,  -- 1: some item is nested under it
    dir TEXT                        -- a branch's natural path ("a/b"), once located
);
CREATE TABLE plan_alias (seq INTEGER NOT NULL, path TEXT NOT NULL);
CREATE TABLE plan_claimed (path TEXT PRIMARY KEY) WITHOUT ROWID;
"""


class UrlSpace:
    """Unique URL paths, judged as a case-insensitive file system would, kept in a table
    (``name``) of ``db`` rather than in memory."""

    def __init__(self, db: sqlite3.Connection, name: str) -> None:
        self.db = db
        self.name = name
        db.executescript(
            f"DROP TABLE IF EXISTS {name}; DROP TABLE IF EXISTS {name}_next;"
            f"CREATE TABLE {name} (key TEXT PRIMARY KEY) WITHOUT ROWID;"
            # The next suffix to try for a path whose suffixes up to it are taken: keeps
            # long runs of equal slugs linear without changing the answers.
            f"CREATE TABLE {name}_next (key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
        )

    @staticmethod
    def _key(path: str) -> str:
        """A path's identity ("/"-joined :func:`~wpconvert.paths.path_key`)."""
        return "/".join(path_key(path))

    def _add(self, key: str) -> bool:
        """Take ``key``; False when it was taken already."""
        cur = self.db.execute(f"INSERT OR IGNORE INTO {self.name} VALUES (?)", (key,))
        return cur.rowcount == 1

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        key = self._key(path.strip("/") or ".")
        return self.db.execute(f"SELECT 1 FROM {self.name} WHERE key = ?", (key,)).fetchone() is not None

    def take(self, path: str) -> bool:
        """Mark ``path`` ("/a/b/" or "a/b") taken; False when it was taken already."""
        return self._add(self._key(path.strip("/") or "."))

    def claim(self, parts: list[str]) -> list[str]:
        """``parts`` as a free path (its last segment suffixed ``-2``, ``-3``… if needed),
        now taken."""
        key = self._key("/".join(parts))
        if self._add(key):
            return parts
        # Suffixes make the same keys for every spelling with this key (they are
        # appended after case folding and normalisation), and taken keys stay taken: so
        # the search resumes where the last one for this key stopped.
        row = self.db.execute(f"SELECT n FROM {self.name}_next WHERE key = ?", (key,)).fetchone()
        n: int = row[0] if row else 2
        base = parts[-1]
        while True:
            candidate = [*parts[:-1], f"{base}-{n}"]
            n += 1
            if self._add(self._key("/".join(candidate))):
                self.db.execute(f"INSERT OR REPLACE INTO {self.name}_next VALUES (?, ?)", (key, n))
                return candidate


class SitePlan:
    """Where the items of a generator site go, planned in tables of the site index."""

    def __init__(self, index: SiteIndex) -> None:
        self.index = index
        index.db.executescript(_SCHEMA)
        self.natural = UrlSpace(index.db, "plan_natural")
        self.final = UrlSpace(index.db, "plan_final")
        # aliases() reads ahead: the aliases of the items in range(*self._aliases_read).
        self._aliases_read = (0, 0)
        self._aliases: dict[int, list[str]] = {}

    @property
    def db(self) -> sqlite3.Connection:
        """The index's connection (a worker process reopens it: never keep it)."""
        return self.index.db

    def _pages(self, sql: str) -> Iterator[list[_Row]]:
        """Rows of ``sql`` (``… seq > ? ORDER BY seq LIMIT ?``, seq first) a page at a
        time, so that the caller may update the table as it goes."""
        last = -1
        while True:
            rows = self.db.execute(sql, (last, PAGE)).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    # -- 1. the published items -----------------------------------------------------------
    def load(self, writer: GeneratorWriter, keep_permalinks: bool) -> None:
        """Copy the published items (in export order); with ``keep_permalinks`` the first
        item with a usable old path not taken keeps it as its URL."""
        rows: list[tuple[object, ...]] = []
        insert = "INSERT INTO plan_items (seq, id, post_type, built, parent, kept) VALUES (?, ?, ?, ?, ?, ?)"
        for e in self.index.to_publish():
            kept = None
            if keep_permalinks:
                old = old_path(e.link)
                if old is not None and self.final.take(old):
                    kept = old
            rows.append((e.seq, e.id, e.post_type, int(writer.is_built(e)), e.parent or 0, kept))
            if len(rows) >= PAGE:
                self.db.executemany(insert, rows)
                rows.clear()
        self.db.executemany(insert, rows)
        self.db.execute("CREATE INDEX plan_by_id ON plan_items(id, seq)")

    # -- 2. the page tree -----------------------------------------------------------------
    def _direct(self, row: _Row) -> _Row | None:
        """The item a (seq, id, post_type, built, parent) row would be nested under: the
        first published item with its parent's id, of the same type, built."""
        seq, _, post_type, _, parent = row
        if not parent or post_type == "post":
            return None
        p: _Row | None = self.db.execute(
            "SELECT seq, id, post_type, built, parent FROM plan_items WHERE id = ? ORDER BY seq LIMIT 1", (parent,)
        ).fetchone()
        if p is None or p[0] == seq or p[2] != post_type or not p[3]:
            return None
        return p

    def structure(self) -> None:
        """The parent each hierarchical item is nested under (an item of the same type that
        is published and built; cycles are cut), branches and depths."""
        for rows in self._pages(
            "SELECT seq, id, post_type, built, parent FROM plan_items "
            "WHERE parent != 0 AND post_type != 'post' AND seq > ? ORDER BY seq LIMIT ?"
        ):
            nested: list[tuple[int, int]] = []
            for row in rows:
                p = self._direct(row)
                if p is None:
                    continue
                # Walk up: coming back to the item is a cycle through it (then it has no parent).
                seen = {row[0]}
                cur: _Row | None = p
                ok = False
                for _ in range(MAX_DEPTH):
                    if cur is None:
                        ok = True
                        break
                    if cur[0] in seen:
                        ok = cur[0] != row[0]
                        break
                    seen.add(cur[0])
                    cur = self._direct(cur)
                if ok:
                    nested.append((p[0], row[0]))
            self.db.executemany("UPDATE plan_items SET pseq = ? WHERE seq = ?", nested)
        self.db.execute(
            "UPDATE plan_items SET branch = 1 WHERE seq IN (SELECT pseq FROM plan_items WHERE pseq IS NOT NULL)"
        )
        for rows in self._pages(
            "SELECT seq, pseq FROM plan_items WHERE pseq IS NOT NULL AND seq > ? ORDER BY seq LIMIT ?"
        ):
            depths: list[tuple[int, int]] = []
            for seq, pseq in rows:
                depth, up = 0, pseq
                while up is not None and depth < MAX_DEPTH:
                    depth += 1
                    up = self.db.execute("SELECT pseq FROM plan_items WHERE seq = ?", (up,)).fetchone()[0]
                depths.append((depth, seq))
            self.db.executemany("UPDATE plan_items SET depth = ? WHERE seq = ?", depths)
        self.db.execute("CREATE INDEX plan_order ON plan_items(depth, seq)")

    # -- 3. locations ---------------------------------------------------------------------
    def locate(self, writer: GeneratorWriter) -> None:
        """Every item's natural path (unique), file and URL (its kept old path, else the
        natural path, made unique among URLs), parents before children, and recorded in
        the index (:meth:`SiteIndex.set_location`)."""
        index = self.index
        last = (-1, -1)
        while True:
            # Each item's entry comes with it (a query per item cost a tenth of this).
            rows = self.db.execute(
                f"SELECT p.depth, p.seq, p.pseq, p.branch, p.kept, {ENTRY_COLUMNS} "
                "FROM plan_items p JOIN items i ON i.seq = p.seq WHERE (p.depth, p.seq) > (?, ?) "
                "ORDER BY p.depth, p.seq LIMIT ?", (*last, PAGE),
            ).fetchall()
            if not rows:
                break
            last = rows[-1][:2]
            located: list[tuple[int, str, str]] = []
            for _, seq, pseq, branch, kept, *columns in rows:
                e = Entry(*columns)
                up = None
                if pseq is not None:
                    up = self.db.execute("SELECT dir FROM plan_items WHERE seq = ?", (pseq,)).fetchone()[0]
                if up is not None:
                    parts = [*up.split("/"), writer.segment(e)]
                else:
                    section = writer.section_name(e.post_type)
                    parts = [section, writer.segment(e)] if section else [writer.segment(e)]
                parts = self.natural.claim(parts)
                if branch:
                    self.db.execute("UPDATE plan_items SET dir = ? WHERE seq = ?", ("/".join(parts), seq))
                path = writer.file_path(e, parts, bool(branch))
                url = kept if kept is not None else "/" + "/".join(self.final.claim(parts)) + "/"
                located.append((seq, path.as_posix(), url))
            # Nothing above reads a location: recorded a page at a time.
            index.set_locations(located)

    # -- 4. old addresses -----------------------------------------------------------------
    def plan_redirects(self, writer: GeneratorWriter, redirects: Redirects) -> None:
        """Aliases (old pretty paths of built items) and the server redirect rules: each
        old path goes to the first item that had it, unless an item is served there now."""
        claimed = _PathSet(self.db, "plan_claimed")
        self._aliases_read, self._aliases = (0, 0), {}  # the table changes: nothing read ahead holds
        aliases: list[tuple[int, str]] = []
        for e in self.index.written():
            if not writer.is_built(e):
                continue
            redirects.add_query("p", e.id, e.url)
            if e.post_type == "page":
                redirects.add_query("page_id", e.id, e.url)
            old = old_path(e.link)
            if old is None or old.rstrip("/") == e.url.rstrip("/") or not claimed.add(old):
                continue
            if old in self.final:
                continue  # another item is served there now
            aliases.append((e.seq, old))
            if len(aliases) >= PAGE:
                self.db.executemany("INSERT INTO plan_alias VALUES (?, ?)", aliases)
                aliases.clear()
            redirects.add_path(old, e.url)
        self.db.executemany("INSERT INTO plan_alias VALUES (?, ?)", aliases)
        self.db.execute("CREATE INDEX plan_alias_seq ON plan_alias(seq)")
        for att in self.index.of_type("attachment"):
            if not att.attachment_url:
                continue
            target = writer.attachment_target(att.attachment_url)
            redirects.add_query("attachment_id", att.id, target)
            old = old_path(att.link)
            if old is not None and old not in self.final and claimed.add(old):
                redirects.add_path(old, target)
        # Worker processes read the plan through connections of their own.
        self.db.commit()

    # -- while writing (also in worker processes) -----------------------------------------
    def aliases(self, seq: int) -> list[str]:
        """The old pretty paths that redirect to the ``seq``-th item. Pages are written in
        export order: the aliases of the next PAGE items are read at once (a query per page
        cost more than the rest of its front matter)."""
        start, end = self._aliases_read
        if not start <= seq < end:
            self._aliases = {}
            self._aliases_read = (seq, seq + PAGE)
            for at, path in self.db.execute(
                "SELECT seq, path FROM plan_alias WHERE seq >= ? AND seq < ? ORDER BY seq, rowid", self._aliases_read
            ):
                self._aliases.setdefault(at, []).append(path)
        return list(self._aliases.get(seq, ()))

    def has_aliases(self) -> bool:
        """True when some item has old paths to redirect from."""
        return self.db.execute("SELECT 1 FROM plan_alias LIMIT 1").fetchone() is not None

    def repeated(self, post_id: int | None) -> bool:
        """True when more than one published item has this WordPress id."""
        if post_id is None or not -(1 << 63) <= post_id < (1 << 63):
            return False
        n: int = self.db.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM plan_items WHERE id = ? LIMIT 2)", (post_id,)
        ).fetchone()[0]
        return n > 1


class _PathSet:
    """A set of strings in a table with one ``path`` column (the primary key)."""

    def __init__(self, db: sqlite3.Connection, name: str) -> None:
        self.db = db
        self.name = name

    def add(self, path: str) -> bool:
        """Add ``path``; False when it was there already."""
        return self.db.execute(f"INSERT OR IGNORE INTO {self.name} VALUES (?)", (path,)).rowcount == 1
