"""HTML → Markdown: html2text, tuned for fidelity, plus what html2text does badly.

:func:`html_to_markdown` is the last stage of the content pipeline. Before handing the HTML to
html2text it takes out, as protection tokens of the :class:`TransformContext`, whatever
html2text would mangle:

* ``<pre>`` listings become fenced code (:meth:`TransformContext.fence`) holding exactly the
  source text, with the language read from the classes that WordPress syntax highlighters
  write (``language-x``, ``lang-x``, Crayon's ``lang:x``, SyntaxHighlighter's ``brush: x``);
* simple tables become GFM pipe tables; tables with ``rowspan``/``colspan`` or block content
  in cells stay raw HTML;
* elements that Markdown cannot express (``<iframe>``, ``<video>``, ``<audio>``, ``<object>``,
  ``<embed>``, ``<form>``, ``<details>``, ``<script>``, ``<style>``, ``<svg>`` …) stay raw
  HTML. Scripts are kept too: a static site may neutralise them, but silently losing content
  is worse;
* image figures become an image followed by an italic caption paragraph; other figures are
  unwrapped (their layout attributes cannot be expressed in Markdown, their content can).

html2text itself is configured for fidelity (no wrapping, no ASCII substitution, inline
links, image titles, ``*`` emphasis that works inside words and in scripts without spaces)
and a subclass fixes the places where it changes the text: it no longer inserts spaces around
emphasis (which altered CJK text), no longer collapses no-break and ideographic spaces, and
escapes ``<`` and ``&`` that came from entities so that ``&lt;div&gt;`` stays text.

Tokens are *not* restored here: the pipeline calls :meth:`TransformContext.restore` once at
the end. A fresh html2text parser is built for every call: construction costs about 9 µs
(measured) against milliseconds for a post, and a parser that saw broken HTML can keep
state (open lists, quote depth) into the next document.
"""

from __future__ import annotations

import html
import re

import html2text
from html2text.elements import ListElement

from .context import TransformContext

__all__ = [
    "attr",
    "caption_html",
    "code_language",
    "code_text",
    "element_end",
    "element_re",
    "figures_to_images",
    "html_to_markdown",
    "image_html",
    "inside",
    "protect_raw",
]

_SI = re.S | re.I


def inside(tags: str) -> str:
    """A regex group for an element's content that never crosses a start or end tag of
    ``tags`` (an alternation of names): a missing end tag then costs a scan to the next
    such tag instead of one to the end of the text for every start tag (quadratic)."""
    return rf"([^<]*(?:<(?!/?(?:{tags})\b)[^<]*)*)"


def element_re(tag: str) -> re.Pattern[str]:
    """``<tag attrs>content</tag>`` (case-insensitive), groups 1 and 2: attrs, content."""
    return re.compile(rf"<{tag}\b([^>]*)>{inside(tag)}</{tag}\s*>", re.I)


# html2text emits this where a <br> was; the tidy step turns it into a Markdown hard break
# ("  " at the end of the line) or drops it where a hard break would be meaningless.
_BR_MARK = "\x00"
# Non-ASCII spaces travel through html2text as "\x01<hex>\x02": html2text collapses every
# Unicode space to " " (so "a&nbsp;&nbsp;b" or a Japanese U+3000 indent would change).
_SPACE_PH = re.compile("\x01([0-9a-f]+)\x02")
_UNICODE_SPACES = frozenset("\u00a0\u1680\u202f\u205f\u3000" + "".join(chr(c) for c in range(0x2000, 0x200B)))
_UNICODE_SPACE_RE = re.compile("[" + "".join(sorted(_UNICODE_SPACES)) + "]")
# An "&amp;" that would read as an entity once decoded ("&amp;lt;" is the text "&lt;"); it
# is carried as an entity html2text does not know and written back as "&amp;".
_AMP_ENTITY_RE = re.compile(r"&amp;(?=[A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[xX][0-9A-Fa-f]+;)")
_AMP_PH = "wpcvtamp"

_EMPHASIS_TAGS = {"em": "*", "i": "*", "u": "*", "strong": "**", "b": "**", "del": "~~", "s": "~~", "strike": "~~"}
# Emphasis and links; whitespace at their inner edges is moved outside them.
_FORMAT_TAG = re.compile(r"<(/?)(a|strong|b|em|i|u|del|s|strike)\b[^>]*>", re.I)
_LEADING_SPACES = re.compile(r"(?:\s|&nbsp;)*")


_LABEL_SPECIAL = re.compile(r"([\\\[\]])")
_URL_SPECIAL = re.compile(r"[\s()<>]")
_BACKTICKS = re.compile(r"`+")


def _md_label(text: str) -> str:
    """Text for inside ``[...]``: one line, brackets and backslashes escaped."""
    return _LABEL_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _md_url(url: str) -> str:
    """A link destination; ``<...>`` when it holds spaces or parentheses."""
    url = url.strip()
    if _URL_SPECIAL.search(url):
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


class _Converter(html2text.HTML2Text):
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
        super().handle_tag(tag, attrs, start)

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
        super().o(data, puredata, force)

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


def _convert(fragment: str) -> str:
    """Run html2text on prepared HTML; placeholders for spaces resolved, nothing tidied."""
    out: str = _Converter().handle(fragment)
    if "\x01" in out:
        out = _SPACE_PH.sub(lambda m: chr(int(m.group(1), 16)), out)
    return out


# --- code ------------------------------------------------------------------------------

# Tags that only format text inside a listing (the editor's bold, links, highlighter spans).
# Any other "<...>" inside a <pre> is kept as source text: in classic posts, code typed in
# the HTML editor is often not escaped ("#include <stdio.h>", "<?php", "<T>").
_CODE_FORMAT_TAG = re.compile(
    r"</?(?:a|abbr|b|big|cite|code|del|dfn|em|font|i|ins|kbd|mark|p|pre|q|s|samp|small|span|strike"
    r"|strong|sub|sup|tt|u|var)(?:\s[^<>]*)?/?>",
    re.I,
)
_BR_TAG = re.compile(r"<br\s*/?>", re.I)
_BR_LINE = re.compile(r"<br\s*/?>\n?", re.I)
_LANG_PATTERNS = (
    re.compile(r"(?:^|\s)(?:language|lang)-([\w+#.-]+)", re.I),
    re.compile(r"(?:^|\s)lang:([\w+#.-]+)", re.I),  # Crayon
    re.compile(r"brush:\s*([\w+#.-]+)", re.I),  # SyntaxHighlighter (Evolved)
)
_NO_LANGUAGE = frozenset({"default", "plain", "plaintext", "none", "nohighlight", "no-highlight"})


def code_text(inner_html: str) -> str:
    """The source text of a listing from the inner HTML of its ``<pre>``/``<code>``.

    ``<br>`` becomes a newline (with the newline wpautop writes after it), formatting tags
    go, entities are decoded (``&lt;`` → ``<``, ``&amp;`` → ``&``), and no-break spaces
    become spaces (TinyMCE writes ``&nbsp;`` for indentation). The newline right after
    ``<pre>`` is dropped (HTML ignores it) and so is trailing whitespace; indentation and
    blank lines inside are kept.
    """
    text = _BR_LINE.sub("\n", inner_html) if "<br" in inner_html.lower() else inner_html
    text = _CODE_FORMAT_TAG.sub("", text)
    text = html.unescape(text).replace("\u00a0", " ").replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\n"):
        text = text[1:]
    return text.rstrip()


def code_language(*values: str | None) -> str:
    """The language named by the first value (class attributes, attribute text) naming one."""
    for value in values:
        if not value:
            continue
        for pattern in _LANG_PATTERNS:
            m = pattern.search(value)
            if m:
                lang = m.group(1).lower().rstrip(";")
                return "" if lang in _NO_LANGUAGE else lang
    return ""


_ATTR_RE_CACHE: dict[str, re.Pattern[str]] = {}


def attr(tag: str, name: str) -> str | None:
    """The decoded value of attribute ``name`` in the start tag ``tag``, or None."""
    pattern = _ATTR_RE_CACHE.get(name)
    if pattern is None:
        pattern = re.compile(r"\s" + name + r"""\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
        _ATTR_RE_CACHE[name] = pattern
    m = pattern.search(tag)
    if not m:
        return None
    value = m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None else m.group(3)
    return html.unescape(value)


_PRE_OPEN = re.compile(r"<pre\b([^>]*)>", re.I)
_PRE_CLOSE = re.compile(r"</pre\s*>", re.I)
_CODE_WRAPPED = re.compile(r"\s*<code\b([^>]*)>(.*)</code\s*>\s*", _SI)


def _fence_pres(text: str, ctx: TransformContext) -> str:
    """Every ``<pre>…</pre>`` → a fence token in a paragraph of its own."""
    out: list[str] = []
    pos = 0
    while (m := _PRE_OPEN.search(text, pos)) is not None:
        close = _PRE_CLOSE.search(text, m.end())
        if close is None:
            break  # an unclosed <pre>: left to html2text (searching on would be quadratic)
        out += [text[pos : m.start()], "\n<p>", _fence(m.group(1), text[m.end() : close.start()], ctx), "</p>\n"]
        pos = close.end()
    return "".join(out) + text[pos:]


def _fence(pre_attrs: str, inner: str, ctx: TransformContext) -> str:
    code_attrs = ""
    wrapped = _CODE_WRAPPED.fullmatch(inner)
    if wrapped:
        code_attrs, inner = wrapped.group(1), wrapped.group(2)
    language = code_language(attr(code_attrs, "class"), attr(pre_attrs, "class"), attr(pre_attrs, "lang"))
    return ctx.fence(code_text(inner), language)


_INLINE_CODE = element_re("code")


def _inline_code(m: re.Match[str], ctx: TransformContext) -> str:
    content = m.group(2)
    if "\n" in content.strip() or "<br" in content.lower():
        # Code on several lines (wpautop turned its newlines into <br />): a code block.
        language = code_language(attr(m.group(1), "class"))
        return "\n<p>" + ctx.fence(code_text(content), language) + "</p>\n"
    if "`" not in content:
        return m.group(0)
    # html2text writes `code` with single backticks even when the code holds backticks.
    text = code_text(content)
    longest = max(len(run) for run in _BACKTICKS.findall(text))
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return ctx.protect(f"{ticks}{pad}{text}{pad}{ticks}")


# --- raw HTML ---------------------------------------------------------------------------

_RAW_TAGS = "iframe|form|video|audio|object|embed|script|style|details|svg|math|noscript|canvas|textarea|dialog"
_RAW_OPEN = re.compile(r"<(" + _RAW_TAGS + r")\b[^>]*>", re.I)
_VOID_RAW = frozenset({"embed"})
# Their content is text, not markup: the first end tag ends them.
_TEXT_RAW = frozenset({"script", "style", "textarea"})
_BLOCK_RAW = frozenset({"form", "details", "script", "style", "noscript", "textarea", "dialog", "table"})
_TAG_RE_CACHE: dict[str, re.Pattern[str]] = {}
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def _tag_re(name: str) -> re.Pattern[str]:
    pattern = _TAG_RE_CACHE.get(name)
    if pattern is None:
        pattern = re.compile(r"<(/?)" + name + r"\b[^>]*>", re.I)
        _TAG_RE_CACHE[name] = pattern
    return pattern


def element_end(text: str, name: str, after_open: int) -> int:
    """Index just past the end tag matching an open ``name`` tag ending at ``after_open``.

    Nested elements of the same name are counted; an element never closed ends at its start
    tag (-1 is returned so that the caller keeps only the start tag).
    """
    depth = 1
    for m in _tag_re(name).finditer(text, after_open):
        if m.group(1):
            depth -= 1
            if depth == 0:
                return m.end()
        elif not m.group(0).endswith("/>"):
            depth += 1
    return -1


def protect_raw(raw_html: str, ctx: TransformContext) -> str:
    """Protect ``raw_html`` to reach the Markdown output as raw HTML; return its token.

    Blank lines are removed (outside ``<pre>``/``<textarea>``/scripts), as a blank line would
    end the raw HTML block in CommonMark and turn the rest into Markdown.
    """
    raw_html = raw_html.strip()
    low = raw_html[:10].lower()
    if not (low.startswith(("<script", "<style", "<textarea")) or "<pre" in raw_html or "<textarea" in raw_html):
        raw_html = _BLANK_LINES.sub("\n", raw_html)
    return ctx.protect(raw_html)


def _protect_raw_elements(text: str, ctx: TransformContext) -> str:
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()  # names seen without end tag: later ones are not searched again
    while True:
        m = _RAW_OPEN.search(text, pos)
        if m is None:
            break
        name = m.group(1).lower()
        end = -1
        if name in _VOID_RAW:
            end = m.end()
        elif name in _TEXT_RAW and name not in unclosed:
            close = _tag_re(name).search(text, m.end())
            end = close.end() if close and close.group(1) else -1
        elif name not in unclosed:
            end = element_end(text, name, m.end())
        if end < 0:
            unclosed.add(name)
            end = m.end()
        token = protect_raw(text[m.start() : end], ctx)
        out.append(text[pos : m.start()])
        out.append(f"\n<p>{token}</p>\n" if name in _BLOCK_RAW else token)
        pos = end
    out.append(text[pos:])
    return "".join(out)


# --- figures and images ----------------------------------------------------------------

_SIMPLE_FIGURE = re.compile(
    r"<figure\b[^>]*>\s*(?:<a\b([^>]*)>\s*)?(<img\b[^>]*>)\s*(?(1)</a\s*>\s*)"
    r"(?:<figcaption\b[^>]*>" + inside("figure|figcaption") + r"</figcaption\s*>\s*)?</figure\s*>",
    _SI,
)
_FIGCAPTION = element_re("figcaption")
_FIGURE_TAG = re.compile(r"</?figure\b[^>]*>", re.I)


def caption_html(caption: str | None) -> str:
    """A caption as an italic paragraph ("" for none)."""
    if caption is None:
        return ""
    caption = _BR_TAG.sub(" ", caption).strip()
    if not caption or caption == "&nbsp;":
        return ""
    return f"<p><em>{caption}</em></p>\n"


def image_html(img_tag: str, href: str | None = None, caption: str | None = None) -> str:
    """An image (linked to ``href`` when given) and its caption, as paragraphs of plain HTML.

    ``img_tag`` is the ``<img ...>`` start tag as written; ``href`` is decoded text;
    ``caption`` is HTML.
    """
    img = img_tag
    if href:
        img = f'<a href="{html.escape(href)}">{img}</a>'
    return f"\n<p>{img}</p>\n{caption_html(caption)}"


def _simple_figure(m: re.Match[str]) -> str:
    href = attr(m.group(1), "href") if m.group(1) is not None else None
    return image_html(m.group(2), href, m.group(3))


def figures_to_images(text: str) -> str:
    """Figures of one image (maybe linked, maybe captioned) → image and caption paragraphs."""
    return _SIMPLE_FIGURE.sub(_simple_figure, text)


def _unwrap_figures(text: str) -> str:
    text = figures_to_images(text)
    if "<figcaption" in text.lower():
        text = _FIGCAPTION.sub(lambda m: "\n" + caption_html(m.group(2)), text)
    return _FIGURE_TAG.sub("\n", text)


# --- tables -----------------------------------------------------------------------------

_TABLE_OPEN = re.compile(r"<table\b[^>]*>", re.I)
_SECTION = re.compile(r"<(thead|tbody|tfoot)\b[^>]*>" + inside("thead|tbody|tfoot") + r"</\1\s*>", re.I)
_ROW = element_re("tr")
_CELL = re.compile(r"<(t[dh])\b([^>]*)>" + inside("t[dh]") + r"</t[dh]\s*>", re.I)
_CAPTION = element_re("caption")
_COLGROUP = re.compile(r"<colgroup\b[^>]*>" + inside("colgroup") + r"</colgroup\s*>|<col\b[^>]*>", re.I)
_SPAN_ATTR = re.compile(r"""\s(?:row|col)span\s*=\s*["']?\s*(?!1\b)\d""", re.I)
_CELL_BLOCK = re.compile(r"<(?:div|ul|ol|li|pre|blockquote|h[1-6]|hr|table|dl|figure|section|article)\b", re.I)
_CELL_P = re.compile(r"\s*<p\b[^>]*>(.*?)</p\s*>\s*", _SI)
_TOKEN_IN = re.compile(r"WPCVTPROTECTED\d+X")
_CELL_SEP = "WPCVTCELLSEPX"
_EDGE_BRS = re.compile(r"^(?:<br>\s*)+|(?:\s*<br>)+$")
# A cell of plain text (no markup, no entity) needs no html2text run; html2text would only
# double the backslashes that precede Markdown punctuation.
_PLAIN_CELL = re.compile(r"[^<&\x00-\x08]*")
_MD_BACKSLASH = re.compile(r"\\(?=[\\`*_{}\[\]()#+\-.!])")


def _table_rows(inner: str) -> tuple[list[list[tuple[bool, str]]], int, str] | None:
    """(rows of (is_header, cell HTML), header row count, caption) — None for a complex table."""
    caption = ""
    m = _CAPTION.search(inner)
    if m:
        caption = m.group(2)
        inner = inner[: m.start()] + inner[m.end() :]
    inner = _COLGROUP.sub("", inner)
    # Rows written outside any section belong to the body, in document order.
    parts: list[tuple[str, str]] = []
    pos = 0
    for sec in _SECTION.finditer(inner):
        parts.append(("tbody", inner[pos : sec.start()]))
        parts.append((sec.group(1).lower(), sec.group(2)))
        pos = sec.end()
    parts.append(("tbody", inner[pos:]))
    head: list[list[tuple[bool, str]]] = []
    body: list[list[tuple[bool, str]]] = []
    foot: list[list[tuple[bool, str]]] = []
    for section, html_part in parts:
        if _ROW.sub("", html_part).strip():
            return None  # text or markup between rows
        for row_m in _ROW.finditer(html_part):
            row_html = row_m.group(2)
            if _CELL.sub("", row_html).strip():
                return None
            cells: list[tuple[bool, str]] = []
            for cell in _CELL.finditer(row_html):
                content = cell.group(3)
                if _SPAN_ATTR.search(cell.group(2)) or _TOKEN_IN.search(content):
                    return None
                para = _CELL_P.fullmatch(content)
                if para and "<p" not in para.group(1).lower():
                    content = para.group(1)
                elif "<p" in content.lower():
                    return None
                if _CELL_BLOCK.search(content):
                    return None
                cells.append((cell.group(1).lower() == "th", content))
            {"thead": head, "tfoot": foot}.get(section, body).append(cells)
    rows = head + body + foot
    if not rows:
        return None
    return rows, len(head), caption


def _cell_markdown(cells: list[str]) -> list[str]:
    """Inline Markdown of each cell's HTML: plain-text cells directly, the others with one
    html2text run for the whole table."""
    result = [" ".join(_MD_BACKSLASH.sub(r"\\\\", c).split()) if _PLAIN_CELL.fullmatch(c) else "" for c in cells]
    marked = [i for i, c in enumerate(cells) if not _PLAIN_CELL.fullmatch(c)]
    if marked:
        joined = "".join(f"<p>{cells[i]}</p><p>{_CELL_SEP}</p>" for i in marked)
        for i, part in zip(marked, _convert(_prepare_inline(joined)).split(_CELL_SEP), strict=False):
            part = part.strip().replace(_BR_MARK + "\n", "<br>").replace(_BR_MARK, "")
            part = " ".join(line.strip() for line in part.split("\n") if line.strip())
            result[i] = _EDGE_BRS.sub("", part)
    return [cell.replace("|", "\\|") for cell in result]


def _pipe_row(cells: list[str]) -> str:
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def _pipe_table(rows: list[list[tuple[bool, str]]], head_rows: int, caption: str) -> str:
    width = max(len(r) for r in rows)
    flat = [content for row in rows for _, content in row]
    md_cells = iter(_cell_markdown(flat))
    md_rows = [[next(md_cells) for _ in row] + [""] * (width - len(row)) for row in rows]
    if head_rows == 0 and all(is_th for is_th, _ in rows[0]):
        head_rows = 1
    header = md_rows[0] if head_rows else [""] * width
    body = md_rows[1:] if head_rows else md_rows
    lines = [_pipe_row(header), "|" + "|".join([" --- "] * width) + "|"]
    lines += [_pipe_row(r) for r in body]
    table = "\n".join(lines)
    if caption.strip():
        cap = " ".join(_convert(_prepare_inline(caption)).replace(_BR_MARK, "").split())
        table = f"*{cap}*\n\n{table}" if cap else table
    return table


def _convert_tables(text: str, ctx: TransformContext) -> str:
    out: list[str] = []
    pos = 0
    while True:
        m = _TABLE_OPEN.search(text, pos)
        if m is None:
            break
        end = element_end(text, "table", m.end())
        if end < 0:
            break  # an unclosed table: left to html2text
        whole = text[m.start() : end]
        inner = text[m.end() : end - len("</table>")]
        parsed = None if _TABLE_OPEN.search(inner) else _table_rows(inner)
        if parsed is None:
            ctx.count("html:table-raw")
            token = protect_raw(whole, ctx)
        else:
            token = ctx.protect(_pipe_table(*parsed))
        out.append(text[pos : m.start()])
        out.append(f"\n<p>{token}</p>\n")
        pos = end
    out.append(text[pos:])
    return "".join(out)


# --- the conversion ----------------------------------------------------------------------


def _move_spaces_out(text: str) -> str:
    """Whitespace at the inner edges of emphasis and links moves outside ("<b>bold </b>x" →
    "<b>bold</b> x"): Markdown does not open emphasis before a space or close it after one.
    Empty emphasis goes (Gutenberg leaves "<strong></strong>"; "****" alone is a rule)."""
    out: list[str] = []
    pos = 0
    open_at = -1  # index in out of an opening tag with nothing visible after it yet
    open_name = ""
    for m in _FORMAT_TAG.finditer(text):
        before = text[pos : m.start()]
        name = m.group(2).lower()
        if m.group(1):  # a closing tag
            kept = before.rstrip()
            while kept.endswith("&nbsp;"):
                kept = kept[:-6].rstrip()
            if not kept and open_at == len(out) - 1 and open_name == name:
                out[open_at] = ""  # empty: drop both tags, keep the spaces
                out.append(before)
            else:
                out += [kept, m.group(0), before[len(kept) :]]
            open_at = -1
            pos = m.end()
        else:
            spaces = _LEADING_SPACES.match(text, m.end())
            assert spaces is not None  # the pattern matches the empty string
            out += [before, spaces.group(), m.group(0)]
            open_at, open_name = len(out) - 1, name
            pos = spaces.end()
    out.append(text[pos:])
    return "".join(out)


def _prepare_inline(text: str) -> str:
    """Fixes applied to HTML just before html2text sees it."""
    if _BR_MARK in text:
        text = text.replace(_BR_MARK, "")
    if "&amp;" in text:
        text = _AMP_ENTITY_RE.sub("&" + _AMP_PH + ";", text)
    if not text.isascii() and any(space in text for space in _UNICODE_SPACES):
        text = _UNICODE_SPACE_RE.sub(lambda m: "&nbsp;" if m.group() == "\u00a0" else f"&#{ord(m.group())};", text)
    return _move_spaces_out(text)


_BR_HARD_NEXT = re.compile(r"[ \t>]*[^ \t>]")


def _tidy(md: str) -> str:
    """Trailing whitespace off, hard breaks where they mean something, one blank line max,
    no empty quote line (">") at the edge of a quote; one final newline ("" when empty).

    One pass over the lines: regular expressions for these rules cost more than html2text
    itself on long posts.
    """
    lines = md.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        line = line.rstrip(" \t\u00a0")
        if line.endswith(_BR_MARK):
            line = line[:-1].rstrip(" \t\u00a0")
            following = lines[i + 1] if i + 1 < len(lines) else ""
            # A hard break only between two lines with text (not at a paragraph's edge).
            if line.strip(" >") and _BR_HARD_NEXT.match(following.replace(_BR_MARK, "")):
                line += "  "
        if _BR_MARK in line:
            line = line.replace(_BR_MARK, "")
        if not line:
            while out and out[-1] and not out[-1].strip(">"):
                out.pop()  # a ">" line before a blank line
            if out and out[-1]:
                out.append("")
        elif not line.strip(">") and (not out or not out[-1] or out[-1] == line):
            continue  # a ">" line after a blank line, or repeated
        else:
            out.append(line)
    while out and not out[-1].strip(">"):
        out.pop()
    return "\n".join(out) + "\n" if out else ""


_RAW_NAMES = frozenset(_RAW_TAGS.split("|"))
# The start tags that call for a step before html2text; one pass finds which occur.
_SPECIAL_TAG = re.compile(r"<(" + _RAW_TAGS + r"|table|pre|code|figure)(?![\w-])", re.I)


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
    present = {m.group(1).lower() for m in _SPECIAL_TAG.finditer(text)}
    if present & _RAW_NAMES:
        text = _protect_raw_elements(text, ctx)
    if "table" in present:
        text = _convert_tables(text, ctx)
    if "pre" in present:
        text = _fence_pres(text, ctx)
    if "code" in present:
        text = _INLINE_CODE.sub(lambda m: _inline_code(m, ctx), text)
    if "figure" in present:
        text = _unwrap_figures(text)
    return _tidy(_convert(_prepare_inline(text)))
