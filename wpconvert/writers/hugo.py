"""``--format hugo``: a Hugo site.

Layout of the output:

* posts as leaf bundles ``content/posts/<slug>/index.md``; pages under ``content/`` nested
  by their parent page (a page with children is a branch bundle ``_index.md``, any other
  page a leaf bundle ``index.md``); each custom post type as a section of its own
  (``content/<type>/<slug>/index.md``);
* front matter in Hugo's terms: ``title``, ``date``, ``lastmod``, ``draft``, ``slug``, ``url``
  (pinned: the new path, or the old one with ``--keep-permalinks``), ``aliases`` (old
  pretty permalinks), ``categories``, ``tags``, custom taxonomies, ``summary``, ``images``
  and ``featured_image``, ``weight`` (page order), ``comments_key``;
* comments as data, ``data/comments/<wordpress id>.yaml``, threaded (``replies``);
* nav menus as ``config/_default/menus.toml`` (Hugo merges it with ``hugo.toml``);
* ``static/_redirects`` and ``static/nginx-redirects.conf`` for the addresses aliases
  cannot serve (``?p=ID``, ``?page_id=ID``, ``?attachment_id=ID``);
* downloaded media under ``static/media/`` (served at ``/media/``);
* with ``--site-skeleton``: ``hugo.toml`` and minimal layouts (no theme needed). The
  templates use only what Hugo 0.111 (Debian 12) has.
"""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath
from typing import Any

from ..index import Entry
from ..model import Item
from ..transform.content import Rendered
from .generator import GeneratorWriter, escape_hugo_shortcodes
from .menus import Menu

# Front matter keys Hugo (or these layouts) give a meaning; a custom taxonomy of the same
# name is written as wp_<name>.
_HUGO_KEYS = frozenset((
    "title", "date", "lastmod", "publishdate", "expirydate", "draft", "slug", "url", "aliases",
    "type", "layout", "weight", "summary", "description", "keywords", "images", "menu", "menus",
    "outputs", "markup", "headless", "cascade", "sitemap", "resources", "build", "_build",
    "linktitle", "translationkey", "iscjklanguage", "videos", "audio", "series", "author",
    "authors", "comments_key", "featured_image", "wordpress_id", "original_url", "format",
    "status", "sticky", "page", "section", "kind", "params",
))


def hugo_urlize(name: str) -> str:
    """The path Hugo makes of a taxonomy term (``urlize``): letters, digits, marks and
    ``. _ - + ~ @ #`` kept, spaces (runs) to one ``-``, the rest dropped, lowercased."""
    out: list[str] = []
    hyphen = False
    for ch in name.strip():
        cat = unicodedata.category(ch)
        if ch in "./\\_#+~-@" or cat[0] in "LM" or cat == "Nd" or (ch == "%"):
            if hyphen:
                out.append("-")
                hyphen = False
            out.append(ch)
        elif out and ch.isspace():
            hyphen = True
    return "".join(out).lower()


def toml_str(value: str) -> str:
    """A TOML basic string."""
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class HugoWriter(GeneratorWriter):
    """``--format hugo``: page bundles, Hugo front matter, comments as data, aliases."""

    name = "hugo"
    description = "Hugo site: page bundles, aliases and redirects, comments as data, menus, optional skeleton"
    skeleton_name = "hugo"
    static_dir = "static"
    media_folder = "static/media"
    data_dir = "data"
    data_ext = ".yaml"
    reserved_roots = ("posts", "media", "categories", "tags", "page")
    reserved_keys = _HUGO_KEYS
    menus_file = "config/_default/menus.toml"
    config_file = "hugo.toml"

    def file_path(self, entry: Entry, natural: list[str], branch: bool) -> PurePosixPath:
        folder = self.ctx.tree.allocator.allocate_dir(PurePosixPath("content", *natural))
        return folder / ("_index.md" if branch else "index.md")

    def term_url(self, kind: str, name: str, slug: str) -> str | None:
        term = hugo_urlize(name)
        return f"/{self.taxonomy_key(kind)}/{term}/" if term else None

    def body(self, markdown: str, data: dict[str, Any]) -> str:
        return escape_hugo_shortcodes(markdown)

    def front_matter(self, item: Item, entry: Entry, rendered: Rendered) -> dict[str, Any]:
        common = self.common_front_matter(item, entry, rendered)
        data: dict[str, Any] = {"title": common.pop("title")}
        for key in ("date", "lastmod", "draft"):
            if key in common:
                data[key] = common.pop(key)
        data["slug"] = PurePosixPath(entry.path).parent.name
        data["url"] = entry.url
        aliases = self.aliases(entry.seq)
        if aliases:
            data["aliases"] = aliases
        image = common.pop("featured_image", None)
        summary = common.pop("summary", None)
        data.update(common)
        if summary:
            data["summary"] = summary
        if image:
            data["images"] = [image]
            data["featured_image"] = image
        if item.menu_order and entry.post_type != "post":
            data["weight"] = item.menu_order
        return data

    # -- the end --------------------------------------------------------------------------
    def close(self) -> None:
        self.write_redirects()
        menus = self.built_menus()
        if menus:
            self.ctx.tree.write(self.menus_file, self.menus_toml(menus))
        if self.ctx.options.site_skeleton:
            self.ctx.tree.write(self.config_file, self.config_toml())
            self.write_skeleton()

    def menus_toml(self, menus: list[Menu]) -> str:
        """``config/_default/menus.toml``: one array of entries per menu."""
        lines = ["# Navigation menus of the WordPress site (written by wpconvert)."]
        for menu in menus:
            for node in menu.walk():
                lines.append("")
                lines.append(f"[[{toml_str(menu.slug)}]]")
                lines.append(f"  identifier = {toml_str(str(node.id))}")
                lines.append(f"  name = {toml_str(node.title or node.url)}")
                lines.append(f"  url = {toml_str(node.url)}")
                lines.append(f"  weight = {node.weight}")
                if node.parent:
                    lines.append(f"  parent = {toml_str(str(node.parent))}")
        return "\n".join(lines) + "\n"

    def config_toml(self) -> str:
        """``hugo.toml``: site settings, taxonomies, and what the layouts need."""
        site = self.ctx.site
        # Pages are served from the root (their URLs are pinned as "/…"), so only the
        # scheme and host of the old address are kept.
        base = (self.origin() or "https://example.org") + "/"
        lines = [
            "# Written by wpconvert (--site-skeleton). Nav menus, if any: config/_default/menus.toml.",
            f"baseURL = {toml_str(base)}",
            f"title = {toml_str(site.title)}",
            f"languageCode = {toml_str(site.language or 'en')}",
            "paginate = 10",
            "# Posts WordPress published are built even if their date is ahead of the clock.",
            "buildFuture = true",
            "",
            "[params]",
            f"  description = {toml_str(site.description)}",
            "",
            "[taxonomies]",
            '  category = "categories"',
            '  tag = "tags"',
        ]
        for key in self.custom_taxonomies():
            lines.append(f"  {toml_str(key)} = {toml_str(key)}")
        lines += [
            "",
            "# Converted posts hold raw HTML (tables, embeds) that Markdown cannot express.",
            "[markup.goldmark.renderer]",
            "  unsafe = true",
        ]
        return "\n".join(lines) + "\n"
