"""Comment text to Markdown.

WordPress shows a comment through ``comment_text``: wpautop and a few typographic filters,
but no shortcodes and no blocks. Most comments are plain text, or text with a few links and
emphasis: those take fast paths that give what wpautop plus html2text would (paragraphs,
hard line breaks, ``[text](<url>)`` and ``*em*``) without parsing. tests/test_comments.py
compares both fast paths with the full conversion.
"""

from __future__ import annotations

import re

from .context import TransformContext
from .html2md import html_to_markdown
from .wpautop import wpautop

__all__ = ["comment_markdown"]

# Characters that are markup in HTML or Markdown; a comment without them (and without a
# line that Markdown would read as a list, heading or rule) is plain text.
# A "&" followed by a space is just an ampersand; one that may start an entity is not plain.
_SPECIAL = re.compile(r"[<>*_`\[\]\\#|~]|&(?=[#A-Za-z0-9])")
# What starts a list item, a setext heading's underline or a rule: "-", "+", "=", "1.", "1)".
_MARKER = re.compile(r"[-+=]|\d+[.)]")
_SPACES = re.compile(r"\s*")


def _marker_after(text: str, starts: str = "") -> bool:
    r"""Whether a :data:`_MARKER` follows, after nothing but white space, the start of a line
    or one of the characters ``starts``: what ``re.search(r"(?:^|[starts])\s*marker", text,
    re.M)`` finds, but tried only where a line starts or one of ``starts`` is, instead of at
    every character of the text (which cost more than the rest of a comment's conversion)."""
    # "\s*" always matches: the Match is never None.
    spaces, marker = _SPACES.match, _MARKER.match
    if marker(text, spaces(text).end()):  # type: ignore[union-attr]
        return True
    for c in "\n" + starts:
        i = text.find(c)
        while i >= 0:
            end = spaces(text, i + 1).end()  # type: ignore[union-attr]
            if marker(text, end):
                return True
            # Every other line start in that white space leads to the same place: linear
            # time however many blank lines there are.
            i = text.find(c, end)
    return False


def is_plain(text: str) -> bool:
    """Whether ``text`` (a stripped comment) holds no markup at all (see :data:`_SPECIAL`)."""
    return _SPECIAL.search(text) is None and not _marker_after(text)


_PARAGRAPHS = re.compile(r"\n\s*\n")

# --- simple markup -------------------------------------------------------------------------
# A link with nothing but an href, or one emphasis element, around text. The href holds no
# character that html2text would escape in a link destination or HTML would decode.
_ELEMENT = re.compile(
    r'<a href="([^"<>&\\\[\]()\s\x00-\x1f\x7f-\x9f]+)">([^<>]*)</a>'
    r"|<(strong|b|em|i|u|del|s|strike)>([^<>]*)</\3>"
)
# The marks the converter of .html2md writes for emphasis.
_MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "u": "*", "del": "~~", "s": "~~", "strike": "~~"}
# Text (outside the elements and inside them) that needs the full conversion: markup
# characters, an entity, white space other than " " and "\n", control characters. Brackets
# are text to html2text; only wpautop looks at them, for a shortcode ("[name") alone in its
# paragraph.
# The white space is spelled out (every character str.isspace() takes but " " and "\n"):
# with only character classes in front, the regex engine skips through plain text fast
# (twice as fast as with "[^\S \n]", measured).
_OTHER_SPACES = "\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NOT_SIMPLE = re.compile(
    rf"[<>*_`\\#|~\x00-\x09\x0b-\x1f\x7f-\x9f{_OTHER_SPACES}]|\[(?=[A-Za-z])|&(?=[#A-Za-z0-9])"
)
# html2text escapes "1." "+" "-" at the start of each run of text it is handed (a line, or
# what follows a tag or a "&"), not just at the start of a line; such text (or "=" or "1)",
# which the plain path avoids too) takes the full conversion: _marker_after(text, ">&").
# html2text writes a link whose text is its absolute URL as "<url>".
_ABSOLUTE_URL = re.compile(r"[a-zA-Z+]+://")


def _simple_markup(text: str) -> str | None:
    """``text`` with each simple link or emphasis element (see :data:`_ELEMENT`) written as
    Markdown, when that is all the markup it holds and no text would be escaped; else None."""
    if _marker_after(text, ">&"):
        return None
    out: list[str] = []
    pos = 0
    for m in _ELEMENT.finditer(text):
        out.append(text[pos : m.start()])
        href, label = m.group(1), m.group(2)
        if href is None:
            mark, label = _MARKS[m.group(3)], m.group(4)
            md = mark + label + mark
        elif label == href and _ABSOLUTE_URL.match(href):
            md = f"<{href}>"
        else:
            md = f"[{label}](<{href}>)"
        # Text with spaces at its edges, or over two lines, is moved or broken up first.
        if not label or label != label.strip() or "\n" in label or _NOT_SIMPLE.search(label):
            return None
        out.append(md)
        pos = m.end()
    out.append(text[pos:])
    if any(_NOT_SIMPLE.search(out[i]) for i in range(0, len(out), 2)):
        return None
    return "".join(out)


def _paragraphs(text: str) -> str:
    # HTML collapses runs of white space; wpautop makes paragraphs and <br>s.
    paragraphs = []
    for para in _PARAGRAPHS.split(text):
        lines = [" ".join(line.split()) for line in para.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            paragraphs.append("  \n".join(lines))
    return "\n\n".join(paragraphs)


def comment_markdown(text: str) -> str:
    """The Markdown of one comment's text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    if is_plain(text):
        return _paragraphs(text)
    markdown = _simple_markup(text)
    if markdown is not None:
        return _paragraphs(markdown)
    ctx = TransformContext()
    return ctx.restore(html_to_markdown(wpautop(text), ctx)).strip()
