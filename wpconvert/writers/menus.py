"""Navigation menus: WordPress ``nav_menu_item`` items → menu trees with the new URLs.

A menu item is a post of type ``nav_menu_item`` filed under a ``nav_menu`` term (the menu);
its postmeta say what it points at:

* ``_menu_item_type``: ``post_type`` (a post or page: ``_menu_item_object_id`` is its id),
  ``taxonomy`` (a term: the object id is the term id, ``_menu_item_object`` the taxonomy),
  ``post_type_archive`` (``_menu_item_object`` is the post type) or ``custom``
  (``_menu_item_url``);
* ``_menu_item_menu_item_parent``: the id of the parent menu item (0 for none).

Menu items are not fed to site writers, so :class:`MenuCollector` keeps them (on disk)
while the first pass goes by, and :meth:`MenuCollector.build` turns them into trees once
every item's new URL is known. An item whose target was not published is dropped, and its
children move up to its parent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..model import Item, Site


@dataclass(frozen=True, slots=True)
class MenuItemData:
    """One ``nav_menu_item`` as read from the export."""

    id: int
    seq: int
    menu: str
    title: str
    order: int
    kind: str
    object: str
    object_id: int | None
    url: str
    parent: int


@dataclass
class MenuNode:
    """One entry of a built menu."""

    id: int
    title: str
    url: str
    weight: int
    parent: int = 0
    children: list[MenuNode] = field(default_factory=list)


@dataclass
class Menu:
    """A built menu: its slug, display name and top-level entries."""

    slug: str
    name: str
    roots: list[MenuNode]

    def walk(self) -> list[MenuNode]:
        """Every entry, parents before their children."""
        out: list[MenuNode] = []
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


# (item) → (URL, title to use when the item has none), or None to drop the item.
Resolver = Callable[[MenuItemData], "tuple[str, str] | None"]


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


class MenuCollector:
    """Keeps the nav menu items seen in the first pass, in a private temporary SQLite
    database (an export may hold thousands of them), opened at the first one."""

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None

    def __bool__(self) -> bool:
        """True when some menu item was collected."""
        return self._db is not None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            # "": a private on-disk database SQLite deletes when it is closed.
            self._db = sqlite3.connect("")
            # Untyped columns: values come back as they went in.
            self._db.execute(
                "CREATE TABLE menu_items (n INTEGER PRIMARY KEY, id, seq, menu, title, ord, kind, object, "
                "object_id, url, parent)"
            )
        return self._db

    def observe(self, item: Item, seq: int) -> None:
        """Record ``item`` when it is a published menu item."""
        if item.post_type != "nav_menu_item" or item.status != "publish" or item.id is None:
            return
        menus = [t.slug for t in item.terms if t.kind == "nav_menu" and t.slug]
        if not menus:
            return
        meta = {m.key: m.value for m in item.meta}
        for menu in menus:
            mi = MenuItemData(
                id=item.id, seq=seq, menu=menu, title=item.title.strip(), order=item.menu_order,
                kind=(meta.get("_menu_item_type") or "custom").strip(),
                object=(meta.get("_menu_item_object") or "").strip(),
                object_id=_int(meta.get("_menu_item_object_id")),
                url=(meta.get("_menu_item_url") or "").strip(),
                parent=_int(meta.get("_menu_item_menu_item_parent")) or 0,
            )
            row = (mi.id, mi.seq, mi.menu, mi.title, mi.order, mi.kind, mi.object, mi.object_id, mi.url, mi.parent)
            # Numbers SQLite cannot hold (hand-edited exports) are kept as text.
            self._conn().execute(
                "INSERT INTO menu_items (id, seq, menu, title, ord, kind, object, object_id, url, parent) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                tuple(str(v) if isinstance(v, int) and not -(1 << 63) <= v < (1 << 63) else v for v in row),
            )

    def _items(self, menu: str) -> list[MenuItemData]:
        """One menu's items, in export order."""
        assert self._db is not None
        rows = self._db.execute(
            "SELECT id, seq, menu, title, ord, kind, object, object_id, url, parent FROM menu_items "
            "WHERE menu = ? ORDER BY n", (menu,),
        )
        out: list[MenuItemData] = []
        for r in rows:
            values: list[Any] = [int(v) if isinstance(v, str) and i in _INTS else v for i, v in enumerate(r)]
            out.append(MenuItemData(*values))
        return out

    def build(self, site: Site, resolve: Resolver) -> list[Menu]:
        """The menus, in the order the export defines them, each item resolved."""
        if self._db is None:
            return []
        names = {t.slug: t.name for t in site.terms if t.taxonomy == "nav_menu"}
        order = [t.slug for t in site.terms if t.taxonomy == "nav_menu"]
        present = [m for (m,) in self._db.execute("SELECT menu FROM menu_items GROUP BY menu ORDER BY MIN(n)")]
        order += [slug for slug in present if slug not in order]
        menus: list[Menu] = []
        for slug in order:
            if slug not in present:
                continue
            roots = _tree(self._items(slug), resolve)
            if roots:
                menus.append(Menu(slug, names.get(slug) or slug, roots))
        return menus

    def close(self) -> None:
        """Drop the collected items."""
        if self._db is not None:
            self._db.close()
            self._db = None


# Columns of MenuItemData that hold integers.
_INTS = frozenset((0, 1, 4, 7, 9))


def _tree(items: list[MenuItemData], resolve: Resolver) -> list[MenuNode]:
    """One menu's items as a tree (dropped items' children move up)."""
    data: dict[int, MenuItemData] = {}
    for mi in items:
        data.setdefault(mi.id, mi)
    nodes: dict[int, MenuNode] = {}
    for mi in data.values():
        found = resolve(mi)
        if found is None:
            continue
        url, fallback = found
        nodes[mi.id] = MenuNode(mi.id, mi.title or fallback or url, url, mi.order)

    def kept_parent(mi: MenuItemData) -> int:
        seen = {mi.id}
        parent = mi.parent
        while parent and parent not in nodes:
            if parent in seen or parent not in data:
                return 0
            seen.add(parent)
            parent = data[parent].parent
        return parent if parent not in seen else 0

    roots: list[MenuNode] = []
    for mi in sorted(data.values(), key=lambda m: (m.order, m.seq)):
        node = nodes.get(mi.id)
        if node is None:
            continue
        parent = kept_parent(mi)
        if parent and _is_ancestor(node, nodes[parent], nodes):
            parent = 0  # a cycle: keep the item at the top
        node.parent = parent
        (nodes[parent].children if parent else roots).append(node)
    return roots


def _is_ancestor(node: MenuNode, other: MenuNode, nodes: dict[int, MenuNode]) -> bool:
    """True when ``node`` is ``other`` or one of its ancestors (as attached so far)."""
    seen: set[int] = set()
    cur: MenuNode | None = other
    while cur is not None and cur.id not in seen:
        if cur is node:
            return True
        seen.add(cur.id)
        cur = nodes.get(cur.parent) if cur.parent else None
    return False
