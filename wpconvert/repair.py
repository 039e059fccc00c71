"""A streaming filter that mends the ways real WordPress exports are not well-formed XML.

It sits between the raw bytes and lxml. It decodes the input, repairs what can be repaired
safely and hands UTF-8 on; each repair is reported with its kind and line. In strict mode
it raises at the first thing it would have repaired instead.

What real exports get wrong, and what is done about it:

* text, a BOM or blank lines before ``<?xml`` (plugins echo output during the export):
  dropped (``leading-junk``);
* bytes that are not valid in the declared encoding: replaced by U+FFFD (``bad-encoding``);
* control characters XML 1.0 forbids, pasted in from word processors (``control-char``):
  removed;
* namespace prefixes used but never declared: WordPress.com exports wrote ``<atom:link>``
  for years without declaring ``atom`` (``undeclared-prefix``): declared on ``<rss>``;
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
from collections.abc import Callable
from html.entities import name2codepoint

from .errors import InputError

RepairSink = Callable[[str, int, str], None]

_CDATA_OPEN = "<![CDATA["
_CDATA_CLOSE = "]]>"
# XML comments are passed through like CDATA: a "&" in them is no error.
_SPECIAL_OPEN = re.compile(r"<!\[CDATA\[|<!--")
# Held back at the end of a chunk outside CDATA: enough for "<![CDATA[" and "&entity;".
_HOLD = 40

# XML 1.0 allows TAB, LF and CR among the C0 controls, and forbids U+FFFE and U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_ENTITIES = frozenset(("amp", "lt", "gt", "quot", "apos"))
_BAD_AMP = re.compile(r"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{0,31};)?")
_DOCTYPE = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL = re.compile(r"<\?xml[^>]*\?>")
_DECL_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_RSS_OPEN = re.compile(r"<rss\b[^>]*>", re.DOTALL)
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
        self._pending_prefixes: set[str] = set()
        self.lines_dropped = 0  # lines removed before <?xml, for mapping lxml's line numbers
        self.truncated = False

    @property
    def line(self) -> int:
        """The input line the filter has reached."""
        return self._line + self._buf.count("\n")

    # -- reporting ----------------------------------------------------------------------
    def _repair(self, kind: str, line: int, detail: str) -> None:
        if self.strict:
            raise InputError(self.name, f"broken input ({kind}), refused by --strict: {detail}", line, 1)
        self._sink(kind, line, detail)

    def _line_at(self, pos: int) -> int:
        return self._line + self._buf.count("\n", 0, pos)

    # -- decoding -----------------------------------------------------------------------
    def _decode(self, data: bytes, final: bool) -> str:
        if self._decoder is None:
            if not final and len(self._raw) + len(data) < 1024:
                self._raw += data
                return ""
            data, self._raw = self._raw + data, b""
            self._encoding = _sniff_encoding(data)
            self._decoder = codecs.getincrementaldecoder(self._encoding)("strict")
        try:
            return self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            # Redo this chunk leniently; U+FFFD marks each bad byte.
            line = self._line + self._buf.count("\n")
            self._repair("bad-encoding", line, f"bytes not valid {self._encoding} replaced: {exc.reason}")
            self._decoder = codecs.getincrementaldecoder(self._encoding)("replace")
            return self._decoder.decode(data, final)

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
            self._repair("truncated", self._line, "the export ends inside a CDATA section; closed it")
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
                k = j + 3
                while k < n and buf[k] in " \t\r\n":
                    k += 1
                if k == n and not final:
                    out.append(self._inside(buf, pos, j))
                    pos = j  # wait for what follows the "]]>"
                    break
                out.append(self._inside(buf, pos, j))
                if k == n or buf[k] == "<":
                    out.append(_CDATA_CLOSE)
                    self._in_cdata = False
                else:
                    # A "]]>" that is content, not the end: split it the way WordPress does.
                    self._repair("cdata-terminator", self._line_at(j), "']]>' inside CDATA escaped")
                    out.append("]]]]><![CDATA[>")
                pos = j + 3
        self._line += buf.count("\n", 0, pos)
        self._buf = buf[pos:]
        return "".join(out).encode("utf-8")

    def _outside_safe_end(self, buf: str, pos: int) -> int:
        end = len(buf) - _HOLD
        # A tag that has begun but not ended may be the start of "<![CDATA[": hold it.
        lt = buf.rfind("<", max(pos, end - 1))
        if lt >= 0 and buf.find(">", lt) < 0:
            end = min(end, lt)
        return end

    def _outside(self, buf: str, start: int, end: int, *, eof: bool) -> str:
        """Filter markup and text outside CDATA: controls, entities, prefixes, DTDs."""
        seg = buf[start:end]
        if _CONTROL.search(seg):
            seg = self._strip_controls(seg, start)
        if "&" in seg and _BAD_AMP.search(seg):
            seg = self._fix_ampersands(seg, start)
        if "<!" in seg:
            m = _DOCTYPE.search(seg)
            if m:
                line = self._line_at(start + m.start())
                raise InputError(self.name, "a DOCTYPE or ENTITY declaration is not allowed in a WXR export", line, 1)
        if self._pending_prefixes:
            for prefix in sorted(self._pending_prefixes):
                at = seg.find("<" + prefix + ":")
                if at >= 0:
                    self._pending_prefixes.discard(prefix)
                    self._repair(
                        "undeclared-prefix",
                        self._line_at(start + at),
                        f"namespace prefix '{prefix}' used but never declared; declared it",
                    )
        if eof:
            lt = seg.rfind("<")
            if lt >= 0 and seg.find(">", lt) < 0:
                self.truncated = True
                line = self._line_at(start + lt)
                self._repair("truncated", line, "the export ends inside a tag; dropped the partial tag")
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
        self._repair(
            "control-char",
            self._line_at(start + m.start()),
            f"{count} control character(s) removed (first U+{ord(m.group()):04X})",
        )
        return _CONTROL.sub("", seg)

    def _fix_ampersands(self, seg: str, start: int) -> str:
        def fix(m: re.Match[str]) -> str:
            name = m.group(1)
            if name and name[:-1] in name2codepoint:
                self._repair("html-entity", self._line_at(start + m.start()), f"HTML entity &{name} made numeric")
                return f"&#{name2codepoint[name[:-1]]};"
            self._repair("raw-ampersand", self._line_at(start + m.start()), "raw '&' escaped")
            return "&amp;" + (name or "")

        return _BAD_AMP.sub(fix, seg)

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
        if dropped:
            self.lines_dropped = dropped.count("\n")
            self._line += self.lines_dropped
            lead = lead[len(dropped):]
        # We hand lxml UTF-8 whatever the input's encoding was.
        m = _XML_DECL.match(lead)
        if m:
            lead = '<?xml version="1.0" encoding="UTF-8"?>' + lead[m.end():]
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
        self._buf = lead
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
            return codecs.lookup(name).name
        except LookupError:
            return "utf-8"
    return "utf-8"
