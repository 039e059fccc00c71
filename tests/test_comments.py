"""Comment text to Markdown: the plain-text fast path must equal the full conversion."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wpconvert.transform.comments import comment_markdown
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
