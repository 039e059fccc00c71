"""What the Hugo and Jekyll writers share: a site that a static site generator builds.

Every item gets a URL of its own, pinned in its front matter (Hugo ``url:``, Jekyll
``permalink:``), so that internal links (which the link rewriter points at ``entry.url``)
keep working whatever permalink settings the site has. Planning (:meth:`plan`) works in
two steps:

1. *Natural* locations: ``posts/<slug>/``, ``<parent page>/<page>/``, ``<post type>/<slug>/``,
   unique case-insensitively, with section and taxonomy roots (``posts``, ``categories``,
   ``tags``, ``media`` …) reserved so that no page shadows them. Files go where the
   generator expects them (:meth:`file_path`).
2. URLs: the natural location, or with ``--keep-permalinks`` the old WordPress path where
   it is usable (not a query string, safe, not already taken).

Planning streams from the site index and keeps its state (taken URLs, the page tree,
aliases, redirect rules) in tables of the index's SQLite file (:mod:`.plan`), so memory
does not grow with the export.

Old addresses are kept reachable: pretty permalinks through the generator's alias or
``redirect_from`` pages (:meth:`aliases`, by item), and every old address (``?p=ID``,
``?page_id=ID``, ``?attachment_id=ID`` and the pretty ones) in ``_redirects`` and
``nginx-redirects.conf`` (see :mod:`wpconvert.writers.redirects`).

Comments go to data files (``<data>/comments/<key>.yaml``; the key, the WordPress id, is
the ``comments_key`` front matter), nav menus to config or data (:mod:`.menus`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import PurePosixPath
from typing import Any, ClassVar
from urllib.parse import urlsplit

from .. import policy
from ..frontmatter import dump, front_matter
from ..index import Entry, SiteIndex
from ..links import LinkRewriter
from ..model import Item
from ..output import OutputTree
from ..paths import safe_segment
from ..transform.content import Rendered
from .menus import Menu, MenuCollector, MenuItemData
from .plan import SitePlan
from .redirects import Redirects, url_quote
from .site import _BUILTIN_TAXONOMIES, _SKIP_TAXONOMIES, SiteWriter

# Longest URL segment made from a slug or title (bytes).
MAX_SEGMENT = 120


def url_segment(text: str, max_bytes: int = MAX_SEGMENT) -> str:
    """One URL path segment from a slug or title, stable under every generator's own
    sanitising: lowercase letters, marks, decimal digits and ``_``; any run of other
    characters that holds a separator becomes one ``-``; other punctuation is dropped.
    No leading ``_`` or ``-`` (Jekyll ignores ``_`` folders). May return ""."""
    if text.isascii():
        # The same rules, for ASCII: letters, digits and "_" kept; runs of separators
        # (where other punctuation does not count) become one "-", none at the ends.
        seg = _ASCII_SEPARATORS.sub("-", _ASCII_DROPPED.sub("", text.lower())).strip("-").lstrip("_-")
        return _url_segment_end(seg, max_bytes)
    out: list[str] = []
    hyphen = False
    for ch in unicodedata.normalize("NFC", text).lower():
        cat = unicodedata.category(ch)
        if cat[0] in "LM" or cat == "Nd" or ch == "_":
            if hyphen and out:
                out.append("-")
            hyphen = False
            out.append(ch)
        elif ch in "-–—./\\" or cat[0] == "Z" or ch.isspace():
            hyphen = True
    return _url_segment_end("".join(out).lstrip("_-"), max_bytes)


# ASCII characters url_segment() drops, and its separators (ASCII white space is " ",
# \t-\r and \x1c-\x1f, which str.isspace() counts).
_ASCII_DROPPED = re.compile(r"[^a-z0-9_\-./\\ \t-\r\x1c-\x1f]+")
_ASCII_SEPARATORS = re.compile(r"[\-./\\ \t-\r\x1c-\x1f]+")


def _url_segment_end(seg: str, max_bytes: int) -> str:
    raw = seg.encode("utf-8")
    if len(raw) > max_bytes:
        seg = raw[:max_bytes].decode("utf-8", "ignore").rstrip("_-")
    seg = unicodedata.normalize("NFC", seg)
    # Windows device names (con, nul, com1 …) get a "_" suffix.
    return safe_segment(seg, max_bytes=max_bytes + 1) if seg else ""


def write_lines(tree: OutputTree, rel: str, chunks: Iterable[str]) -> None:
    """Write a file of ``tree`` from pieces of text, as :meth:`OutputTree.write` does
    (atomically), without holding it all in memory."""
    tree.write(rel, chunks)


def _plain(value: Any) -> Any:
    """Data for a data file: datetimes as ISO 8601 strings (templates print them as is)."""
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class GeneratorWriter(SiteWriter):
    """Base of :class:`~wpconvert.writers.hugo.HugoWriter` and
    :class:`~wpconvert.writers.jekyll.JekyllWriter`."""

    # Subclasses set these.
    skeleton_name: ClassVar[str] = ""
    # Where files copied as is into the built site go ("static" for Hugo, "" for Jekyll).
    static_dir: ClassVar[str] = ""
    # Data files: folder and extension.
    data_dir: ClassVar[str] = "data"
    data_ext: ClassVar[str] = ".yaml"
    # URL roots no page may take (besides post type sections and taxonomies).
    reserved_roots: ClassVar[tuple[str, ...]] = ("posts", "media", "categories", "tags")
    # Names a post type's section may not take (besides the reserved roots).
    reserved_sections: ClassVar[tuple[str, ...]] = ()
    # Front matter keys a custom taxonomy may not take (it gets a ``wp_`` prefix).
    reserved_keys: ClassVar[frozenset[str]] = frozenset()
    # Where close() writes the nav menus and (--site-skeleton) the site's configuration.
    menus_file: ClassVar[str] = ""
    config_file: ClassVar[str] = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.menus = MenuCollector()
        # Taxonomies and custom post types that published items use, in order of appearance.
        self.taxonomy_kinds: dict[str, None] = {}
        self.post_types: dict[str, None] = {}
        # Made by plan(), in tables of the site index.
        self.site_plan: SitePlan | None = None
        self.redirects: Redirects | None = None
        self._sections: dict[str, str] = {}

    # -- first pass -----------------------------------------------------------------------
    def observe(self, item: Item, seq: int, publish: bool) -> None:
        self.menus.observe(item, seq)
        if not publish:
            return
        if item.post_type not in ("post", "page"):
            self.post_types.setdefault(item.post_type, None)
        for t in item.terms:
            if t.kind not in _SKIP_TAXONOMIES:
                self.taxonomy_kinds.setdefault(t.kind, None)

    def taxonomy_key(self, kind: str) -> str:
        """The front matter key of a taxonomy: categories, tags, or the custom one's name."""
        key = _BUILTIN_TAXONOMIES.get(kind)
        if key:
            return key
        key = url_segment(kind) or "taxonomy"
        taken = key in self.reserved_keys or key in self.reserved_roots or key == "page"
        return f"wp_{key}" if taken else key

    def taxonomies(self, item: Item) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for t in item.terms:
            if t.kind in _SKIP_TAXONOMIES or not t.name.strip():
                continue
            names = out.setdefault(self.taxonomy_key(t.kind), [])
            if t.name not in names:
                names.append(t.name)
        return out

    def custom_taxonomies(self) -> list[str]:
        """Front matter keys of the custom taxonomies published items use."""
        return [self.taxonomy_key(k) for k in self.taxonomy_kinds if k not in _BUILTIN_TAXONOMIES]

    def section_name(self, post_type: str) -> str:
        """The URL root (and section or collection name) of a post type."""
        if post_type == "post":
            return "posts"
        if post_type == "page":
            return ""
        name = self._sections.get(post_type)
        if name is None:
            base = url_segment(post_type) or "items"
            taken = {*self._sections.values(), *self.reserved_roots, *self.reserved_sections, "page"}
            taken.update(self.taxonomy_key(k) for k in self.taxonomy_kinds)
            name, n = base, 1
            while name in taken:
                n += 1
                name = f"{base}-{n}"
            self._sections[post_type] = name
        return name

    def segment(self, entry: Entry) -> str:
        """The item's own URL segment."""
        return (url_segment(entry.slug) or url_segment(entry.title)
                or f"{url_segment(entry.post_type) or 'item'}-{entry.id or entry.seq}")

    def is_built(self, entry: Entry) -> bool:
        """True when the generator builds the item's page (drafts are not built)."""
        return entry.status not in policy.DRAFT_STATUSES

    # -- planning -------------------------------------------------------------------------
    def file_path(self, entry: Entry, natural: list[str], branch: bool) -> PurePosixPath:
        """Where the item's file goes, given its natural URL path segments."""
        raise NotImplementedError

    def plan(self, index: SiteIndex) -> None:
        """Give every published item its file and URL, its aliases, and the redirect rules
        (see the module's documentation); the work is done in tables of the index
        (:class:`~wpconvert.writers.plan.SitePlan`), so memory does not grow with the export."""
        plan = self.site_plan = SitePlan(index)
        # Section and taxonomy roots are no page's.
        roots = {*self.reserved_roots, "page"}
        roots.update(self.section_name(t) for t in self.post_types)
        roots.update(self.taxonomy_key(k) for k in self.taxonomy_kinds)
        for root in sorted(roots):
            plan.natural.take(root)
            plan.final.take(root)
        plan.load(self, self.ctx.options.keep_permalinks)
        plan.structure()
        plan.locate(self)
        index.finish()
        self.index = index
        self.links = LinkRewriter(
            index, self.ctx.report, self._media_lookup if self.media else None, origin=self.origin(),
        )
        self.redirects = Redirects(index.db)
        plan.plan_redirects(self, self.redirects)
        self._claim_closing()

    def worker_folders(self) -> list[str]:
        """The comment data files' folder (one file per item with comments)."""
        return [f"{self.data_dir}/comments"]

    def _claim_closing(self) -> None:
        """Claim the top-level names :meth:`close` may write into now, while the manifest
        is short: claiming a new name saves the whole manifest, a list of every file
        written, which at the end of a large export takes tens of MB."""
        tree = self.ctx.tree
        names: list[str] = []
        if self.redirects:
            names += [self.redirects_path("_redirects"), self.redirects_path("nginx-redirects.conf")]
        if self.menus:
            names.append(self.menus_file)
        if self.ctx.options.site_skeleton:
            names.append(self.config_file)
            names += [rel for rel, _ in self.skeleton_files()]
        for name in names:
            if name:
                tree.claim(name)

    def redirects_path(self, name: str) -> str:
        """Where a redirect rules file goes (the root of the built site)."""
        return f"{self.static_dir}/{name}" if self.static_dir else name

    def aliases(self, seq: int) -> list[str]:
        """The old pretty paths that redirect to the ``seq``-th item (its front matter's
        ``aliases`` or ``redirect_from``)."""
        return self.site_plan.aliases(seq) if self.site_plan is not None else []

    def origin(self) -> str:
        """The old site's scheme and host ("https://example.org"): the new site is served
        from its root, and links that point at nothing of it go back to the old site."""
        site = self.ctx.site
        for url in (site.link, site.base_blog_url, site.base_site_url):
            try:
                parts = urlsplit(url.strip())
            except ValueError:  # a malformed address names no host
                continue
            if parts.scheme in ("http", "https") and parts.hostname:
                return f"{parts.scheme}://{parts.netloc}"
        return ""

    def attachment_target(self, url: str) -> str:
        """Where an attachment's file is now: the downloaded copy, else the old URL."""
        local = self._media_lookup(url)
        return local or url

    def media_target(self, path: str) -> str:
        """Downloaded media are served from the site root (``/media/…``)."""
        rel = path.removeprefix(self.static_dir + "/") if self.static_dir else path
        return "/" + url_quote(rel)

    # -- writing --------------------------------------------------------------------------
    def comment_key(self, item: Item, entry: Entry) -> str:
        """The comment data file's name: the WordPress id (with the item's position where
        the export repeats the id)."""
        if item.id is None:
            return f"item-{entry.seq}"
        repeated = self.site_plan is not None and self.site_plan.repeated(item.id)
        return f"{item.id}-{entry.seq}" if repeated else str(item.id)

    def body(self, markdown: str, data: dict[str, Any]) -> str:
        """The page body as the generator must see it (subclasses escape their syntax)."""
        return markdown

    def build(self, item: Item, entry: Entry) -> list[tuple[str, str | bytes]]:
        """The item's page and its comment data file (runs in a worker with ``--jobs``:
        reads the writer's state, never changes it)."""
        rendered, _ = self.render_item(item, entry)
        data = self.front_matter(item, entry, rendered)
        files: list[tuple[str, str | bytes]] = []
        comments = self.comment_tree(item, entry)
        if comments:
            key = self.comment_key(item, entry)
            files.append((f"{self.data_dir}/comments/{key}{self.data_ext}", dump(_plain(comments))))
            data["comments_key"] = key
        body = self.body(rendered.markdown, data)
        if body and not body.endswith("\n"):
            body += "\n"
        files.insert(0, (entry.path, front_matter(data, body)))
        return files

    def common_front_matter(self, item: Item, entry: Entry, rendered: Rendered) -> dict[str, Any]:
        """Front matter values both generators use, in their usual names."""
        base = super().front_matter(item, entry, rendered)
        data: dict[str, Any] = {"title": item.title}
        for key in ("date", "lastmod"):
            if key in base:
                data[key] = base[key]
        if "draft" in base:
            data["draft"] = True
        data["author"] = base.get("author")
        data.update(self.taxonomies(item))
        for key in ("summary", "featured_image", "format", "status", "sticky"):
            if key in base:
                data[key] = base[key]
        data["wordpress_id"] = item.id
        if item.link:
            data["original_url"] = item.link
        return data

    # -- the end --------------------------------------------------------------------------
    def resolve_menu_item(self, mi: MenuItemData) -> tuple[str, str] | None:
        """A menu item's new URL and fallback title (None: drop it)."""
        assert self.index is not None
        if mi.kind == "post_type" and mi.object_id is not None:
            e = self.index.by_id(mi.object_id)
            if e is None or not e.url or not self.is_built(e):
                return None
            return e.url, e.title
        if mi.kind == "taxonomy" and mi.object_id is not None:
            for t in self.ctx.site.terms:
                if t.id == mi.object_id and (t.taxonomy == mi.object or not mi.object):
                    kind = "post_tag" if t.taxonomy == "tag" else t.taxonomy
                    if kind not in self.taxonomy_kinds:
                        return None
                    url = self.term_url(kind, t.name, t.slug)
                    return (url, t.name) if url else None
            return None
        if mi.kind == "post_type_archive":
            section = self.section_name(mi.object) if mi.object in (*self.post_types, "post") else None
            return (f"/{section}/", mi.object) if section else None
        url = mi.url or "#"
        if url.startswith("#") or url.startswith("mailto:"):
            return url, url
        if url.startswith("/") and not url.startswith("//") or self.index.is_site_url(url):
            base, _, fragment = url.partition("#")
            absolute = base
            if base.startswith("/"):
                host = min(self.index.site_hosts, default="")
                absolute = f"https://{host}{base}" if host else base
            target = self.index.resolve(absolute)
            if target is not None and target.url and self.is_built(target):
                return target.url + (f"#{fragment}" if fragment else ""), target.title
            path = absolute.split("://", 1)[-1].partition("/")[2]
            if not path.strip("/"):
                return "/", url
        return url, url

    def term_url(self, kind: str, name: str, slug: str) -> str | None:
        """The URL of a taxonomy term's page (None when the site has none)."""
        return None

    def built_menus(self) -> list[Menu]:
        """The nav menus with every item's new URL (once: the collected items are dropped)."""
        try:
            return self.menus.build(self.ctx.site, self.resolve_menu_item)
        finally:
            self.menus.close()

    def write_redirects(self) -> None:
        """``_redirects`` and ``nginx-redirects.conf`` in the static output."""
        if not self.redirects:
            return
        write_lines(self.ctx.tree, self.redirects_path("_redirects"), self.redirects.netlify())
        write_lines(self.ctx.tree, self.redirects_path("nginx-redirects.conf"), self.redirects.nginx())

    def skeleton_files(self) -> Iterator[tuple[str, bytes]]:
        """The layout files of the site skeleton (relative path, content)."""
        root = resources.files("wpconvert").joinpath("skeleton", self.skeleton_name)
        stack: list[tuple[str, Any]] = [("", root)]
        while stack:
            prefix, node = stack.pop()
            for child in sorted(node.iterdir(), key=lambda c: c.name):
                rel = f"{prefix}{child.name}"
                if child.is_dir():
                    stack.append((rel + "/", child))
                elif not child.name.startswith(".") and not child.name.endswith((".pyc", "~")):
                    yield rel, child.read_bytes()

    def write_skeleton(self) -> None:
        """Layouts and configuration (``--site-skeleton``)."""
        for rel, data in self.skeleton_files():
            self.ctx.tree.write(rel, data)


_SHORTCODE = re.compile(r"\{\{([<%])(?!/\*)((?:(?!\{\{|\}\}).)*?)([>%])\}\}", re.S)


def escape_hugo_shortcodes(text: str) -> str:
    """``{{< x >}}`` and ``{{% x %}}`` in converted text shown literally (Hugo's ``/* */``)."""
    if "{{" not in text:
        return text
    return _SHORTCODE.sub(lambda m: "{{" + m.group(1) + "/*" + m.group(2) + "*/" + m.group(3) + "}}", text)
