"""A Python port of WordPress's ``shortcode_unautop()`` (wp-includes/shortcodes.php).

This module owns one step: a paragraph that holds nothing but a shortcode (``<p>[gallery]</p>``, maybe with
spaces or ``&nbsp;`` around it) is unwrapped, so that a shortcode standing alone in a paragraph is not wrapped
in ``<p>`` and the block-level HTML it later expands to is not nested in one. :func:`~.wpautop.wpautop` runs it
last, as WordPress runs it after ``wpautop()``. Like WordPress's, the regular expression is ASCII-only
(``\\w`` there is PCRE without the ``u`` flag); unlike it, closing tags are found by bisecting one index of
them, so this runs in linear time.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable

__all__ = ["shortcode_unautop"]

_A = re.ASCII

# wp_spaces_regexp(): the whitespace shortcode_unautop() allows around a shortcode.
_SPACES = r"(?:[\r\n\t ]|\xa0|&nbsp;)"
# A WordPress-style shortcode name, for when the registered names are not given.
_ANY_SHORTCODE_NAME = r"[A-Za-z][A-Za-z0-9_-]*"

_TRAILING_SPACES_P = re.compile(_SPACES + r"*+</p>", _A)
_CLOSING_TAG = re.compile(r"\[/([^\[\]]+)\]")


def _unautop_opener(names: str) -> re.Pattern[str]:
    return re.compile(r"<p>" + _SPACES + r"*+\[(" + names + r")(?![\w-])", _A)


_UNAUTOP_ANY = _unautop_opener(_ANY_SHORTCODE_NAME)
_unautop_cache: dict[frozenset[str], re.Pattern[str]] = {}


def _unautop(text: str, opener: re.Pattern[str]) -> str:
    # shortcode_unautop()'s regex is "<p> spaces [name attrs] (content [/name])? spaces </p>": the attributes
    # run to the first "]" (self-closing if a "/" precedes it), the optional content to the first "[/name]"
    # after it, tried with the content first, then without. Its regex finds "[/name]" by scanning ahead, which
    # is quadratic for many unclosed shortcodes; one index of the closing tags finds the same matches.
    out: list[str] = []
    done = 0
    closings: dict[str, list[int]] | None = None
    m = opener.search(text)
    while m is not None:
        name, bracket = m.group(1), text.find("]", m.end())
        if bracket < 0:
            break
        ends = [bracket + 1]
        if not (bracket > m.end() and text[bracket - 1] == "/"):
            if closings is None:
                closings = {}
                for c in _CLOSING_TAG.finditer(text):
                    closings.setdefault(c.group(1), []).append(c.start())
            positions = closings.get(name, [])
            i = bisect_left(positions, bracket + 1)
            if i < len(positions):
                ends.insert(0, positions[i] + len(name) + 3)
        for end in ends:
            trailing = _TRAILING_SPACES_P.match(text, end)
            if trailing is not None:
                out.append(text[done : m.start()])
                out.append(text[m.start(1) - 1 : end])
                done = trailing.end()
                break
        m = opener.search(text, done if done > m.start() else m.start() + 1)
    out.append(text[done:])
    return "".join(out)


def shortcode_unautop(text: str, names: Iterable[str] | None = None) -> str:
    """Unwrap paragraphs that hold a shortcode alone, like WordPress's ``shortcode_unautop``.

    ``<p>[gallery ids="1,2"]</p>`` becomes ``[gallery ids="1,2"]``, so that the HTML the shortcode later expands
    to (a ``<div>``, a ``<figure>``) is not nested in a ``<p>``. WordPress only considers *registered*
    shortcodes; pass their ``names`` to do the same. With ``None``, any WordPress-style name (a letter, then
    letters, digits, ``_``, ``-``) counts, which is harmless for text that merely looks like one.
    """
    if "[" not in text:
        return text
    if names is None:
        opener = _UNAUTOP_ANY
    else:
        key = frozenset(names)
        if not key:
            return text
        cached = _unautop_cache.get(key)
        if cached is None:
            # Longest first, so that "gallery" is not cut to a registered "gal".
            alternation = "|".join(re.escape(n) for n in sorted(key, key=len, reverse=True))
            cached = _unautop_cache[key] = _unautop_opener(alternation)
        opener = cached
    return _unautop(text, opener)
