"""Tag names matched regardless of case, in a form the regex engine tries quickly.

A pattern such as ``<(table|pre|code)`` compiled with ``re.IGNORECASE`` is tried at every
``<`` of a post, and there the engine compares the next character with the first letter of
each name in turn, lower-casing it each time. :func:`caseless_names` writes the same
alternation without the flag: each letter becomes a class of the characters that match it
case-insensitively, and the names are grouped by first letter, so that one comparison per
group rejects a tag (measured: half the cost of the two patterns of the conversion that
look for tag names this way).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["caseless_names"]

# What Python's case-insensitive (Unicode) matching takes for these ASCII letters besides
# their two cases: the dotted capital and the dotless small i, the Kelvin sign, the long s.
# (tests/test_html2md.py checks every code point against re.IGNORECASE.)
_OTHER_CASES = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def _char(char: str) -> str:
    if char.isascii() and char.isalpha():
        low = char.lower()
        return "[" + low + low.upper() + _OTHER_CASES.get(low, "") + "]"
    return re.escape(char)


def caseless_names(names: Iterable[str]) -> str:
    """A regex, for a pattern compiled without ``re.IGNORECASE``, that matches what
    ``(?:name|name|…)`` matches with it, trying the names in the same order.

    Names that start with different letters never match at the same place, so grouping them
    by first letter (keeping their order within a group) changes no match.
    """
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name[:1].lower(), []).append(name[1:])
    return "(?:" + "|".join(
        _char(first) + "(?:" + "|".join("".join(map(_char, rest)) for rest in rests) + ")"
        for first, rests in groups.items()
    ) + ")"
