"""Streaming XML for the reader: lxml's pull parser fed chunk by chunk, elements handed
out as they end, with the repair layer switched in only where it is needed.

Most exports are well-formed: they are fed to lxml as raw bytes (the fast path). When lxml
finds something wrong, the input is read again from the start through
:class:`~wpconvert.repair.Repairer`, and what was already handed out is skipped, so the
consumer sees each element once. ``--strict`` takes the same path and the repairer refuses
the first defect with its line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as _ElementTree
from collections.abc import Iterator
from typing import Any

from lxml import etree

from . import inputs as _inputs
from .errors import InputError
from .repair import Repairer
from .report import Report
from .split import SplitFailed

CHUNK = 1 << 20
# A DOCTYPE can only come before the root element: look for one in the prolog.
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


class _Restart(Exception):
    """The fast path met broken input: read again through the repairer."""


class FileReader:
    """Parses one input, handing out header elements and items as they end."""

    def __init__(self, source: _inputs.Source, report: Report, strict: bool) -> None:
        self.source = source
        self.report = report
        self.strict = strict
        self.name = source.name
        self.items_read = 0
        self.lines_dropped: Any = lambda: 0
        # Set when the input had to be read through the repairer.
        self.repaired = False

    def _sink(self, kind: str, line: int, detail: str) -> None:
        self.report.repair(kind, self.name, line, detail)

    def events(self, header_only: bool) -> Iterator[tuple[str, Any]]:
        """Yield ("item", element) for items, and ("header", element) for channel children.

        With ``header_only``: the channel children before the first item, and stop there.
        Otherwise: the items, and the channel children named like definitions (authors,
        terms) that come after the first item, which the reader reports. The consumer must
        be done with an element when it asks for the next one: it is freed then.
        """
        handed = [0, 0]  # items and header elements handed out by the fast path
        try:
            for kind, el in self._fast_events(header_only):
                handed[kind == "header"] += 1
                yield kind, el
            return
        except _Restart:
            self.repaired = True
        except _HeaderDone:
            return
        skip = list(handed)
        try:
            for kind, el in self._repaired_events(header_only):
                i = int(kind == "header")
                if skip[i]:
                    skip[i] -= 1
                    continue
                yield kind, el
        except _HeaderDone:
            return

    def _parser(self, tag: Any = None) -> Any:
        return etree.XMLPullParser(
            events=("end",), tag=tag, resolve_entities=False, no_network=True, load_dtd=False,
            huge_tree=True, remove_comments=True, remove_pis=True,
        )

    def _read(self, stream: Any) -> bytes:
        try:
            data: bytes = stream.read(CHUNK)
        except _inputs.READ_ERRORS as exc:
            raise InputError(self.name, f"cannot read: {exc}", items_read=self.items_read) from None
        return data

    def _fast_events(self, header_only: bool) -> Iterator[tuple[str, Any]]:
        """Raw bytes straight into lxml; :class:`_Restart` at the first sign of trouble.

        The item pass asks lxml (in C) for the end of items and of definitions only: an
        event for every element of every item was most of the cost of reading.
        """
        parser = self._parser(None if header_only else _ITEM_PASS_TAGS)
        seen_item = [False]
        first = True
        with self.source.open() as stream:
            while True:
                chunk = self._read(stream)
                if first:
                    first = False
                    head = chunk[: chunk.find(b"<rss")] if b"<rss" in chunk else chunk
                    # A DOCTYPE is refused by the repairer with a clear message; UTF-16 (NULs
                    # between the letters) hides one from this byte search, so it goes there too.
                    if self.strict or _DOCTYPE.search(head) or b"\x00" in head[:4096]:
                        raise _Restart
                try:
                    etree.clear_error_log()
                    if chunk:
                        parser.feed(chunk)
                    else:
                        parser.close()
                except etree.XMLSyntaxError:
                    raise _Restart from None
                yield from _dispatch(parser, header_only, seen_item=seen_item)
                if not chunk:
                    return

    def _repaired_events(self, header_only: bool) -> Iterator[tuple[str, Any]]:
        """The input through the repairer, then lxml; truncation closed at the end."""
        repairer = Repairer(self.name, self._sink if not header_only else _ignore, strict=self.strict)
        self.lines_dropped = lambda: repairer.lines_dropped
        parser = self._parser()
        last: list[Any] = [None]
        seen_item = [False]
        with self.source.open() as stream:
            while True:
                chunk = self._read(stream)
                try:
                    data = repairer.feed(chunk) if chunk else repairer.close()
                except InputError as exc:
                    # The repairer refused the input (a DOCTYPE, or --strict): say how far we got.
                    raise InputError(exc.file, exc.message, exc.line, exc.column, self.items_read) from None
                for step in (0, 1):
                    if step == 1 and chunk:
                        break
                    error: InputError | None = None
                    try:
                        # lxml's exceptions carry the thread's error log, which holds the
                        # errors of every parse before: start it afresh for each call.
                        etree.clear_error_log()
                        if step == 0 and data:
                            parser.feed(data)
                        elif step == 1:
                            # End of input: close what a truncated export left open.
                            if last[0] is not None and not self.strict:
                                tail = _closing_tags(last[0], repairer, self._sink)
                                if tail:
                                    parser.feed(tail)
                                    etree.clear_error_log()
                            parser.close()
                    except etree.XMLSyntaxError as exc:
                        if step == 1 and not self.strict and not _fatal(exc):
                            # Only an error libxml2 read on past (an undeclared prefix),
                            # reported now that every element is read: a repair, not a failure.
                            self._namespace_repair(exc, repairer)
                        elif not header_only:
                            raise self._error(exc, repairer) from None
                        else:
                            # The header pass stops at the first item: an error past it is
                            # left to the item pass, which reports it after the items and
                            # repairs before it. The events parsed before it are still read.
                            error = self._error(exc, repairer)
                    yield from _dispatch(parser, header_only, seen_item, last)
                    if error is not None:
                        raise error
                if not chunk:
                    break

    def _error(self, exc: Any, repairer: Repairer) -> InputError:
        """The InputError for an lxml error: its first fatal one, in one line, at input lines.

        lxml raises the first error it logged, which may be a namespace error libxml2 let
        pass (an undeclared prefix) rather than the one that stopped the parse.
        """
        line, col = exc.position if exc.position else (0, 0)
        msg = str(exc.msg or exc)
        fatal = _fatal(exc)
        if fatal:
            line, col, msg = fatal[0].line, fatal[0].column, fatal[0].message
        msg = re.sub(r",? line \d+, column \d+$", "", msg)
        # libxml2 quotes the input after some messages, over several lines: keep the first.
        msg = msg.strip().split("\n", 1)[0].strip()
        # libxml2's limit on nesting names an option of its own API; say what it means.
        msg = re.sub(r"Excessive depth in document: (\d+), use XML_PARSE_HUGE option",
                     r"elements nested deeper than \1 levels", msg)
        return InputError(self.name, msg, line + repairer.lines_dropped if line else 0, col, self.items_read)

    def _namespace_repair(self, exc: Any, repairer: Repairer) -> None:
        """Report the (first) error libxml2 read on past, as lxml raises it at the end."""
        err = self._error(exc, repairer)
        undeclared = re.match(r"Namespace prefix \S+ on \S+ is not defined", err.message)
        kind = "undeclared-prefix" if undeclared else "namespace-error"
        self._sink(kind, err.line, f"{err.message}; the name is kept as written")


class _HeaderDone(Exception):
    """Raised inside :func:`_dispatch` when a header-only read reaches the first item."""


# The item pass needs items, and the definitions (authors, terms) a broken export puts after
# the first item, to report them (WPC103). "{*}" is any namespace or none.
_LATE_NAMES = ("author", "wp_author", "category", "tag", "term")
_ITEM_PASS_TAGS = ["item", *(f"{{*}}{n}" for n in _LATE_NAMES)]


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _dispatch(
    parser: Any, header_only: bool, seen_item: list[bool], last: list[Any] | None = None,
) -> Iterator[tuple[str, Any]]:
    """Hand out the elements that ended: items, and children of the channel.

    The header pass (``header_only``) gets every channel child before the first item,
    then the first item (begun: for where it is, not what it holds);
    the item pass gets items, and only those channel children named like definitions
    that end after the first item, whichever parser fed the events (with or without a
    tag filter), so that a restart through the repairer skips exactly what was handed.
    Elements are freed once the consumer comes back for the next one: an item and
    everything before it in the channel. ``last`` (when given) keeps the element that
    ended last, which truncation repair needs.
    """
    for _ev, el in parser.read_events():
        if last is not None:
            last[0] = el
        parent = el.getparent()
        if parent is None:
            continue
        if el.tag == "item":
            seen_item[0] = True
            yield "item", el
            if header_only:
                raise _HeaderDone
            el.clear(keep_tail=True)
            while el.getprevious() is not None:
                del parent[0]
        elif parent.tag == "channel":
            if header_only:
                yield "header", el
                continue
            if seen_item[0] and _local(el.tag) in _LATE_NAMES:
                yield "header", el
            el.clear(keep_tail=True)
        elif parent.tag == "item" and header_only:
            yield "item", parent  # begun, not complete: only to see where it is
            raise _HeaderDone  # the first item has begun: the header is complete


def serialize(el: Any) -> bytes:
    """An element as XML bytes (with the namespace declarations it uses), to build elsewhere.

    In UTF-8: lxml's default, ASCII, writes other characters as character references,
    which are not allowed in names, and a repaired export may have U+FFFD in one (invalid
    bytes in a tag, replaced): the item would not parse the same again."""
    data: bytes = etree.tostring(el, encoding="utf-8")
    return data


# Our own serialization of an element the reader accepted: well-formed but for a prefix a
# repaired export never declared, which recover keeps as written (as the reader did).
_ITEM_PARSER = etree.XMLParser(
    recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
    remove_comments=True, remove_pis=True,
)


def parse_item(data: bytes) -> Any:
    """The element :func:`serialize` gave ``data`` for."""
    return etree.fromstring(data, _ITEM_PARSER)


def parse_exact(data: bytes) -> Any:
    """The first child of the root of ``data``, which must be well-formed; SplitFailed if not.

    ``data`` is an item cut from an export (:mod:`wpconvert.split`) inside a root element
    declaring the export's namespaces. The items of a run with several jobs are parsed here,
    one by one, in the workers. Building an item reads about 65 elements; each read of an
    lxml element makes a proxy object for it, while the standard library's ElementTree
    (expat) builds plain objects once: building takes a third less with it, and parsing the
    same (measured: 379 against 530 million instructions to build 1,000 items, 719 against
    722 to parse them). lxml stays the judge of what is well-formed, as when the export is
    read whole: ElementTree's tree is used only where both parsers agree by construction:
    an item it accepts, that declares no namespace of its own (libxml2 refuses some URIs
    that expat takes; the export's own declarations passed :func:`root_parses` before it
    was cut) and cannot nest as deep as libxml2's limit (2048 levels with
    ``huge_tree``; expat has none): nesting D levels takes at least 2D - 1 "<". Anything
    else, including everything ElementTree refuses, goes to lxml, which decides as before.
    tests/test_split.py checks that both give the same items.
    """
    start = data.find(b"<item")
    if start >= 0 and data.find(b"xmlns", start) < 0 and data.count(b"<", start) < _FEW_TAGS:
        try:
            return _only_item(_ElementTree.fromstring(data))
        except _ElementTree.ParseError:
            pass
    return parse_exact_lxml(data)


# The start tags whose namespace declarations are in scope in every item.
_RSS_TAG = re.compile(rb"<rss\b[^>]*>")
_CHANNEL_TAG = re.compile(rb"<channel\b[^>]*>")


def root_parses(head: bytes) -> bool:
    """Whether lxml takes the ``<rss>`` and ``<channel>`` start tags at the start of
    ``head`` (an export's first bytes) as they are, with their namespace declarations.

    libxml2 reads on past a namespace URI it refuses (``http://é/``, ``""``) and lxml
    complains only at the end of the input, where the reader repairs it: a read of the
    header alone does not see it, and expat (:func:`parse_exact`) does not mind. An
    export is cut into items only when this holds (:meth:`wpconvert.reader.Export.raw_items`).
    """
    rss = _RSS_TAG.search(head)
    channel = _CHANNEL_TAG.search(head, rss.end()) if rss else None
    if rss is None or channel is None:
        return False
    try:
        etree.fromstring(rss.group() + channel.group() + b"</channel></rss>", _EXACT_PARSER)
    except etree.XMLSyntaxError:
        return False
    return True


def parse_exact_lxml(data: bytes) -> Any:
    """:func:`parse_exact` with lxml only."""
    try:
        root = etree.fromstring(data, _EXACT_PARSER)
    except etree.XMLSyntaxError as exc:
        raise SplitFailed(f"an item does not parse: {exc}") from None
    return _only_item(root)


def _only_item(root: Any) -> Any:
    if len(root) != 1 or root.text or root[0].tail:
        raise SplitFailed("not one item")
    return root[0]


_FEW_TAGS = 4000  # "<" in an item that cannot nest 2,000 levels deep
_EXACT_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
    remove_comments=True, remove_pis=True,
)


def namespace_declarations(el: Any) -> bytes:
    """An element's in-scope namespaces as ``xmlns`` attributes (for :func:`parse_exact`)."""
    out = []
    for prefix, uri in sorted(el.nsmap.items(), key=lambda p: p[0] or ""):
        value = uri.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        out.append(f' xmlns{":" + prefix if prefix else ""}="{value}"')
    return "".join(out).encode("utf-8")


def parse_html(html: str) -> Any:
    """Parse an HTML fragment leniently (lxml's HTML parser, no network); None if hopeless.

    The content of a post is HTML, not XML: for looking through it (media URLs)."""
    parser = etree.HTMLParser(recover=True, encoding="utf-8", remove_comments=False, no_network=True, huge_tree=True)
    document = "<html><body>" + html.replace("\x00", " ") + "</body></html>"
    try:
        return etree.fromstring(document.encode("utf-8", "replace"), parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


def is_comment(node: Any) -> bool:
    """True for an HTML/XML comment node of a parsed tree."""
    return isinstance(node, etree._Comment)


def _fatal(exc: Any) -> list[Any]:
    """The fatal errors among those lxml logged with ``exc`` (since the log was cleared)."""
    return [e for e in exc.error_log if e.level_name == "FATAL"]


def _ignore(kind: str, line: int, detail: str) -> None:
    return None


def _closing_tags(last: Any, repairer: Repairer, sink: Any) -> bytes:
    """End tags for the elements still open at the end of a truncated export."""
    open_chain: list[Any] = []
    el = last.getroottree().getroot()
    while el is not None and el is not last:
        open_chain.append(el)
        el = el[-1] if len(el) else None
    # Every element on the chain of last children started; those before `last` (the last
    # element to end) never ended. If `last` is not on the chain, the whole chain is open.
    if not open_chain:
        return b""
    sink("truncated", repairer.line,
         f"the export ends inside <{qname(open_chain[-1])}>; closed {len(open_chain)} open element(s)")
    repairer.truncated = True
    return "".join(f"</{qname(e)}>" for e in reversed(open_chain)).encode()


def qname(el: Any) -> str:
    """The element's name as written (``wp:post_id``), for messages."""
    tag = el.tag
    if isinstance(tag, str) and tag.startswith("{"):
        local = tag.split("}", 1)[1]
        return f"{el.prefix}:{local}" if el.prefix else local
    # No namespace; an undeclared prefix stays part of the name ("x:y").
    return str(tag)


