"""A streaming filter that mends the ways real WordPress exports are not well-formed XML.

It sits between the raw bytes and lxml. It decodes the input, repairs what can be repaired
safely and hands UTF-8 on; each repair is reported with its kind and line, in input order.
In strict mode it raises at the first thing it would have repaired instead, naming its
line and column. Its output does not depend on how the input is cut into chunks: a tag, an
entity reference or a character split over two reads is held back until it is whole.

What real exports get wrong, and what is done about it:

* text, a BOM or blank lines before ``<?xml`` (plugins echo output during the export):
  dropped (``leading-junk``);
* bytes that are not valid in the declared encoding: each sequence replaced by U+FFFD and
  reported at its own line (``bad-encoding``);
* control characters XML 1.0 forbids, pasted in from word processors (``control-char``):
  removed;
* namespace prefixes used but never declared: WordPress.com exports wrote ``<atom:link>``
  for years without declaring ``atom`` (``undeclared-prefix``): declared on ``<rss>``;
* a namespace declared with a URI libxml2 refuses (an IRI with non-ASCII letters, a space,
  ``{``…): percent-encoded the way RFC 3987 maps an IRI to a URI (``namespace-uri``);
* a raw ``&`` outside CDATA, typically in a URL's query (``raw-ampersand``): escaped; HTML
  named entities such as ``&nbsp;`` that XML does not define (``html-entity``): turned into
  numeric references;
* ``]]>`` inside CDATA, which ends the section early: WordPress only splits it
  (``]]]]><![CDATA[>``) since 4.x, older exporters wrote it raw (``cdata-terminator``). A
  ``]]>`` counts as the real end of the section only when the next non-blank character
  starts markup (``<``); any other is escaped;
* an export cut short (``truncated``): an open CDATA section is closed here and a partial
  tag dropped; the reader closes the open elements.

A DOCTYPE is never accepted: no WXR has one, and its only use in an export would be entity
expansion attacks.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Callable
from html.entities import name2codepoint
from urllib.parse import quote

from .errors import InputError

RepairSink = Callable[[str, int, str], None]

_CDATA_OPEN = "<![CDATA["
_CDATA_CLOSE = "]]>"
_BLANKS = re.compile(r"[ \t\r\n]*")
# XML comments are passed through like CDATA: a "&" in them is no error.
_SPECIAL_OPEN = re.compile(r"<!\[CDATA\[|<!--")
# Held back at the end of a chunk outside CDATA: enough for "<![CDATA[" and "&entity;".
_HOLD = 40
# A tag is held back whole up to this length; past it (no WXR tag is this long, an attack
# may be) it is let through in pieces, so that holding it cannot cost quadratic time.
_MAX_TAG = 1 << 16

# XML 1.0 allows TAB, LF and CR among the C0 controls, and forbids U+FFFE and U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_ENTITIES = frozenset(("amp", "lt", "gt", "quot", "apos"))
_BAD_AMP = re.compile(r"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{0,31};)?")
_DOCTYPE = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL = re.compile(r"<\?xml[^>]*\?>")
_DECL_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_RSS_OPEN = re.compile(r"<rss\b[^>]*>", re.DOTALL)
# A start tag outside CDATA (text there cannot hold a raw "<", so this is markup).
_START_TAG = re.compile(r"<[A-Za-z_][^<>]*>")
# A namespace declaration whose value holds a character RFC 3986 does not allow in a URI.
_URI_SAFE = "-._~:/?#[]@!$&'()*+,;=%"
_URI_CHAR = "A-Za-z0-9" + re.escape(_URI_SAFE)
_NS_DECL_BAD = re.compile(
    r"(\sxmlns(?::[^\s=]+)?\s*=\s*)"
    + f'(?:"([^"]*[^"{_URI_CHAR}][^"]*)"'
    + f"|'([^']*[^'{_URI_CHAR}][^']*)')"
)
# The codec error handler that replaces undecodable bytes and notes where they were.
_BAD_BYTES_HANDLER = "wpconvert.bad-bytes"
_bad_bytes = threading.local()


def _note_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: U+FFFD for undecodable bytes, their offsets noted for the report."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    log: list[tuple[bytes, int, int, str]] | None = getattr(_bad_bytes, "log", None)
    if log is not None:
        log.append((exc.object, exc.start, exc.end, exc.reason))
    return "\ufffd", exc.end


codecs.register_error(_BAD_BYTES_HANDLER, _note_bad_bytes)
_XMLNS = re.compile(r"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']([^"']*)["']""")

# Namespaces every WXR uses, for prefixes an export forgot to declare.
STANDARD_PREFIXES = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "atom": "http://www.w3.org/2005/Atom",
    "wp": "http://wordpress.org/export/1.2/",
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
}


class Repairer:
    """Feed decoded-on-the-fly chunks of one input in; get well-formed UTF-8 out.

    ``sink(kind, line, detail)`` is told of every repair. With ``strict`` the first repair
    raises :class:`InputError` instead.
    """

    def __init__(self, name: str, sink: RepairSink, *, strict: bool = False) -> None:
        self.name = name
        self.strict = strict
        self._sink = sink
        self._raw = b""  # undecoded bytes held back (an incomplete character)
        self._decoder: codecs.IncrementalDecoder | None = None
        self._encoding = "utf-8"
        self._buf = ""  # decoded text not yet filtered
        self._started = False
        self._in_cdata = False
        self._in_comment = False
        self._line = 1  # line of self._buf[0] in the input
        self._col0 = 0  # characters before self._buf[0] on its line
        # Line-number caches, so that many repairs in one chunk cost linear time.
        self._buf_lines: tuple[int, int] = (0, 1)
        self._seg_lines: tuple[str, int, int, int] | None = None
        self._pending_prefixes: set[str] = set()
        # Repairs of one stretch of markup, held to be told in the order of the input.
        self._held: list[tuple[int, int, str, str]] | None = None
        self.lines_dropped = 0  # lines removed before <?xml, for mapping lxml's line numbers
        self.truncated = False

    @property
    def line(self) -> int:
        """The input line the filter has reached."""
        return self._line + self._buf.count("\n")

    # -- reporting ----------------------------------------------------------------------
    def _repair(self, kind: str, line: int, detail: str, column: int = 1) -> None:
        if self._held is not None:
            self._held.append((line, column, kind, detail))
            return
        if self.strict:
            raise InputError(self.name, f"broken input ({kind}), refused by --strict: {detail}", line, column)
        self._sink(kind, line, detail)

    def _repair_at(self, kind: str, pos: int, detail: str) -> None:
        """Report a repair at offset ``pos`` of the buffer."""
        self._repair(kind, self._line_at(pos), detail, self._col_at(pos) if self.strict else 1)

    def _repair_in(self, kind: str, start: int, seg: str, i: int, detail: str) -> None:
        """Report a repair at offset ``i`` of ``seg``, a copy of the buffer from ``start``.

        ``seg`` may already hold earlier repairs of other kinds, which change its length but
        never add or remove a line break, so the line is exact (the column may be off by
        what was repaired before it on the same line; --strict stops at the first repair).
        """
        cached = self._seg_lines
        if cached is not None and cached[0] is seg and cached[1] == start and cached[2] <= i:
            line = cached[3] + seg.count("\n", cached[2], i)
        else:
            line = self._line_at(start) + seg.count("\n", 0, i)
        self._seg_lines = (seg, start, i, line)
        column = 1
        if self.strict:
            nl = seg.rfind("\n", 0, i)
            column = i - nl if nl >= 0 else self._col_at(start) + i
        self._repair(kind, line, detail, column)

    def _line_at(self, pos: int) -> int:
        """The input line of offset ``pos`` of the buffer (counted on from the last call)."""
        cpos, cline = self._buf_lines
        if pos >= cpos:
            line = cline + self._buf.count("\n", cpos, pos)
        else:
            line = self._line + self._buf.count("\n", 0, pos)
        self._buf_lines = (pos, line)
        return line

    def _col_at(self, pos: int) -> int:
        """The 1-based column (in characters) of offset ``pos`` of the buffer."""
        nl = self._buf.rfind("\n", 0, pos)
        return pos - nl if nl >= 0 else self._col0 + pos + 1

    def _set_buffer(self, buf: str, line: int) -> None:
        self._buf = buf
        self._line = line
        self._buf_lines = (0, line)
        self._seg_lines = None

    # -- decoding -----------------------------------------------------------------------
    def _decode(self, data: bytes, final: bool) -> str:
        if self._decoder is None:
            if not final and len(self._raw) + len(data) < 1024:
                self._raw += data
                return ""
            data, self._raw = self._raw + data, b""
            self._encoding = _sniff_encoding(data)
            self._decoder = codecs.getincrementaldecoder(self._encoding)(_BAD_BYTES_HANDLER)
        # Each undecodable byte sequence becomes U+FFFD and is reported at its own line; the
        # decoder keeps going (and keeps a character split across two chunks intact).
        log: list[tuple[bytes, int, int, str]] = []
        _bad_bytes.log = log
        try:
            text = self._decoder.decode(data, final)
        finally:
            _bad_bytes.log = None
        if log:
            self._report_bad_bytes(log)
        return text

    def _report_bad_bytes(self, log: list[tuple[bytes, int, int, str]]) -> None:
        line = self.line  # the line the newly decoded bytes start on
        obj, prev = b"", 0
        for raw, start, end, reason in log:
            if raw is not obj:
                obj, prev = raw, 0
            line += raw.count(b"\n", prev, start)
            prev = start
            column = 1
            if self.strict:
                nl = raw.rfind(b"\n", 0, start)
                before = len(raw[nl + 1:start].decode(self._encoding, "replace"))
                if nl < 0:
                    tail = self._buf.rfind("\n")
                    before += len(self._buf) - tail - 1 if tail >= 0 else self._col0 + len(self._buf)
                column = before + 1
            self._repair(
                "bad-encoding", line,
                f"{end - start} byte(s) not valid {self._encoding} replaced by U+FFFD ({reason})", column,
            )

    # -- filtering ----------------------------------------------------------------------
    def feed(self, data: bytes) -> bytes:
        """Take the next chunk of raw input; return the repaired UTF-8 ready so far."""
        self._buf += self._decode(data, False)
        return self._run(final=False)

    def close(self) -> bytes:
        """Flush at end of input; closes an open CDATA section of a truncated export."""
        self._buf += self._decode(b"", True)
        out = self._run(final=True)
        if self._in_cdata:
            self.truncated = True
            self._repair_at("truncated", len(self._buf), "the export ends inside a CDATA section; closed it")
            out += _CDATA_CLOSE.encode()
            self._in_cdata = False
        return out

    def _run(self, final: bool) -> bytes:
        if not self._started:
            if not self._start(final):
                return b""
        buf = self._buf
        out: list[str] = []
        pos = 0
        n = len(buf)
        while pos < n:
            if self._in_comment:
                j = buf.find("-->", pos)
                if j < 0:
                    end = n if final else max(pos, n - 2)
                    out.append(self._inside(buf, pos, end))
                    pos = end
                    break
                out.append(self._inside(buf, pos, j + 3))
                pos = j + 3
                self._in_comment = False
            elif not self._in_cdata:
                m = _SPECIAL_OPEN.search(buf, pos)
                if m is None:
                    end = n if final else self._outside_safe_end(buf, pos)
                    if end <= pos:
                        break
                    out.append(self._outside(buf, pos, end, eof=final))
                    pos = end
                    break
                i = m.start()
                out.append(self._outside(buf, pos, i, eof=False))
                out.append(m.group())
                pos = m.end()
                if m.group() == _CDATA_OPEN:
                    self._in_cdata = True
                else:
                    self._in_comment = True
            else:
                j = buf.find(_CDATA_CLOSE, pos)
                if j < 0:
                    end = n if final else max(pos, n - 2)
                    out.append(self._inside(buf, pos, end))
                    pos = end
                    break
                blanks = _BLANKS.match(buf, j + 3)
                k = blanks.end() if blanks else j + 3
                if k == n and not final and n - j < _MAX_TAG:
                    out.append(self._inside(buf, pos, j))
                    pos = j  # wait for what follows the "]]>" (within reason: then it ends)
                    break
                out.append(self._inside(buf, pos, j))
                if k == n or buf[k] == "<":
                    out.append(_CDATA_CLOSE)
                    self._in_cdata = False
                else:
                    # A "]]>" that is content, not the end: split it the way WordPress does.
                    self._repair_at("cdata-terminator", j, "']]>' inside CDATA escaped")
                    out.append("]]]]><![CDATA[>")
                pos = j + 3
        nl = buf.rfind("\n", 0, pos)
        self._col0 = pos - nl - 1 if nl >= 0 else self._col0 + pos
        self._set_buffer(buf[pos:], self._line + buf.count("\n", 0, pos))
        return "".join(out).encode("utf-8")

    def _outside_safe_end(self, buf: str, pos: int) -> int:
        """Where text outside CDATA may be cut for filtering while more input is to come.

        The last :data:`_HOLD` characters wait for the next chunk, and the cut never falls
        inside an entity reference or a tag (shorter than :data:`_MAX_TAG`): the checks on markup need a tag whole (a
        ``<!DOC`` + ``TYPE`` split would slip past the DOCTYPE check, and a split
        ``<![CDATA[`` would not be seen as one), and ``&#x20`` + ``2E;`` would be taken
        for a raw ampersand and escaped.
        """
        end = len(buf) - _HOLD
        if end <= pos:
            return end
        lt = buf.rfind("<", pos, end)
        if lt >= 0 and end - lt < _MAX_TAG and buf.find(">", lt, end) < 0:
            end = lt
        amp = buf.rfind("&", max(pos, end - _HOLD), end)
        if amp >= 0 and buf.find(";", amp, end) < 0:
            end = amp
        return end

    def _outside(self, buf: str, start: int, end: int, *, eof: bool) -> str:
        """Filter markup and text outside CDATA: controls, entities, prefixes, DTDs.

        The checks run one after another over the stretch; their repairs are then told in
        input order, so that --strict refuses the first thing wrong, not the first check's.
        """
        self._held = []
        try:
            seg = self._outside_checks(buf, start, end, eof=eof)
        finally:
            held, self._held = self._held, None
        for line, column, kind, detail in sorted(held, key=lambda r: (r[0], r[1])):
            self._repair(kind, line, detail, column)
        return seg

    def _outside_checks(self, buf: str, start: int, end: int, *, eof: bool) -> str:
        seg = buf[start:end]
        if "<!" in seg:
            m = _DOCTYPE.search(seg)
            if m:
                pos = start + m.start()
                raise InputError(
                    self.name, "a DOCTYPE or ENTITY declaration is not allowed in a WXR export",
                    self._line_at(pos), self._col_at(pos),
                )
        if _CONTROL.search(seg):
            seg = self._strip_controls(seg, start)
        if "&" in seg and _BAD_AMP.search(seg):
            seg = self._fix_ampersands(seg, start)
        if "xmlns" in seg and _NS_DECL_BAD.search(seg):
            before = seg
            seg = _START_TAG.sub(lambda m: self._fix_namespace_uris(before, m, start), seg)
        if self._pending_prefixes:
            for prefix in sorted(self._pending_prefixes):
                at = seg.find("<" + prefix + ":")
                if at >= 0:
                    self._pending_prefixes.discard(prefix)
                    self._repair_in(
                        "undeclared-prefix", start, seg, at,
                        f"namespace prefix '{prefix}' used but never declared; declared it",
                    )
        if eof:
            lt = seg.rfind("<")
            if lt >= 0 and seg.find(">", lt) < 0:
                self.truncated = True
                self._repair_in("truncated", start, seg, lt, "the export ends inside a tag; dropped the partial tag")
                seg = seg[:lt]
        return seg

    def _inside(self, buf: str, start: int, end: int) -> str:
        """Filter CDATA content: only characters XML cannot carry at all are touched."""
        seg = buf[start:end]
        if _CONTROL.search(seg):
            seg = self._strip_controls(seg, start)
        return seg

    def _strip_controls(self, seg: str, start: int) -> str:
        m = _CONTROL.search(seg)
        assert m is not None
        count = len(_CONTROL.findall(seg))
        self._repair_in(
            "control-char", start, seg, m.start(),
            f"{count} control character(s) removed (first U+{ord(m.group()):04X})",
        )
        return _CONTROL.sub("", seg)

    def _fix_ampersands(self, seg: str, start: int) -> str:
        def fix(m: re.Match[str]) -> str:
            name = m.group(1)
            if name and name[:-1] in name2codepoint:
                self._repair_in("html-entity", start, seg, m.start(), f"HTML entity &{name} made numeric")
                return f"&#{name2codepoint[name[:-1]]};"
            self._repair_in("raw-ampersand", start, seg, m.start(), "raw '&' escaped")
            return "&amp;" + (name or "")

        return _BAD_AMP.sub(fix, seg)

    def _fix_namespace_uris(self, seg: str, tag: re.Match[str], start: int) -> str:
        """Percent-encode the namespace URIs of one start tag that libxml2 would refuse.

        libxml2 reports such a declaration only when the document ends, after every item
        was read; the names of foreign namespaces do not matter to an export, so they are
        mapped to valid URIs the way RFC 3987 maps an IRI to a URI.
        """

        def fix(m: re.Match[str]) -> str:
            quote_char = '"' if m.group(2) is not None else "'"
            value = m.group(2) if m.group(2) is not None else m.group(3)
            self._repair_in(
                "namespace-uri", start, seg, tag.start() + m.start(1) + len(m.group(1)),
                f"namespace URI {value!r} is not a valid URI; percent-encoded it",
            )
            return f"{m.group(1)}{quote_char}{quote(value, safe=_URI_SAFE)}{quote_char}"

        return _NS_DECL_BAD.sub(fix, tag.group())

    def _start(self, final: bool) -> bool:
        """Handle the head of the file: junk before ``<?xml``, the declaration, ``<rss>``."""
        buf = self._buf
        head_end = buf.find(">", buf.find("<rss")) if "<rss" in buf else -1
        if head_end < 0 and not final and len(buf) < 1 << 20:
            return False  # wait until the <rss ...> start tag is in
        self._started = True
        lead = buf.lstrip("\ufeff")
        decl = _XML_DECL.search(lead, 0, 1 << 16)
        first_tag = lead.find("<")
        cut = decl.start() if decl else first_tag
        if cut > 0 and lead[:cut].strip():
            dropped = lead[:cut]
            self._repair("leading-junk", 1, f"{len(dropped.strip())} characters before the XML declaration dropped")
        elif cut > 0 and decl:
            dropped = lead[:cut]
            self._repair("leading-junk", 1, "blank lines before the XML declaration dropped")
        else:
            dropped = ""
        line = self._line
        if dropped:
            self.lines_dropped = dropped.count("\n")
            line += self.lines_dropped
            self._col0 = len(dropped) - dropped.rfind("\n") - 1
            lead = lead[len(dropped):]
        # We hand lxml UTF-8 whatever the input's encoding was. A declaration written over
        # several lines keeps its line breaks, so that lxml's line numbers stay the input's.
        m = _XML_DECL.match(lead)
        if m:
            lead = '<?xml version="1.0" encoding="UTF-8"?>' + "\n" * m.group().count("\n") + lead[m.end():]
        rss = _RSS_OPEN.search(lead)
        if rss:
            declared = {p for p, _ in _XMLNS.findall(rss.group())}
            missing = [p for p in STANDARD_PREFIXES if p not in declared]
            if missing:
                extra = "".join(f' xmlns:{p}="{STANDARD_PREFIXES[p]}"' for p in missing)
                tag = rss.group()
                close = len(tag) - 1 - (1 if tag.endswith("/>") else 0)
                lead = lead[: rss.start()] + tag[:close] + extra + tag[close:] + lead[rss.end():]
                self._pending_prefixes.update(missing)
        self._set_buffer(lead, line)
        return True


def _sniff_encoding(head: bytes) -> str:
    """The input's encoding: its BOM, else its XML declaration, else UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    m = _DECL_ENCODING.search(head[:1024])
    if m:
        name = m.group(1).decode("ascii").lower()
        try:
            found = codecs.lookup(name).name
        except LookupError:
            return "utf-8"
        # A declaration readable as ASCII bytes means the file is not UTF-16/32, whatever
        # it claims (without a BOM those would put NUL bytes between the letters).
        return "utf-8" if found.startswith(("utf-16", "utf-32")) else found
    return "utf-8"
