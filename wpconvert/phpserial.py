"""A safe decoder for PHP's ``serialize()`` format, as found in WordPress meta values.

Nothing here ever constructs an object or evaluates anything: PHP objects decode to plain
dicts. The decoded shapes are:

===============================================  =================================================
PHP serialized                                   Python value
===============================================  =================================================
``N;``                                           ``None``
``b:0;`` / ``b:1;``                              ``False`` / ``True``
``i:-5;``                                        ``-5``
``d:0.5;``, ``d:INF;``, ``d:-INF;``, ``d:NAN;``  ``float``
``s:LEN:"...";``                                 ``str`` (LEN counts UTF-8 bytes)
``a:N:{key;value;...}``                          ``dict`` (int or str keys, in order)
``O:LEN:"Class":N:{name;value;...}``             ``{"__class__": "Class", name: value, ...}``
``C:LEN:"Class":LEN:{raw}``                      ``{"__class__": "Class", "__serialized__": raw}``
``E:LEN:"Class:Case";`` (PHP 8.1 enum)           ``{"__class__": "Class", "__enum__": "Case"}``
``r:N;`` / ``R:N;``                              ``{"__ref__": N}`` (a marker, never resolved)
===============================================  =================================================

Arrays always decode to dicts, even when their keys are ``0..n-1``: that is what PHP holds,
and a writer that wants JSON arrays can use :func:`as_list`. Private and protected object
properties, which PHP serializes as ``"\\0Class\\0name"`` and ``"\\0*\\0name"``, decode under
their bare ``name``.

**Wrong string lengths.** PHP counts string lengths in bytes, and WordPress databases that
went through a charset conversion (latin1 → utf8, a search-and-replace of the site URL)
often hold values whose declared lengths no longer match the text. Unless ``strict=True``,
when a declared length does not land on the closing ``";`` the decoder looks at the ``";``
terminators nearest to where the string should have ended, keeps those followed by
something that can continue a serialization (a value, ``}``, or the end of input), and tries
them nearest first; if the rest of the input then fails to parse, it backtracks and tries
the next candidate (a length that does land on ``";`` is trusted first, but may be revised
the same way when what follows cannot be parsed). Backtracking is bounded (at most
:data:`MAX_ATTEMPTS` whole-input attempts, fewer for big inputs), so hostile input costs at
most a small multiple of a linear parse.

**Bounds.** Input longer than ``max_length`` bytes, nesting deeper than ``max_depth``
arrays/objects, and element counts that the remaining input cannot possibly hold are
rejected up front with :class:`PHPSerialError`, so a hostile value can exhaust neither the
stack nor memory.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_LENGTH",
    "MAX_ATTEMPTS",
    "PHPSerialError",
    "as_list",
    "is_serialized",
    "maybe_unserialize",
    "unserialize",
]

DEFAULT_MAX_DEPTH = 64
"""Deepest array/object nesting accepted by default."""

DEFAULT_MAX_LENGTH = 32 * 1024 * 1024
"""Largest input, in UTF-8 bytes, accepted by default."""

MAX_ATTEMPTS = 64
"""How many whole-input parses the lenient string-length repair may try before giving up."""

# Total bytes the lenient repair may parse across all its attempts (bounds MAX_ATTEMPTS).
_REPAIR_BUDGET = 16 * 1024 * 1024
# How many "; candidates are kept on each side of a string's declared end.
_CANDIDATES_PER_SIDE = 4
# PHP's trim() character list, which WordPress's is_serialized() and maybe_unserialize() use.
_PHP_TRIM = " \t\n\r\0\x0b"

_INT_RE = re.compile(rb"[+-]?[0-9]{1,32}")
_FLOAT_RE = re.compile(rb"-?INF|NAN|[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_UINT_RE = re.compile(rb"[0-9]{1,19}")
# What may follow a string's closing "; : another value, the end of an array, or nothing.
_CONTINUATION_RE = re.compile(rb"\}|N;|[bidsaOCErR]:|\Z")
_IS_SERIALIZED_RE = re.compile(
    r"(?:[aOE]:[0-9]+:|[bi]:[0-9+-]|d:[0-9.eE+INFA-]|s:[0-9]+:\")",
    re.DOTALL,
)
# A token of a plain value (the general parser's sub-patterns): a string, content up to the
# first '";' (its length is checked after), an integer, an array's head, '}', a boolean, a float
# or null. For _fast_unserialize, anything else takes the rest at once (one scan, not one per s:).
_TOKENS = (
    r's:([0-9]{1,19}):"([^"]*+(?:"(?!;)[^"]*+)*+)";|i:([+-]?[0-9]{1,32});|a:([0-9]{1,19}):\{'
    r"|(\}|b:[01];|N;|d:(?>" + _FLOAT_RE.pattern.decode() + r");)"  # (?>…): _FLOAT_RE.match
)
_TOKEN_RE = re.compile(_TOKENS.encode(), re.DOTALL)
_FAST_TOKEN_RE = re.compile(_TOKENS + "|.+", re.DOTALL)
_NOTHING: Any = object()  # _fast_unserialize: no value (None is one)


class PHPSerialError(ValueError):
    """The input is not a (well-formed, acceptably small) PHP serialized value."""


class _Parser:
    """One deterministic pass over the input, given the lenient choices to make.

    ``forced`` holds, for each lenient choice point met so far in a previous attempt, which
    candidate to take; ``points`` records how many candidates each choice point had in this
    attempt, so the driver can move on to the next combination.
    """

    def __init__(self, data: bytes, *, strict: bool, max_depth: int, forced: list[int]) -> None:
        self.data = data
        self.strict = strict
        self.max_depth = max_depth
        self.forced = forced
        self.points: list[int] = []

    def error(self, pos: int, message: str) -> PHPSerialError:
        """An error naming the byte offset, with a little context."""
        near = self.data[pos : pos + 20].decode("utf-8", "replace")
        return PHPSerialError(f"{message} at byte {pos} (near {near!r})")

    def expect(self, pos: int, literal: bytes) -> int:
        """Skip ``literal`` at ``pos`` or fail."""
        if not self.data.startswith(literal, pos):
            raise self.error(pos, f"expected {literal.decode()!r}")
        return pos + len(literal)

    def match(self, pattern: re.Pattern[bytes], pos: int, what: str) -> tuple[bytes, int]:
        """Match ``pattern`` at ``pos``; return the matched bytes and the end offset."""
        m = pattern.match(self.data, pos)
        if m is None:
            raise self.error(pos, f"expected {what}")
        return m.group(), m.end()

    def uint(self, pos: int, what: str) -> tuple[int, int]:
        """An unsigned decimal (a length or a count)."""
        raw, pos = self.match(_UINT_RE, pos, what)
        return int(raw), pos

    def decode(self, raw: bytes, pos: int) -> str:
        """UTF-8 bytes to text (lone surrogates pass through, as they were encoded)."""
        try:
            return raw.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError as exc:
            raise self.error(pos, "string is not valid UTF-8") from exc

    def value(self, pos: int, depth: int) -> tuple[Any, int]:
        """Parse one value at ``pos``; return it and the offset after it."""
        data = self.data
        if pos >= len(data):
            raise self.error(pos, "unexpected end of input")
        tag = data[pos : pos + 1]
        if tag == b"N":
            return None, self.expect(pos + 1, b";")
        if data[pos + 1 : pos + 2] != b":":
            raise self.error(pos, "expected a type letter and ':'")
        pos += 2
        if tag == b"b":
            raw = data[pos : pos + 1]
            if raw not in (b"0", b"1"):
                raise self.error(pos, "expected 0 or 1")
            return raw == b"1", self.expect(pos + 1, b";")
        if tag == b"i":
            raw, pos = self.match(_INT_RE, pos, "an integer")
            return int(raw), self.expect(pos, b";")
        if tag == b"d":
            raw, pos = self.match(_FLOAT_RE, pos, "a float")
            return float(raw), self.expect(pos, b";")
        if tag == b"s":
            return self.string(pos)
        if tag == b"a":
            return self.array(pos, depth + 1)
        if tag == b"O":
            return self.object(pos, depth + 1)
        if tag == b"C":
            return self.custom(pos)
        if tag == b"E":
            return self.enum(pos)
        if tag in (b"r", b"R"):
            n, pos = self.uint(pos, "a reference number")
            return {"__ref__": n}, self.expect(pos, b";")
        raise self.error(pos - 2, f"unknown type {tag.decode('utf-8', 'replace')!r}")

    def quoted(self, pos: int) -> tuple[bytes, int]:
        """``LEN:"…"`` with an exact byte length (class names); return bytes and end."""
        length, pos = self.uint(pos, "a length")
        pos = self.expect(pos, b':"')
        end = pos + length
        if end > len(self.data) or self.data[end : end + 1] != b'"':
            raise self.error(pos, "declared length does not match")
        return self.data[pos:end], end + 1

    def string(self, pos: int) -> tuple[str, int]:
        """``s:LEN:"…";`` — the length is trusted when it lands on ``";``, else repaired."""
        length, pos = self.uint(pos, "a string length")
        start = self.expect(pos, b':"')
        end = start + length
        data = self.data
        exact: str | None = None
        if data[end : end + 2] == b'";':
            try:
                exact = data[start:end].decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                pass  # the length splits a character: it is wrong
        if self.strict:
            if exact is None:
                raise self.error(start, "string length does not match its content")
            return exact, end + 2
        # Every lenient string is a choice point. A matching length is choice 0 (and its
        # alternatives are only searched for if a later failure comes back to it).
        index = len(self.points)
        choice = self.forced[index] if index < len(self.forced) else 0
        if exact is not None:
            self.points.append(1 + 2 * _CANDIDATES_PER_SIDE)
            if choice == 0:
                return exact, end + 2
            choice -= 1
            candidates = self.candidates(start, end)
        else:
            candidates = self.candidates(start, min(end, len(data)))
            self.points.append(len(candidates))
        if choice >= len(candidates):
            raise self.error(start, "no plausible end for the string")
        stop = candidates[choice]
        return self.decode(data[start:stop], start), stop + 2

    def candidates(self, start: int, declared_end: int) -> list[int]:
        """Offsets of plausible closing ``";`` near ``declared_end``, nearest first."""
        data = self.data
        found: list[int] = []
        # Backward from the declared end (the text got shorter than declared).
        hi = declared_end + 1
        while len(found) < _CANDIDATES_PER_SIDE:
            at = data.rfind(b'";', start, hi)
            if at < 0:
                break
            if _CONTINUATION_RE.match(data, at + 2):
                found.append(at)
            hi = at + 1
        # Forward from it (the text got longer, e.g. latin1 → UTF-8).
        lo = declared_end + 1
        ahead = 0
        while ahead < _CANDIDATES_PER_SIDE:
            at = data.find(b'";', lo)
            if at < 0:
                break
            if _CONTINUATION_RE.match(data, at + 2):
                found.append(at)
                ahead += 1
            lo = at + 1
        found = [at for at in found if at >= start]
        found.sort(key=lambda at: (abs(at - declared_end), at))
        return found

    def check_depth(self, pos: int, depth: int) -> None:
        """Refuse nesting deeper than allowed."""
        if depth > self.max_depth:
            raise self.error(pos, f"nesting deeper than {self.max_depth}")

    def check_count(self, pos: int, count: int) -> None:
        """Refuse element counts the remaining input cannot hold (6 bytes per pair)."""
        if count * 6 > len(self.data) - pos:
            raise self.error(pos, f"declared {count} elements, more than the input can hold")

    def members(self, pos: int, count: int, depth: int, into: dict[Any, Any]) -> int:
        """Parse ``{key;value;…}`` into ``into``; return the offset after ``}``.

        Plain scalars are taken inline as :meth:`value` takes them; others go through it.
        """
        pos = self.expect(pos, b"{")
        data, strict, points, forced = self.data, self.strict, self.points, self.forced
        match = _TOKEN_RE.match
        key: Any = None
        for i in range(2 * count):  # even i: a key, odd i: its value
            m = match(data, pos)
            length, raw, int_, _, other = m.groups(b"") if m else (b"",) * 5
            val: Any = _NOTHING
            if int_:
                val = int(int_)
            elif length and len(raw) == int(length) and (strict or len(points) >= len(forced) or not forced[len(points)]):
                try:  # as string() does with a length landing on '";' (choice 0 when lenient)
                    val = raw.decode("utf-8", "surrogatepass")
                    if not strict:
                        points.append(1 + 2 * _CANDIDATES_PER_SIDE)
                except UnicodeDecodeError:
                    pass  # the length splits a character: string() repairs it
            elif i & 1 and other and other != b"}":  # null, a boolean or a float
                val = None if other == b"N;" else other == b"b:1;" if other[0] == 98 else float(other[2:-1])
            if val is not _NOTHING and m is not None:
                pos = m.end()
            else:
                key_pos = pos
                val, pos = self.value(pos, depth)
                if not i & 1 and (not isinstance(val, (int, str)) or isinstance(val, bool)):
                    raise self.error(key_pos, "array key must be an integer or a string")
            if i & 1:
                into[key] = val
            else:
                key = val
        return self.expect(pos, b"}")

    def array(self, pos: int, depth: int) -> tuple[dict[Any, Any], int]:
        """``a:N:{…}``."""
        self.check_depth(pos, depth)
        count, pos = self.uint(pos, "an element count")
        pos = self.expect(pos, b":")
        self.check_count(pos, count)
        result: dict[Any, Any] = {}
        return result, self.members(pos, count, depth, result)

    def object(self, pos: int, depth: int) -> tuple[dict[Any, Any], int]:
        """``O:LEN:"Class":N:{…}`` — a plain dict, never an instance."""
        self.check_depth(pos, depth)
        raw_name, pos = self.quoted(pos)
        name = self.decode(raw_name, pos)
        pos = self.expect(pos, b":")
        count, pos = self.uint(pos, "a property count")
        pos = self.expect(pos, b":")
        self.check_count(pos, count)
        props: dict[Any, Any] = {}
        pos = self.members(pos, count, depth, props)
        result: dict[Any, Any] = {"__class__": name}
        for key, val in props.items():
            if isinstance(key, str) and key.startswith("\0"):
                key = key[key.find("\0", 1) + 1 :] if "\0" in key[1:] else key[1:]
            if key != "__class__":
                result[key] = val
        return result, pos

    def custom(self, pos: int) -> tuple[dict[str, Any], int]:
        """``C:LEN:"Class":LEN:{raw}`` — the payload is kept as raw text."""
        raw_name, pos = self.quoted(pos)
        pos = self.expect(pos, b":")
        length, pos = self.uint(pos, "a payload length")
        pos = self.expect(pos, b":{")
        end = pos + length
        if end > len(self.data) or self.data[end : end + 1] != b"}":
            raise self.error(pos, "payload length does not match")
        return {
            "__class__": self.decode(raw_name, pos),
            "__serialized__": self.decode(self.data[pos:end], pos),
        }, end + 1

    def enum(self, pos: int) -> tuple[dict[str, str], int]:
        """``E:LEN:"Class:Case";``."""
        raw, end = self.quoted(pos)
        text = self.decode(raw, pos)
        cls, sep, case = text.partition(":")
        if not sep:
            raise self.error(pos, "enum value must be 'Class:Case'")
        return {"__class__": cls, "__enum__": case}, self.expect(end, b";")


def _fast_unserialize(text: str, max_depth: int) -> Any:
    """``text`` decoded in one sweep when it is a plain array, else ``_NOTHING``.

    Plain: arrays (int or str keys, exact counts, no deeper than ``max_depth``) of null,
    booleans, ints, floats and strings whose declared length is exact in UTF-8 bytes, where
    the general parser's first attempt succeeds with no lenient choice and the same result.
    All else (objects, a wrong length, a string holding '";', errors...) is left to it.
    """
    if not (text.startswith("a:") and text.endswith("}")):
        return _NOTHING
    stack: list[tuple[dict[Any, Any] | None, int, Any]] = []
    into: dict[Any, Any] | None = None  # the array being filled (None: the top level)
    left = 0  # pairs still expected in ``into``
    key = top = _NOTHING
    val: Any
    for length, raw, int_, count, other in _FAST_TOKEN_RE.findall(text):
        if length:
            size = len(raw) if raw.isascii() else len(raw.encode("utf-8", "surrogatepass"))
            if size != int(length):
                return _NOTHING
            val = raw
        elif int_:
            val = int(int_)
        elif count:
            if key is _NOTHING and into is not None:  # an array as a key
                return _NOTHING
            stack.append((into, left, key))
            if len(stack) > max_depth:
                return _NOTHING
            into, left, key = {}, int(count), _NOTHING
            continue
        elif other == "}":
            if into is None or left or key is not _NOTHING:
                return _NOTHING
            val = into
            into, left, key = stack.pop()
        elif not other or (key is _NOTHING and into is not None):  # junk, or a scalar key
            return _NOTHING
        else:
            val = None if other == "N;" else other == "b:1;" if other[0] == "b" else float(other[2:-1])
        if into is None:
            if top is not _NOTHING:  # trailing data
                return _NOTHING
            top = val
        elif key is _NOTHING:
            if not left:  # more elements than declared
                return _NOTHING
            key = val
        else:
            into[key] = val
            key = _NOTHING
            left -= 1
    return top if into is None else _NOTHING


def unserialize(
    s: str,
    *,
    strict: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_length: int = DEFAULT_MAX_LENGTH,
) -> Any:
    """Decode one PHP serialized value; the whole of ``s`` must be that value.

    With ``strict=False`` (the default) string lengths that do not match the text are
    repaired as described in the module docstring; ``strict=True`` trusts them only.
    Raises :class:`PHPSerialError` on malformed input, input over ``max_length`` UTF-8
    bytes, or nesting deeper than ``max_depth``.
    """
    # len(s) is a cheap lower bound of the byte length (the byte length itself for ASCII).
    if len(s) > max_length or (not s.isascii() and len(s.encode("utf-8", "surrogatepass")) > max_length):
        raise PHPSerialError(f"input longer than {max_length} bytes")
    value = _fast_unserialize(s, min(max_depth, DEFAULT_MAX_DEPTH))  # deeper: as ever (stack)
    if value is not _NOTHING:
        return value
    data = s.encode("utf-8", "surrogatepass")
    # Bound the repair's total work: fewer retries for big inputs.
    attempts = max(1, min(MAX_ATTEMPTS, _REPAIR_BUDGET // max(1, len(data))))
    forced: list[int] | None = []
    first_error: PHPSerialError | None = None
    while forced is not None and attempts > 0:
        attempts -= 1
        parser = _Parser(data, strict=strict, max_depth=max_depth, forced=forced)
        try:
            value, end = parser.value(0, 0)
            if end != len(data):
                raise parser.error(end, "trailing data after the value")
            return value
        except RecursionError:
            raise PHPSerialError("nesting too deep for the interpreter's stack") from None
        except PHPSerialError as exc:
            first_error = first_error or exc
            forced = _next_choices(forced, parser.points)
    assert first_error is not None
    raise first_error


def _next_choices(forced: list[int], points: list[int]) -> list[int] | None:
    """The next combination of lenient choices to try (odometer order), or None."""
    taken = [forced[i] if i < len(forced) else 0 for i in range(len(points))]
    for i in range(len(points) - 1, -1, -1):
        if taken[i] + 1 < points[i]:
            return taken[:i] + [taken[i] + 1]
    return None


def is_serialized(s: str) -> bool:
    """True when ``s`` looks like a serialized value, as WordPress's ``is_serialized()``.

    Like WordPress (strict mode) this only looks at the shape — the first token and the
    final ``;`` or ``}`` — and accepts ``N;``, ``b:``, ``i:``, ``d:``, ``s:``, ``a:``,
    ``O:`` and ``E:`` values; ``C:`` values at the top level are not recognised (WordPress
    leaves them as strings too).
    """
    data = s.strip(_PHP_TRIM)
    if data == "N;":
        return True
    if len(data) < 4 or data[1] != ":" or data[-1] not in ";}":
        return False
    if data[0] == "s" and data[-2] != '"':
        return False
    return _IS_SERIALIZED_RE.match(data) is not None


def maybe_unserialize(s: str) -> Any:
    """The decoded value when ``s`` is serialized and parses fully, else ``s`` unchanged.

    Mirrors WordPress's ``maybe_unserialize()``: surrounding whitespace is trimmed before
    decoding, and only one level is decoded, so a double-serialized value (a serialized
    string whose text is itself serialized) comes back as that inner serialized text.
    """
    if not is_serialized(s):
        return s
    try:
        return unserialize(s.strip(_PHP_TRIM))
    except PHPSerialError:
        return s


def as_list(value: dict[Any, Any]) -> list[Any] | None:
    """``value``'s values as a list when its keys are exactly ``0..n-1`` in order, else None."""
    if "__class__" in value:
        return None
    for expected, key in enumerate(value):
        if type(key) is not int or key != expected:
            return None
    return list(value.values())
