"""Tests of wpconvert.transform.html2md: HTML → Markdown with html2text, tuned."""

from __future__ import annotations

import _markupbase
import html.parser
import re

import html2text
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wpconvert.transform import caseless, htmlprep, mdtext
from wpconvert.transform.context import TransformContext
from wpconvert.transform.html2md import _Converter, _fresh_converter, html_to_markdown
from wpconvert.transform.htmlprep import code_language, code_text


def md(html: str, ctx: TransformContext | None = None) -> str:
    """Convert and restore the protected parts, as the pipeline does."""
    ctx = ctx or TransformContext()
    return ctx.restore(html_to_markdown(html, ctx))


# --- text, emphasis, breaks --------------------------------------------------------------


def test_paragraphs_are_not_wrapped_and_separated_by_one_blank_line() -> None:
    long = "word " * 60
    assert md(f"<p>{long}</p>\n\n\n<p>second</p>") == long.strip() + "\n\nsecond\n"


def test_output_has_no_trailing_whitespace_and_ends_with_one_newline() -> None:
    out = md("<p>a   </p><p>&nbsp;</p><p>  b </p>\n\n\n")
    assert out == "a\n\nb\n"
    assert html_to_markdown("", TransformContext()) == ""
    assert html_to_markdown("  \n ", TransformContext()) == ""


def test_emphasis_marks_and_spaces_moved_outside() -> None:
    assert md("<p>a <strong>bold </strong>b <em> it</em>c</p>") == "a **bold** b *it*c\n"
    assert md("<p><del>gone</del> <s>x</s></p>") == "~~gone~~ ~~x~~\n"


def test_empty_and_nested_emphasis() -> None:
    # "<strong></strong>" alone would give "****", a thematic break.
    assert md("<p><strong></strong></p><p>x<b> </b>y</p>") == "x y\n"
    assert md("<p><strong>bold <strong>inner</strong></strong> <b><em>both</em></b></p>") == (
        "**bold inner** ***both***\n"
    )


def test_emphasis_inside_words_adds_no_space() -> None:
    # html2text inserts spaces around emphasis next to letters, changing the text.
    assert md("<p>un<em>believ</em>able</p>") == "un*believ*able\n"
    assert md("<p>中文<strong>强调</strong>中文</p>") == "中文**强调**中文\n"


def test_br_is_a_hard_line_break_only_between_lines() -> None:
    assert md("<p>one<br>two<br />three<br/></p>") == "one  \ntwo  \nthree\n"
    assert md("<p><br>start</p>") == "start\n"


def test_br_in_quote_and_list_item_keeps_the_prefix() -> None:
    assert md("<blockquote><p>q<br>r</p></blockquote>") == "> q  \n> r\n"
    assert md("<ul><li>a<br>b</li></ul>") == "- a  \n  b\n"


def test_no_space_at_the_start_of_the_line_after_a_break() -> None:
    # wpautop writes "<br />\n": the newline must not become a space on the next line.
    assert md("<blockquote><p>a<br />\n<a href='u'>b</a></p></blockquote>") == "> a  \n> [b](<u>)\n"


def test_headings_and_rule() -> None:
    assert md("<h2>Title</h2><hr /><h6>small</h6>") == "## Title\n\n* * *\n\n###### small\n"


# --- links and images --------------------------------------------------------------------


def test_links_are_inline_and_protected() -> None:
    assert md('<p><a href="https://e.com/a b" title="T">link</a></p>') == '[link](<https://e.com/a b> "T")\n'
    assert md('<p><a href="https://e.com/x">https://e.com/x</a></p>') == "<https://e.com/x>\n"


def test_internal_links_are_kept() -> None:
    assert md('<p>See <a href="#notes">notes</a></p>') == "See [notes](<#notes>)\n"


def test_images_keep_alt_and_title_and_link() -> None:
    assert md('<p><img src="a.jpg" alt="An [alt]" title="The title"></p>') == ('![An \\[alt\\]](a.jpg "The title")\n')
    assert md('<p><a href="big.jpg"><img src="s.jpg" alt="x"></a></p>') == "[![x](s.jpg)](<big.jpg>)\n"
    assert md('<p><img src="my pic (1).jpg" alt=""></p>') == "![](<my pic (1).jpg>)\n"


def test_lazy_loaded_image_uses_the_real_address() -> None:
    html = '<p><img src="data:image/gif;base64,R0lGOD" data-src="https://ex.com/real.jpg" alt="r"></p>'
    assert md(html) == "![r](https://ex.com/real.jpg)\n"


def test_image_figure_becomes_image_and_italic_caption() -> None:
    html = (
        '<figure class="wp-caption alignleft" style="width: 300px"><a href="big.jpg">'
        '<img src="s.jpg" alt="A"></a><figcaption>The <a href="u">caption</a></figcaption></figure>'
    )
    assert md(html) == "[![A](s.jpg)](<big.jpg>)\n\n*The [caption](<u>)*\n"


def test_other_figures_are_unwrapped() -> None:
    html = "<figure><blockquote><p>Q</p></blockquote><figcaption>Who</figcaption></figure>"
    assert md(html) == "> Q\n\n*Who*\n"


# --- lists -------------------------------------------------------------------------------


def test_nested_lists_are_indented_to_the_parent_content() -> None:
    html = "<ul><li>a<ul><li>b<ol><li>c</li><li>d<ul><li>e</li></ul></li></ol></li></ul></li><li>f</li></ul>"
    assert md(html) == "- a\n  - b\n    1. c\n    2. d\n       - e\n- f\n"


def test_nested_list_under_a_two_digit_number() -> None:
    items = "".join(f"<li>i{n}</li>" for n in range(1, 10)) + "<li>ten<ul><li>sub</li></ul></li>"
    assert md(f"<ol>{items}</ol>").endswith("9. i9\n10. ten\n    - sub\n")


def test_ordered_list_start_attribute() -> None:
    assert md('<ol start="4"><li>four</li><li>five</li></ol>') == "4. four\n5. five\n"


def test_adjacent_lists_stay_separate() -> None:
    # Same marker + blank line would merge them into one (loose) Markdown list.
    out = md("<ul><li>a</li></ul>\n<ul><li>b</li></ul><ol><li>c</li></ol><ol><li>d</li></ol>")
    assert out == "- a\n\n* b\n\n1. c\n\n1) d\n"


def test_block_content_inside_a_list_item_is_indented() -> None:
    html = "<ol><li>Step<p>More text</p><pre>x = 1\n\ny = 2</pre></li><li>Next</li></ol>"
    # (TransformContext.restore also indents the fence's blank line: harmless, so ignored.)
    out = "\n".join(line.rstrip() for line in md(html).split("\n"))
    assert out == "1. Step\n\n   More text\n\n   ```\n   x = 1\n\n   y = 2\n   ```\n\n2. Next\n"


def test_definition_list() -> None:
    assert md("<dl><dt>Term</dt><dd>Meaning <b>one</b></dd><dd>two</dd></dl>") == "Term\n: Meaning **one**\n: two\n"


# --- quotes ------------------------------------------------------------------------------


def test_nested_quotes_have_no_stray_empty_quote_lines() -> None:
    out = md("<blockquote><p>a</p><p>b</p><blockquote><p>c</p></blockquote></blockquote><p>after</p>")
    assert out == "> a\n>\n> b\n>\n>> c\n\nafter\n"


# --- entities and scripts ----------------------------------------------------------------


def test_escaped_markup_stays_text() -> None:
    assert md("<p>Use &lt;div&gt; &amp; friends</p>") == "Use \\<div> & friends\n"
    # "&amp;lt;" is the text "&lt;": written as an entity it would render as "<".
    assert md("<p>Type &amp;lt; for &lt;</p>") == "Type &amp;lt; for \\<\n"
    assert md("<p><code>&lt;b&gt; &amp;amp;</code></p>") == "`<b> &amp;`\n"


def test_non_latin_scripts_are_untouched() -> None:
    text = "Привет, мир. 日本語のテキスト。中文。مرحبا بالعالم. שלום. 😀🎉 Ελληνικά"
    assert md(f"<p>{text}</p>") == text + "\n"


def test_special_spaces_are_kept() -> None:
    # html2text collapses every Unicode space; an ideographic space indents Japanese text.
    assert md("<p>\u3000字下げ x&nbsp;&nbsp;y 10\u00a0km</p>") == "\u3000字下げ x\u00a0\u00a0y 10\u00a0km\n"
    assert md("<p>zero\u200bwidth\u200d</p>") == "zero\u200bwidth\u200d\n"


def test_abbreviations_add_no_definitions() -> None:
    assert md('<p><abbr title="seriously">srsly</abbr> ok</p>') == "srsly ok\n"


# --- code --------------------------------------------------------------------------------

CODE = 'if (a < b && c) {\n    echo "<b>`x`</b>";\n\n\treturn ```;\n}'


def test_pre_becomes_a_fence_with_the_exact_code() -> None:
    escaped = CODE.replace("&", "&amp;").replace("<", "&lt;")
    out = md(f'<pre class="brush: php; gutter: false">{escaped}</pre>')
    assert out == f"````php\n{CODE}\n````\n"


def test_pre_code_language_classes() -> None:
    assert md('<pre><code class="language-python">x</code></pre>') == "```python\nx\n```\n"
    assert md('<pre class="lang:js decode:true">x</pre>') == "```js\nx\n```\n"
    assert md('<pre class="lang-ruby">x</pre>') == "```ruby\nx\n```\n"
    assert md('<pre class="lang:default">x</pre>') == "```\nx\n```\n"


def test_pre_keeps_unescaped_source_but_drops_formatting_tags() -> None:
    html = "<pre>\n#include <stdio.h>\n<strong>int</strong> main() {}\n</pre>"
    assert md(html) == "```\n#include <stdio.h>\nint main() {}\n```\n"


def test_code_text_rules() -> None:
    assert code_text("\nline1<br>line2<br />\nline3&nbsp;&nbsp;x&#91;y]\n\n") == "line1\nline2\nline3  x[y]"
    assert code_language(None, "wp-block-code", "language-go") == "go"
    assert code_language("brush: csharp") == "csharp"


def test_inline_code_with_backticks_gets_a_longer_fence() -> None:
    assert md("<p>Run <code>a`b</code> now</p>") == "Run ``a`b`` now\n"


def test_multiline_inline_code_becomes_a_code_block() -> None:
    html = "<p>Styles:<br />\n<code>.a {<br />\n  margin: 0;<br />\n}</code></p>"
    assert md(html) == "Styles:\n\n```\n.a {\n  margin: 0;\n}\n```\n"


# --- tables ------------------------------------------------------------------------------


def test_simple_table_with_header() -> None:
    html = (
        "<table><thead><tr><th>Name</th><th>A|B</th></tr></thead>"
        "<tbody><tr><td><strong>x</strong><br>y</td><td><a href='u'>l</a></td></tr></tbody>"
        "<tfoot><tr><td>f1</td><td>f2</td></tr></tfoot></table>"
    )
    assert md(html) == "| Name | A\\|B |\n| --- | --- |\n| **x**<br>y | [l](<u>) |\n| f1 | f2 |\n"


def test_table_without_header_gets_an_empty_one_and_short_rows_are_padded() -> None:
    html = "<table><tr><td><p>a</p></td><td>b</td></tr><tr><td>c</td></tr></table>"
    assert md(html) == "| | |\n| --- | --- |\n| a | b |\n| c | |\n"


def test_table_first_row_of_th_is_the_header_and_caption_comes_first() -> None:
    html = "<table><caption>Prices</caption><tr><th>k</th></tr><tr><td>v</td></tr></table>"
    assert md(html) == "*Prices*\n\n| k |\n| --- |\n| v |\n"


@pytest.mark.parametrize(
    "html",
    [
        '<table><tr><td rowspan="2">a</td><td>b</td></tr><tr><td>c</td></tr></table>',
        '<table><tr><td colspan="2">a</td></tr></table>',
        "<table><tr><td><ul><li>x</li></ul></td></tr></table>",
        "<table><tr><td><p>one</p><p>two</p></td></tr></table>",
        "<table><tr><td><table><tr><td>in</td></tr></table></td></tr></table>",
    ],
)
def test_complex_tables_stay_raw_html(html: str) -> None:
    ctx = TransformContext()
    assert md(html, ctx) == html + "\n"
    assert ctx.stats["html:table-raw"] == 1


def test_span_of_one_is_simple() -> None:
    assert md('<table><tr><th colspan="1">h</th></tr><tr><td>v</td></tr></table>') == "| h |\n| --- |\n| v |\n"


# --- raw HTML ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "element",
    [
        '<iframe src="https://www.youtube.com/embed/x" width="560"></iframe>',
        '<video controls src="v.mp4"><source src="v.webm"></video>',
        '<audio controls src="a.mp3"></audio>',
        '<object data="f.swf"><embed src="f.swf"></object>',
        '<form action="/s"><input name="q"></form>',
        "<script>if (a < b) { go(); }</script>",
    ],
)
def test_inexpressible_elements_are_kept_raw(element: str) -> None:
    assert md(f"<p>Before</p>{element}<p>After</p>") == f"Before\n\n{element}\n\nAfter\n"


def test_details_kept_raw_without_blank_lines() -> None:
    html = "<details><summary>More</summary>\n\n<p>Hidden <b>text</b></p>\n\n</details>"
    assert md(html) == "<details><summary>More</summary>\n<p>Hidden <b>text</b></p>\n</details>\n"


def test_tokens_are_not_restored_by_html_to_markdown() -> None:
    ctx = TransformContext()
    out = html_to_markdown("<pre>x</pre>", ctx)
    assert "```" not in out and ctx.restore(out) == "```\nx\n```\n"


# --- robustness --------------------------------------------------------------------------


def test_each_call_starts_fresh() -> None:
    ctx = TransformContext()
    html_to_markdown("<ul><li><blockquote>open", ctx)  # left open
    assert html_to_markdown("<p>clean</p>", ctx) == "clean\n"


def test_unclosed_elements_do_not_lose_text() -> None:
    out = md("<p>a<pre>code<table><tr><td>x<figure><figcaption>cap<iframe src=x>tail")
    for word in ("a", "code", "x", "cap", "tail"):
        assert word in out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            "<p> </p> <ul> <li> </li> </ul> <ol> <table> <tr> <td> </td> </table> <pre> </pre> <code> </code> <b> "
            "</b> <em> <br> <blockquote> </blockquote> <figure> <figcaption> </figure> <iframe> </iframe> &lt; "
            "&amp; ` * text 中文 \u3000 &nbsp; </a> <details> |".split(" ")
            + [" ", "\n", "<img src=x>", "<a href=u>"]
        ),
        max_size=40,
    )
)
def test_never_raises_and_output_is_tidy(parts: list[str]) -> None:
    ctx = TransformContext()
    out = html_to_markdown("".join(parts), ctx)
    assert out == "" or (out.endswith("\n") and not out.endswith("\n\n"))
    assert "\n\n\n" not in out
    assert "\x00" not in out and "\x01" not in out


# --- the converter's fast paths give html2text's own output ------------------------------


class _Reference(_Converter):
    """The converter without its fast paths: html2text's and the standard parser's own code
    (for ``o``, the override as it was before its fast path)."""

    def handle_tag(self, tag: str, attrs: dict[str, str | None], start: bool) -> None:
        if tag in ("p", "div", "a"):
            html2text.HTML2Text.handle_tag(self, tag, attrs, start)
        else:
            super().handle_tag(tag, attrs, start)

    def o(self, data: str, puredata: bool = False, force: bool | str = False) -> None:
        if self.p_p and self.list and not self.start and not self.quiet and force != "end" and data.strip():
            html2text.HTML2Text.o(self, "", force=True)
            self.out(self.list_code_indent)
            self.lastWasNL = False
        html2text.HTML2Text.o(self, data, puredata, force)

    def handle_data(self, data: str, entity_char: bool = False) -> None:
        html2text.HTML2Text.handle_data(self, data, entity_char)

    def updatepos(self, i: int, j: int) -> int:
        return int(_markupbase.ParserBase.updatepos(self, i, j))

    def goahead(self, end: bool) -> None:
        html.parser.HTMLParser.goahead(self, end)

    def parse_starttag(self, i: int) -> int:
        return int(html.parser.HTMLParser.parse_starttag(self, i))

    def parse_endtag(self, i: int) -> int:
        return int(html.parser.HTMLParser.parse_endtag(self, i))


_FAST_PATH_PIECES = [
    *"<p> </p> <P> <div> </div> <em> </em> <strong> </strong> <b> </b> <i> </i> <u> <s> </del> <br> <br/> <li> "
    "</li> <ul> </ul> <ol> </ol> <blockquote> </blockquote> <h2> </h2> <pre> </pre> <code> </code> <hr> <dl> "
    "<dt> <dd> </dd> <span> </span> <sup> </sup> <script> </script> <style> </style> <table> <tr> <td> </td> "
    "</a> </abbr> text word 1. 12) - + -- * _ ` [ ] \\ \\* # ! &amp; &lt; &nbsp; &#8217; &x & < > 中文".split(" "),
    " ", "  ", "\n", "\n\n", "\t", "\xa0", "\u3000", "\u2028", "<br />", "<p class='x'>", "<hr />", "<!-- c -->",
    '<a href="http://x.test/">', "<a href=u>", "http://x.test/", "<abbr title='t'>", "<img src='a.png' alt='x'>",
    "</p >", "<p/>", "<li >", "+ x", "- x", "1. x", "\n+ y", " -- z",
    # What the parser's own loop takes over (see _Converter.goahead), at any point.
    "<", "&", "&#", "&#x41;", "&#65", "&#x", "&amp", "&nbsp", "&#8217;x", "<!", "<!DOCTYPE html>", "<?pi?>",
    "<!-- x", "-->", "<a", "<a href='", "</", "</ p>", "</p/>", "<p / >", "<1>", "<é>", "</script>", "</style>",
    "<script>if (a < b && c) {}", "<textarea>", "</textarea>", "<br/ >", "&lt;p&gt;", ";",
    # Start tags with attributes: the common form (taken by _SIMPLE_START_TAG) and others.
    '<img src="a.png" alt="x" />', '<img src="a.png" alt=""/>', '<img src="a.png">', '<a href="http://x.test/" title="">',
    '<a href="x" class="y z">', '<h2 class="wp-block-heading">', '<blockquote class="q">', '<a href="a&amp;b">',
    '<A HREF="x">', '<a href="x"  class="y">', '<p class="x" >', '<a href="x" b>', "<a href='x'>", '<a href=x>',
    '<script type="text/javascript">', '<style media="all">', '<img src="a" src="b">', '<a data-x="1" href="#n">',
    '<img alt="a > b">', '<span lang="ja">', '<pre class="x">', '<code class="language-py">', '<a href="x" />',
    # Links: titles, addresses and text that escape_md() escapes, a link without an address.
    '<a href="x(1)" title="a [b]">', "<a title='t'>", '<a href="http://x.test/" title=" ">', "<a name='n'>", "(",
]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(_FAST_PATH_PIECES), max_size=40))
def test_fast_paths_give_html2texts_output(parts: list[str]) -> None:
    text = "".join(parts)
    expected = _handled(_Reference(), text)
    assert _handled(_Converter(), text) == expected
    assert _handled(_fresh_converter(), text) == expected  # a copied state converts the same


def test_a_fresh_converter_has_the_constructors_state_and_shares_nothing_mutable() -> None:
    used = _fresh_converter()
    used.handle("<ul><li><a href='x'>a <b>b</b></a><blockquote>q</ul><abbr title='t'>T</abbr>")
    built, copied, other = vars(_Converter()), vars(_fresh_converter()), vars(_fresh_converter())
    assert copied.keys() == built.keys()
    for key, value in built.items():
        if key == "out":  # a bound method: bound to its own converter
            assert copied[key].__func__ is value.__func__
            continue
        assert copied[key] == value, key
        if isinstance(value, (list, dict)):
            assert copied[key] is not vars(used)[key] and copied[key] is not other[key], key
        else:  # shared between converters: must be immutable
            assert isinstance(value, (str, int, bool, type(None), re.Pattern)), key
    assert copied["out"].__self__ is not used


@pytest.mark.parametrize("text", ['</ul><a href="a&amp;b"><ul><em>', "<ul><li>x</ul><a href=u>y</a><ul><li>z</ul>"])
def test_fast_paths_on_cases_found_before(text: str) -> None:
    assert _handled(_Converter(), text) == _handled(_Reference(), text)


def _handled(converter: html2text.HTML2Text, text: str) -> str | type[Exception]:
    # The standard library's parser gives up on some junk ("<![<p>": an AssertionError
    # from _markupbase); the fast paths must give up the same way (the conversion catches
    # it, see html2md._convert).
    try:
        return str(converter.handle(text))
    except (AssertionError, ValueError, IndexError) as exc:
        return type(exc)


# --- tag names in any case (caseless.py) ---------------------------------------------------

_EVERY_CHARACTER = "".join(map(chr, range(0x110000)))


@pytest.mark.parametrize("letter", "abcdefghijklmnopqrstuvwxyz")
def test_caseless_letters_match_what_ignorecase_matches(letter: str) -> None:
    # Every code point that re.IGNORECASE takes for the letter, and no other.
    expected = [m.start() for m in re.finditer(letter, _EVERY_CHARACTER, re.I)]
    assert [m.start() for m in re.finditer(caseless._char(letter), _EVERY_CHARACTER)] == expected


# The patterns as they were written, with re.IGNORECASE.
_WRITTEN_WITH_IGNORECASE = {
    "special": (htmlprep._SPECIAL_TAG, re.compile(r"<(" + htmlprep._RAW_TAGS + r"|table|pre|code|figure)(?![\w-])", re.I)),
    "format": (mdtext._FORMAT_TAG, re.compile(r"<(/?)(a|strong|b|em|i|u|del|s|strike)\b[^>]*>", re.I)),
}
_NAME_PIECES = [
    "<", "</", ">", " ", "-", "x", "1", "/", "\u0130", "\u0131", "\u017f", "\u212a", "K", "I",
    *"a strong b em i u del s strike iframe form video audio object embed script style details svg math noscript "
    "canvas textarea dialog table pre code figure STRONG Em sTrike IFRAME Table PRE <p> <b> <s> <a_href=x> </S>".replace(
        "_", " "
    ).split(),
]


@pytest.mark.parametrize("name", sorted(_WRITTEN_WITH_IGNORECASE))
@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.sampled_from(_NAME_PIECES), max_size=25).map("".join))
def test_caseless_patterns_match_as_with_ignorecase(name: str, text: str) -> None:
    fast, written = _WRITTEN_WITH_IGNORECASE[name]
    assert [(m.span(), m.groups()) for m in fast.finditer(text)] == [(m.span(), m.groups()) for m in written.finditer(text)]


def test_caseless_names_keep_the_order_within_a_first_letter() -> None:
    # The first name that lets the rest of the pattern match wins, as in the alternation.
    pattern = re.compile("(" + caseless.caseless_names(["strong", "s", "strike"]) + r")\b")
    assert pattern.match("strike").group(1) == "strike"
    assert pattern.match("S ").group(1) == "S"
    assert re.compile(caseless.caseless_names(["ab", "a"])).match("ab").group() == "ab"
    assert re.compile(caseless.caseless_names(["a", "ab"])).match("ab").group() == "a"
