"""``--format jekyll``: a Jekyll site.

Layout of the output:

* published posts as ``_posts/YYYY-MM-DD-<slug>.md``; drafts, pending and scheduled posts
  as ``_drafts/<slug>.md``; pages at their paths, nested by parent page
  (``about/team/index.md``); a collection per custom post type (``_<type>/<slug>.md``,
  declared in ``_config.yml``);
* front matter: ``layout``, ``title``, ``date``, ``last_modified_at``, ``categories``,
  ``tags``, custom taxonomies, ``permalink`` (pinned: the new path, or the old one with
  ``--keep-permalinks``), ``redirect_from`` (old pretty permalinks, for the
  ``jekyll-redirect-from`` plugin), ``summary``, ``image``, ``comments_key``;
  ``render_with_liquid: false`` where the text holds ``{{`` or ``{%``, so that Liquid
  leaves it alone; ``published: false`` for unpublished pages and collection documents;
* comments as data, ``_data/comments/<wordpress id>.yml``, threaded (``replies``);
* nav menus as ``_data/navigation.yml``;
* ``_redirects`` and ``nginx-redirects.conf`` at the root for the addresses redirect pages
  cannot serve (``?p=ID``, ``?page_id=ID``, ``?attachment_id=ID``);
* downloaded media under ``media/`` (served at ``/media/``);
* with ``--site-skeleton``: ``_config.yml`` and minimal layouts and includes. The only
  plugin listed is ``jekyll-redirect-from`` (Debian: ``ruby-jekyll-redirect-from``), and
  only when some page has old addresses to redirect from.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, ClassVar

from ..frontmatter import dump
from ..index import Entry
from ..model import Item
from ..transform.content import Rendered
from .generator import GeneratorWriter
from .menus import Menu, MenuNode

# Front matter keys Jekyll (or its plugins, or these layouts) give a meaning.
_JEKYLL_KEYS = frozenset((
    "layout", "permalink", "published", "date", "category", "categories", "tags", "tag",
    "title", "slug", "excerpt", "excerpt_separator", "render_with_liquid", "redirect_from",
    "redirect_to", "image", "author", "comments_key", "summary", "wordpress_id",
    "original_url", "format", "status", "sticky", "last_modified_at", "featured_image",
    "path", "url", "id", "collection", "content", "output", "next", "previous", "draft",
))
# Collection labels Jekyll keeps for itself (``_data``, ``_layouts`` …).
_RESERVED_LABELS = ("drafts", "data", "layouts", "includes", "sass", "site", "plugins", "config")
_LIQUID = re.compile(r"\{\{|\{%")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
JEKYLL_PLUGINS = ("jekyll-redirect-from",)


def jekyll_slugify(text: str) -> str:
    """Jekyll's ``slugify`` filter (default mode): runs of anything but letters, marks and
    digits become ``-``, lowercased, no ``-`` at the ends."""
    out = re.sub(r"[^\w]+|_+", "-", text, flags=re.UNICODE).strip("-")
    return out.lower()


class JekyllWriter(GeneratorWriter):
    """``--format jekyll``: posts, drafts, pages and collections, comments as data."""

    name = "jekyll"
    description = "Jekyll site: _posts/_drafts, pages, collections, redirects, comments as data, optional skeleton"
    skeleton_name = "jekyll"
    static_dir = ""
    media_folder = "media"
    data_dir = "_data"
    data_ext = ".yml"
    reserved_roots = ("posts", "media", "categories", "tags", "assets")
    reserved_sections: ClassVar[tuple[str, ...]] = _RESERVED_LABELS
    reserved_keys = _JEKYLL_KEYS
    menus_file = "_data/navigation.yml"
    config_file = "_config.yml"

    def file_path(self, entry: Entry, natural: list[str], branch: bool) -> PurePosixPath:
        tree = self.ctx.tree
        name = natural[-1]
        if entry.post_type == "post":
            if not self.is_built(entry):
                return tree.allocate(PurePosixPath("_drafts", name + ".md"))
            date = entry.date[:10] if _DATE.fullmatch(entry.date[:10]) else "1970-01-01"
            return tree.allocate(PurePosixPath("_posts", f"{date}-{name}.md"))
        if entry.post_type == "page":
            return tree.allocate(PurePosixPath(*natural, "index.md"))
        return tree.allocate(PurePosixPath(f"_{natural[0]}", *natural[1:-1], name + ".md"))

    def term_url(self, kind: str, name: str, slug: str) -> str | None:
        if kind == "category":
            return f"/categories/#{jekyll_slugify(name)}"
        if kind == "post_tag":
            return f"/tags/#{jekyll_slugify(name)}"
        return None

    def body(self, markdown: str, data: dict[str, Any]) -> str:
        if _LIQUID.search(markdown):
            data["render_with_liquid"] = False
        return markdown

    def front_matter(self, item: Item, entry: Entry, rendered: Rendered) -> dict[str, Any]:
        common = self.common_front_matter(item, entry, rendered)
        layout = "page" if entry.post_type == "page" else "post"
        data: dict[str, Any] = {"layout": layout, "title": common.pop("title")}
        if "date" in common:
            data["date"] = common.pop("date")
        if "lastmod" in common:
            data["last_modified_at"] = common.pop("lastmod")
        draft = common.pop("draft", False)
        if draft and entry.post_type != "post":
            data["published"] = False
        data["permalink"] = entry.url
        aliases = self.aliases(entry.seq)
        if aliases:
            data["redirect_from"] = aliases
        image = common.pop("featured_image", None)
        data.update(common)
        if image:
            data["image"] = image
            data["featured_image"] = image
        if item.menu_order and entry.post_type != "post":
            data["menu_order"] = item.menu_order
        return data

    # -- the end --------------------------------------------------------------------------
    def close(self) -> None:
        self.write_redirects()
        menus = self.built_menus()
        if menus:
            self.ctx.tree.write(self.menus_file, dump(self.navigation(menus)))
        if self.ctx.options.site_skeleton:
            self.ctx.tree.write(self.config_file, dump(self.config()))
            self.write_skeleton()

    @staticmethod
    def navigation(menus: list[Menu]) -> list[dict[str, Any]]:
        """``_data/navigation.yml``: the menus as nested lists."""

        def node(n: MenuNode) -> dict[str, Any]:
            d: dict[str, Any] = {"title": n.title or n.url, "url": n.url}
            if n.children:
                d["children"] = [node(c) for c in n.children]
            return d

        return [{"slug": m.slug, "name": m.name, "items": [node(n) for n in m.roots]} for m in menus]

    def collections(self) -> dict[str, dict[str, Any]]:
        """A collection per custom post type with published items."""
        out: dict[str, dict[str, Any]] = {}
        for post_type in self.post_types:
            label = self.section_name(post_type)
            out[label] = {"output": True, "permalink": f"/{label}/:path/"}
        return out

    def config(self) -> dict[str, Any]:
        """``_config.yml``."""
        site = self.ctx.site
        url = self.origin() or "https://example.org"
        data: dict[str, Any] = {
            "title": site.title,
            "description": site.description,
            "url": url,
            "baseurl": "",
            "lang": site.language or "en",
            "permalink": "/posts/:title/",
            "markdown": "kramdown",
            # Posts WordPress published are built even if their date is ahead of the clock.
            "future": True,
        }
        collections = self.collections()
        if collections:
            data["collections"] = collections
        defaults: list[dict[str, Any]] = [
            {"scope": {"path": "", "type": "posts"}, "values": {"layout": "post"}},
            {"scope": {"path": "", "type": "pages"}, "values": {"layout": "page"}},
        ]
        for label in collections:
            defaults.append({"scope": {"path": "", "type": label}, "values": {"layout": "post"}})
        data["defaults"] = defaults
        data["include"] = ["_redirects"]
        if self.site_plan is not None and self.site_plan.has_aliases():
            data["plugins"] = list(JEKYLL_PLUGINS)
        return data
