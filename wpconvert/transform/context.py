"""State shared by the transform stages while one item's content is converted.

The central trick is *protection*: content that must reach the Markdown output verbatim
(code listings, raw HTML that Markdown cannot express) is swapped for an opaque token early,
survives wpautop and html2text untouched, and is swapped back at the very end
(:meth:`TransformContext.restore`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from collections.abc import Callable, Mapping
from typing import Literal

# A token is letters and digits only, so neither wpautop nor html2text escapes or splits it.
_TOKEN_PREFIX = "WPCVTPROTECTED"
_TOKEN_RE = re.compile(_TOKEN_PREFIX + r"(\d+)X")


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """What content transforms need to know of an attachment (for galleries, captions)."""

    id: int
    url: str
    title: str = ""
    alt: str = ""
    caption: str = ""


@dataclass
class TransformContext:
    """Per-item state of the content pipeline.

    ``attachments`` maps attachment post ids to their files (the gallery shortcode and the
    gallery block refer to images by id). ``stats`` counts what was seen, with keys such as
    ``"shortcode:gallery"``, ``"shortcode-unknown:foo"``, ``"block:core/image"``,
    ``"block-unknown:acme/widget"``; the run report sums them.
    """

    attachments: Mapping[int, AttachmentRef] = field(default_factory=dict)
    shortcode_mode: Literal["keep", "strip"] = "keep"
    stats: Counter[str] = field(default_factory=Counter)
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

        A token that stands after a line prefix (``> `` in a quote, indentation in a list)
        gets that prefix on every line of its replacement, so a fence inside a quote stays
        inside it.
        """
        if not self._protected:
            return text

        def expand(line_match: re.Match[str]) -> str:
            prefix, rest = line_match.group(1), line_match.group(2)

            def one(m: re.Match[str]) -> str:
                value = self._protected[int(m.group(1))]
                # Protected text may itself hold tokens (a fence inside a caption, say).
                value = _TOKEN_RE.sub(one, value)
                return value.replace("\n", "\n" + prefix) if prefix.strip(" ") or prefix else value

            return prefix + _TOKEN_RE.sub(one, rest)

        # Work line by line so that the prefix of the token's line is known.
        return re.sub(r"(?m)^([ \t>]*)(.*" + _TOKEN_PREFIX + r".*)$", expand, text)

    def count(self, key: str, n: int = 1) -> None:
        """Add ``n`` to the counter ``key``."""
        self.stats[key] += n
