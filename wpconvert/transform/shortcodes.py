"""WordPress shortcodes: a parser with WordPress's rules, a handler registry and the built-in handlers.

:func:`protect_code` runs first, on the raw post: code shortcodes (``[code]``, ``[sourcecode]``, ``[python]`` …, as
SyntaxHighlighter Evolved and WordPress.com define them) become fenced-code tokens that neither wpautop nor html2text
touch, as SyntaxHighlighter runs at ``the_content`` priority 7, before wpautop (10) and ``do_shortcode`` (11).
:func:`apply` then runs on the paragraphed HTML, like ``do_shortcode``. The grammar is that of
``get_shortcode_regex()``, ``shortcode_parse_atts()`` and ``do_shortcode_tag()`` (wp-includes/shortcodes.php):
``[[x]]`` escapes, an enclosing shortcode ends at the first ``[/x]`` (one name does not nest: in ``[x] a [x]b[/x]``
the first ``[x]`` encloses `` a [x]b``), and handlers process their content themselves with :func:`do_shortcode`.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import NamedTuple

from wpconvert.transform.context import TransformContext

__all__ = [
    "CODE_SHORTCODES", "DEFAULT_REGISTRY", "Handler", "Shortcode", "ShortcodeRegistry",
    "apply", "do_shortcode", "parse_attrs", "protect_code", "register",
]


@dataclass(frozen=True, slots=True)
class Shortcode:
    """One parsed shortcode.

    ``attrs`` holds the named attributes (names lowercased, values unescaped like PHP's ``stripcslashes``);
    ``positional`` the unnamed ones in order (``[youtube URL]``, and the ``=URL`` of the WordPress.com form
    ``[youtube=URL]``). ``content`` is the text between opening and closing tag, or ``None`` for a self-closing
    or unclosed one. ``raw`` is the shortcode's source text.
    """

    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    positional: tuple[str, ...] = ()
    content: str | None = None
    raw: str = ""

    def value(self, *names: str) -> str:
        """The first non-empty named attribute, else the first positional one without the ``=``/quotes of
        WordPress.com's ``[youtube=URL]`` and ``[sourcecode="css"]`` forms."""
        for name in names:
            if self.attrs.get(name, "").strip():
                return self.attrs[name].strip()
        if self.positional:
            return self.positional[0].lstrip("=").strip("\"'").strip()
        return ""


Handler = Callable[[Shortcode, TransformContext], str]
"""Turns a shortcode into HTML, or into a token from ``ctx.protect``/``ctx.fence``."""

# -- attributes: shortcode_parse_atts() ---------------------------------------------------

_ATTS = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)"""
    r"""|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)""",
    re.ASCII,
)
# A value holding "<" must be balanced tags, or WordPress empties it.
_BALANCED_HTML = re.compile(r"[^<]*+(?:<[^>]*+>[^<]*+)*+")
_CSLASH = re.compile(rb"\\(?:x([0-9A-Fa-f]{1,2})|([0-7]{1,3})|(.))", re.DOTALL)
_CSLASH_MAP = dict(zip(b"ntravbf", b"\n\t\r\a\v\b\f", strict=True))


def _stripcslashes(value: str) -> str:
    # PHP's stripcslashes(): C escapes (\n, \x41, \101) become bytes, "\c" becomes "c".
    if "\\" not in value:
        return value

    def one(m: re.Match[bytes]) -> bytes:
        if m.group(1) is not None:
            return bytes([int(m.group(1), 16)])
        if m.group(2) is not None:
            return bytes([int(m.group(2), 8) & 0xFF])
        char = m.group(3)[0]
        return bytes([_CSLASH_MAP.get(char, char)])

    return _CSLASH.sub(one, value.encode("utf-8")).decode("utf-8", errors="replace")


def parse_attrs(text: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """Parse a shortcode's attribute text as WordPress's ``shortcode_parse_atts`` does.

    Returns the named attributes (``a="x"``, ``a='x'``, ``a=x``; names lowercased) and the positional ones
    (``"x"``, ``'x'``, ``x``). No-break and zero-width spaces count as spaces (the visual editor inserts them).
    """
    text = text.replace("\xa0", " ").replace("\u200b", " ")
    attrs: dict[str, str] = {}
    positional: list[str] = []
    for m in _ATTS.finditer(text):
        g = m.groups()
        if g[0] or g[2] or g[4]:  # name="value", name='value', name=value
            key, val = (g[0], g[1]) if g[0] else (g[2], g[3]) if g[2] else (g[4], g[5])
            attrs[str(key).lower()] = _stripcslashes(str(val))
        elif (value := g[6] or g[7] or g[8]) is not None:  # "value", 'value', value ("" is dropped)
            positional.append(_stripcslashes(value))
    for key, val in attrs.items():
        if "<" in val and not _BALANCED_HTML.fullmatch(val):
            attrs[key] = ""
    positional = ["" if "<" in v and not _BALANCED_HTML.fullmatch(v) else v for v in positional]
    return attrs, tuple(positional)


# -- matching: get_shortcode_regex() ------------------------------------------------------


# One match of get_shortcode_regex(): ``left``/``right`` are the extra brackets of an escaped [[x]]; ``opening``
# is the opening tag (with ``left``); ``content`` is None without a closing tag.
class _Tag(NamedTuple):
    whole: str
    left: str
    name: str
    atts: str
    content: str | None
    right: str
    opening: str


_CLOSING_TAG = re.compile(r"\[/([^\[\]]+)\]")


def _opener(names: str) -> re.Pattern[str]:
    return re.compile(r"\[(\[?)(" + names + ")", re.ASCII)


def _scan(
    text: str, opener: re.Pattern[str], replace: Callable[[_Tag], str],
    accept: Callable[[str, str], bool] | None = None,
) -> str:
    """Replace each shortcode that ``opener`` starts, as ``preg_replace_callback(get_shortcode_regex())`` would.

    WordPress's regex finds the end of an enclosing shortcode by scanning ahead for ``[/name]``, so every
    unclosed ``[x]`` costs a scan to the end of the text (quadratic). The same matches are found here with
    one index of all closing tags: the attribute text runs to the first ``]`` (a ``/`` just before it makes
    the tag self-closing), and the content to the first ``[/name]`` after the opening tag, if any.
    """
    out: list[str] = []
    done = 0
    closings: dict[str, list[int]] | None = None
    m = opener.search(text)
    while m is not None:
        start, name = m.start(), m.group(2)
        bracket = text.find("]", m.end())
        if bracket < 0:  # No "]" left: no later shortcode can be complete either.
            break
        atts, end, content = text[m.end() : bracket], bracket + 1, None
        if accept is not None and not accept(name, atts):
            m = opener.search(text, start + 1)
            continue
        if atts.endswith("/"):
            atts = atts[:-1]
        else:
            if closings is None:
                closings = {}
                for c in _CLOSING_TAG.finditer(text):
                    closings.setdefault(c.group(1), []).append(c.start())
            positions = closings.get(name, ())
            i = bisect_left(positions, end)
            if i < len(positions):
                content, end = text[end : positions[i]], positions[i] + len(name) + 3
        right = "]" if text.startswith("]", end) else ""
        end += len(right)
        out.append(text[done:start])
        out.append(replace(_Tag(text[start:end], m.group(1), name, atts, content, right, text[start : bracket + 1])))
        done = end
        m = opener.search(text, end)
    out.append(text[done:])
    return "".join(out)


def _alternation(names: Iterable[str]) -> str:
    # Longest first, so that a registered "gal" does not cut "gallery" short.
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


# An unregistered name: a letter first (so "[1]" footnotes and "[ ]" are never shortcodes) and then a character
# that can follow a shortcode name ("[Update: …]" is prose).
_UNKNOWN_NAME = r"[A-Za-z][A-Za-z0-9_-]*(?=[\s\]=]|/\])"
_INVALID_NAME = re.compile(r"[<>&/\[\]\x00-\x20=]")

# Brackets inside HTML tags and comments are hidden while matching, as WordPress's do_shortcodes_in_html_tags()
# does, so that "<a href='?a[b]=1'>" is no shortcode.
_HTML_ELEMENT = re.compile(
    r"<(?:(?=!--)!(?:-(?!->)[^-]*+)*+(?:-->)?"
    r"|(?=!\[CDATA\[)!\[CDATA\[[^\]]*+(?:\](?!\]>)[^\]]*+)*+(?:\]\]>)?|[^>]*>?)"
)
# Without "<!" (comments, CDATA) an element runs from "<" to the first ">": one holding a bracket has a "<" (the last
# before the bracket) followed by the bracket with no "<" or ">" between. No such match: nothing to hide.
_BRACKET_IN_TAG = re.compile(r"<[^<>]*[\[\]]")


def _hide_brackets_in_tags(text: str) -> str:
    if "<!" not in text and not _BRACKET_IN_TAG.search(text):
        return text
    return _HTML_ELEMENT.sub(lambda m: m.group(0).replace("[", "\ue000").replace("]", "\ue001"), text)


def _unhide(text: str) -> str:
    return text.replace("\ue000", "[").replace("\ue001", "]")


_ACTIVE: ContextVar[ShortcodeRegistry | None] = ContextVar("wpconvert_shortcodes", default=None)


class ShortcodeRegistry:
    """A set of shortcode handlers by name (WordPress's ``$shortcode_tags``)."""

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = {}
        self._opener: re.Pattern[str] | None = None
        for name, handler in (handlers or {}).items():
            self.register(name, handler)

    def register(self, name: str, handler: Handler) -> None:
        """Add or replace the handler of shortcode ``name`` (case-sensitive, as in WordPress); :class:`ValueError`
        for a name ``add_shortcode`` rejects (empty, or with ``<>&/[]=``, spaces or control characters)."""
        if not name or _INVALID_NAME.search(name):
            raise ValueError(f"invalid shortcode name: {name!r}")
        self._handlers[name] = handler
        self._opener = None

    def unregister(self, name: str) -> None:
        """Remove shortcode ``name`` (no error when absent)."""
        self._handlers.pop(name, None)
        self._opener = None

    def __contains__(self, name: object) -> bool:
        return name in self._handlers

    def names(self) -> frozenset[str]:
        """The registered names (for :func:`~wpconvert.transform.wpautop.wpautop`)."""
        return frozenset(self._handlers)

    def copy(self) -> ShortcodeRegistry:
        """A new registry with the same handlers, to extend without touching this one."""
        return ShortcodeRegistry(self._handlers)

    def apply(self, text: str, ctx: TransformContext) -> str:
        """Run the shortcodes in ``text``; see the module function :func:`apply`."""
        if "[" not in text:
            return text
        hide = "<" in text and "\ue000" not in text and "\ue001" not in text
        if hide:
            text = _hide_brackets_in_tags(text)
        token = _ACTIVE.set(self)
        try:
            text = self.run(text, ctx)
        finally:
            _ACTIVE.reset(token)
        return _unhide(text) if hide else text

    def run(self, text: str, ctx: TransformContext) -> str:
        """One ``do_shortcode`` pass, without the bracket hiding that :meth:`apply` adds."""
        if "[" not in text:
            return text
        if self._opener is None:
            known = _alternation(self._handlers)
            self._opener = _opener(f"(?:{known})(?![\\w-])|{_UNKNOWN_NAME}" if known else _UNKNOWN_NAME)
        return _scan(text, self._opener, lambda tag: self._one(tag, ctx), self._accept)

    def _accept(self, name: str, atts: str) -> bool:
        # An unknown name is only taken for a shortcode when it looks like one: WordPress does
        # not parse unregistered tags at all, so "[[x=[a]" must leave "[a]" to its handler.
        return name in self._handlers or "[" not in atts

    def _one(self, tag: _Tag, ctx: TransformContext) -> str:
        handler = self._handlers.get(tag.name)
        strip = ctx.shortcode_mode == "strip"
        if tag.left == "[" and tag.right == "]":
            # [[x]] is the escape for a literal [x]. An unknown one stays as written in "keep" mode (it was plain
            # text to WordPress too, unless a lost plugin registered it).
            return tag.whole[1:-1] if handler is not None or strip else tag.whole
        if handler is None:
            ctx.count("shortcode-unknown:" + tag.name)
            inner = self.run(tag.content, ctx) if tag.content else ""
            if strip:
                return tag.left + inner + tag.right
            if tag.content is None:
                return tag.whole
            # Registered shortcodes inside an unknown one still run, as on WordPress.
            return f"{tag.opening}{inner}[/{tag.name}]{tag.right}"
        attrs, positional = parse_attrs(tag.atts)
        raw = tag.whole[len(tag.left) : len(tag.whole) - len(tag.right)]
        ctx.count("shortcode:" + tag.name)
        return tag.left + handler(Shortcode(tag.name, attrs, positional, tag.content, raw), ctx) + tag.right


DEFAULT_REGISTRY = ShortcodeRegistry()
"""The registry :func:`apply` uses by default, holding the built-in handlers."""


def register(name: str, handler: Handler) -> None:
    """Register ``handler`` for shortcode ``name`` in :data:`DEFAULT_REGISTRY`."""
    DEFAULT_REGISTRY.register(name, handler)


def apply(text: str, ctx: TransformContext, registry: ShortcodeRegistry | None = None) -> str:
    """Expand the shortcodes of ``text`` (HTML, after wpautop or block rendering).

    Registered shortcodes are replaced by their handler's output and counted as ``shortcode:NAME``; ``[[x]]``
    gives a literal ``[x]``. Unknown ones (a name that starts with a letter) are counted as
    ``shortcode-unknown:NAME`` and kept verbatim (``ctx.shortcode_mode == "keep"``) or removed, keeping their
    inner content (``"strip"``). Brackets inside HTML tags and comments are left alone.
    """
    return (registry or DEFAULT_REGISTRY).apply(text, ctx)


def do_shortcode(text: str, ctx: TransformContext) -> str:
    """Run the shortcodes of ``text`` with the registry currently applying (:data:`DEFAULT_REGISTRY` outside
    :func:`apply`): for handlers that process their content, like WordPress's ``do_shortcode($content)``."""
    return (_ACTIVE.get() or DEFAULT_REGISTRY).run(text, ctx)


# -- code shortcodes ----------------------------------------------------------------------

# SyntaxHighlighter Evolved's brush aliases, each also a shortcode ([php]…[/php]), except "latex" and "r", which
# it leaves out; WordPress.com's [code]/[sourcecode] are the same.
_LANGUAGE_TAGS = frozenset(
    "as3 actionscript3 bash shell coldfusion cf clojure clj cpp c c-sharp csharp css delphi pas pascal diff patch"
    " erl erlang fsharp groovy java jfx javafx js jscript javascript tex matlab objc obj-c perl pl php plain text"
    " ps powershell py python splus rails rb ror ruby scala sql vb vbnet xml xhtml xslt html".split()
)
CODE_SHORTCODES = frozenset({"code", "sourcecode", "source"}) | _LANGUAGE_TAGS
"""Shortcodes whose enclosed text is a code listing (handled by :func:`protect_code`)."""

_CODE_OPENER = _opener(f"(?:{_alternation(CODE_SHORTCODES)})(?![\\w-])")
_QUOTED_VALUE = re.compile(r"""=(["'])(.*?)\1""")
_FENCE_UNSAFE = re.compile(r"[^\w+#.-]")


def _code_language(sc: Shortcode) -> str:
    if sc.name in _LANGUAGE_TAGS:
        return sc.name
    if sc.positional:
        # SyntaxHighlighter's attributefix(): [code="css"], [code='css'] and [code=css].
        first = sc.positional[0]
        quoted = _QUOTED_VALUE.search(first)
        return (quoted.group(2) if quoted else first.lstrip("=")).lower()
    return (sc.attrs.get("language") or sc.attrs.get("lang") or "").strip().lower()


def protect_code(text: str, ctx: TransformContext, *, decode_entities: bool = False) -> str:
    """Replace each code shortcode by ``"\\n\\n" + ctx.fence(code, language) + "\\n\\n"``; run before wpautop.

    The code is verbatim (``<``, ``&``, indentation, blank lines, backticks) but for ``\\r\\n`` → ``\\n`` and one
    newline dropped after the opening and before the closing tag. The language is the tag name (``[python]``),
    else ``language=``/``lang=``/``[code="css"]``, lowercased. A lone ``[code]`` or ``[c]`` with nothing to
    enclose stays text; ``[[code]…[/code]]`` becomes a literal ``&#91;code]…&#91;/code]``.
    ``decode_entities``: true for posts with the meta ``_syntaxhighlighter_encoded``, whose code SyntaxHighlighter
    stored HTML-escaped (``&lt;``); like the plugin, code holding a ``<`` or ``>`` is then still taken as is.
    """
    if "[" not in text:
        return text

    def one(tag: _Tag) -> str:
        if tag.left == "[" and tag.right == "]":
            inner = tag.whole[1:-1]
            close = inner.rfind("[/")
            if close > 0:
                inner = inner[:close] + "&#91;" + inner[close + 1 :]
            return "&#91;" + inner[1:]
        if not tag.content:
            return tag.whole
        attrs, positional = parse_attrs(tag.atts)
        code = tag.content.replace("\r\n", "\n").replace("\r", "\n")
        code = code[1:] if code.startswith("\n") else code
        code = code[:-1] if code.endswith("\n") else code
        if decode_entities and "<" not in code and ">" not in code:
            code = html.unescape(code)
        ctx.count("shortcode:" + tag.name)
        # An info string holds no spaces or backticks.
        language = _FENCE_UNSAFE.sub("", _code_language(Shortcode(tag.name, attrs, positional, tag.content)))
        return f"{tag.left}\n\n{ctx.fence(code, language)}\n\n{tag.right}"

    return _scan(text, _CODE_OPENER, one)


# The built-in handlers register themselves on import (kept in their own module).
from wpconvert.transform import shortcode_handlers as _builtin_handlers  # noqa: E402,F401
