"""The streaming WXR reader: raw export bytes in, model objects out, in flat memory.

The channel header (site, authors, terms) of every input is read eagerly, up to each
file's first ``<item>``; items are then built one at a time and their elements freed, so
memory does not grow with the size of the export. Entities and DTDs are never resolved and
nothing is fetched from the network.

Broken input is mended by :mod:`wpconvert.repair` (or refused with ``strict``); each
repair, and each problem found while building items (``WPC101`` orphan comment, ``WPC102``
parent cycle, ``WPC103`` definition after the first item, ``WPC104`` reply thread deeper
than :data:`MAX_REPLY_DEPTH`), is reported once per input with its file and line, however
often the items are read. Every error is an :class:`~wpconvert.errors.InputError` of one line
naming the file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import build
from . import inputs as _inputs
from .build import MAX_REPLY_DEPTH, FileSlice, InputEnd, Notes, RawItem, _author, _key, _term, _text, build_raw, thread_comments
from .errors import InputError
from .model import Author, Item, Site, Source, Term
from .report import Problem, Report
from .split import SplitFailed, can_split, split_items
from .xmlstream import FileReader, namespace_declarations, qname, root_parses, serialize

CHUNK = 1 << 20
_VERSION = re.compile(r"^\d+\.\d+$")

__all__ = ["MAX_REPLY_DEPTH", "Export", "InputEnd", "RawItem", "SplitFailed", "build_raw", "read", "thread_comments"]


def _undeclared(tag: Any) -> bool:
    return isinstance(tag, str) and ":" in tag and not tag.startswith("{")


def _channel_of_root(channel: Any) -> bool:
    """Whether ``channel`` is a ``<channel>`` directly inside the document's root ``<rss>``."""
    root = channel.getparent() if channel is not None else None
    return (
        root is not None and root.getparent() is None
        and qname(channel) == "channel" and qname(root) == "rss"
    )


def _head(src: _inputs.Source) -> bytes:
    """The first bytes of an input (for its XML declaration)."""
    try:
        with src.open() as stream:
            head: bytes = stream.read(4096)
    except _inputs.READ_ERRORS:
        return b""
    return head


@dataclass
class _Header:
    fields: dict[str, str] = field(default_factory=dict)
    authors: list[Author] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    channel_line: int = 0


class Export:
    """An opened export: ``site`` is read already; :meth:`items` streams the items.

    Create it with :func:`read`. Iterating twice reads the inputs twice (and reports
    their repairs and problems once).
    """

    def __init__(self, sources: list[_inputs.Source], report: Report, strict: bool) -> None:
        self.sources = sources
        self.report = report
        self.strict = strict
        self._reported: set[int] = set()  # inputs whose repairs and problems are reported
        self._pending: dict[int, Report] = {}  # what raw_items() found, until end_input()
        self._notes: dict[int, list[Problem]] = {}  # comment problems raw_items() items had
        self._notes_reported: set[int] = set()  # inputs whose comment problems are reported
        self._wrap: dict[int, bytes] = {}  # inputs raw_items() may cut: the root to parse items in
        self.site = self._read_header()

    def _read_header(self) -> Site:
        site: dict[str, str] = {}
        authors: dict[str, Author] = {}
        terms: dict[tuple[str, str], Term] = {}
        for k, src in enumerate(self.sources):
            header = _Header()
            reader = FileReader(src, Report(), self.strict)
            wrap = b""
            clean = True
            for kind, el in reader.events(header_only=True):
                if not wrap and el.getparent() is not None:
                    wrap = b"<rss" + namespace_declarations(el.getparent()) + b">"
                if kind != "header":
                    # The cut (split.py) takes the items for children of <channel>, itself
                    # the child of the root <rss>: not so in an export pasted into another
                    # document, or with a second <rss> inside (or a second export pasted
                    # into the first), which the item pass repairs.
                    clean = clean and _channel_of_root(el.getparent())
                    break
                # libxml2 reads on past a prefix never declared (and lxml complains only at
                # the end): such a name is kept as written, "atom:link".
                clean = clean and not any(_undeclared(d.tag) for d in el.iter())
                _take_header(header, el)
            head = _head(src)
            if wrap and clean and not reader.repaired and can_split(head) and root_parses(head):
                # lxml read it without a fault up to the first item: it may be cut (split.py).
                self._wrap[k] = wrap
            version = header.fields.get("wp:wxr_version", "").strip()
            if not _VERSION.match(version):
                why = "missing" if not version else f"invalid ({version!r})"
                raise InputError(
                    src.name,
                    f"This does not appear to be a WXR file, {why} WXR version number",
                    header.channel_line, 1 if header.channel_line else 0,
                )
            for name, value in header.fields.items():
                site.setdefault(name, value)
            for a in header.authors:
                authors.setdefault(a.login, a)
            for t in header.terms:
                terms.setdefault((t.taxonomy, t.slug), t)
        return Site(
            title=site.get("title", ""),
            link=site.get("link", "").strip(),
            description=site.get("description", ""),
            language=site.get("language", "").strip(),
            base_site_url=site.get("wp:base_site_url", "").strip(),
            base_blog_url=site.get("wp:base_blog_url", "").strip(),
            wxr_version=site.get("wp:wxr_version", "").strip(),
            generator=site.get("generator", "").strip(),
            pub_date=site.get("pubDate", "").strip(),
            authors=tuple(authors.values()),
            terms=tuple(terms.values()),
            files=tuple(s.name for s in self.sources),
        )

    def items(self, comments: bool = True) -> Iterator[Item]:
        """Stream every item of every input, in order, building each as it ends (without
        comments when ``comments`` is False).

        Each input's repairs and problems go to the report once, however often the items
        are read (site writers read them twice): a pass collects them aside and hands them
        over when it has read the input to its end, or failed on it. Problems with comments
        are reported by the first pass that builds them.
        """
        count = 0
        for k, src in enumerate(self.sources):
            found = Report()
            reader = FileReader(src, found, self.strict)
            reader.items_read = count
            at = [0]  # the line of the item being built, for the comment problems

            def note(kind: str, cid: int, _src: _inputs.Source = src, _at: list[int] = at,
                     _found: Report = found) -> None:
                code, message = _COMMENT_PROBLEMS[kind]
                _found.problem(code, "warning", f"comment {cid}: {message}", _src.name, _at[0])

            seen_item = False
            try:
                for kind, el in reader.events(header_only=False):
                    line = at[0] = (el.sourceline or 0) + reader.lines_dropped()
                    if kind == "item":
                        item = build.build_item(el, Source(src.name, line), note, comments)
                        seen_item = True
                        count += 1
                        reader.items_read = count
                        yield item
                    elif seen_item and _key(el.tag) in _DEFINITIONS:
                        _late_definition(found, el, src.name, line)
            except InputError:
                self._hand_over(k, found)
                raise
            self._hand_over(k, found)
            if comments:
                self._notes_reported.add(k)

    def raw_items(self, serialized: bool = True, cut: bool = False) -> Iterator[RawItem | InputEnd]:
        """Stream every item unbuilt (see :class:`RawItem`), each input closed by an
        :class:`InputEnd`. Without ``serialized`` a raw item holds the parsed element, valid
        only until the next one is asked for (for building in this process). With ``cut``,
        inputs that were clean up to their first item are cut into items without parsing
        (:mod:`wpconvert.split`): building them raises :class:`SplitFailed` if one is not
        well-formed, and then the pass must be run again without ``cut``.

        The consumer hands problems found while building to :meth:`add_notes` and each
        :class:`InputEnd` to :meth:`end_input`, in this order, so that the report is the same
        as :meth:`items` gives, however many processes build the items.
        """
        count = 0
        for k, src in enumerate(self.sources):
            found = Report()
            self._pending[k] = found
            report = k not in self._notes_reported
            if cut and k in self._wrap:
                # From a plain file, workers read each item's bytes themselves (by offset):
                # cheaper than passing them through a pipe.
                path = str(src.path) if src.is_plain_file() else None
                for line, offset, data in self._cut(src):
                    payload = FileSlice(path, offset, len(data), self._wrap[k]) if path is not None \
                        else self._wrap[k] + data + b"</rss>"
                    yield RawItem(count, k, src.name, line, payload, report, True)
                    count += 1
                yield InputEnd(k)
                continue
            reader = FileReader(src, found, self.strict)
            reader.items_read = count
            seen_item = False
            try:
                for kind, el in reader.events(header_only=False):
                    line = (el.sourceline or 0) + reader.lines_dropped()
                    if kind == "item":
                        data = serialize(el) if serialized else el
                        yield RawItem(count, k, src.name, line, data, report)
                        seen_item = True
                        count += 1
                        reader.items_read = count
                    elif seen_item and _key(el.tag) in _DEFINITIONS:
                        _late_definition(found, el, src.name, line)
            except InputError:
                self._pending.pop(k, None)
                self._hand_over(k, found)
                raise
            yield InputEnd(k)

    def replay(self, kept: Iterable[RawItem | InputEnd]) -> Iterator[RawItem | InputEnd]:
        """:meth:`raw_items` again, from what an earlier pass over them kept (items built
        then, see :class:`~wpconvert.build.Built`): consumed the same way, it reports the
        same. That pass must have ended each input with ``end_input(end, notes_too=False)``,
        leaving the comment problems to this one."""
        for raw in kept:
            if isinstance(raw, RawItem):
                self.expect_notes(raw.input)
            yield raw

    def expect_notes(self, k: int) -> None:
        """Ready input ``k`` for the comment problems of items an earlier pass built (see
        :meth:`replay`): what parsing found is reported already, this pass brings only these."""
        if k not in self._pending:
            self._pending[k] = Report()

    def _cut(self, src: _inputs.Source) -> Iterator[tuple[int, int, bytes]]:
        """The items of ``src`` as cut from its bytes (line, offset, bytes)."""
        try:
            with src.open() as stream:
                yield from split_items(stream)
        except _inputs.READ_ERRORS as exc:
            raise InputError(src.name, f"cannot read: {exc}") from None

    def add_notes(self, raw: RawItem, notes: Notes) -> None:
        """Report what :func:`build_raw` noted while building ``raw``."""
        if not raw.report or raw.input not in self._pending:
            return
        for kind, cid in notes:
            code, message = _COMMENT_PROBLEMS[kind]
            self._notes.setdefault(raw.input, []).append(
                Problem(code, "warning", f"comment {cid}: {message}", raw.file, raw.line))

    def end_input(self, end: InputEnd, notes_too: bool = True) -> None:
        """Hand what the pass found in an input over to the report (see :meth:`raw_items`):
        what parsing found (once), then the problems with comments (once). Without
        ``notes_too`` the comment problems are left to a later pass (see :meth:`replay`)."""
        k = end.input
        found = self._pending.pop(k, None)
        if found is not None:
            self._hand_over(k, found)
        if not notes_too:
            return
        notes = self._notes.pop(k, [])
        if k not in self._notes_reported:
            self._notes_reported.add(k)
            self.report.problems.extend(notes)

    def _hand_over(self, k: int, found: Report) -> None:
        """Put what a pass over input ``k`` found into the report, the first time only."""
        if k in self._reported:
            return
        self._reported.add(k)
        for r in found.repairs:
            self.report.repair(r.kind, r.file, r.line, r.detail)
        self.report.repairs_not_listed.update(found.repairs_not_listed)
        self.report.problems.extend(found.problems)

    def __iter__(self) -> Iterator[Item]:
        return self.items()


def _late_definition(found: Report, el: Any, file: str, line: int) -> None:
    # WordPress writes the whole header before the first item, and the site is read from
    # there; a definition after an item is not part of it.
    found.problem(
        "WPC103", "warning",
        f"<{qname(el)}> after the first <item> is not read (the site header ends there)", file, line,
    )


# What thread_comments() notes, as report problems.
_COMMENT_PROBLEMS = {
    "orphan-comment": ("WPC101", "its parent is not in the export; kept at top level"),
    "comment-cycle": ("WPC102", "caught in a parent cycle; kept at top level"),
    "deep-thread": ("WPC104", f"replies nested deeper than {MAX_REPLY_DEPTH} levels kept at that depth"),
}

# Channel children that define authors and terms.
_DEFINITIONS = frozenset(("wp:author", "wp:wp_author", "wp:category", "wp:tag", "wp:term"))


def _take_header(header: _Header, el: Any) -> None:
    k = _key(el.tag)
    if not header.channel_line:
        parent = el.getparent()
        header.channel_line = parent.sourceline or 0 if parent is not None else 0
    if k in ("wp:author", "wp:wp_author"):
        # <wp:wp_author> is non-standard (a11y test data) but means the same.
        header.authors.append(_author(el))
    elif k in ("wp:category", "wp:tag", "wp:term"):
        header.terms.append(_term(el, k))
    elif k not in header.fields:
        header.fields[k] = _text(el)


def read(
    inputs: str | Path | Iterable[str | Path],
    *,
    strict: bool = False,
    report: Report | None = None,
) -> Export:
    """Open one or more WXR exports (files, folders, .zip, .gz, .bz2, .xz).

    The site header is read at once; iterate :meth:`Export.items` for the items. Repairs
    and problems go to ``report`` (a new :class:`Report` if not given, at ``export.report``).
    Raises :class:`~wpconvert.errors.InputError` for an unreadable input, or at the point
    where an input turns out to be broken beyond repair (then the items before it were
    already handed out, and the error says how many).
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    sources = _inputs.expand(inputs)
    if not sources:
        raise InputError("-", "no input given")
    return Export(sources, report if report is not None else Report(), strict)
