"""The standard HTML parser's main loop, with fast paths for the input html2text gets here.

:class:`FastParsing` goes before ``html2text.HTML2Text`` among the bases of the converter of
:mod:`.html2md`. Most of what the converter parses is text and a few kinds of tags written
the same way every time (``<p>``, ``</em>``, ``<br />``, ``<a href="…">``): for those, it
calls the handlers the standard parser (``html.parser.HTMLParser``) would call, in its
order, without its general machinery; from anything else on, the standard code takes over.
tests/test_html2md.py checks that the result is the standard parser's.
"""

from __future__ import annotations

import html.parser
import re
from collections.abc import Callable

__all__ = ["FastParsing"]

# Tags the parser's fast paths take (see FastParsing.parse_starttag): lower case, without
# attributes, of elements whose content is ordinary markup; "<br />" too.
_PLAIN_TAG_NAMES = r"(p|div|span|em|strong|b|i|u|s|del|strike|li|ul|ol|blockquote|h[1-6]|dl|dt|dd|br|hr|sup|sub|code)"
_PLAIN_START_TAG = re.compile("<" + _PLAIN_TAG_NAMES + "( ?/)?>")
_PLAIN_END_TAG = re.compile("</" + _PLAIN_TAG_NAMES + ">")
# One step of FastParsing.goahead(): the text up to the next "<" or "&" (group 1, maybe empty),
# then a plain end tag (group 2: its name; "</a>" too, which the standard parser hands over
# as it does the others) or a plain start tag (group 3, with group 4 for "<br />"); neither
# when what follows the text is anything else.
_STEP = re.compile("([^&<]*)(?:</(a|" + _PLAIN_TAG_NAMES[1:] + ">|<" + _PLAIN_TAG_NAMES + "( ?/)?>)?")
# Start tags with attributes in the commonest form (<img src="…" alt="…" />, <a href="…">):
# lower-case names, one space before each attribute, values in double quotes without "&"
# (nothing to decode) or "<" or ">".
_SIMPLE_START_TAG = re.compile(r'<([a-z][a-z0-9]*)((?: [a-z][-a-z0-9]*="[^"&<>]*")+)( ?/)?>')
_SIMPLE_ATTR = re.compile(r' ([a-z][-a-z0-9]*)="([^"]*)"')
# What the standard parser's loop looks for (html.parser's charref, entityref, incomplete;
# its interesting_normal, the next "<" or "&", is in _STEP): complete character and entity
# references, and the start of one not complete yet.
_CHARREF = re.compile("&#((?:[0-9]+|[xX][0-9a-fA-F]+))[^0-9a-fA-F]")
_ENTITYREF = re.compile("&([a-zA-Z][-.a-zA-Z0-9]*)[^a-zA-Z0-9]")
_INCOMPLETE = re.compile("&[a-zA-Z#]")


class FastParsing(html.parser.HTMLParser):
    """Fast paths through the standard parser, for html2text's settings (no conversion of
    character references in text)."""

    # html2text's handler of start and end tags (the converter's override of it), which the
    # standard parser's handle_starttag() and handle_endtag() call; declared, not defined,
    # so that the converter's call to html2text's own finds it.
    handle_tag: Callable[[str, dict[str, str | None], bool], None]

    def updatepos(self, i: int, j: int) -> int:
        # The parser counts lines and columns on every step, for error messages only
        # (getpos()); html2text never asks.
        return j

    def goahead(self, end: bool) -> None:
        """The standard parser's main loop, for html2text's settings (no conversion of
        character references in text) and its usual input: text, tags (plain ones, see
        _STEP, handled here; others through the fast paths of parse_starttag() and
        parse_endtag()), complete character and entity references. From the first thing of any other kind (a comment, a declaration, a lone
        ``<``, an unfinished construct, the inside of ``<script>``) the standard loop takes
        the rest. The methods called are the ones it would call, in its order."""
        if self.convert_charrefs:  # pragma: no cover - html2text turns it off
            super().goahead(end)
            return
        rawdata = self.rawdata
        n = len(rawdata)
        i = 0
        handle_data = self.handle_data
        handle_tag = self.handle_tag
        step = _STEP.match
        while i < n:
            if self.cdata_elem is not None:
                break  # inside <script> or <style>: the standard loop has the rules
            m = step(rawdata, i)
            assert m is not None  # the pattern matches the empty string
            text, end_name, name, empty = m.groups()
            if text:
                handle_data(text)
            i = m.end()
            if end_name is not None:
                # What parse_endtag() does for a plain end tag (its clear_cdata_mode() has
                # nothing to clear outside <script> and <style>).
                handle_tag(end_name, {}, False)
                continue
            if name is not None:
                # What parse_starttag() does for a plain start tag.
                self._HTMLParser__starttag_text = rawdata[m.start() + len(text) : i]
                self.lasttag = name
                handle_tag(name, {}, True)
                if empty:
                    handle_tag(name, {}, False)
                continue
            if i == n:
                break
            if rawdata.startswith("</", i):
                k = self.parse_endtag(i)
            elif rawdata[i] == "<":
                nxt = rawdata[i + 1 : i + 2]
                if not (nxt.isascii() and nxt.isalpha()):
                    break  # a comment, a declaration, a lone "<"
                k = self.parse_starttag(i)
            elif rawdata.startswith("&#", i):
                m = _CHARREF.match(rawdata, i)
                if m is None:
                    break
                self.handle_charref(m.group(1))
                # The reference ends with ";" or before the character that ended it.
                k = m.end() if rawdata[m.end() - 1] == ";" else m.end() - 1
            else:
                m = _ENTITYREF.match(rawdata, i)
                if m is None:
                    if i + 1 == n or _INCOMPLETE.match(rawdata, i):
                        break
                    handle_data("&")  # "bread & butter"
                    i += 1
                    continue
                self.handle_entityref(m.group(1))
                k = m.end() if rawdata[m.end() - 1] == ";" else m.end() - 1
            if k < 0:
                break  # unfinished: the standard loop knows what to do at the end
            i = k
        self.rawdata = rawdata[i:]
        if i < n:
            super().goahead(end)

    def parse_starttag(self, i: int) -> int:
        # Fast path for the commonest tags, written without attributes: the standard
        # parser's general attribute parsing would end in these same calls.
        m = _PLAIN_START_TAG.match(self.rawdata, i)
        if m is None:
            m = _SIMPLE_START_TAG.match(self.rawdata, i)
            if m is None or m.group(1) in self.CDATA_CONTENT_ELEMENTS:
                return int(super().parse_starttag(i))
            # Lower-case names, values in double quotes with nothing to decode: what the
            # standard parser would make of them, as it would hand them over.
            self._HTMLParser__starttag_text = m.group()
            tag = self.lasttag = m.group(1)
            attrs = _SIMPLE_ATTR.findall(m.group(2))
            if m.group(3):
                self.handle_startendtag(tag, attrs)
            else:
                self.handle_starttag(tag, attrs)
            return m.end()
        self._HTMLParser__starttag_text = m.group()  # what the parser keeps for get_starttag_text()
        tag = self.lasttag = m.group(1)
        # handle_starttag() and handle_endtag() of html2text, without their wrapping.
        self.handle_tag(tag, {}, True)
        if m.group(2):
            self.handle_tag(tag, {}, False)
        return m.end()

    def parse_endtag(self, i: int) -> int:
        # Fast path, as parse_starttag(); inside <script> or <style> the parser has rules
        # of its own.
        m = _PLAIN_END_TAG.match(self.rawdata, i)
        if m is None or self.cdata_elem is not None:
            return int(super().parse_endtag(i))
        self.handle_tag(m.group(1), {}, False)  # html2text's handle_endtag()
        self.clear_cdata_mode()
        return m.end()
