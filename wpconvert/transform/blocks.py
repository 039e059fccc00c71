"""Gutenberg block markup → plain HTML that html2text can convert.

The block editor stores a post as HTML in which blocks are delimited by comments::

    <!-- wp:image {"id":767,"sizeSlug":"large"} -->
    <figure class="wp-block-image size-large"><img src="…" alt=""/></figure>
    <!-- /wp:image -->
    <!-- wp:latest-posts {"postsToShow":2} /-->      (self-closing: a dynamic block)

Core blocks are written without their ``core/`` namespace (``wp:image`` is ``core/image``),
others with it (``wp:acme/widget``); blocks nest (columns hold column blocks holding
paragraphs). :func:`render_blocks` parses the delimiters with the grammar of WordPress's own
parser (``WP_Block_Parser``), renders every block by meaning into simple HTML as soon as its
closer is seen (so that a parent sees its children already rendered and no recursion is
needed) and returns HTML with no block delimiter left. Broken markup never raises: a closer
without an opener is dropped, an opener without a closer runs to its parent's end, and text
outside blocks (the classic editor's "freeform" content) passes through as it is.

Every block is counted as ``block:<namespace>/<name>`` in the context's stats, and a block
this module does not know as ``block-unknown:<namespace>/<name>`` too (its inner HTML is
kept).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from .context import TransformContext
from .htmlprep import (
    attr,
    caption_html,
    code_language,
    code_text,
    element_re,
    figures_to_images,
    image_html,
    inside,
    protect_raw,
)

__all__ = ["is_block_content", "render_blocks"]

# The delimiter grammar of WP_Block_Parser::next_token(). Serialized attributes never hold
# "--" (the serializer writes "\u002d\u002d"), which keeps the attribute match inside the
# comment even when the JSON is broken.
_DELIMITER = re.compile(
    r"<!--\s+(?P<closer>/)?wp:(?P<name>[a-z][a-z0-9_-]*(?:/[a-z][a-z0-9_-]*)?)\s+"
    r"(?:(?P<attrs>\{[^-]*(?:-(?!-)[^-]*)*?\})\s+)?(?P<void>/)?-->"
)
# Anything that still looks like a block comment after parsing (upper case, no spaces…):
# WordPress would not parse it as a block either, but it must not reach the output.
_STRAY_DELIMITER = re.compile(r"<!--\s*/?wp:[^>]*?-->", re.I)


def is_block_content(html_text: str) -> bool:
    """True when the content holds block markup (WordPress's ``has_blocks()``)."""
    return "<!-- wp:" in html_text and _DELIMITER.search(html_text) is not None


class _Block:
    """One block being rendered: its name, its attributes (decoded on demand), its HTML."""

    __slots__ = ("name", "raw_attrs", "_attrs")

    def __init__(self, name: str, raw_attrs: str | None) -> None:
        self.name = name
        self.raw_attrs = raw_attrs
        self._attrs: dict[str, Any] | None = None

    @property
    def attrs(self) -> dict[str, Any]:
        """The JSON attributes ({} when absent or not valid JSON)."""
        if self._attrs is None:
            decoded: Any = None
            if self.raw_attrs:
                try:
                    decoded = json.loads(self.raw_attrs)
                except ValueError:
                    decoded = None
            self._attrs = decoded if isinstance(decoded, dict) else {}
        return self._attrs

    def text_attr(self, key: str) -> str:
        """An attribute as a string ("" when absent or not a string)."""
        value = self.attrs.get(key)
        return value if isinstance(value, str) else ""


_Handler = Callable[[_Block, str, TransformContext], str]

_FIGURE_WRAPPER = re.compile(r"\A\s*<figure\b[^>]*>(.*)</figure\s*>\s*\Z", re.S | re.I)
_FIGCAPTION = element_re("figcaption")
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_A_OPEN = re.compile(r"<a\b([^>]*)>", re.I)
_A_ELEMENT = element_re("a")
_PRE = re.compile(r"<pre\b([^>]*)>(.*)</pre\s*>", re.S | re.I)
_CODE = re.compile(r"<code\b([^>]*)>(.*)</code\s*>", re.S | re.I)
_CITE = element_re("cite")
_MEDIA = re.compile(r"<(audio|video)\b[^>]*>" + inside("audio|video") + r"</\1\s*>", re.I)
_TAGS = re.compile(r"<[^>]*>")
_URL = re.compile(r"https?://[^\s<>\"']+")
_LIST_WRAPPERS = re.compile(r"</?(?:ul|li)\b[^>]*>", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_INDENT = re.compile(r"^[ \t]+")


def _unwrap_figure(inner: str) -> str:
    m = _FIGURE_WRAPPER.match(inner)
    return m.group(1) if m else inner


def _last(matches: Iterator[re.Match[str]]) -> re.Match[str] | None:
    last = None
    for last in matches:  # noqa: B007 - only the last one is wanted
        pass
    return last


def _caption(inner: str) -> tuple[str, str | None]:
    """The HTML without its (last) figcaption, and the caption's HTML."""
    found = _last(_FIGCAPTION.finditer(inner))
    if found is None:
        return inner, None
    return inner[: found.start()] + inner[found.end() :], found.group(2)


def _link(url: str, text: str | None = None) -> str:
    return f'<a href="{html.escape(url)}">{html.escape(text if text is not None else url)}</a>'


# --- handlers: (block, inner HTML with inner blocks rendered, ctx) → HTML ----------------


def _keep(block: _Block, inner: str, ctx: TransformContext) -> str:
    return inner


def _nothing(block: _Block, inner: str, ctx: TransformContext) -> str:
    return ""


def _quote(block: _Block, inner: str, ctx: TransformContext) -> str:
    # Quote and pullquote: <cite> sits inside the <blockquote>; it becomes an attribution
    # paragraph of the quote ("— Name"). Pullquotes wrap the quote in a <figure>.
    inner = _unwrap_figure(inner)
    return _CITE.sub(lambda m: f"<p>— {m.group(2)}</p>" if m.group(2).strip() else "", inner)


def _code(block: _Block, inner: str, ctx: TransformContext) -> str:
    pre = _PRE.search(inner)
    if pre is None:
        return inner
    pre_attrs, body = pre.group(1), pre.group(2)
    code = _CODE.search(body)
    code_attrs = ""
    if code is not None:
        code_attrs, body = code.group(1), code.group(2)
    language = block.text_attr("language") or block.text_attr("lang")
    language = language.lower() or code_language(attr(code_attrs, "class"), attr(pre_attrs, "class"))
    return "\n<p>" + ctx.fence(code_text(body), language) + "</p>\n"


def _verse(block: _Block, inner: str, ctx: TransformContext) -> str:
    # A verse keeps its line breaks and indentation but is prose, not code (it may hold
    # bold, links…): lines joined by <br>, leading spaces as no-break spaces.
    pre = _PRE.search(inner)
    if pre is None:
        return inner
    text = _BR.sub("\n", pre.group(2)).strip("\n")
    lines = [_INDENT.sub(lambda m: "&nbsp;" * len(m.group().expandtabs(4)), ln) for ln in text.split("\n")]
    return "\n<p>" + "<br>\n".join(lines) + "</p>\n"


def _image(block: _Block, inner: str, ctx: TransformContext) -> str:
    img = _IMG.search(inner)
    if img is None:
        url, alt = html.escape(block.text_attr("url")), html.escape(block.text_attr("alt"))
        return f'\n<p><img src="{url}" alt="{alt}"></p>\n' if url else inner
    href = None
    opener = _last(_A_OPEN.finditer(inner, 0, img.start()))
    if opener is not None and "</a" not in inner[opener.end() : img.start()].lower():
        href = attr(opener.group(0), "href")
    _, caption = _caption(inner)
    return image_html(img.group(0), href, caption)


def _gallery(block: _Block, inner: str, ctx: TransformContext) -> str:
    # Since WordPress 5.9 a gallery holds image blocks (already rendered here); before, it
    # held <ul class="blocks-gallery-grid"> of <li><figure><img></figure></li> items; the
    # ids attribute names the attachments in either case.
    body, caption = _unwrap_figure(inner), None
    if "blocks-gallery-caption" in body:
        body, caption = _caption(body)
    body = _LIST_WRAPPERS.sub("\n", figures_to_images(body))
    if "<img" not in body.lower():
        images = []
        ids = block.attrs.get("ids")
        for raw_id in ids if isinstance(ids, list) else []:
            try:
                ref = ctx.attachments.get(int(raw_id))
            except (TypeError, ValueError):
                ref = None
            if ref is None:
                ctx.count("gallery-missing")
                continue
            tag = f'<img src="{html.escape(ref.url)}" alt="{html.escape(ref.alt)}">'
            images.append(image_html(tag, None, html.escape(ref.caption) if ref.caption else None))
        body = "".join(images)
    return body + caption_html(caption)


def _embed(block: _Block, inner: str, ctx: TransformContext) -> str:
    # core/embed (and the legacy core-embed/youtube, core-embed/twitter… names): the URL is
    # in the attributes and, as text, in the wrapper div. A link stands for the embed.
    body, caption = _caption(inner)
    url = block.text_attr("url")
    if not url:
        found = _URL.search(_TAGS.sub(" ", body))
        url = html.unescape(found.group(0)) if found else ""
    if not url:
        return inner
    return f"\n<p>{_link(url)}</p>\n{caption_html(caption)}"


def _media(block: _Block, inner: str, ctx: TransformContext) -> str:
    body, caption = _caption(inner)
    media = _MEDIA.search(body)
    if media is None:
        return inner
    return f"\n<p>{protect_raw(media.group(0), ctx)}</p>\n{caption_html(caption)}"


def _file(block: _Block, inner: str, ctx: TransformContext) -> str:
    # <a href>Name</a> plus an optional "Download" button (and a PDF <object> preview).
    for a in _A_ELEMENT.finditer(inner):
        a_attrs = a.group(1)
        href = attr(a_attrs, "href")
        if href and " download" not in a_attrs and "wp-block-file__button" not in a_attrs:
            text = html.unescape(_TAGS.sub("", a.group(2))).strip() or href.rsplit("/", 1)[-1]
            return f"\n<p>{_link(href, text)}</p>\n"
    href = block.text_attr("href")
    return f"\n<p>{_link(href, href.rsplit('/', 1)[-1])}</p>\n" if href else inner


def _table(block: _Block, inner: str, ctx: TransformContext) -> str:
    body, caption = _caption(_unwrap_figure(inner))
    return f"\n{body.strip()}\n{caption_html(caption)}"


def _cover(block: _Block, inner: str, ctx: TransformContext) -> str:
    # Older covers keep the image only in a style="background-image:url(…)" attribute.
    url = block.text_attr("url")
    lower = inner.lower()
    if url and "<img" not in lower and "<video" not in lower:
        return f'\n<p><img src="{html.escape(url)}" alt=""></p>\n{inner}'
    return inner


def _html(block: _Block, inner: str, ctx: TransformContext) -> str:
    return f"\n<p>{protect_raw(inner, ctx)}</p>\n" if inner.strip() else ""


def _shortcode(block: _Block, inner: str, ctx: TransformContext) -> str:
    # The text is the shortcode itself, handled later by the shortcode stage.
    return f"\n\n{inner.strip()}\n\n"


def _social_link(block: _Block, inner: str, ctx: TransformContext) -> str:
    url = block.text_attr("url")
    label = block.text_attr("label") or block.text_attr("service") or url
    return f"<li>{_link(url, label)}</li>" if url else ""


_HANDLERS: dict[str, _Handler] = {
    "core/quote": _quote,
    "core/pullquote": _quote,
    "core/code": _code,
    "core/preformatted": _code,
    "syntaxhighlighter/code": _code,
    "core/verse": _verse,
    "core/image": _image,
    "core/gallery": _gallery,
    "core/embed": _embed,
    "core/audio": _media,
    "core/video": _media,
    "core/file": _file,
    "core/table": _table,
    "core/separator": lambda b, i, c: "\n<hr>\n",
    "core/spacer": _nothing,
    "core/cover": _cover,
    "core/html": _html,
    "core/shortcode": _shortcode,
    "core/social-link": _social_link,
}
# Blocks whose saved HTML already says what they mean (more/nextpage hold their
# <!--more-->/<!--nextpage--> comments, used later by the pipeline).
for _name in (
    "paragraph heading list list-item columns column group row stack media-text buttons button details more "
    "nextpage freeform text-columns social-links subhead missing"
).split():
    _HANDLERS["core/" + _name] = _keep
# Dynamic blocks: WordPress renders them on view from other data (latest posts, the site
# title, query loops and their templates…); what they save is empty or a template.
for _name in (
    "archives avatar block calendar categories comment-author-name comment-content comment-date "
    "comment-edit-link comment-reply-link comment-template comments comments-pagination "
    "comments-pagination-next comments-pagination-numbers comments-pagination-previous comments-title "
    "footnotes home-link latest-comments latest-posts legacy-widget loginout navigation navigation-link "
    "navigation-submenu page-list page-list-item pattern post-author post-author-biography post-author-name "
    "post-comments-form post-content post-date post-excerpt post-featured-image post-navigation-link "
    "post-template post-terms post-title query query-no-results query-pagination query-pagination-next "
    "query-pagination-numbers query-pagination-previous query-title read-more rss search site-logo "
    "site-tagline site-title tag-cloud template-part term-description widget-group"
).split():
    _HANDLERS["core/" + _name] = _nothing


def _render_block(name: str, raw_attrs: str | None, inner: str, ctx: TransformContext) -> str:
    full = name if "/" in name else "core/" + name
    ctx.count("block:" + full)
    block = _Block(full, raw_attrs)
    handler = _HANDLERS.get(full)
    if handler is None:
        if full.startswith("core-embed/"):
            handler = _embed
        else:
            # Unknown (a plugin's block, or core/missing's original): keep its HTML.
            ctx.count("block-unknown:" + full)
            return inner
    if full == "core/missing":
        ctx.count("block-unknown:" + (block.text_attr("originalName") or full))
    return handler(block, inner, ctx)


def render_blocks(html_text: str, ctx: TransformContext) -> str:
    """Render block markup as plain HTML: no delimiter left, each block by its meaning.

    Code and preformatted blocks become fence tokens (:meth:`TransformContext.fence`),
    custom HTML, audio and video become raw-HTML tokens; the rest is HTML for
    :func:`~wpconvert.transform.html2md.html_to_markdown`.
    """
    # Each open block: [name, raw attrs, parts of its inner HTML]; the root is the document.
    stack: list[tuple[str, str | None, list[str]]] = [("", None, [])]
    pos = 0
    for m in _DELIMITER.finditer(html_text):
        stack[-1][2].append(html_text[pos : m.start()])
        pos = m.end()
        name = m.group("name")
        if m.group("closer"):
            depth = len(stack) - 1
            while depth > 0 and stack[depth][0] != name:
                depth -= 1
            if depth == 0:
                ctx.count("block-stray-closer:" + name)
                continue  # a closer without opener: dropped, the text around it stays
            while len(stack) > depth:  # blocks left open inside this one end with it
                open_name, raw, parts = stack.pop()
                stack[-1][2].append(_render_block(open_name, raw, "".join(parts), ctx))
        elif m.group("void"):
            stack[-1][2].append(_render_block(name, m.group("attrs"), "", ctx))
        else:
            stack.append((name, m.group("attrs"), []))
    stack[-1][2].append(html_text[pos:])
    while len(stack) > 1:  # openers never closed run to the end of the content
        open_name, raw, parts = stack.pop()
        stack[-1][2].append(_render_block(open_name, raw, "".join(parts), ctx))
    out = "".join(stack[0][2])
    if "<!--" in out:
        out = _STRAY_DELIMITER.sub("", out)
    return out
