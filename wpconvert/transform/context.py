"""State shared by the transform stages while one item's content is converted.

The central trick is *protection*: content that must reach the Markdown output verbatim
(code listings, raw HTML that Markdown cannot express) is swapped for an opaque token early,
survives wpautop and html2text untouched, and is swapped back at the very end
(:meth:`TransformContext.restore`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

# A token is letters and digits only, so neither wpautop nor html2text escapes or splits it.
_TOKEN_PREFIX = "WPCVTPROTECTED"
_TOKEN_RE = re.compile(_TOKEN_PREFIX + r"(\d+)X")
# A line holding a token, and the prefix that its continuation lines need: quote markers, indentation and the
# markers of list items ("- ", "1. "), which become spaces of the same width on the following lines.
_TOKEN_LINE = re.compile(r"(?m)^((?:[ \t>]|(?:[-*+]|\d{1,9}[.)])(?=[ \t]))*+)(.*" + _TOKEN_PREFIX + r".*)$")
_LIST_MARKER = re.compile(r"[-*+]|\d{1,9}[.)]")


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """What content transforms need to know of an attachment (for galleries, captions)."""

    id: int
    url: str
    title: str = ""
    alt: str = ""
    caption: str = ""
    menu_order: int = 0


@dataclass
class TransformContext:
    """Per-item state of the content pipeline.

    ``attachments`` maps attachment post ids to their files (the gallery shortcode and the
    gallery block refer to images by id). ``post_id`` is the id of the item being converted and
    ``attached`` a lookup, provided by the writer, of the attachments whose parent is a given
    post, in WordPress's order (``menu_order``, then id): a ``[gallery]`` without ids shows them
    as its images (WordPress lists the attached images only: the lookup should leave out other
    files). ``stats`` counts what was seen, with keys such as
    ``"shortcode:gallery"``, ``"shortcode-unknown:foo"``, ``"block:core/image"``,
    ``"block-unknown:acme/widget"``; the run report sums them.
    """

    attachments: Mapping[int, AttachmentRef] = field(default_factory=dict)
    shortcode_mode: Literal["keep", "strip"] = "keep"
    stats: Counter[str] = field(default_factory=Counter)
    post_id: int | None = None
    attached: Callable[[int], list[AttachmentRef]] | None = None
    _protected: list[str] = field(default_factory=list)

    def protect(self, markdown: str) -> str:
        """Store final Markdown text and return the token that stands for it.

        Put the token on a line of its own (a block of its own) when the text is a block,
        such as a fenced code listing.
        """
        self._protected.append(markdown)
        return f"{_TOKEN_PREFIX}{len(self._protected) - 1}X"

    def fence(self, code: str, language: str = "") -> str:
        """Protect ``code`` as a fenced Markdown code block; return its token.

        The fence is longer than any run of backticks inside the code, so the code is kept
        exactly as given (``<``, ``&``, indentation and blank lines included).
        """
        longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
        ticks = "`" * max(3, longest + 1)
        body = code if code.endswith("\n") or not code else code + "\n"
        return self.protect(f"{ticks}{language}\n{body}{ticks}")

    def restore(self, text: str) -> str:
        """Replace every token in ``text`` by what it stands for.

        A token that stands after a line prefix (``> `` in a quote, indentation or the marker of
        a list item) gets that prefix on every later line of its replacement, so that a fence
        inside a quote or a list item stays inside it: list markers become spaces of their
        width, and blank lines get the prefix without its trailing spaces (``>`` in a quote,
        nothing in a list). Protected text may itself hold tokens; a token that stands for
        nothing (a number never handed out, or not below the number of the text holding it)
        is left as it is.
        """
        if not self._protected or _TOKEN_PREFIX not in text:
            return text
        return self._restore(text, len(self._protected))

    def _restore(self, text: str, below: int) -> str:
        # Tokens inside protected text are numbered below it (the inner text was protected first): expanding
        # only those ends, even on text that holds a token of its own number.
        def line(line_match: re.Match[str]) -> str:
            prefix, rest = line_match.group(1), line_match.group(2)
            indent = _LIST_MARKER.sub(lambda m: " " * len(m.group()), prefix)
            blank = indent.rstrip(" \t")

            def one(m: re.Match[str]) -> str:
                i = int(m.group(1))
                if i >= below:
                    return m.group(0)
                value = self._protected[i]
                if _TOKEN_PREFIX in value:
                    value = self._restore(value, i)
                if not indent or "\n" not in value:
                    return value
                first, *others = value.split("\n")
                return "\n".join([first, *(indent + other if other else blank for other in others)])

            return prefix + _TOKEN_RE.sub(one, rest)

        return _TOKEN_LINE.sub(line, text)

    def count(self, key: str, n: int = 1) -> None:
        """Add ``n`` to the counter ``key``."""
        self.stats[key] += n
