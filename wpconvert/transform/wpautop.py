"""A Python port of WordPress's ``wpautop()`` (its last step, ``shortcode_unautop()``, is in :mod:`.unautop`).

Classic-editor posts are stored without ``<p>`` tags: WordPress adds them on display with
``wpautop()`` (wp-includes/formatting.php), which turns blank lines into paragraphs and the
remaining single newlines into ``<br />``, while leaving block-level markup, ``<pre>`` and a
few other elements alone. Converting the stored text faithfully therefore means running the
same algorithm first. The steps below follow WordPress's own, in the same order and with
the same regular expressions (comments name each step), so that the same quirks appear;
the few places where this port deliberately differs are marked **Extension** and listed in
:func:`wpautop`'s docstring.

It runs in linear time, unlike some of WordPress's regular expressions (see the comment above
``_WS_BEFORE``). All patterns are compiled once, at import, with :data:`re.ASCII`: PHP's PCRE runs without
the ``u`` flag here, so ``\\s`` and ``\\w`` are ASCII-only there and a no-break space is
*not* whitespace (``<p>&nbsp;</p>``-style paragraphs typed as U+00A0 survive, as on a
WordPress site).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from operator import methodcaller

from .unautop import shortcode_unautop

__all__ = ["ALLBLOCKS", "shortcode_unautop", "wpautop"]

ALLBLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre"
    r"|form|map|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section|article"
    r"|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)
"""The block-level elements of current WordPress's ``wpautop()`` (older versions also listed ``math``, which is
now inline and only newline-preserved, like script/style/svg): no paragraph is opened inside or around them."""



def _by_first_letter(alternation: str) -> str:
    """The same alternation, ``(?:a|b|…)``, with the alternatives grouped by first character.

    The regex engine tries the alternatives of a group one after the other at every position it tries
    (every ``<`` here): 45 for :data:`ALLBLOCKS`, against about 15 groups once grouped. It matches the
    same everywhere: alternatives with different first characters never match at the same place, and
    within a group the order is kept.
    """
    groups: dict[str, list[str]] = {}
    for name in alternation.removeprefix("(?:").removesuffix(")").split("|"):
        groups.setdefault(name[0], []).append(name[1:])
    return "(?:" + "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items()) + ")"


_BLOCKS = _by_first_letter(ALLBLOCKS)
_A = re.ASCII
_GROUP_1 = methodcaller("group", 1)  # "\1" (group 1 takes part in every match), without Python 3.11's template code
_BR_PAIR = re.compile(r"<br\s*/?>\s*<br\s*/?>", _A)
# WordPress's "(<tag[\s/>])" -> "\n\n$1", as "<(?=tag[\s/>])" -> "\n\n<" (no template to expand; the rest of a
# match holds no "<", so no match is lost).
_BLOCK_OPEN = re.compile(r"<(?=" + _BLOCKS + r"[\s/>])", _A)
_BLOCK_CLOSE = re.compile(r"(</" + _BLOCKS + r">)", _A)
_HR = re.compile(r"(<hr\s*?/?>)", _A)

# get_html_split_regex(): an HTML comment, a CDATA section or any other "<...>" (which may
# run to the end of the text when there is no ">": a stray "<" swallows the rest, in
# WordPress too). PHP's conditional "(?(?=!-)...)" is spelt as alternation here.
_HTML_ELEMENT = re.compile(
    r"<(?:(?=!--)!(?:-(?!->)[^-]*+)*+(?:-->)?"
    r"|(?=!\[CDATA\[)!\[CDATA\[[^\]]*+(?:\](?!\]>)[^\]]*+)*+(?:\]\]>)?"
    r"|[^>]*>?)",
    _A,
)
_WPNL = " <!-- wpnl --> "
# Without "<!" (comments, CDATA), an element runs from "<" to the first ">": one holding a newline has a "<" (the
# last before the newline) followed by the newline with no "<" or ">" between. No such match: no newline to hide.
_NEWLINE_IN_TAG = re.compile(r"<[^<>]*\n")

# Linear time. Several of WordPress's regular expressions are quadratic on some inputs; they are
# replaced by ones that give the same result on every input (tests/test_wpautop.py compares them
# with the originals):
# * A leading "\s*" before a tag is tried at every character of a run of whitespace and scans
#   the rest of the run each time. _WS_BEFORE starts only at the beginning of a run: no match
#   ends inside a run (matches end with a tag, or with "\s*"), so any later start in the run
#   follows a failed one at its beginning and fails too.
# * "<tag[^>]*>" scans from every start tag to the next ">"; when no ">" follows at all, that is
#   the end of the text for each of them: _sub_tags() leaves that tail out.
# * "(<tag[^>]*>)\s*</p>" fails, each time after the same scan, for every start tag before a
#   ">" not followed by "</p>". _tag_rest() stops the scan at the next such start tag: only the
#   last one before the ">" can match, and where the original matches it does (the match only
#   removes what follows the ">", so the result is the same).
# * The lazy ".*?" scans become Python with indexes: _sub_elements(), _comment_lines(),
#   _unwrap_li() and _nl_to_br().
_WS_BEFORE = r"(?:(?<!\s)\s++)?"


def _tag_rest(start: str) -> str:
    """``[^>]*>``, except that it fails at a ``<`` followed by ``start``."""
    return rf"[^<>]*+(?:<(?!{start})[^<>]*+)*+>"


_OPTION_BEFORE = re.compile(_WS_BEFORE + r"<option", _A)
_OPTION_AFTER = re.compile(r"</option>\s*", _A)
_OBJECT_OPEN = re.compile(r"(<object[^>]*>)\s*", _A)
_OBJECT_CLOSE = re.compile(_WS_BEFORE + r"</object>", _A)
_PARAM_EMBED = re.compile(_WS_BEFORE + r"(</?(?:param|embed)[^>]*>)\s*", _A)
_MEDIA_OPEN = re.compile(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", _A)
_MEDIA_CLOSE = re.compile(_WS_BEFORE + r"([<\[]/(?:audio|video)[>\]])", _A)
_SOURCE_TRACK = re.compile(_WS_BEFORE + r"(<(?:source|track)[^>]*>)\s*", _A)
_FIGCAPTION_OPEN = re.compile(_WS_BEFORE + r"(<figcaption[^>]*>)", _A)
_FIGCAPTION_CLOSE = re.compile(r"</figcaption>\s*", _A)

_MANY_NL = re.compile(r"\n\n+")
_PARA_SPLIT = re.compile(r"\n\s*\n", _A)
_EMPTY_P = re.compile(r"<p>\s*</p>", _A)
_UNCLOSED_P = re.compile(r"<p>([^<]+)</(div|address|form)>", _A)
_P_AROUND_BLOCK = re.compile(r"<p>\s*(</?" + _BLOCKS + r"[^>]*>)\s*</p>", _A)
_P_BLOCKQUOTE = re.compile(r"<p><blockquote([^>]*)>", _A | re.IGNORECASE)
_P_BEFORE_BLOCK = re.compile(r"<p>\s*(</?" + _BLOCKS + r"[^>]*>)", _A)
_P_AFTER_BLOCK = re.compile(r"(</?" + _BLOCKS + _tag_rest("/?" + _BLOCKS) + r")\s*</p>", _A)
# WordPress's "<(script|style|svg|math).*?</\1>" (DOTALL, case-sensitive, no "\b"), found by
# _sub_elements(): the regex scans to the end of the text from every start tag without end tag.
_PRESERVE_OPEN = re.compile(r"<(script|style|svg|math)", _A)
_PRESERVE_CLOSE = re.compile(r"</(script|style|svg|math)>", _A)
_WS_RUN = re.compile(r"\s+", _A)
_HORIZONTAL_SPACE = " \t\r\f\v"  # the ASCII whitespace (\s) but the newline
_BR_AFTER_BLOCK = re.compile(r"(</?" + _BLOCKS + _tag_rest("/?" + _BLOCKS) + r")\s*<br />", _A)
_BR_BEFORE_BLOCK = re.compile(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", _A)
_FINAL_NL_P = re.compile(r"\n</p>$")

# Extension: elements whose content is kept byte for byte, like <pre>. WordPress only keeps
# the *newlines* of script/style/svg/math (and none of textarea), and a blank line inside
# any of them still splits it into broken paragraphs.
# Found as re.sub() would find "<(script|style|svg|math|textarea)\b[^>]*>.*?</\1\s*>" (ASCII,
# DOTALL, IGNORECASE), by _sub_elements(): that regex scans to the end of the text from every
# start tag without its end tag (3,000 unclosed <script> took seconds).
_RAW_OPEN = re.compile(r"<(script|style|svg|math|textarea)\b", _A | re.IGNORECASE)
_RAW_CLOSE = re.compile(r"</(script|style|svg|math|textarea)\s*>", _A | re.IGNORECASE)
# Extension: HTML comments that make up a whole line (<!--more-->, <!--nextpage-->,
# <!-- wp:... --> block delimiters). WordPress itself cuts the post at <!--more--> and
# <!--nextpage--> *before* wpautop runs, so they never become "<p><!--more--></p>"
# there; here they are kept on a line of their own, between paragraphs.
# Found as re.sub() would find "^[ \t]*((?:<!--(?:[^-]++|-(?!->))*+-->[ \t]*)+)$" (MULTILINE), by
# _comment_lines(): that regex scans to the end of the text for each line starting an unclosed comment.
_COMMENT_LINE_START = re.compile(r"^[ \t]*<!--", _A | re.MULTILINE)
_RAW_TOKEN = re.compile(r"<(\w+) wpcvt-raw-(\d+)></\1>", _A)


def _sub_elements(text: str, opener: re.Pattern[str], closer: re.Pattern[str], tag_end: bool, repl: Callable[[str, str], str]) -> str:
    """What ``re.sub`` gives for ``opener`` (group 1: a name), then the rest of the start tag up to its ``>``
    when ``tag_end``, then lazily anything up to the first ``closer`` of the same name (group 1, compared in
    lower case): each such element is replaced by ``repl(element, lower-case name)``.

    Linear time: such a regex, with its ``.*?``, scans to the end of the text for every start tag that has no
    end tag (3,000 unclosed ``<script>`` took seconds); here the end tags are indexed once and bisected.
    """
    out: list[str] = []
    done = pos = 0
    closes: dict[str, tuple[list[int], list[int]]] | None = None
    while (m := opener.search(text, pos)) is not None:
        body = m.end()
        if tag_end:
            body = text.find(">", body) + 1
            if body == 0:
                break  # no start tag from here on has its ">"
        if closes is None:
            closes = {}
            for c in closer.finditer(text):
                starts, ends = closes.setdefault(c.group(1).lower(), ([], []))
                starts.append(c.start())
                ends.append(c.end())
        name = m.group(1).lower()
        starts, ends = closes.get(name, ([], []))
        i = bisect_left(starts, body)
        if i == len(starts):
            pos = m.start() + 1  # no match here: on from the next character, as the regex
            continue
        out += [text[done : m.start()], repl(text[m.start() : ends[i]], name)]
        done = pos = ends[i]
    out.append(text[done:])
    return "".join(out)


def _around_group_1(pattern: re.Pattern[str], text: str, before: str, after: str) -> str:
    """``pattern.sub(before + "\\1" + after, text)`` for a pattern with one group, which takes part in every
    match, without the template: Python 3.11 expands a template by running Python code for each match
    (``sre_parse.expand_template``). ``split()`` gives the text between the matches and, at the odd
    indexes, group 1 of each."""
    parts = pattern.split(text)
    if len(parts) == 1:
        return text
    parts[1::2] = [before + group + after for group in parts[1::2]]
    return "".join(parts)


def _keep_raw_elements(text: str, store: list[str]) -> str:
    # Extension: script/style/svg/math/textarea elements become placeholders, kept byte for byte.
    return _sub_elements(text, _RAW_OPEN, _RAW_CLOSE, True, lambda element, name: _placeholder(store, name, element))


def _preserve_newlines(text: str) -> str:
    # WordPress: the newlines of script/style/svg/math elements are kept (not turned into <br />).
    return _sub_elements(text, _PRESERVE_OPEN, _PRESERVE_CLOSE, False, lambda element, _: element.replace("\n", "<WPPreserveNewline />"))


def _sub_tags(pattern: re.Pattern[str], text: str, ends: str = ">") -> str:
    """``pattern.sub(r"\\1", text)`` for a pattern whose match ends with a tag's ``[^>]*>`` (or with one of
    ``ends``), maybe then ``\\s*``: the text after the last ``>`` cannot hold a match, and each start tag there
    would be scanned to the end of the text."""
    cut = max(text.rfind(c) for c in ends) + 1
    if cut == 0:
        return text
    spaces = _WS_RUN.match(text, cut)
    cut = spaces.end() if spaces else cut
    return pattern.sub(r"\1", text[:cut]) + text[cut:]


def _comment_lines(text: str, store: list[str]) -> str:
    # Extension: a line made only of HTML comments becomes a placeholder (see _COMMENT_LINE_START). A comment
    # ends at the first "-->" after its "<!--"; one run of comments may span lines, and several lines may start
    # comments that end in the same run: each run's end is computed once.
    closes = [m.start() for m in re.finditer("-->", text)]
    run_end: dict[int, int] = {}  # "<!--" position -> end of its run of comments at a line end, or -1

    def end_of_run(start: int) -> int:
        chain: list[int] = []
        pos = start
        while pos not in run_end:
            chain.append(pos)
            i = bisect_left(closes, pos + 4)
            if i == len(closes):
                end = -1
                break
            pos = closes[i] + 3
            while pos < len(text) and text[pos] in " \t":
                pos += 1
            if not text.startswith("<!--", pos):
                end = pos if pos == len(text) or text[pos] == "\n" else -1
                break
        else:
            end = run_end[pos]
        for p in chain:
            run_end[p] = end
        return end

    out: list[str] = []
    done = 0
    for m in _COMMENT_LINE_START.finditer(text):
        if m.start() < done:
            continue
        end = end_of_run(m.end() - 4)
        if end >= 0:
            out += [text[done : m.start()], _placeholder(store, "pre", text[m.end() - 4 : end].rstrip())]
            done = end
    out.append(text[done:])
    return "".join(out)


def _unwrap_li(text: str) -> str:
    # WordPress's "<p>(<li.+?)</p>" -> "\1": the first "</p>" after "<p><li" and at least one more character,
    # on the same line. The regex scans to the end of the line from every "<p><li" without such a "</p>".
    if "<p><li" not in text:
        return text
    closes = [m.start() for m in re.finditer("</p>", text)]
    out: list[str] = []
    done = 0
    line_end = -1
    while (start := text.find("<p><li", done)) >= 0:
        while start >= 0:
            if line_end < start + 6:
                line_end = text.find("\n", start + 6)
                line_end = len(text) if line_end < 0 else line_end
            i = bisect_left(closes, start + 7)
            if i < len(closes) and closes[i] < line_end:
                break
            start = text.find("<p><li", start + 1)
        if start < 0:
            break
        out += [text[done:start], text[start + 3 : closes[i]]]
        done = closes[i] + 4
    out.append(text[done:])
    return "".join(out)


def _nl_to_br(text: str) -> str:
    # WordPress's "(?<!<br />)\s*\n" -> "<br />\n": in each run of whitespace holding a newline, from its start
    # (or from its second character when "<br />" precedes it) to its last newline. The regex would try every
    # character of a run without a newline and scan the rest of the run each time. Runs are found from their
    # newlines (str.find is much faster than a regex scan).
    out: list[str] = []
    done = 0
    end = 0
    while (start := text.find("\n", end)) >= 0:
        while start > end and text[start - 1] in _HORIZONTAL_SPACE:
            start -= 1
        run = _WS_RUN.match(text, start)
        assert run is not None
        end = run.end()
        last = text.rfind("\n", start, end)
        if text.endswith("<br />", 0, start):
            start += 1
            if start > last:
                continue
        out += [text[done:start], "<br />\n"]
        done = last + 1
    out.append(text[done:])
    return "".join(out)


def _newlines_in_tags(text: str) -> str:
    # wp_replace_in_html_tags($text, ["\n" => " <!-- wpnl --> "]): newlines *inside* a tag
    # (between attributes) or inside a comment must not become paragraphs or <br />.
    if "\n" not in text or ("<!" not in text and not _NEWLINE_IN_TAG.search(text)):
        return text
    return _HTML_ELEMENT.sub(lambda m: m.group(0).replace("\n", _WPNL), text)


def _extract_pre(text: str, store: list[str]) -> str:
    # WordPress: split on "</pre>" and swap each piece's tail from its first "<pre" on for a
    # placeholder element (a <pre>, hence block-level for the rules below).
    parts = text.split("</pre>")
    last = parts.pop()
    out: list[str] = []
    for part in parts:
        start = part.find("<pre")
        if start == -1:  # Malformed HTML: a </pre> without its <pre.
            out.append(part)
            continue
        store.append(part[start:] + "</pre>")
        out.append(f"{part[:start]}<pre wpcvt-raw-{len(store) - 1}></pre>")
    out.append(last)
    return "".join(out)


def _placeholder(store: list[str], tag: str, content: str) -> str:
    store.append(content)
    return f"<{tag} wpcvt-raw-{len(store) - 1}></{tag}>"


def wpautop(text: str, br: bool = True, shortcodes: Iterable[str] | None = None) -> str:
    """Add paragraphs to classic-editor content, as WordPress does on display.

    Blank lines become ``<p>`` paragraphs and, when ``br`` is true, other newlines become
    ``<br />``; nothing is added inside or around block-level elements (:data:`ALLBLOCKS`),
    inside ``<pre>``, inside tags and comments, between ``<option>``\\ s, inside
    ``<object>`` and around ``<source>``/``<track>``/``<figcaption>``. A paragraph holding
    only a shortcode is unwrapped afterwards (:func:`shortcode_unautop`, with
    ``shortcodes`` as the registered names; ``None`` means any shortcode-like name).
    ``\\r\\n`` and ``\\r`` line ends become ``\\n``.

    Deliberate differences from WordPress, each for a better conversion:

    * Line ends are normalised before anything else, so ``<pre>`` content loses its
      ``\\r`` too.
    * ``<script>``, ``<style>``, ``<svg>``, ``<math>`` and ``<textarea>`` elements are
      kept exactly like ``<pre>`` (WordPress keeps only their newlines, and mangles them
      when they contain a blank line).
    * An HTML comment (or run of comments) that fills a whole line is kept on a line of
      its own between paragraphs, unwrapped, rather than becoming ``<p><!--more--></p>``
      or being glued to its neighbours with ``<br />``.
    """
    if text.strip(" \t\n\r\0\x0b") == "":
        return ""
    # Standardize newline characters to "\n" (WordPress does this a few steps later).
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Just to make things a little easier, pad the end.
    text += "\n"

    raw: list[str] = []
    # Pre tags shouldn't be touched by autop: swap them for placeholders, back at the end.
    if "<pre" in text:
        text = _extract_pre(text, raw)
    if "<" in text:
        text = _keep_raw_elements(text, raw)
        if "<!--" in text:
            text = _comment_lines(text, raw)

    # Change multiple <br>s into two line breaks, which will turn into paragraphs. (Here and below, a
    # substitution is skipped when the literal text its pattern needs is absent.)
    text = _BR_PAIR.sub("\n\n", text) if "<br" in text else text
    # Add a double line break above block-level opening tags, below closing ones, and
    # after <hr> (which is self-closing).
    text = _BLOCK_OPEN.sub("\n\n<", text)
    text = _around_group_1(_BLOCK_CLOSE, text, "", "\n\n")
    text = _HR.sub("\\1\n\n", text) if "<hr" in text else text
    # Find newlines in all elements and add placeholders.
    text = _newlines_in_tags(text)

    # Collapse line breaks before and after <option> elements so they don't get autop'd.
    if "<option" in text:
        text = _OPTION_BEFORE.sub("<option", text)
        text = _OPTION_AFTER.sub("</option>", text)
    # Collapse line breaks inside <object>, before <param> and <embed>.
    if "</object>" in text:
        text = _sub_tags(_OBJECT_OPEN, text)
        text = _OBJECT_CLOSE.sub("</object>", text)
        text = _sub_tags(_PARAM_EMBED, text)
    # Collapse line breaks inside <audio>/<video> (and [audio]/[video] shortcodes), around
    # <source> and <track>.
    if "<source" in text or "<track" in text:
        text = _sub_tags(_MEDIA_OPEN, text, ">]")
        text = _MEDIA_CLOSE.sub("\\1", text)
        text = _sub_tags(_SOURCE_TRACK, text)
    # Collapse line breaks before and after <figcaption>.
    if "<figcaption" in text:
        text = _sub_tags(_FIGCAPTION_OPEN, text)
        text = _FIGCAPTION_CLOSE.sub("</figcaption>", text)

    # Remove more than two contiguous line breaks, split on blank lines, and wrap every
    # piece in a <p>.
    text = _MANY_NL.sub("\n\n", text) if "\n\n\n" in text else text
    pieces = [p for p in _PARA_SPLIT.split(text) if p]
    text = "".join(f"<p>{p.strip(chr(10))}</p>\n" for p in pieces)

    # Under certain strange conditions it could create a P of entirely whitespace.
    text = _EMPTY_P.sub("", text)
    # Add a closing <p> inside <div>, <address>, or <form> tag if missing.
    if "</div>" in text or "</address>" in text or "</form>" in text:
        text = _UNCLOSED_P.sub("<p>\\1</p></\\2>", text)
    # If an opening or closing block element tag is wrapped in a <p>, unwrap it.
    text = _P_AROUND_BLOCK.sub(_GROUP_1, text)
    # In some cases <li> may get wrapped in <p>, fix them.
    text = _unwrap_li(text)
    # If a <blockquote> is wrapped with a <p>, move it inside the <blockquote>.
    text = _P_BLOCKQUOTE.sub("<blockquote\\1><p>", text)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    # If a block tag is preceded by an opening <p> or followed by a closing </p>, drop it.
    text = _P_BEFORE_BLOCK.sub(_GROUP_1, text)
    text = _P_AFTER_BLOCK.sub(_GROUP_1, text)

    if br:
        # Keep the newlines of script/style/svg/math (mostly placeholders by now).
        text = _preserve_newlines(text)
        text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
        # Any newline not already preceded by a <br /> gets one.
        text = _nl_to_br(text)
        text = text.replace("<WPPreserveNewline />", "\n")

    # A <br /> after a block tag, or before some of them, is dropped.
    if "<br />" in text:
        text = _BR_AFTER_BLOCK.sub(_GROUP_1, text)
        text = _BR_BEFORE_BLOCK.sub(_GROUP_1, text)
    text = _FINAL_NL_P.sub("</p>", text)

    # Restore newlines in all elements.
    if "<!-- wpnl -->" in text:
        text = text.replace(_WPNL, "\n").replace("<!-- wpnl -->", "\n")
    # Replace the placeholders with their original content (after the wpnl step, so that
    # kept content is exact even if it holds that marker).
    if raw:
        text = _restore(text, raw, len(raw))
    return shortcode_unautop(text, shortcodes)


def _restore(text: str, raw: list[str], below: int) -> str:
    # A kept element may hold an earlier placeholder (a <pre> inside a <script>): expand
    # recursively, each level only to lower numbers, so this always ends.
    def one(m: re.Match[str]) -> str:
        i = int(m.group(2))
        if i >= below:
            return m.group(0)
        content = raw[i]
        return _restore(content, raw, i) if "wpcvt-raw-" in content else content

    return _RAW_TOKEN.sub(one, text)
