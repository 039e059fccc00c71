"""The text around html2text: fixes to the HTML just before it (:func:`prepare_inline`) and
to its Markdown just after (:func:`tidy`). Used by :mod:`.html2md`, which runs html2text."""

from __future__ import annotations

import re

from .caseless import caseless_names
from .htmlprep import BR_MARK

__all__ = ["AMP_PH", "UNICODE_SPACES", "move_spaces_out", "prepare_inline", "tidy"]

# Non-ASCII spaces, which html2text would collapse to " " ("a&nbsp;&nbsp;b", a Japanese
# U+3000 indent): they go through it as character references (see html2md._entity).
UNICODE_SPACES = frozenset("\u00a0\u1680\u202f\u205f\u3000" + "".join(chr(c) for c in range(0x2000, 0x200B)))
_UNICODE_SPACE_RE = re.compile("[" + "".join(sorted(UNICODE_SPACES)) + "]")
# An "&amp;" that would read as an entity once decoded ("&amp;lt;" is the text "&lt;"); it
# is carried as an entity html2text does not know and written back as "&amp;".
_AMP_ENTITY_RE = re.compile(r"&amp;(?=[A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[xX][0-9A-Fa-f]+;)")
AMP_PH = "wpcvtamp"

# Emphasis and links; whitespace at their inner edges is moved outside them.
# In any case (see caseless.py).
_FORMAT_TAG = re.compile(r"<(/?)(" + caseless_names("a strong b em i u del s strike".split()) + r")\b[^>]*>")
_LEADING_SPACES = re.compile(r"(?:\s|&nbsp;)*")


def move_spaces_out(text: str) -> str:
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


def prepare_inline(text: str) -> str:
    """Fixes applied to HTML just before html2text sees it."""
    if BR_MARK in text:
        text = text.replace(BR_MARK, "")
    if "&amp;" in text:
        text = _AMP_ENTITY_RE.sub("&" + AMP_PH + ";", text)
    if not text.isascii() and any(space in text for space in UNICODE_SPACES):
        text = _UNICODE_SPACE_RE.sub(lambda m: "&nbsp;" if m.group() == "\u00a0" else f"&#{ord(m.group())};", text)
    return move_spaces_out(text)


_BR_HARD_NEXT = re.compile(r"[ \t>]*[^ \t>]")


def tidy(md: str) -> str:
    """Trailing whitespace off, hard breaks where they mean something, one blank line max,
    no empty quote line (">") at the edge of a quote; one final newline ("" when empty).

    One pass over the lines: regular expressions for these rules cost more than html2text
    itself on long posts.
    """
    lines = md.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        line = line.rstrip(" \t\u00a0")
        if line.endswith(BR_MARK):
            line = line[:-1].rstrip(" \t\u00a0")
            following = lines[i + 1] if i + 1 < len(lines) else ""
            # A hard break only between two lines with text (not at a paragraph's edge).
            if line.strip(" >") and _BR_HARD_NEXT.match(following.replace(BR_MARK, "")):
                line += "  "
        if BR_MARK in line:
            line = line.replace(BR_MARK, "")
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
