"""The library's entry points: :func:`convert` and :func:`info`. The CLI only calls these."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import policy
from . import writers as _writers
from .errors import OutputError
from .index import SiteIndex
from .model import Item
from .options import Options, from_mapping
from .output import OutputTree
from .parallel import default_jobs
from .pipeline import BatchSpool, Spool, planning_batches, planning_items, prepared
from .reader import Export, SplitFailed, read
from .report import Report

if TYPE_CHECKING:
    from .mediaplan import MediaPlan

Progress = Callable[[int], None]

# Types that are never pages of their own in a site: they feed media and menus.
NON_CONTENT_TYPES = frozenset(
    ("attachment", "nav_menu_item", "revision", "customize_changeset", "oembed_cache",
     "custom_css", "user_request", "wp_block", "wp_template", "wp_template_part",
     "wp_global_styles", "wp_navigation", "wp_font_family", "wp_font_face")
)


def _reason(item: Item, writer: type[_writers.Writer], options: Options) -> str | None:
    """Why ``writer`` does not get ``item``, or None."""
    if not writer.wants_all_items:
        if item.post_type in NON_CONTENT_TYPES:
            return f"{item.post_type} (not a page of its own)"
        if item.status == "auto-draft":
            return "auto-draft (an editor's unsaved draft)"
    return policy.skip_reason(item, options)


def _selected(
    export: Export, writer: _writers.Writer, options: Options, report: Report,
    progress: Progress | None,
) -> Iterator[Item]:
    """Items in export order, as the publishing policy lets them out, with progress."""
    for n, item in enumerate(export.items()):
        if progress is not None:
            progress(n + 1)
        report.counts[f"read:{item.post_type}"] += 1
        reason = _reason(item, type(writer), options)
        if reason:
            report.skipped(item, reason, n)
            continue
        writer.ctx.seq = n
        yield policy.prepare(item, options)


def _site_hosts(export: Export) -> set[str]:
    hosts = set()
    for url in (export.site.link, export.site.base_site_url, export.site.base_blog_url):
        try:
            host = urlsplit(url).hostname
        except ValueError:  # a malformed URL ("http://[broken/") names no host
            continue
        if host:
            hosts.add(host)
    return hosts


def _first_pass(
    export: Export, writer: _writers.Writer, options: Options, media: MediaPlan | None,
    index: SiteIndex | None, spool: Spool | BatchSpool | None = None, cut: bool = False,
) -> None:
    """The pass before writing: site writers index every item (to plan where each goes),
    and media collection learns which files published items use. Items go to ``spool``
    too when there is one."""
    if index is None and media is None:
        return
    observe = getattr(writer, "observe", None) if index is not None else None
    # Comments are not needed to plan (and cost a third of building an item); with a spool
    # the items are built whole, for the second pass.
    items: Iterable[Item]
    if isinstance(spool, BatchSpool):
        items = planning_batches(export, spool, options.jobs or default_jobs(), cut, content=media is not None)
    elif spool is not None:
        items = planning_items(export, spool)
    else:
        items = export.items(comments=False)
    for item in items:
        publish = _reason(item, type(writer), options) is None
        if index is not None:
            seq = index.add(item, publish)
            if observe is not None:
                observe(item, seq, publish)
        if media is not None:
            media.observe(item, publish and policy.skip_reason(item, options) is None)


def _fetch_media(media: MediaPlan, writer: _writers.Writer, tree: OutputTree | None, out_path: Path) -> None:
    if tree is None:
        # A single-file format: media go to a folder beside the file.
        side = OutputTree(out_path.parent / f"{out_path.stem}-media", force=writer.ctx.options.force)
        media.fetch(side, "")
        side.finish()
    else:
        media.fetch(tree, getattr(writer, "media_folder", "media"))
    writer.media = media


def _check_single_file(path: Path, export: Export, force: bool) -> None:
    """Refuse a single-file output that is a folder, is one of the inputs, or is a file
    wpconvert did not write (unless ``force``)."""
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; the {path.suffix or 'json'} format writes one file, name it")
    if path.parent != Path("") and path.parent.exists() and not path.parent.is_dir():
        raise OutputError(f"{path}: {path.parent} is a file, not a folder")
    if not path.exists():
        return
    resolved = path.resolve()
    for src in export.sources:
        if src.path.resolve() == resolved:
            raise OutputError(f"{path}: is an input of this conversion; choose another output file")
    if force:
        return
    with open(path, "rb") as fh:
        head = fh.read(64)
    if b'"wpconvert"' not in head:
        raise OutputError(f"{path}: exists and was not written by wpconvert; choose another name or pass --force")


def convert(
    inputs: str | Path | Iterable[str | Path],
    format: str = "json",
    output: str | Path = "wpconvert-out",
    *,
    options: Options | None = None,
    progress: Progress | None = None,
    **overrides: Any,
) -> Report:
    """Convert WXR export(s) to ``format`` at ``output``; return the run's :class:`Report`.

    ``options`` (an :class:`Options`) and keyword ``overrides`` (any option by name, e.g.
    ``include="private"``) set the behaviour. ``progress(n)`` is called with the number of
    items read so far. Raises :class:`~wpconvert.errors.InputError` for unreadable input,
    :class:`~wpconvert.errors.OutputError` when the output cannot be written and
    :class:`~wpconvert.errors.UsageError` for bad options.

    >>> report = convert("fixtures/classic.xml", "json", "out/site.json")  # doctest: +SKIP
    """
    opts = from_mapping(overrides, options)
    writer_cls = _writers.get(format)
    try:
        return _convert(inputs, writer_cls, Path(output), opts, progress, cut=True)
    except SplitFailed:
        # An item past the first that the fast cut could not take (see split.py): convert
        # again the ordinary way, which repairs or reports it. Files written so far are
        # written again, identically.
        return _convert(inputs, writer_cls, Path(output), opts, progress, cut=False)


def _convert(
    inputs: str | Path | Iterable[str | Path], writer_cls: type[_writers.Writer], out_path: Path,
    opts: Options, progress: Progress | None, cut: bool,
) -> Report:
    report = Report()
    export = read(inputs, strict=opts.strict, report=report)
    try:
        if writer_cls.single_file:
            _check_single_file(out_path, export, opts.force)
        tree = None if writer_cls.single_file else OutputTree(out_path, force=opts.force)
    except OSError as exc:
        raise OutputError(f"{exc.filename or out_path}: cannot write there: {exc.strerror}") from None
    ctx = _writers.WriteContext(policy.prepare_site(export.site, opts), opts, report, out_path, tree)
    writer = writer_cls(ctx)
    media: MediaPlan | None = None
    index: SiteIndex | None = None
    spool: Spool | BatchSpool | None = None
    try:
        # Each keeps a temporary file; made in the try, so that all made are removed.
        if opts.media == "download":
            # Imported here: only downloads need the media modules (and their start-up time).
            from .mediaplan import MediaPlan

            media = MediaPlan(ctx.site, opts, report)
        index = SiteIndex(_site_hosts(export)) if writer.needs_index else None
        # Two passes: the second takes the items the first built (see Spool, BatchSpool).
        if writer.parallel and index is not None:
            spool = Spool() if (opts.jobs or default_jobs()) == 1 else BatchSpool()
        _first_pass(export, writer, opts, media, index, spool, cut)
        if media is not None:
            _fetch_media(media, writer, tree, out_path)
        if index is not None:
            index.finish()  # lookups while planning (a page's parents) use its indexes
            writer.plan(index)  # type: ignore[attr-defined]
        if writer.parallel:
            skip = partial(_reason, writer=type(writer), options=opts)
            writer.write_prepared(prepared(export, writer, opts, skip, progress, cut=cut, spool=spool))
        else:
            writer.write(_selected(export, writer, opts, report, progress))
        writer.close()
    except OSError as exc:  # the reader turns its own OSErrors into InputError
        raise OutputError(f"{exc.filename or out_path}: cannot write: {exc.strerror or exc}") from None
    finally:
        if spool is not None:
            spool.close()
        if index is not None:
            index.close()
        if media is not None:
            media.close()
        if tree is not None:
            tree.allocator.close()  # planned paths of a large run are in a temporary file
    if tree is not None:
        tree.finish()
        report.files_written = tree.files_written
    else:
        report.files_written = 1
    return report


@dataclass
class Info:
    """What an export holds (``wpconvert info``)."""

    site: dict[str, Any] = field(default_factory=dict)
    items: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    comments: Counter[str] = field(default_factory=Counter)
    authors: int = 0
    taxonomies: Counter[str] = field(default_factory=Counter)
    attachments: int = 0
    report: Report = field(default_factory=Report)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "site": self.site,
            "items": self.items,
            "by_type": dict(sorted(self.by_type.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "comments": dict(sorted(self.comments.items())),
            "authors": self.authors,
            "taxonomies": dict(sorted(self.taxonomies.items())),
            "attachments": self.attachments,
            "repairs": [
                {"kind": r.kind, "file": r.file, "line": r.line, "detail": r.detail}
                for r in self.report.repairs
            ],
            "problems": [
                {"code": p.code, "severity": p.severity, "message": p.message, "file": p.file}
                for p in self.report.problems
            ],
        }


_COMMENT_STATES = {"1": "approved", "0": "pending", "spam": "spam", "trash": "trash"}


def info(
    inputs: str | Path | Iterable[str | Path], *, strict: bool = False,
    progress: Progress | None = None,
) -> Info:
    """Count what the export(s) hold: items per type and status, comments, terms, repairs."""
    result = Info()
    export = read(inputs, strict=strict, report=result.report)
    site = export.site
    result.site = {"title": site.title, "link": site.link, "language": site.language,
                   "wxr_version": site.wxr_version, "generator": site.generator}
    result.authors = len(site.authors)
    for t in site.terms:
        result.taxonomies[t.taxonomy] += 1
    for item in export.items():
        result.items += 1
        if progress is not None:
            progress(result.items)
        result.by_type[item.post_type] += 1
        result.by_status[f"{item.post_type}:{item.status}"] += 1
        if item.post_type == "attachment":
            result.attachments += 1
        for c in item.all_comments():
            kind = c.type if c.type != "comment" else _COMMENT_STATES.get(c.approved, c.approved)
            result.comments[kind] += 1
    return result
