"""Finding the media URLs a post's content refers to.

:func:`find_media_urls` reads raw WordPress content (HTML with shortcodes and block
comments) and returns every URL of an image, audio, video or document it uses, in document
order, each once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..xmlstream import is_comment, parse_html
from .kinds import looks_like_media

# Attributes that hold one media URL whatever the element (lazy loading, Jetpack galleries).
_DATA_URL_ATTRS = (
    "data-src",
    "data-lazy-src",
    "data-orig-file",
    "data-medium-file",
    "data-large-file",
    "data-full-url",
    "data-orig-src",
)
_SRCSET_ATTRS = ("srcset", "data-srcset", "data-lazy-srcset")
# Elements whose ``src`` is media by definition; ``src`` elsewhere (iframe, script) counts
# only when the URL itself looks like media.
_MEDIA_SRC_TAGS = frozenset({"img", "audio", "video", "source", "track", "embed", "input"})
# Shortcodes whose URL attributes are media files by definition.
_MEDIA_SHORTCODES = frozenset({"audio", "video", "playlist"})
_MEDIA_SHORTCODE_ATTRS = frozenset(
    {"src", "mp3", "m4a", "ogg", "oga", "wav", "wma", "flac", "mp4", "m4v", "webm", "ogv",
     "wmv", "flv", "mov", "poster"}
)

_CSS_URL_RE = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)
# [name attrs] / [name attrs /]; [[name]] is an escaped shortcode WordPress prints as text.
_SHORTCODE_RE = re.compile(r"(\[?)\[([A-Za-z][\w-]*)(?=[\s\]/])([^\[\]]*?)/?\](\]?)")
_SHORTCODE_ATTR_RE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s'"\]]+))""")
# [embed]URL[/embed], and a URL alone on its line (WordPress embeds audio/video links there).
_EMBED_RE = re.compile(r"\[embed[^\]]*\]\s*([^\s\[\]]+)\s*\[/embed\]", re.IGNORECASE)
_BARE_URL_LINE_RE = re.compile(r"^[ \t]*(https?://[^\s<>\"']+)[ \t]*$", re.MULTILINE)
_BLOCK_COMMENT_RE = re.compile(r"^\s*/?wp:[\w/-]+\s+(\{.*\})\s*/?\s*$", re.DOTALL)
_FALLBACK_ATTR_RE = re.compile(
    r"""\b(src|href|data-src|poster)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE
)
_URL_WHITESPACE = re.compile(r"[\t\n\r]")


def parse_srcset(value: str) -> list[str]:
    """The candidate URLs of a ``srcset`` attribute, per the HTML parsing algorithm.

    URLs may contain commas (``?resize=300,200``) as long as no whitespace follows them.
    """
    urls: list[str] = []
    pos, n = 0, len(value)
    while pos < n:
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        if pos >= n:
            break
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            urls.append(url.rstrip(","))
            continue
        urls.append(url)
        depth = 0  # skip the descriptors ("300w", "2x") up to the next top-level comma
        while pos < n:
            ch = value[pos]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth = max(0, depth - 1)
            elif ch == "," and depth == 0:
                pos += 1
                break
            pos += 1
    return [u for u in urls if u]


def css_urls(css: str) -> list[str]:
    """The ``url(...)`` references of a piece of CSS, in order."""
    return [next(g for g in m.groups() if g is not None) for m in _CSS_URL_RE.finditer(css)]


def shortcode_urls(text: str) -> Iterator[tuple[str, bool]]:
    """``(value, is_media)`` for URL-bearing shortcode attributes in ``text``.

    Attributes of ``[audio]``/``[video]``/``[playlist]`` named after a format (``mp3=``,
    ``mp4=``, ``src=``, ``poster=``…) are media by definition (``is_media`` True); any other
    shortcode attribute is reported with ``is_media`` False and kept by the caller only
    when the URL looks like media.
    """
    for m in _SHORTCODE_RE.finditer(text):
        if m.group(1) == "[" and m.group(4) == "]":
            continue  # [[escaped]]
        name = m.group(2).lower()
        for am in _SHORTCODE_ATTR_RE.finditer(m.group(3)):
            key = am.group(1).lower()
            value = next(g for g in am.groups()[1:] if g is not None)
            yield value, name in _MEDIA_SHORTCODES and key in _MEDIA_SHORTCODE_ATTRS


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _json_strings(v)


def block_comment_urls(comment: str) -> list[str]:
    """String values of a Gutenberg block comment's JSON attributes (``wp:cover {"url":…}``)."""
    m = _BLOCK_COMMENT_RE.match(comment)
    if not m:
        return []
    try:
        attrs = json.loads(m.group(1))
    except ValueError:
        return []
    return list(_json_strings(attrs))


class _Collector:
    """Accumulates normalised, deduplicated URLs in the order they are first seen."""

    def __init__(self, uploads_prefixes: tuple[str, ...], base_url: str | None) -> None:
        self.prefixes = uploads_prefixes
        self.base_url = base_url
        self.urls: dict[str, None] = {}

    def normalize(self, raw: str) -> str | None:
        url = _URL_WHITESPACE.sub("", raw).strip()
        if not url or url.startswith("#"):
            return None
        if url.startswith("//"):
            scheme = urlsplit(self.base_url).scheme if self.base_url else ""
            url = f"{scheme or 'https'}:{url}"
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            return None
        if scheme in ("http", "https"):
            return url
        if scheme or not self.base_url:
            return None  # data:, mailto:, javascript:, … or a relative URL with no base
        try:
            return urljoin(self.base_url, url)
        except ValueError:
            return None

    def add(self, raw: str, *, media: bool) -> None:
        url = self.normalize(raw)
        if url is None:
            return
        if not media and not looks_like_media(url, self.prefixes):
            return
        self.urls.setdefault(url, None)

    def add_text(self, text: str | None, *, bare_urls: bool = True) -> None:
        if not text:
            return
        if "[" in text:
            for value, media in shortcode_urls(text):
                self.add(value, media=media)
            for m in _EMBED_RE.finditer(text):
                self.add(m.group(1), media=False)
        if bare_urls and "://" in text:
            for m in _BARE_URL_LINE_RE.finditer(text):
                self.add(m.group(1), media=False)

    def add_element(self, el: Any) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        attrib = el.attrib
        for name in ("src", *_DATA_URL_ATTRS):
            value = attrib.get(name)
            if value:
                self.add(str(value), media=name != "src" or tag in _MEDIA_SRC_TAGS)
        for name in _SRCSET_ATTRS:
            value = attrib.get(name)
            if value:
                for url in parse_srcset(str(value)):
                    self.add(url, media=True)
        for name, media in (("poster", True), ("href", False), ("data", False)):
            value = attrib.get(name)
            if value:
                self.add(str(value), media=media)
        style = attrib.get("style")
        if style:
            for url in css_urls(str(style)):
                self.add(url, media=True)
        if tag == "style":
            for url in css_urls(el.text or ""):
                self.add(url, media=True)
        elif tag not in ("script", "style"):
            self.add_text(el.text, bare_urls=tag not in ("a", "code", "pre"))


def find_media_urls(
    html: str, uploads_prefixes: Iterable[str] = (), *, base_url: str | None = None
) -> list[str]:
    """Every media URL that the content ``html`` uses, in document order, each once.

    Looked at: ``src`` (of img/audio/video/source/track/embed; of other elements when the
    URL looks like media), every ``srcset`` candidate, ``data-src``/``data-orig-file``/
    ``data-large-file`` and other lazy-loading attributes, ``poster``, ``href`` and
    ``<object data>`` when the URL looks like media (see
    :func:`~wpconvert.media.kinds.looks_like_media`; ``uploads_prefixes`` adds URL
    prefixes or path fragments that mark uploads), CSS ``url()`` in ``style`` attributes and
    ``<style>``, shortcode attributes (``[audio mp3=…]``, ``[video mp4=… poster=…]``,
    ``src=``), Gutenberg block attributes (``<!-- wp:cover {"url": …} -->``), and
    ``[embed]`` URLs or URLs alone on a line of text when they look like media (WordPress
    turns those into players).

    URLs are returned entity-decoded and stripped. Protocol-relative URLs get the scheme of
    ``base_url`` (https without one); relative URLs are resolved against ``base_url`` and
    dropped without one; ``data:`` and other non-http(s) URLs are dropped.
    """
    collector = _Collector(tuple(uploads_prefixes), base_url)
    root = parse_html(html)
    if root is None:
        for m in _FALLBACK_ATTR_RE.finditer(html):
            value = m.group(2) if m.group(2) is not None else m.group(3)
            collector.add(value, media=m.group(1).lower() != "href")
        return list(collector.urls)
    # Depth-first walk in document order: element (attributes, text), children, tail.
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            collector.add_text(node.tail)
            continue
        if is_comment(node):
            for value in block_comment_urls(node.text or ""):
                if value.startswith(("http://", "https://", "//")):
                    collector.add(value, media=False)
        elif isinstance(node.tag, str):
            collector.add_element(node)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return list(collector.urls)
