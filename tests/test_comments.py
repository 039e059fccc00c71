"""Comment text to Markdown: the fast paths (plain text; simple links and emphasis) must equal
the full conversion."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wpconvert.transform.comments import _marker_after, comment_markdown, is_plain
from wpconvert.transform.context import TransformContext
from wpconvert.transform.html2md import html_to_markdown
from wpconvert.transform.wpautop import wpautop


def slow(text: str) -> str:
    ctx = TransformContext()
    return ctx.restore(html_to_markdown(wpautop(text.replace("\r\n", "\n").strip()), ctx)).strip()


PROSE = st.text(
    alphabet=st.sampled_from(list("abcXYZ äöü日本語🎉 .,;:!?'\"()/%$@—–„“&\n\t")), max_size=200
)


@given(PROSE)
@settings(max_examples=300, deadline=None)
def test_fast_path_equals_full_conversion(text: str) -> None:
    assert comment_markdown(text) == slow(text)


def test_paragraphs_and_line_breaks() -> None:
    assert comment_markdown("one\ntwo\n\nthree") == "one  \ntwo\n\nthree"


def test_markup_takes_the_full_path() -> None:
    text = "I <em>really</em> agree &amp; so does [she]"
    out = comment_markdown(text)
    assert out == slow(text)
    assert "*really*" in out and "&amp;" not in out


def test_list_like_lines_are_not_plain() -> None:
    # A line starting "- " would become a list item if passed through unescaped.
    assert comment_markdown("- not a list") == slow("- not a list")


# Text, links and emphasis that the fast path takes...
_SIMPLE_PIECES = [
    *"abc äöü 日本語 🎉 . , ! ? ' ( ) / : — „ “ & [ ] […] = 1 x.".split(" "), " ", "  ", "\n", "\n\n", "\n \n",
    *(f"<{t}>x y</{t}>" for t in ("em", "strong", "b", "i", "u", "del", "s", "strike")),
    *(f'<a href="{href}">{label}</a>' for href in ("http://x.test/a/", "/rel", "a+b://c", "#f") for label in (href, "x y")),
    '<a href="http://x.test/a_b/">x</a>',
]
# ... and what must send a comment the long way: edge spaces, newlines and markers inside
# elements, markers after a tag or "&", entities, other white space, markup characters.
_HARD_PIECES = [
    *"- + = 1. 2) -- * _ # ~ &amp; &x \\ < > [x".split(" "), "\t", "\xa0", "\u3000", "\x00", "\x85",
    "<br>", "<p>", "<code>", "<a>", "<a href='u'>", "</a>", "</em>", "<EM>x</EM>",
    *(f"<em>{inner}</em>" for inner in (" x", "x ", "", "a\nb", "1. a", "- a", "a & b", "[x]", "<b>x</b>", "a_b", "a\xa0b")),
    *(f'<a href="{href}">x</a>' for href in ("http://x.test/(p)", "http://x.test/?a=1&amp;b=2", "a b", "x\\y", "[u]")),
    *(f'<a href="http://x.test/">{label}</a>' for label in (" x", "", "- x", "a_b", "x\ny")),
    '<a href="u" title="t">x</a>', '<a href="u" rel="nofollow">x</a>',
]


@given(
    st.lists(st.sampled_from(_SIMPLE_PIECES), max_size=16),
    st.sampled_from(["", *_HARD_PIECES]),
    st.integers(min_value=0, max_value=16),
)
@settings(max_examples=500, deadline=None)
def test_markup_fast_path_equals_full_conversion(pieces: list[str], hard: str, at: int) -> None:
    pieces.insert(at, hard)
    text = "".join(pieces)
    assume(not is_plain(text.strip()))  # not plain text (the test above)
    assert comment_markdown(text) == slow(text)


def test_links_and_emphasis_take_the_fast_path() -> None:
    text = 'See <a href="http://x.test/a/">this</a>, <strong>really</strong>.\n<a href="http://x.test/">http://x.test/</a>'
    assert comment_markdown(text) == slow(text) == "See [this](<http://x.test/a/>), **really**.  \n<http://x.test/>"


_MARKER_TEXT = st.text(alphabet=" \t\n\x0b\x1c\x85\u2028\u3000>&-+=1.)a9\u0661", max_size=30)


@given(_MARKER_TEXT)
@settings(max_examples=2000, deadline=None)
def test_marker_search_is_the_regular_expression(text: str) -> None:
    # _marker_after() replaced these two searches (kept here as the definition).
    assert _marker_after(text) == bool(re.search(r"^\s*(?:[-+=]|\d+[.)])", text, re.M))
    assert _marker_after(text, ">&") == bool(re.search(r"(?:^|[>&])\s*(?:[-+=]|\d+[.)])", text, re.M))


def test_marker_search_reads_blank_lines_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each line start tried on its own would read on through every blank line after it
    # (quadratic: hours for this text). Each run of white space is read once.
    from wpconvert.transform import comments

    read: list[int] = []

    class Counted:
        def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
            m = re.compile(r"\s*").match(text, pos)
            assert m is not None
            read.append(m.end() - pos)
            return m

    monkeypatch.setattr(comments, "_SPACES", Counted())
    text = "a" + "\n \n" * 20_000 + "b\n 1. c"
    assert _marker_after(text, ">&")
    assert sum(read) <= sum(c.isspace() for c in text)  # each white space character once at most


def test_what_is_not_simple_is_the_regular_expression() -> None:
    # _NOT_SIMPLE spells out the white space that "[^\S \n]" (its definition) matches.
    from wpconvert.transform.comments import _NOT_SIMPLE

    definition = re.compile(r"[<>*_`\\#|~\x00-\x09\x0b-\x1f\x7f-\x9f]|\[(?=[A-Za-z])|&(?=[#A-Za-z0-9])|[^\S \n]")
    every = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))
    assert [m.start() for m in _NOT_SIMPLE.finditer(every)] == [m.start() for m in definition.finditer(every)]
    for text in ("[a", "[1", "&a", "& ", "&#1", "a b\nc"):
        assert bool(_NOT_SIMPLE.search(text)) == bool(definition.search(text))
