"""Cutting a well-formed export into its ``<item>`` elements without parsing it.

With several processes, the main process need not parse the items it hands to workers:
it finds where each ``<item>…</item>`` begins and ends (a byte scan that steps over CDATA
sections, comments and processing instructions, where ``<item>`` may appear as text) and
each worker parses its own items. This is only for exports lxml has already shown to be
clean up to the first item, in UTF-8 (see :meth:`wpconvert.reader.Export.raw_items`).
Anything unexpected — text between items, an item inside an item, a truncated file, an
element after the last item — raises :class:`SplitFailed`, and so does an item that does
not parse; the conversion then runs again the ordinary way, which repairs or reports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

CHUNK = 1 << 20

# What the scan stops at. "<item" must be the whole name ("<items>" is another element).
_TOKEN = re.compile(rb"<!\[CDATA\[|<!--|<\?|<item(?=[\s>/])|</item\s*>|</channel\s*>")
_SKIP_TO = {b"<![CDATA[": b"]]>", b"<!--": b"-->", b"<?": b"?>"}
_TAIL = re.compile(rb"\s*</rss\s*>\s*")
_AFTER_NAME = (b" ", b"\t", b"\r", b"\n", b">")
# XML's whitespace: what may stand between two items.
_SPACE = re.compile(rb"[ \t\r\n]*")
# The encodings this scan can read bytes of: UTF-8 and its subset.
_DECLARED = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class SplitFailed(Exception):
    """The export is not one the scan can cut: convert it the ordinary way."""


def can_split(head: bytes) -> bool:
    """Whether a file starting with ``head`` is in an encoding the scan reads (UTF-8)."""
    m = _DECLARED.match(head)
    return m is None or m.group(1).lower() in (b"utf-8", b"utf8", b"us-ascii", b"ascii")


def split_items(stream: IO[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """Yield (line, offset, bytes) for each ``<item>`` element of ``stream``, in order
    (``offset``: where its bytes start in the stream)."""
    buf = b""
    base = 0  # absolute offset of buf[0]
    pos = 0  # where the scan goes on, in buf
    line, counted = 1, 0  # the line at absolute offset `counted`
    start = -1  # where the open item began, in buf
    seen_item = False
    size = CHUNK
    eof = False
    while True:
        m = _TOKEN.search(buf, pos)
        end = -1
        if m is not None:
            tok = m.group()
            close = _SKIP_TO.get(tok)
            if close is not None:
                end = buf.find(close, m.end())
                if end >= 0:
                    end += len(close)
            else:
                end = m.end()
        if m is None or end < 0:
            if eof:
                raise SplitFailed("the export ends inside an element")
            if start < 0 and m is None:
                # Outside an item, what was scanned holds no token but perhaps the start of
                # one at the very end: step over the rest (space only, between items).
                skip = max(pos, len(buf) - 32)
                if seen_item and _SPACE.fullmatch(buf, pos, skip) is None:
                    raise SplitFailed("text between items")
                pos = skip
            # Read on, keeping what is still needed: the open item, or what is not scanned.
            keep = start if start >= 0 else pos
            line += _lines(buf, counted - base, keep)
            counted = max(counted, base + keep)
            buf, base = buf[keep:], base + keep
            pos -= keep
            if start >= 0:
                start = 0
            more = stream.read(size)
            if not more:
                eof = True
            elif m is not None:
                size = min(size * 2, 64 * CHUNK)  # a long CDATA section: read more at a time
            buf += more
            continue
        if tok in _SKIP_TO:
            if start < 0 and seen_item:
                if _SPACE.fullmatch(buf, pos, m.start()) is None:
                    raise SplitFailed("text between items")
                if not _plain(tok, buf[m.end():end - len(_SKIP_TO[tok])]):
                    # Stepped over here, but read by lxml on the ordinary way: what it would
                    # repair or refuse (a control character) must not go unreported.
                    raise SplitFailed("a CDATA section, or an odd comment or processing instruction, between items")
            pos = end
            continue
        if tok.startswith(b"<item"):
            if start >= 0 or (seen_item and _SPACE.fullmatch(buf, pos, m.start()) is None):
                raise SplitFailed("an item inside an item, or text between items")
            start = m.start()
            line += _lines(buf, counted - base, start)
            counted = base + start
            pos = m.end()
            # The quick way, item after item, while it holds: an item ends at the first
            # "</item>" when the last CDATA section before it is closed (sections do not
            # nest, and "]]>" cannot stand in text; a wrong guess cannot pass anyway: each
            # item is parsed on its own, see build_raw).
            while True:
                stop = buf.find(b"</item>", pos)
                if stop < 0:
                    break
                last = buf.rfind(b"<![CDATA[", start, stop)
                if last >= 0 and buf.find(b"]]>", last + 9, stop) < 0:
                    break  # the careful scan, token by token (and reading on)
                pos = stop + 7
                yield line, base + start, buf[start:pos]
                seen_item = True
                start = -1
                size = CHUNK
                nxt = buf.find(b"<", pos)
                if nxt < 0 or buf[nxt + 1:nxt + 5] != b"item" or buf[nxt + 5:nxt + 6] not in _AFTER_NAME \
                        or _SPACE.fullmatch(buf, pos, nxt) is None:
                    break
                start = nxt
                line += _lines(buf, counted - base, start)
                counted = base + start
                pos = nxt + 5
            continue
        if tok.startswith(b"</item"):
            if start < 0:
                raise SplitFailed("an item closed that was not open")
            yield line, base + start, buf[start:end]
            seen_item = True
            start, pos = -1, end
            size = CHUNK
            continue
        # </channel>: only space before it, and nothing but </rss> after it.
        if start >= 0 or (seen_item and _SPACE.fullmatch(buf, pos, m.start()) is None):
            raise SplitFailed("an element after the last item")
        rest = buf[end:] + stream.read()
        if _TAIL.fullmatch(rest) is None:
            raise SplitFailed("something after the channel")
        return


# What XML 1.0 forbids: the C0 controls but TAB, LF and CR; U+FFFE and U+FFFF.
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
# A processing instruction's target (ASCII names only), then space or nothing.
_PI_TARGET = re.compile(rb"([A-Za-z_][A-Za-z0-9._-]*)(?:[ \t\r\n]|$)")


def _plain(token: bytes, text: bytes) -> bool:
    """Whether a comment's or processing instruction's ``text`` (between the delimiters)
    is one lxml reads as it is: UTF-8 and XML characters only; a comment without "--" in it
    or "-" at its end; an instruction with a plain target other than "xml"."""
    if token == b"<!--":
        if b"--" in text or text.endswith(b"-"):
            return False
    elif token == b"<?":
        target = _PI_TARGET.match(text)
        if target is None or target.group(1).lower() == b"xml":
            return False
    else:  # CDATA: text in the channel, which the ordinary way reads (and ignores)
        return False
    if _NOT_XML.search(text):
        return False
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _lines(buf: bytes, start: int, end: int) -> int:
    """Line ends in ``buf[start:end]``, counted as libxml2 counts them for element lines: LF
    only. (libxml2 is itself a line off now and then in long exports: a problem's line
    may differ by one between -j 1 and a cut -j N.)"""
    return buf.count(b"\n", start, end)
