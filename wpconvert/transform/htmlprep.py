"""HTML preparation before html2text: what html2text would mangle is taken out first.

:func:`prepare_html` runs these passes over post HTML, in this order, each only when its
start tag occurs; what it takes out becomes a protection token of the
:class:`TransformContext` (restored at the very end of the pipeline):

* elements that Markdown cannot express (``<iframe>``, ``<video>``, ``<audio>``, ``<object>``,
  ``<embed>``, ``<form>``, ``<details>``, ``<script>``, ``<style>``, ``<svg>`` …) stay raw
  HTML. Scripts are kept too: a static site may neutralise them, but silently losing content
  is worse;
* simple tables become GFM pipe tables; tables with ``rowspan``/``colspan`` or block content
  in cells stay raw HTML. The Markdown of a cell comes from the converter the caller passes
  (html2text lives in :mod:`.html2md` only);
* ``<pre>`` listings become fenced code (:meth:`TransformContext.fence`) holding exactly the
  source text, with the language read from the classes that WordPress syntax highlighters
  write (``language-x``, ``lang-x``, Crayon's ``lang:x``, SyntaxHighlighter's ``brush: x``);
  inline ``<code>`` over several lines becomes a code block too;
* image figures become an image followed by an italic caption paragraph; other figures are
  unwrapped (their layout attributes cannot be expressed in Markdown, their content can).

The regex helpers (:func:`inside`, :func:`element_re`, :func:`attr`, :func:`element_end`) and
the figure and code helpers are shared with :mod:`.blocks`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from .caseless import caseless_names
from .context import TransformContext

__all__ = [
    "BR_MARK",
    "InlineConverter",
    "attr",
    "caption_html",
    "code_language",
    "code_text",
    "element_end",
    "element_re",
    "figures_to_images",
    "image_html",
    "inside",
    "prepare_html",
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


# The converter writes this where a <br> was (then a newline); the tidy step of html2md turns
# it into a Markdown hard break ("  " at the end of the line) or drops it where a hard break
# would be meaningless. Table cells and captions, converted here, handle it themselves.
BR_MARK = "\x00"

InlineConverter = Callable[[str], str]
"""HTML → Markdown as the converter writes it before tidying: hard line breaks as
:data:`BR_MARK` and a newline, protection tokens left in place."""

_BACKTICKS = re.compile(r"`+")


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


def _cell_markdown(cells: list[str], convert: InlineConverter) -> list[str]:
    """Inline Markdown of each cell's HTML: plain-text cells directly, the others with one
    converter run for the whole table."""
    result = [" ".join(_MD_BACKSLASH.sub(r"\\\\", c).split()) if _PLAIN_CELL.fullmatch(c) else "" for c in cells]
    marked = [i for i, c in enumerate(cells) if not _PLAIN_CELL.fullmatch(c)]
    if marked:
        joined = "".join(f"<p>{cells[i]}</p><p>{_CELL_SEP}</p>" for i in marked)
        for i, part in zip(marked, convert(joined).split(_CELL_SEP), strict=False):
            part = part.strip().replace(BR_MARK + "\n", "<br>").replace(BR_MARK, "")
            part = " ".join(line.strip() for line in part.split("\n") if line.strip())
            result[i] = _EDGE_BRS.sub("", part)
    return [cell.replace("|", "\\|") for cell in result]


def _pipe_row(cells: list[str]) -> str:
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def _pipe_table(rows: list[list[tuple[bool, str]]], head_rows: int, caption: str, convert: InlineConverter) -> str:
    width = max(len(r) for r in rows)
    flat = [content for row in rows for _, content in row]
    md_cells = iter(_cell_markdown(flat, convert))
    md_rows = [[next(md_cells) for _ in row] + [""] * (width - len(row)) for row in rows]
    if head_rows == 0 and all(is_th for is_th, _ in rows[0]):
        head_rows = 1
    header = md_rows[0] if head_rows else [""] * width
    body = md_rows[1:] if head_rows else md_rows
    lines = [_pipe_row(header), "|" + "|".join([" --- "] * width) + "|"]
    lines += [_pipe_row(r) for r in body]
    table = "\n".join(lines)
    if caption.strip():
        cap = " ".join(convert(caption).replace(BR_MARK, "").split())
        table = f"*{cap}*\n\n{table}" if cap else table
    return table


def _convert_tables(text: str, ctx: TransformContext, convert: InlineConverter) -> str:
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
            token = ctx.protect(_pipe_table(*parsed, convert))
        out.append(text[pos : m.start()])
        out.append(f"\n<p>{token}</p>\n")
        pos = end
    out.append(text[pos:])
    return "".join(out)


# --- all passes ---------------------------------------------------------------------------

_RAW_NAMES = frozenset(_RAW_TAGS.split("|"))
# The start tags that call for a pass, in any case (see caseless.py); one search finds which occur.
_SPECIAL_TAG = re.compile(r"<(" + caseless_names(_RAW_TAGS.split("|") + ["table", "pre", "code", "figure"]) + r")(?![\w-])")


def prepare_html(text: str, ctx: TransformContext, convert: InlineConverter) -> str:
    """Run the passes of the module docstring over ``text`` (``\\n`` line ends); return the
    HTML left for the converter, with tokens for what was taken out.

    ``convert`` turns the inline HTML of table cells and captions into Markdown.
    """
    present = {m.group(1).lower() for m in _SPECIAL_TAG.finditer(text)}
    if present & _RAW_NAMES:
        text = _protect_raw_elements(text, ctx)
    if "table" in present:
        text = _convert_tables(text, ctx, convert)
    if "pre" in present:
        text = _fence_pres(text, ctx)
    if "code" in present:
        text = _INLINE_CODE.sub(lambda m: _inline_code(m, ctx), text)
    if "figure" in present:
        text = _unwrap_figures(text)
    return text
