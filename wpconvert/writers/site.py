"""What Markdown, Hugo and Jekyll output share: one page per published item.

:class:`SiteWriter` plans every item's location in a first pass (the site index), then
writes each item as front matter plus a Markdown body, with internal links and media URLs
rewritten. Subclasses decide where items live (:meth:`desired_path`, :meth:`url_for`), what
the front matter says (:meth:`front_matter`) and what else the site needs (:meth:`close`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from .. import policy
from ..frontmatter import dump, front_matter
from ..index import Entry, SiteIndex
from ..links import LinkRewriter
from ..model import Comment, Item
from ..paths import safe_segment, slugify
from ..report import Report
from ..transform.comments import comment_markdown
from ..transform.content import Rendered, render
from ..transform.context import TransformContext
from . import Writer

if TYPE_CHECKING:
    from ..pipeline import Outcome

# Taxonomies with a front matter key of their own; any other becomes a key named after it.
_BUILTIN_TAXONOMIES = {"category": "categories", "post_tag": "tags"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SKIP_TAXONOMIES = frozenset(("nav_menu", "post_format", "link_category"))


# The way WordPress writes a date; strptime() (slow: a tenth of a millisecond) reads the
# rest, which it accepts too (single digits, a leap second).
_MYSQL_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-5][0-9])")


def _parse_date(value: str) -> dt.datetime:
    m = _MYSQL_DATE.fullmatch(value)
    if m is not None:
        try:
            y, mo, d, h, mi, sec = map(int, m.groups())
            return dt.datetime(y, mo, d, h, mi, sec)
        except ValueError:
            pass
    return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")


def iso_date(local: str | None, gmt: str | None) -> dt.datetime | None:
    """A post date as a datetime: from the GMT date (UTC-aware) or else the local one."""
    for value, tz in ((gmt, dt.UTC), (local, None)):
        if value:
            try:
                return _parse_date(value.strip()).replace(tzinfo=tz)
            except ValueError:
                continue
    return None


@dataclass
class Built:
    """One item's files, made by :meth:`SiteWriter.build`, and what building it reported."""

    seq: int
    path: str
    # Relative path and content; the content is None once the file is written.
    files: list[tuple[str, str | bytes | None]]
    report: Report = field(default_factory=Report)


class SiteWriter(Writer):
    """Base of the page-per-item writers."""

    needs_index: ClassVar[bool] = True
    extension: ClassVar[str] = ".md"
    # Where downloaded media go inside the output.
    media_folder: ClassVar[str] = "media"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.index: SiteIndex | None = None
        self.links: LinkRewriter | None = None
        self._problems_seen: set[tuple[str, str]] = set()
        # Set while write_prepared() runs: prepare() writes the files itself.
        self._write_in_prepare = False

    # -- planning (first pass) ------------------------------------------------------------
    def observe(self, item: Item, seq: int, publish: bool) -> None:
        """Called by the first pass for every item of the export, in order, whether it gets a
        page (``publish``) or not (nav menu items, attachments, skipped items): a hook for
        writers that need more than the index keeps (menus, taxonomies). ``seq`` is the
        item's position (``index.at(seq)``). Does nothing here."""

    def base_name(self, entry: Entry) -> str:
        """The item's file or folder name: its decoded slug, else its title slugified."""
        name = entry.slug or slugify(entry.title) or f"{entry.post_type}-{entry.id or entry.seq}"
        return safe_segment(name, max_bytes=200, fallback=f"{entry.post_type}-{entry.id or entry.seq}")

    def section(self, entry: Entry) -> str:
        """The folder of a post type ("" for none)."""
        if not self.ctx.options.group_by_type:
            return ""
        return {"post": "posts", "page": "pages"}.get(entry.post_type, safe_segment(entry.post_type))

    def desired_path(self, entry: Entry, index: SiteIndex) -> PurePosixPath:
        """Where an item would like to live (relative), before collisions are resolved."""
        opts = self.ctx.options
        parts: list[str] = []
        section = self.section(entry)
        if section:
            parts.append(section)
        # post_date feeds folder and file names: only a real date may (hand-edited
        # exports can hold anything there).
        date = entry.date[:10] if _DATE.match(entry.date) else ""
        if entry.post_type == "page":
            parts.extend(self.parent_names(entry, index))
        elif date and opts.date_folders != "none":
            parts.append(date[:4])
            if opts.date_folders == "year/month":
                parts.append(date[5:7])
        name = self.base_name(entry)
        if opts.date_prefix and date and entry.post_type != "page":
            name = f"{date}-{name}"
        if opts.layout == "folder":
            return PurePosixPath(*parts, name, "index" + self.extension)
        return PurePosixPath(*parts, name + self.extension)

    def parent_names(self, entry: Entry, index: SiteIndex) -> list[str]:
        """Names of a page's ancestor pages, outermost first (cycles cut)."""
        names: list[str] = []
        seen = {entry.id}
        parent = entry.parent
        while parent and parent not in seen and len(names) < 20:
            seen.add(parent)
            p = index.by_id(parent)
            if p is None or p.post_type != entry.post_type:
                break
            names.append(self.base_name(p))
            parent = p.parent
        return list(reversed(names))

    def media_target(self, path: str) -> str:
        """How pages refer to a downloaded file at output path ``path`` (an output path is
        made relative to each page; return a "/…" URL to use it as is)."""
        return path

    def _media_lookup(self, url: str) -> str | None:
        if self.media is None:
            return None
        path = self.media.lookup(url)
        return self.media_target(path) if path else None

    def url_for(self, path: PurePosixPath, entry: Entry) -> str:
        """The URL (or relative reference) links to this item use."""
        return path.as_posix()

    def plan(self, index: SiteIndex) -> None:
        """Give every published item its unique path (called after the first pass)."""
        tree = self.ctx.tree
        located: list[tuple[int, str, str]] = []
        for entry in index.to_publish():
            desired = self.desired_path(entry, index)
            if self.ctx.options.layout == "folder":
                folder = tree.allocator.allocate_dir(desired.parent)
                path = folder / desired.name
            else:
                path = tree.allocate(desired)
            located.append((entry.seq, path.as_posix(), self.url_for(path, entry)))
            if len(located) >= 1000:  # planning reads no location: recorded in batches
                index.set_locations(located)
                located = []
        index.set_locations(located)
        index.finish()
        self.index = index
        self.links = LinkRewriter(index, self.ctx.report, self._media_lookup if self.media else None)

    # -- writing (second pass) ------------------------------------------------------------
    parallel = True

    def write(self, items: Iterable[Item]) -> None:
        """Build and write every item of ``items``, in this process."""
        for item in items:
            self.commit(self.prepare(item), item)

    def write_prepared(self, outcomes: Iterable[Outcome]) -> None:
        """Record what :meth:`prepare` built (and wrote) for each item, in export order."""
        assert self.index is not None
        # From here on this process only reads the index (and the media plan) until close().
        self.index.snapshot()
        if self.media is not None:
            self.media.snapshot()
        # Workers write pages themselves: claim every planned folder first, in the manifest
        # (a file under a name not claimed goes back to this process to be written).
        self.ctx.tree.claim_all(chain((e.path for e in self.index.written()), self.worker_folders()))
        self._write_in_prepare = True
        try:
            for o in outcomes:
                self.commit(o.payload, o.ref)
        finally:
            self._write_in_prepare = False

    def worker_folders(self) -> list[str]:
        """Folders the workers may write files into besides the pages' own (claimed before
        the conversion pass; a claim no file used is dropped from the manifest at the end)."""
        return []

    def forked(self) -> None:
        """In a worker: SQLite connections must not cross a fork."""
        super().forked()
        assert self.index is not None
        self.index.reopen()

    def prepare(self, item: Item) -> Built:
        """Build one item's files, with a report of its own (in a worker with ``--jobs``)."""
        assert self.index is not None and self.links is not None
        seq = self.ctx.seq
        report = Report()
        main_report, self.ctx.report = self.ctx.report, report
        self.links.report = report
        try:
            entry = self.index.at_in_order(seq)
            if entry is None or not entry.path:
                return Built(seq, "", [], report)
            files: list[tuple[str, str | bytes | None]] = list(self.build(item, entry))
            if self._write_in_prepare:
                # Written here (in parallel, with -j) rather than sent to the main process;
                # None marks a file written.
                tree = self.ctx.tree
                files = [(rel, None if data is None or tree.write_unrecorded(rel, data) else data)
                         for rel, data in files]
            return Built(seq, entry.path, files, report)
        finally:
            self.ctx.report = main_report
            self.links.report = main_report

    def commit(self, built: Built, ref: Any) -> None:
        """Write what :meth:`build` made and merge its report (in the main process);
        ``ref`` is the item (or what the report keeps of it)."""
        report = self.ctx.report
        for p in built.report.problems:
            key = (p.code, p.message)
            if key not in self._problems_seen:
                self._problems_seen.add(key)
                report.problems.append(p)
        report.counts.update(built.report.counts)
        report.media.extend(built.report.media)
        if not built.path:
            return
        tree = self.ctx.tree
        for rel, data in built.files:
            if data is None:
                tree.record(rel)
            else:
                tree.write(rel, data)
        report.written(ref, built.path, built.seq)

    def render_item(self, item: Item, entry: Entry) -> tuple[Rendered, TransformContext]:
        """The item's content as Markdown, with its links and media rewritten."""
        assert self.index is not None and self.links is not None
        tctx = TransformContext(
            attachments=self.index.attachments(), shortcode_mode=self.ctx.options.shortcodes,
            post_id=item.id, attached=self.index.attached_images,
        )
        rendered = render(item.content, tctx)
        body = self.links.rewrite(rendered.markdown, entry)
        summary = self.links.rewrite(rendered.summary, entry) if rendered.summary else None
        for key, n in tctx.stats.items():
            self.ctx.report.counts[key] += n
        return Rendered(body, summary, rendered.pages), tctx

    def build(self, item: Item, entry: Entry) -> list[tuple[str, str | bytes]]:
        """The files of one item: its page, and its comments where they go elsewhere."""
        rendered, _ = self.render_item(item, entry)
        data = self.front_matter(item, entry, rendered)
        files: list[tuple[str, str | bytes]] = []
        comments = self.comment_tree(item, entry)
        if comments:
            files.extend(self.place_comments(item, entry, comments, data))
        body = rendered.markdown
        page = front_matter(data, body if body.endswith("\n") or not body else body + "\n")
        files.insert(0, (entry.path, page))
        return files

    def place_comments(
        self, item: Item, entry: Entry, comments: list[dict[str, Any]], data: dict[str, Any]
    ) -> list[tuple[str, str | bytes]]:
        """Put the comment thread in the front matter, or return the files that hold it
        (a sidecar ``<name>.comments.yaml`` beside the page)."""
        if self.ctx.options.comments == "front-matter":
            data["comments"] = comments
            return []
        side = PurePosixPath(entry.path)
        side = side.with_name(side.stem + ".comments.yaml")
        return [(side.as_posix(), dump(comments))]

    # -- front matter ---------------------------------------------------------------------
    def taxonomies(self, item: Item) -> dict[str, list[str]]:
        """Term names by front matter key: categories, tags, and custom taxonomies."""
        out: dict[str, list[str]] = {}
        for t in item.terms:
            kind = t.kind
            if kind in _SKIP_TAXONOMIES:
                continue
            key = _BUILTIN_TAXONOMIES.get(kind, kind)
            names = out.setdefault(key, [])
            if t.name not in names:
                names.append(t.name)
        return out

    def post_format(self, item: Item) -> str | None:
        """The post format (aside, gallery, …) from the post_format taxonomy."""
        for t in item.terms:
            if t.kind == "post_format":
                return t.slug.removeprefix("post-format-")
        return None

    def featured_image(self, item: Item, entry: Entry) -> str | None:
        """The featured image (``_thumbnail_id``) as a URL or local path."""
        thumb = item.meta_value("_thumbnail_id")
        if not thumb or not thumb.strip().isdigit() or self.index is None or self.links is None:
            return None
        ref = self.index.attachments().get(int(thumb.strip()))
        if ref is None or not ref.url:
            return None
        return self.links.media_url(ref.url, entry)

    def summary(self, item: Item, rendered: Rendered) -> str | None:
        """The excerpt (as Markdown), else the part before ``<!--more-->``."""
        if item.excerpt.strip():
            return render(item.excerpt, TransformContext()).markdown.strip() or None
        return rendered.summary.strip() if rendered.summary else None

    def front_matter(self, item: Item, entry: Entry, rendered: Rendered) -> dict[str, Any]:
        """The front matter for the Markdown format (subclasses adapt it)."""
        data: dict[str, Any] = {"title": item.title}
        date = iso_date(item.date, item.date_gmt)
        if date:
            data["date"] = date
        lastmod = iso_date(item.modified, item.modified_gmt)
        # Compared as exported: a draft has no GMT date, so its datetimes differ in zone.
        if lastmod and (item.modified, item.modified_gmt) != (item.date, item.date_gmt) and item.modified != item.date:
            data["lastmod"] = lastmod
        data["slug"] = PurePosixPath(entry.path).stem if entry.path.endswith(self.extension) and \
            not entry.path.endswith("/index" + self.extension) else PurePosixPath(entry.path).parent.name
        data["author"] = policy.author_name(self.ctx.site, item.creator)
        data.update(self.taxonomies(item))
        fmt = self.post_format(item)
        if fmt:
            data["format"] = fmt
        if item.status in policy.DRAFT_STATUSES:
            data["draft"] = True
        if item.status != "publish":
            data["status"] = item.status
        summary = self.summary(item, rendered)
        if summary:
            data["summary"] = summary
        image = self.featured_image(item, entry)
        if image:
            data["featured_image"] = image
        data["original_url"] = item.link
        data["wordpress_id"] = item.id
        data["type"] = item.post_type
        if item.parent:
            data["parent"] = item.parent
        if item.menu_order:
            data["menu_order"] = item.menu_order
        if item.sticky:
            data["sticky"] = True
        if item.password:
            # Only written with --include protected; the password itself is not.
            data["password_protected"] = True
        return data

    # -- comments -------------------------------------------------------------------------
    def comment_dict(self, c: Comment, entry: Entry) -> dict[str, Any]:
        """One comment as data, with its replies; personal data only when kept."""
        d: dict[str, Any] = {"id": c.id, "author": c.author}
        if c.author_url:
            d["author_url"] = c.author_url
        if self.ctx.options.keep_personal_data:
            d["author_email"] = c.author_email
            d["author_ip"] = c.author_ip
        date = iso_date(c.date, c.date_gmt)
        if date:
            d["date"] = date
        if c.type != "comment":
            d["type"] = c.type
        if c.approved != "1":
            d["status"] = {"0": "pending"}.get(c.approved, c.approved)
        d["content"] = comment_markdown(c.content)
        if self.links is not None:
            d["content"] = self.links.rewrite(d["content"], entry)
        if c.replies:
            d["replies"] = [self.comment_dict(r, entry) for r in c.replies]
        return d

    def comment_tree(self, item: Item, entry: Entry) -> list[dict[str, Any]]:
        """The item's published comment threads as data."""
        return [self.comment_dict(c, entry) for c in item.comments]


class MarkdownWriter(SiteWriter):
    """``--format markdown``: a Markdown file (or folder) per item with YAML front matter."""

    name = "markdown"
    description = "Markdown files with YAML front matter, comments threaded, one per post or page"
