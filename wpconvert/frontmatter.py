"""YAML in and out (front matter, data files, config): the one place PyYAML is imported.

Dumping has a fast path: :func:`_fast_dump` writes the common shapes (block mappings and
sequences of strings, integers, booleans, ``None`` and datetimes) itself, byte for byte as
PyYAML with libyaml's emitter lays them out, and gives up on anything else, which
:func:`_dump_pyyaml` then dumps. The rules it follows are libyaml's (emitter.c:
``yaml_emitter_analyze_scalar``, ``yaml_emitter_select_scalar_style``,
``yaml_emitter_check_simple_key``, the ``write_*_quoted`` writers); PyYAML's pure-Python
emitter differs in details (astral characters, key length), so without libyaml there is
no fast path.
"""

from __future__ import annotations

import datetime as dt
import re
from itertools import repeat
from typing import Any

import yaml

# The C emitter is several times faster; fall back to the pure-Python one where the
# extension was not built.
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """The safe dumper, with shortcuts for the commonest nodes; its output is the same."""

    def represent_data(self, data: Any) -> Any:
        # Strings and integers exactly as SafeRepresenter represents them (they never get
        # aliases), without its generic dispatch; everything else goes the usual way.
        kind = type(data)
        if kind is str:
            self.alias_key = None
            return yaml.ScalarNode(_STR_TAG, data, style=self.default_style)
        if kind is int:
            self.alias_key = None
            return yaml.ScalarNode(_INT_TAG, str(data), style=self.default_style)
        return super().represent_data(data)


# A \UXXXXXXXX escape, preceded by an even number of backslashes (so not itself escaped).
# The match starts at the first backslash of the run (the look-behind after it checks the
# character before), a literal start the regex engine finds quickly.
_ASTRAL = re.compile(r"\\(?<!\\\\)(\\*+)U([0-9A-Fa-f]{8})")


def _astral(m: re.Match[str]) -> str:
    run = m.group(1)  # the backslashes before the last one
    if len(run) % 2:
        return m.group(0)  # "\\U…": an escaped backslash, then text
    return run + chr(int(m.group(2), 16))


def _fix_astral(text: str) -> str:
    # libyaml escapes characters beyond the BMP (emoji) as \UXXXXXXXX inside double
    # quotes; YAML allows them literally, and people read front matter.
    return _ASTRAL.sub(_astral, text) if "\\U" in text else text


def _dump_pyyaml(data: Any) -> str:
    """The reference dump: PyYAML's block style, then the astral fix-up."""
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 30,
        default_flow_style=False,
    )
    return _fix_astral(text)


# --- The fast path -------------------------------------------------------------------------
# Printable to libyaml (IS_PRINTABLE, with unicode on) and not a line break: #x20-#x7E,
# #xA0-#xD7FF, #xE000-#xFFFD less the BOM #xFEFF; U+2028/U+2029 are breaks. Anything else
# is "special" and forces double quotes.
_PRINTABLE = "\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
_SPECIAL = re.compile(f"[^{_PRINTABLE}]")
# Indicators that forbid plain style as the first character (with a leading space).
_FIRST = frozenset(" #,[]{}&*!|>'\"%@`")
# Single quotes are allowed with "\n" breaks unless a space touches a break (space_break,
# break_space); other breaks (\r, U+0085, U+2028, U+2029) are special, or left to PyYAML.
_NOT_SINGLE = re.compile(f"[^{_PRINTABLE}\n]")
_RUN_END = re.compile(r"\n(?!\n)")  # the last line break of a run
# Double-quote escapes (write_double_quoted): these by name, else \xXX, \uXXXX, \UXXXXXXXX.
_NAMED = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f",
          "\r": "r", "\x1b": "e", "\x85": "N"}
# Astral characters would be \UXXXXXXXX, which _fix_astral turns back into the character:
# they are left as they are.
_ESCAPE = re.compile(f"[^{_PRINTABLE}\n\U00010000-\U0010ffff]")
# The commonest escapes, by str.replace ("\\" first).
_COMMON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_KEY_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")
# Where libyaml breaks a multi-line single-quoted scalar, the continuation's indentation.
_INDENT = "\0"
_Resolvers = tuple[tuple[str, re.Pattern[str]], ...]  # (tag, pattern), in Resolver's order
_WILDCARD: _Resolvers = tuple(_Dumper.yaml_implicit_resolvers.get(None, []))
_RESOLVERS: dict[str, _Resolvers] = {
    first: tuple(resolvers) + _WILDCARD
    for first, resolvers in _Dumper.yaml_implicit_resolvers.items() if first is not None
}
_CACHE_SIZE = 4096


class _Fallback(Exception):
    """Raised inside the fast path for data it does not provably lay out as PyYAML does."""


def _implicit_tag(text: str) -> str:
    # Resolver.resolve(ScalarNode, text, (True, False)): the first implicit resolver for the
    # first character (then the wildcard ones) whose pattern matches, else str.
    for tag, regexp in _RESOLVERS.get(text[0], _WILDCARD):
        if regexp.match(text):
            return tag
    return _STR_TAG


def _double(m: re.Match[str]) -> str:
    ch = m.group()
    if "\ud800" <= ch <= "\udfff" or ch in "\u2028\u2029":
        # Lone surrogates cannot be encoded (PyYAML raises); U+2028 and U+2029 are breaks
        # whose layout we do not reproduce.
        raise _Fallback
    if ch in _NAMED:
        return "\\" + _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}"


def _plain(text: str) -> bool:
    """Whether analyze_scalar allows block plain for printable, break-free ``text``."""
    # Not: a leading or trailing space; an indicator first ("#,[]{}&*!|>'"%@`", or "?", ":",
    # "-" followed by a blank or the end); "---" or "..." first; ":" followed by a blank or
    # the end; "#" after a blank.
    first = text[0]
    return not (
        first in _FIRST or text[-1] in " :" or ": " in text or " #" in text
        or (first in "?:-" and text[1:2] in ("", " ")) or text.startswith(("---", "..."))
    )


def _render(text: str) -> str:
    """``text`` as libyaml writes a str scalar in block context, or raise _Fallback.

    Continuation lines of a multi-line single-quoted scalar start with _INDENT.
    """
    if not text:
        return "''"  # "" resolves to null, so it is quoted
    # (For ASCII text, str.isprintable() means #x20-#x7E: the regex scans are the slow part.)
    ascii = text.isascii()
    if (ascii and text.isprintable()) or not _SPECIAL.search(text):
        # All printable, no break. Plain only if the resolver reads it back as a string
        # (implicit[0]) and analyze_scalar allows block plain; else single quotes, "'" doubled.
        if _plain(text) and _implicit_tag(text) == _STR_TAG:
            return text
        return "'" + text.replace("'", "''") + "'"
    if (
        " \n" not in text and "\n " not in text
        and (text.replace("\n", "").isprintable() if ascii else not _NOT_SINGLE.search(text))
    ):
        # write_single_quoted: a run of n "\n" is written as n + 1 line breaks, then the
        # indentation (with width 2**30, spaces never fold).
        return "'" + _RUN_END.sub("\n\n" + _INDENT, text.replace("'", "''")) + "'"
    # Special characters, or a space next to a break: double quotes, escaped.
    for char, escape in _COMMON_ESCAPES:
        if char in text:
            text = text.replace(char, escape)
    return '"' + (_ESCAPE.sub(_double, text) if _ESCAPE.search(text) else text) + '"'


_CACHE: dict[str, str] = {}
_KEY_CACHE: dict[str, str] = {}
_TIMESTAMPS: set[str] = set()  # datetimes' texts known to be written plain


def _string(value: str) -> str:
    """A string value's text, memoised (titles and names recur across pages)."""
    text = _render(value)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[value] = text
    return text


def _scalar(value: Any, seen: set[int]) -> str:
    """A non-string scalar's text (the rules of SafeRepresenter), or raise _Fallback."""
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    if kind is dt.datetime or kind is dt.date:
        # Not exempt from aliases: the same object twice gets an anchor.
        if id(value) in seen:
            raise _Fallback
        seen.add(id(value))
        text: str = value.isoformat(" ") if kind is dt.datetime else value.isoformat()
        if text not in _TIMESTAMPS:
            if not _plain(text) or _implicit_tag(text) != _TIMESTAMP_TAG:
                raise _Fallback  # it would get quotes and an explicit tag
            if len(_TIMESTAMPS) >= _CACHE_SIZE:
                _TIMESTAMPS.clear()
            _TIMESTAMPS.add(text)
        return text
    raise _Fallback


def _key(key: Any) -> str:
    """``key:`` for a simple key, memoised, or raise _Fallback."""
    # A simple key is a str of one line (no break at all, even escaped) and at most 128
    # bytes of UTF-8 (yaml_emitter_check_simple_key); else libyaml writes "? key".
    if type(key) is not str or len(key.encode("utf-8", "replace")) > 128 or _KEY_BREAKS.search(key):
        raise _Fallback
    if len(_KEY_CACHE) >= _CACHE_SIZE:
        _KEY_CACHE.clear()
    text = _KEY_CACHE[key] = _render(key) + ":"
    return text


def _block(data: Any, column: int, first: bool, out: list[str], seen: set[int]) -> None:
    """Append a non-empty dict or list in block style, or raise _Fallback."""
    # Keys, or "-" for items, at ``column`` (the first on the current line, after "- ", when
    # ``first``). A scalar or an empty collection ("[]", "{}") follows on the same line. A
    # dict value starts on the next line two columns in, a list value on the next line at
    # the same column (libyaml's indentless sequence); a dict or list item starts on the
    # dash's line, two columns in.
    pad = " " * column
    mapping = type(data) is dict
    for key, value in data.items() if mapping else zip(repeat(None), data):
        if mapping:
            head = (_KEY_CACHE.get(key) if type(key) is str else None) or _key(key)
        else:
            head = "-"
        if not first:
            head = pad + head
        first = False
        kind = type(value)
        if kind is str:
            text = _CACHE.get(value) or _string(value)
            if _INDENT in text:
                text = text.replace(_INDENT, " " * (column + 2))
        elif kind is dict or kind is list:
            # The same dict or list twice (empty ones too) gets an anchor and an alias.
            if id(value) in seen:
                raise _Fallback
            seen.add(id(value))
            if not value:
                text = "{}" if kind is dict else "[]"
            elif mapping:
                out.append(head + "\n")
                _block(value, column + 2 if kind is dict else column, False, out, seen)
                continue
            else:
                out.append(head + " ")
                _block(value, column + 2, True, out, seen)
                continue
        else:
            text = _scalar(value, seen)
        out.append(f"{head} {text}\n")


def _fast_dump(data: Any) -> str | None:
    """What :func:`_dump_pyyaml` returns for ``data``, or None where it is not sure."""
    if (type(data) is not dict and type(data) is not list) or _BaseDumper is yaml.SafeDumper:
        return None  # a bare scalar (libyaml may add "..."), or no libyaml
    out: list[str] = []
    seen = {id(data)}
    try:
        if not data:
            return "{}\n" if type(data) is dict else "[]\n"
        _block(data, 0, False, out, seen)
    except _Fallback:
        return None
    return _fix_astral("".join(out))


def dump(data: Any) -> str:
    """``data`` as block-style YAML: keys in the given order, Unicode as is, no wrapping."""
    text = _fast_dump(data)
    return _dump_pyyaml(data) if text is None else text


def front_matter(data: dict[str, Any], body: str) -> str:
    """A Markdown document: ``---`` YAML front matter ``---``, a blank line, the body."""
    return f"---\n{dump(data)}---\n\n{body}" if data else body


def load(text: str) -> Any:
    """Parse YAML safely (no object construction)."""
    return yaml.load(text, Loader=_Loader)


YAMLError = yaml.YAMLError
