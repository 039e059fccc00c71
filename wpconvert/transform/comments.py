"""Comment text to Markdown.

WordPress shows a comment through ``comment_text``: wpautop and a few typographic filters,
but no shortcodes and no blocks. Most comments are plain text: those take a fast path that
gives what wpautop plus html2text would (paragraphs, hard line breaks) without parsing.
"""

from __future__ import annotations

import re

from .context import TransformContext
from .html2md import html_to_markdown
from .wpautop import wpautop

# Characters that are markup in HTML or Markdown; a comment without them (and without a
# line that Markdown would read as a list, heading or rule) is plain text.
# A "&" followed by a space is just an ampersand; one that may start an entity is not plain.
_SPECIAL = re.compile(r"[<>*_`\[\]\\#|~]|&(?=[#A-Za-z0-9])|^\s*(?:[-+=]|\d+[.)])", re.M)
_PARAGRAPHS = re.compile(r"\n\s*\n")


def comment_markdown(text: str) -> str:
    """The Markdown of one comment's text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    if not _SPECIAL.search(text):
        # HTML collapses runs of white space; wpautop makes paragraphs and <br>s.
        paragraphs = []
        for para in _PARAGRAPHS.split(text):
            lines = [" ".join(line.split()) for line in para.split("\n")]
            lines = [line for line in lines if line]
            if lines:
                paragraphs.append("  \n".join(lines))
        return "\n\n".join(paragraphs)
    ctx = TransformContext()
    return ctx.restore(html_to_markdown(wpautop(text), ctx)).strip()
