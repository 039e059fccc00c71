"""The content pipeline: one post's raw WordPress HTML → Markdown.

The stages run in WordPress's own order for ``the_content``:

1. :func:`shortcodes.protect_code` — code shortcodes become fence tokens, before anything
   can touch the code (SyntaxHighlighter runs at priority 7, before wpautop);
2. block content → :func:`blocks.render_blocks`; classic content → :func:`wpautop`
   (WordPress skips wpautop for posts with blocks);
3. :func:`shortcodes.apply` — ``[caption]``, ``[gallery]``, ``[embed]`` …;
4. oEmbed: a bare URL alone on a line or in a paragraph becomes a link to it, as
   ``WP_Embed::autoembed()`` makes of a URL it cannot embed;
5. ``<!--more-->`` splits off the summary (teaser) and disappears; ``<!--nextpage-->``
   becomes a visible separator (see :data:`PAGE_BREAK`); every other HTML comment goes;
6. :func:`html_to_markdown`;
7. :meth:`TransformContext.restore` puts the protected code and raw HTML back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import shortcodes
from .blocks import is_block_content, render_blocks
from .context import TransformContext
from .html2md import html_to_markdown
from .shortcodes import ShortcodeRegistry
from .wpautop import wpautop

__all__ = ["PAGE_BREAK", "Rendered", "render"]

PAGE_BREAK = "<!--nextpage-->\n\n* * *"
"""What a ``<!--nextpage-->`` page break becomes in the Markdown: a thematic break (visible
as a rule in every renderer) preceded by the original comment on its own line, invisible
when rendered but left so that tools can still split the pages."""


@dataclass(frozen=True, slots=True)
class Rendered:
    """The Markdown of one post's content."""

    markdown: str
    """The full body."""
    summary: str | None
    """Markdown of the part before ``<!--more-->``; None when there is no more tag."""
    pages: int
    """1 + the number of ``<!--nextpage-->`` page breaks."""


# WP_Embed::autoembed(): a URL alone on its line, or alone in its paragraph.
_URL = r"https?://[^\s<>\"]+"
_URL_LINE = re.compile(r"^([ \t]*)(" + _URL + r")([ \t]*)$", re.M | re.I)
_URL_PARAGRAPH = re.compile(r"(<p(?: [^>]*)?>\s*)(" + _URL + r")(\s*</p>)", re.I)
# Where _URL_LINE can match: a line start, spaces, "http" in any case ("ſ" folds to "s").
# Searched first: with only classes and literals, the engine skips through text fast (a
# "^" in multi-line mode is tried at every character: four times slower, measured).
_URL_LINE_START = re.compile(r"[ \t]*[hH][tT][tT][pP][sS\u017f]?://")
_URL_LINE_NEXT = re.compile(r"\n[ \t]*[hH][tT][tT][pP][sS\u017f]?://")
# The more tag may carry the link text: <!--more Read on…-->; only the first one counts.
_MORE = re.compile(r"<!--more(.*?)?-->", re.S)
_MORE_MARK = "WPCVTMORESPLITX"
_NEXTPAGE = "<!--nextpage-->"
# A page break at the very start is dropped (WordPress: setup_postdata()).
_LEADING_NEXTPAGE = re.compile(r"\A\s*(?:<p>\s*)?<!--nextpage-->(?:\s*</p>)?")
# An HTML comment, or a script/style/textarea, inside which "<!--" is text (old pages hide
# script code from old browsers in one) and must stay.
_COMMENT_OR_RAW = re.compile(r"<!--|<(script|style|textarea)\b", re.I)
_RAW_END = {name: re.compile(rf"</{name}\s*>", re.I) for name in ("script", "style", "textarea")}


def _autoembed(text: str, ctx: TransformContext) -> str:
    def link(m: re.Match[str]) -> str:
        ctx.count("oembed")
        url = m.group(2)
        return f'{m.group(1)}<a href="{url}">{url}</a>{m.group(3)}'

    if "://" not in text:
        return text
    if _URL_LINE_START.match(text) or _URL_LINE_NEXT.search(text):
        text = _URL_LINE.sub(link, text)
    return _URL_PARAGRAPH.sub(link, text)


def _drop_comments(text: str) -> str:
    out: list[str] = []
    pos = 0
    while (m := _COMMENT_OR_RAW.search(text, pos)) is not None:
        if m.group(1):  # keep the element whole
            close = _RAW_END[m.group(1).lower()].search(text, m.end())
            end = close.end() if close else len(text)
            out.append(text[pos:end])
        else:
            close_at = text.find("-->", m.end())
            end = close_at + 3 if close_at >= 0 else len(text)  # unclosed: the rest is comment
            out.append(text[pos : m.start()])
        pos = end
    out.append(text[pos:])
    return "".join(out)


_EMPTY_ITEM = re.compile(r"[ >]*(?:[-*+]|\d+[.)])?[ \t]*")


def _is_blank(line: str) -> bool:
    return not line.strip(" >")  # empty, or only the prefix of a quote


def _split_more(md: str) -> tuple[str, str | None]:
    """(body without the marker, Markdown before it) — summary None without a marker."""
    at = md.find(_MORE_MARK)
    if at < 0:
        return md, None
    start = md.rfind("\n", 0, at) + 1
    end = md.find("\n", at)
    end = len(md) if end < 0 else end
    if _is_blank(md[start:end].replace(_MORE_MARK, "")):
        # The marker had a paragraph of its own: its line goes, and one of the two
        # separators around it ("" or ">" lines).
        before, after = md[:start].split("\n")[:-1], md[end + 1 :].split("\n")
        if before and after and _is_blank(before[-1]) and _is_blank(after[0]):
            after = after[1:]
        body = "\n".join(before + after)
    else:  # inside a paragraph: "Start of the <!--more--> sentence."
        before = md[:at].rstrip(" \t").split("\n")
        left, right = md[:at].rstrip(" \t"), md[at + len(_MORE_MARK) :].lstrip(" \t")
        body = left + ("" if right.startswith(("\n", ".", ",", ";", ":")) or not left else " ") + right
    while before and _EMPTY_ITEM.fullmatch(before[-1]):
        before.pop()  # what stood before the marker on its line: a quote or list prefix
    summary = "\n".join(before)
    body = body.strip("\n")
    return (body + "\n" if body else ""), (summary + "\n" if summary else "")


def render(html: str, ctx: TransformContext, registry: ShortcodeRegistry | None = None) -> Rendered:
    """Convert one post's content (raw WordPress HTML) to Markdown.

    ``registry`` overrides the default shortcode handlers. Counters of what was seen go to
    ``ctx.stats``. No block comment and no handled shortcode is left in the output (text
    inside code listings is kept as written).
    """
    if "\r" in html:  # content saved from a browser form has CRLF line ends
        html = html.replace("\r\n", "\n").replace("\r", "\n")
    text = shortcodes.protect_code(html, ctx)
    text = render_blocks(text, ctx) if is_block_content(text) else wpautop(text)
    text = shortcodes.apply(text, ctx, registry)
    text = _autoembed(text, ctx)

    has_more = False
    if "<!--" in text:
        more = _MORE.search(text)
        if more is not None:
            has_more = True
            text = text[: more.start()] + _MORE_MARK + text[more.end() :]
        text = _LEADING_NEXTPAGE.sub("", text)
    pages = 1 + text.count(_NEXTPAGE)
    if pages > 1:
        text = text.replace(_NEXTPAGE, f"\n<p>{ctx.protect(PAGE_BREAK)}</p>\n")
    if "<!--" in text:
        text = _drop_comments(text)

    md = html_to_markdown(text, ctx)
    summary: str | None = None
    if has_more:
        md, summary = _split_more(md)
        if summary is not None:
            summary = ctx.restore(summary)
    markdown = ctx.restore(md)
    if has_more and summary is None:
        # The tag stood inside something kept as raw HTML (a <details>, say): no summary.
        markdown = markdown.replace(_MORE_MARK, "")
    return Rendered(markdown=markdown, summary=summary, pages=pages)
