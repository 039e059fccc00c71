"""HTML → Markdown: html2text, tuned for fidelity, plus what html2text does badly.

:func:`html_to_markdown` is the last stage of the content pipeline. It first runs
:func:`.htmlprep.prepare_html`, which takes out, as protection tokens of the
:class:`TransformContext`, whatever html2text would mangle (``<pre>`` listings, tables,
raw HTML such as ``<iframe>`` or ``<script>``, figures); then html2text converts the rest,
and a tidy step cleans up its output. This is the only module that imports html2text.

html2text itself is configured for fidelity (no wrapping, no ASCII substitution, inline
links, image titles, ``*`` emphasis that works inside words and in scripts without spaces)
and a subclass fixes the places where it changes the text: it no longer inserts spaces around
emphasis (which altered CJK text), no longer collapses no-break and ideographic spaces, and
escapes ``<`` and ``&`` that came from entities so that ``&lt;div&gt;`` stays text. For
speed, it also takes fast paths through html2text's and the standard HTML parser's code in
the commonest cases (plain tags, text that needs no escaping; the parser's are in
:mod:`.htmlscan`); tests/test_html2md.py checks that they give what that code gives.

Tokens are *not* restored here: the pipeline calls :meth:`TransformContext.restore` once at
the end. Every call gets a fresh html2text parser, in the state its constructor gives (copied
from one built once: see :func:`_fresh_converter`): a parser that saw broken HTML can keep
state (open lists, quote depth) into the next document.
"""

from __future__ import annotations

import html
import re

import html2text
from html2text.elements import ListElement
from html2text.utils import escape_md, escape_md_section

from .context import TransformContext
from .htmlprep import BR_MARK as _BR_MARK
from .htmlprep import prepare_html
from .htmlscan import FastParsing
from .mdtext import AMP_PH as _AMP_PH
from .mdtext import UNICODE_SPACES as _UNICODE_SPACES
from .mdtext import prepare_inline, tidy

__all__ = ["html_to_markdown"]

# Non-ASCII spaces travel through html2text as "\x01<hex>\x02": html2text collapses every
# Unicode space to " " (so "a&nbsp;&nbsp;b" or a Japanese U+3000 indent would change).
_SPACE_PH = re.compile("\x01([0-9a-f]+)\x02")

_EMPHASIS_TAGS = {"em": "*", "i": "*", "u": "*", "strong": "**", "b": "**", "del": "~~", "s": "~~", "strike": "~~"}


# A superset of what html2text's escape_md_section() escapes (with escape_snob off): a
# backslash, or "1." "+" "-" after the spaces that start a line. Text without a match (most
# of it) is left as it is without running its four substitutions (see _may_need_escape()).
_MAY_ESCAPE = re.compile(r"\\|^\s*(?:\d+\.|[+-])", re.M)
_MARKER_FIRST = re.compile(r"\s*(?:\d+\.|[+-])")


def _may_need_escape(text: str) -> bool:
    """``_MAY_ESCAPE.search(text)``, sooner: a regex search tries every position, but a
    line starts only at the beginning or after a newline."""
    if "\\" in text or _MARKER_FIRST.match(text):
        return True
    return "\n" in text and _MAY_ESCAPE.search(text) is not None

# html2text's collapse of white space in text (its o() calls re.sub(r"\s+", " ", data)).
_WHITESPACE = re.compile(r"\s+")

# What html2text's escape_md() escapes.
_MD_SPECIAL = html2text.config.RE_MD_CHARS_MATCHER
_LABEL_SPECIAL = re.compile(r"([\\\[\]])")
_URL_SPECIAL = re.compile(r"[\s()<>]")


def _escape_md(text: str) -> str:
    """html2text's escape_md(), which most text passes unchanged, without its substitution then."""
    return escape_md(text) if _MD_SPECIAL.search(text) else text


def _md_label(text: str) -> str:
    """Text for inside ``[...]``: one line, brackets and backslashes escaped."""
    return _LABEL_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _md_url(url: str) -> str:
    """A link destination; ``<...>`` when it holds spaces or parentheses."""
    url = url.strip()
    if _URL_SPECIAL.search(url):
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


class _Converter(FastParsing, html2text.HTML2Text):
    """html2text with the options and fixes described in the module docstring."""

    def __init__(self) -> None:
        super().__init__(bodywidth=0)
        self.unicode_snob = True
        self.inline_links = True
        self.protect_links = True
        self.wrap_links = False
        self.wrap_list_items = False
        self.ul_item_mark = "-"
        self.emphasis_mark = "*"
        self.strong_mark = "**"
        self.include_sup_sub = True
        self.use_automatic_links = True
        self.skip_internal_links = False  # "#section" links are content (footnotes, tables of contents)
        # Marks of the open lists; "-" or "*" for bullets, "." or ")" for numbers.
        self._marks: list[str] = []
        self._last_top_mark = ""
        self._emphasis_depth: dict[str, int] = {}

    def _link_text_starts(self) -> None:
        # The first output inside <a> opens the link text (html2text's own rule).
        if self.maybe_automatic_link is not None:
            self.o("[")
            self.maybe_automatic_link = None
            self.empty_link = False

    def handle_tag(self, tag: str, attrs: dict[str, str | None], start: bool) -> None:
        if tag == "p" or tag == "div":
            # The most frequent tags, done as html2text does them (no other rule of its
            # handle_tag() applies to them with these options).
            self.current_tag = tag
            if not self.astack and not self.split_next_td:
                self.p_p = 1 if self.single_line_break else 2  # html2text's p()
            self.lastWasList = False
            return
        mark = _EMPHASIS_TAGS.get(tag)
        if mark is not None:
            # Unlike html2text: no space inserted before or after the marks. Spaces were
            # moved outside the element beforehand, and "*" emphasis works inside words.
            self.current_tag = tag
            # Nested emphasis of one kind (<b><strong>…) is written once: "****" breaks it.
            depth = self._emphasis_depth.get(mark, 0)
            self._emphasis_depth[mark] = depth + 1 if start else max(depth - 1, 0)
            if (start and depth == 0) or (not start and depth == 1):
                if start:
                    self._link_text_starts()
                self.o(mark)
            return
        if tag == "br":
            self.current_tag = tag
            if start:
                self._link_text_starts()
                quote = ">" * self.blockquote + " " if self.blockquote else ""
                self.o(_BR_MARK + "\n" + quote + (self.list_code_indent if self.list else ""))
                self.lastWasNL = True  # a line starts: no space from the source's newline
            return
        if tag == "li":
            self._list_item(start)
            return
        if tag in ("ul", "ol"):
            self._list(tag, start)
        if tag == "img":
            self.current_tag = tag
            src = attrs.get("src") or ""
            if not src or src.startswith("data:"):
                # Lazy-loading plugins that write into the content keep the real address in
                # data-src (or data-lazy-src) and a placeholder in src.
                src = attrs.get("data-src") or attrs.get("data-lazy-src") or src
            if start and src:
                self._link_text_starts()
                title = " ".join((attrs.get("title") or "").split())
                title_md = ' "' + title.replace("\\", "\\\\").replace('"', '\\"') + '"' if title else ""
                alt = _md_label(attrs.get("alt") or "")
                self.o(f"![{alt}]({_md_url(src)}{title_md})")
            return
        if tag in ("dl", "dt", "dd"):
            self._definition(tag, start)
            return
        if tag == "abbr":
            # html2text appends "*[ABBR]: title" definitions (a Markdown Extra feature most
            # renderers show as text); the abbreviation itself is kept as plain text.
            self.current_tag = tag
            return
        if tag == "a":
            self._link(attrs, start)
            return
        super().handle_tag(tag, attrs, start)

    def _link(self, attrs: dict[str, str | None], start: bool) -> None:
        # What html2text's handle_tag() does for <a> with these options (inline links in <…>,
        # none skipped, no base URL: its urljoin() gives the address as it is), without running
        # its escape_md() substitution on an address or title with nothing to escape.
        self.current_tag = "a"
        self.lastWasList = False  # html2text: any tag but <ol> and <ul>
        if start:
            self._link_text_starts()
            href = attrs.get("href")
            if href is None:
                self.astack.append(None)
                return
            self.astack.append(attrs)
            self.maybe_automatic_link = href
            self.empty_link = True
            attrs["href"] = "<" + href + ">"
            return
        if not self.astack:
            return
        a = self.astack.pop()
        if self.maybe_automatic_link and not self.empty_link:
            self.maybe_automatic_link = None  # the text was the address: written as <URL>
        elif a:
            if self.empty_link:
                self.o("[")
                self.empty_link = False
                self.maybe_automatic_link = None
            self.p_p = 0
            title = _escape_md(a.get("title") or "")
            title = f' "{title}"' if title.strip() else ""
            self.o(f"]({_escape_md(a['href'] or '')}{title})")

    def _definition(self, tag: str, start: bool) -> None:
        # Definition lists in the syntax of PHP Markdown Extra, kramdown and Hugo's goldmark
        # ("Term" then ": definition"); html2text indents <dd> by four spaces, which other
        # renderers join to the term's paragraph.
        self.current_tag = tag
        self.lastWasList = False
        if tag == "dl" or (tag == "dt" and start):
            self.p()
        elif tag == "dd" and start:
            self.pbr()
            self.o(": ")
        else:
            self.pbr()

    def _list(self, tag: str, start: bool) -> None:
        # Two lists in a row are one list to Markdown (a blank line between items only makes
        # it loose). The second gets the other mark ("*" after "-", "1)" after "1.").
        if not start:
            if self._marks:
                self._marks.pop()
            return
        mark = "-" if tag == "ul" else "."
        if not self.list:
            if self.lastWasList and self._last_top_mark == mark:
                mark = {"-": "*", ".": ")"}[mark]
            self._last_top_mark = mark
        self._marks.append(mark)

    def _list_item(self, start: bool) -> None:
        # html2text indents even top-level items ("  * a") and gives nested items a fixed
        # indent; CommonMark wants each level under the content column of its parent item
        # ("- " is 2 wide, "9. " 3, "10. " 4).
        self.current_tag = "li"
        self.lastWasList = False
        self.list_code_indent = ""
        self.pbr()
        if not start:
            return
        item = self.list[-1] if self.list else ListElement("ul", 0)
        indent = "".join(" " * self._marker_width(parent) for parent in self.list[:-1])
        mark = self._marks[-1] if self._marks and self.list else "-"
        if item.name == "ol":
            item.num += 1
            marker = f"{item.num}{mark if mark in '.)' else '.'} "
        else:
            marker = (mark if mark in "-*" else "-") + " "
        super().o(indent + marker)  # html2text's own o(): the line starts here
        self.list_code_indent = indent + " " * len(marker)
        self.start = True

    def _marker_width(self, lst: ListElement) -> int:
        return len(str(lst.num)) + 2 if lst.name == "ol" else 2

    def o(self, data: str, puredata: bool = False, force: bool | str = False) -> None:
        """Output, with the lines of a list item's later blocks indented under the item."""
        if self.p_p and self.list and not self.start and not self.quiet and force != "end" and data.strip():
            super().o("", force=True)  # the pending blank line(s), then the indent
            self.out(self.list_code_indent)
            self.lastWasNL = False
        if force or self.quiet or self.pre or self.startpre or self.abbr_data is not None:
            super().o(data, puredata, force)
            return
        # Fast path: what html2text's o() does in the usual state (not forced, not quiet, not
        # in <pre>, no abbreviation being recorded): its Google Docs, <pre>, reference-link
        # and abbreviation steps do nothing then, so only these remain.
        if puredata:
            # Skipped for text whose only white space is single spaces (any other white
            # space character is not printable).
            if "  " in data or not data.isprintable():
                data = _WHITESPACE.sub(" ", data)
            if data and data[0] == " ":
                self.space = True
                data = data[1:]
        if not data:
            return
        self._append(data)

    def _append(self, data: str) -> None:
        """The end of o()'s fast path, also taken by handle_data(): ``data`` (not empty)
        goes out after the pending paragraph break or space."""
        if self.start:
            self.space = False
            self.p_p = 0
            self.start = False
        # html2text's out() is its outtextf() (no other is given to the constructor): it
        # appends to outtextlist and notes whether the piece ended a line. Only the last
        # piece's end counts, and that is data's (not empty here).
        append = self.outtextlist.append
        if self.p_p:
            bq = ">" * self.blockquote + " " if self.blockquote else ""
            append((self.br_toggle + "\n" + bq) * self.p_p)
            self.br_toggle = ""
            self.p_p = 0
        elif self.space and not self.lastWasNL:
            append(" ")
        self.space = False
        append(data)
        self.lastWasNL = data[-1] == "\n"
        self.outcount += 1

    def handle_data(self, data: str, entity_char: bool = False) -> None:
        """html2text's handle_data(), with its Markdown escaping skipped for text that
        cannot need it (see :data:`_MAY_ESCAPE`), and in the usual state (the one where o()
        takes its fast path) what o() would do with the text done here."""
        if not data or self.stressed or self.preceding_stressed or self.style:
            super().handle_data(data, entity_char)  # the states with extra rules
            return
        if self.maybe_automatic_link is not None:
            # The first text inside <a href>: html2text writes "<URL>" for text that is the
            # address; any other opens the link text, then is text like any other.
            if data == self.maybe_automatic_link:
                super().handle_data(data, entity_char)
                return
            self._link_text_starts()
        if self.quiet or self.pre or self.startpre or self.abbr_data is not None:
            if not self.code and not self.pre and not entity_char and _may_need_escape(data):
                data = escape_md_section(data, snob=self.escape_snob)
            self.preceding_data = data
            self.o(data, puredata=True)
            return
        if data.isspace():
            # White space between elements (a newline between paragraphs): all that o()
            # would do with it in this state is to note a pending space.
            self.preceding_data = data
            self.space = True
            return
        if (
            not self.code
            and not entity_char
            and ("\\" in data or _MARKER_FIRST.match(data) or ("\n" in data and _MAY_ESCAPE.search(data)))
        ):  # _may_need_escape(data), inline
            data = escape_md_section(data, snob=self.escape_snob)
        self.preceding_data = data
        if self.p_p and self.list:
            self.o(data, puredata=True)  # o() indents the item's later blocks first
            return
        # The rest is o(data, puredata=True)'s fast path (see there), inline.
        if "  " in data or not data.isprintable():
            data = _WHITESPACE.sub(" ", data)
        if data[0] == " ":
            self.space = True
            data = data[1:]
            if not data:
                return
        self._append(data)

    def _entity(self, char: str) -> None:
        if not self.code and not self.pre:
            if char == "<":
                char = "\\<"  # "&lt;div&gt;" is text, not a tag, in Markdown too
            elif char in _UNICODE_SPACES:
                char = f"\x01{ord(char):x}\x02"
        self.handle_data(char, True)

    def handle_charref(self, c: str) -> None:
        self._entity(self.charref(c))

    def handle_entityref(self, c: str) -> None:
        if c == _AMP_PH:
            self.handle_data("&" if self.code else "&amp;", True)
            return
        ref = self.entityref(c)
        if ref:
            self._entity(ref)


# "<![" that does not open a section Python's HTML parser knows makes it raise (it is
# "<![CD[" in a mangled export, or text about XML): written as text instead.
_BAD_MARKED_SECTION = re.compile(r"<!\[(?!\s*(?:CDATA\[|if\b|endif\b))", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")


_FRESH_STATE: dict[str, object] = {}
_FRESH_MUTABLE: list[str] = []


def _fresh_converter() -> _Converter:
    """A converter in the state its constructor gives, made by copying that state.

    html2text's constructor sets some eighty attributes one by one (a twentieth of the
    conversion of a short post); its state is copied instead from one converter built once:
    lists and dicts are copied, so that no two converters share one, and the bound method
    held as ``out`` is bound anew. Every other value is immutable (tests check it).
    """
    if not _FRESH_STATE:
        _FRESH_STATE.update(vars(_Converter()))
        _FRESH_MUTABLE.extend(k for k, v in _FRESH_STATE.items() if type(v) is list or type(v) is dict)
    converter = _Converter.__new__(_Converter)
    state = _FRESH_STATE.copy()
    for key in _FRESH_MUTABLE:
        state[key] = state[key].copy()  # type: ignore[attr-defined]
    state["out"] = converter.outtextf
    converter.__dict__.update(state)
    return converter


def _convert(fragment: str) -> str:
    """Run html2text on prepared HTML; placeholders for spaces resolved, nothing tidied."""
    if "<![" in fragment:
        fragment = _BAD_MARKED_SECTION.sub("&lt;![", fragment)
    try:
        out: str = _fresh_converter().handle(fragment)
    except (AssertionError, ValueError, IndexError):  # pragma: no cover - parser bugs on junk
        # The standard library's parser gives up on some malformed markup: keep the text.
        out = html.unescape(_ANY_TAG.sub("", fragment))
    if "\x01" in out:
        out = _SPACE_PH.sub(lambda m: chr(int(m.group(1), 16)), out)
    return out


# --- the conversion ----------------------------------------------------------------------


def _convert_inline(fragment: str) -> str:
    """The converter handed to :func:`prepare_html` for table cells and captions."""
    return _convert(prepare_inline(fragment))


def html_to_markdown(html_text: str, ctx: TransformContext) -> str:
    """Convert post HTML to Markdown; protected parts stay tokens (restore them afterwards).

    The result has no trailing whitespace on any line (except the two spaces of a hard line
    break), at most one blank line between blocks, and ends with one newline ("" for
    content that renders to nothing).
    """
    if not html_text.strip():
        return ""
    text = html_text.replace(_BR_MARK, "").replace("\x01", "").replace("\x02", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = prepare_html(text, ctx, _convert_inline)
    return tidy(_convert(prepare_inline(text)))
