"""Tests for the shortcode parser, registry, built-in handlers and code protection."""

from __future__ import annotations

import re
import time
from pathlib import Path

import html2text
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from wpconvert.transform import shortcodes
from wpconvert.transform.context import AttachmentRef, TransformContext
from wpconvert.transform.shortcodes import (
    CODE_SHORTCODES,
    DEFAULT_REGISTRY,
    Shortcode,
    ShortcodeRegistry,
    apply,
    do_shortcode,
    parse_attrs,
    protect_code,
    register,
)
from wpconvert.transform.wpautop import wpautop


def recording_registry(*names: str) -> tuple[ShortcodeRegistry, list[Shortcode]]:
    """A registry whose handlers record what they get and print ``<NAME|content>``."""
    seen: list[Shortcode] = []

    def handler(sc: Shortcode, ctx: TransformContext) -> str:
        seen.append(sc)
        return f"<{sc.name}|{sc.content}>"

    return ShortcodeRegistry({n: handler for n in names}), seen


def markdown(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0
    return str(converter.handle(html))


# -- attributes ------------------------------------------------------------------------------


def test_parse_attrs_quoting_forms() -> None:
    attrs, positional = parse_attrs(""" a="x y" B='single' c=bare "pos one" 'pos2' pos3""")
    assert attrs == {"a": "x y", "b": "single", "c": "bare"}  # names lowercased
    assert positional == ("pos one", "pos2", "pos3")


def test_parse_attrs_spaces_around_equals_and_nbsp() -> None:
    attrs, positional = parse_attrs('\xa0ids = "1,2"\u200bcolumns=3')
    assert attrs == {"ids": "1,2", "columns": "3"} and positional == ()


def test_parse_attrs_stripcslashes_and_unbalanced_html() -> None:
    attrs, _ = parse_attrs(r'a="line\nnext" b="C:\\x" c="\x41\101" d="<b>ok</b>" e="<b unclosed"')
    assert attrs["a"] == "line\nnext"
    assert attrs["b"] == "C:\\x"
    assert attrs["c"] == "AA"
    assert attrs["d"] == "<b>ok</b>"
    assert attrs["e"] == ""  # WordPress empties a value with an unclosed tag


def test_parse_attrs_wordpress_com_equals_form() -> None:
    attrs, positional = parse_attrs("=https://youtu.be/x?a=1&w=2")
    assert attrs == {} and positional == ("=https://youtu.be/x?a=1&w=2",)
    sc = Shortcode("youtube", attrs, positional)
    assert sc.value() == "https://youtu.be/x?a=1&w=2"
    assert Shortcode("code", {}, ('="css"',)).value() == "css"


# -- the parser --------------------------------------------------------------------------------


def test_self_closing_and_enclosing_forms() -> None:
    reg, seen = recording_registry("x")
    ctx = TransformContext()
    # No [/x] anywhere: every [x] stands alone.
    assert reg.apply("a [x] b [x /] c [x/] d", ctx) == "a <x|None> b <x|None> c <x|None> d"
    assert reg.apply("d [x]in[/x] e [x][/x] f [x a=1 /][/x]", ctx) == "d <x|in> e <x|> f <x|None>[/x]"
    assert [s.raw for s in seen] == ["[x]", "[x /]", "[x/]", "[x]in[/x]", "[x][/x]", "[x a=1 /]"]
    assert seen[5].attrs == {"a": "1"}
    assert ctx.stats["shortcode:x"] == 6


def test_attributes_reach_the_handler() -> None:
    reg, seen = recording_registry("x")
    reg.apply("""[x id="1" Title='T' n=3 https://example.com/v "quoted pos"]""", TransformContext())
    assert seen[0].attrs == {"id": "1", "title": "T", "n": "3"}
    assert seen[0].positional == ("https://example.com/v", "quoted pos")


def test_escaped_shortcodes_are_literal() -> None:
    reg, seen = recording_registry("x")
    ctx = TransformContext()
    assert reg.apply("[[x]] and [[x /]]", ctx) == "[x] and [x /]"
    assert reg.apply("[[x a=1]inner[/x]]", ctx) == "[x a=1]inner[/x]"
    assert seen == [] and ctx.stats["shortcode:x"] == 0
    # As in WordPress, "[[x]" still reaches to a later "[/x]", and with no "]" after that it is no escape:
    # the shortcode runs, with the lone "[" kept in front.
    assert reg.apply("[[x]] then [x]b[/x]", ctx) == "[<x|] then [x]b>"
    # A single extra bracket is kept around the handled shortcode.
    assert reg.apply("[[x]", ctx) == "[<x|None>"


def test_same_name_enclosing_ambiguity_follows_wordpress() -> None:
    # "[x] a [x]b[/x]": the first [x] encloses up to the first [/x] (shortcodes of one name do not nest).
    reg, seen = recording_registry("x")
    assert reg.apply("[x] a [x]b[/x]", TransformContext()) == "<x| a [x]b>"
    assert len(seen) == 1


def test_nesting_through_do_shortcode() -> None:
    def outer(sc: Shortcode, ctx: TransformContext) -> str:
        return "<div>" + do_shortcode(sc.content or "", ctx) + "</div>"

    reg = ShortcodeRegistry({"outer": outer, "inner": lambda sc, ctx: f"<b>{sc.attrs['n']}</b>"})
    out = reg.apply('[outer][inner n="1"] and [inner n="2"][/outer]', TransformContext())
    assert out == "<div><b>1</b> and <b>2</b></div>"


def test_names_are_exact_and_case_sensitive() -> None:
    reg, seen = recording_registry("x", "xy")
    ctx = TransformContext()
    assert reg.apply("[x-y] [xy] [X]", ctx) == "[x-y] <xy|None> [X]"
    assert [s.name for s in seen] == ["xy"]
    assert ctx.stats["shortcode-unknown:x-y"] == 1 and ctx.stats["shortcode-unknown:X"] == 1


def test_brackets_inside_html_tags_and_comments_are_not_shortcodes() -> None:
    reg, seen = recording_registry("x")
    ctx = TransformContext(shortcode_mode="strip")
    text = '<a href="/?q[x]=1" title="[y]">[x]</a> <!-- [x] [zz] -->'
    assert reg.apply(text, ctx) == '<a href="/?q[x]=1" title="[y]"><x|None></a> <!-- [x] [zz] -->'
    assert len(seen) == 1 and sum(ctx.stats.values()) == 1


def test_unclosed_bracket_is_plain_text() -> None:
    reg, seen = recording_registry("x")
    assert reg.apply("[x never closed", TransformContext()) == "[x never closed"
    assert seen == []


# -- unknown shortcodes -------------------------------------------------------------------------


def test_unknown_kept_verbatim_and_counted() -> None:
    ctx = TransformContext()
    text = 'a [foo bar="1"] b [foo]inner[/foo] c [[foo]] [simple boat]'
    assert apply(text, ctx) == text
    assert ctx.stats["shortcode-unknown:foo"] == 2  # the escaped one is no use of the shortcode
    assert ctx.stats["shortcode-unknown:simple"] == 1


def test_unknown_stripped_keeping_content() -> None:
    ctx = TransformContext(shortcode_mode="strip")
    assert apply('a [foo bar="1"] b [foo]inner[/foo] c [bar/] d [[foo]]', ctx) == "a  b inner c  d [foo]"
    assert ctx.stats["shortcode-unknown:foo"] == 2 and ctx.stats["shortcode-unknown:bar"] == 1


@pytest.mark.parametrize("text", ["[1]", "[ ]", "[Update: new info]", "[12 monkeys]", "[-x]", "[]", "[é]"])
def test_things_that_are_not_shortcodes(text: str) -> None:
    ctx = TransformContext(shortcode_mode="strip")
    assert apply(f"see {text} here", ctx) == f"see {text} here"
    assert not ctx.stats


def test_registered_shortcodes_inside_unknown_ones_still_run() -> None:
    reg, _ = recording_registry("x")
    keep = reg.apply("[foo a=1]one [x] two[/foo]", TransformContext())
    assert keep == "[foo a=1]one <x|None> two[/foo]"
    strip = reg.apply("[foo a=1]one [x] two[/foo]", TransformContext(shortcode_mode="strip"))
    assert strip == "one <x|None> two"


# -- registry -----------------------------------------------------------------------------------


def test_registry_rejects_invalid_names() -> None:
    reg = ShortcodeRegistry()
    for bad in ["", "a b", "a/b", "a]", "a=b", "a<b"]:
        with pytest.raises(ValueError):
            reg.register(bad, lambda sc, ctx: "")


def test_module_register_uses_the_default_registry() -> None:
    assert "wpcvt_test_sc" not in DEFAULT_REGISTRY
    register("wpcvt_test_sc", lambda sc, ctx: "DONE")
    try:
        assert apply("[wpcvt_test_sc]", TransformContext()) == "DONE"
        # A copy is independent of later changes to the original.
        copy = DEFAULT_REGISTRY.copy()
        DEFAULT_REGISTRY.unregister("wpcvt_test_sc")
        assert apply("[wpcvt_test_sc]", TransformContext()) == "[wpcvt_test_sc]"
        assert apply("[wpcvt_test_sc]", TransformContext(), copy) == "DONE"
    finally:
        DEFAULT_REGISTRY.unregister("wpcvt_test_sc")


def test_custom_registry_replaces_builtins_only_where_given() -> None:
    reg = DEFAULT_REGISTRY.copy()
    reg.register("gallery", lambda sc, ctx: "MY GALLERY")
    assert apply('[gallery ids="1"]', TransformContext(), reg) == "MY GALLERY"
    assert "gallery" in reg.names() and "caption" in reg.names()
    assert apply('[gallery ids="1"]', TransformContext()) == ""  # default untouched (id 1 unknown)


# -- built-in handlers -------------------------------------------------------------------------

ATTACHMENTS = {
    10: AttachmentRef(10, "https://ex.com/a.jpg", title="Photo A", alt="Alt A", caption="Caption <em>A</em>"),
    11: AttachmentRef(11, "https://ex.com/b.jpg", title="Photo B"),
    20: AttachmentRef(20, "https://ex.com/song.mp3", title="A Song"),
    21: AttachmentRef(21, "https://ex.com/other.mp3"),
}


def test_caption_new_style() -> None:
    ctx = TransformContext(attachments=ATTACHMENTS)
    text = (
        '[caption id="attachment_10" align="alignnone" width="300"]'
        '<a href="big.jpg"><img src="a.jpg" /></a> A <b>big</b> pelican[/caption]'
    )
    out = apply(text, ctx)
    assert out == '<p><a href="big.jpg"><img alt="Alt A" src="a.jpg" /></a><br />\n<em>A <b>big</b> pelican</em></p>'
    assert ctx.stats["shortcode:caption"] == 1
    assert markdown(apply(text.replace("<b>big</b>", "big"), ctx)).strip() == (
        "[![Alt A](a.jpg)](big.jpg)  \n_A big pelican_"
    )


def test_caption_old_style_attribute_and_alt_from_caption() -> None:
    ctx = TransformContext()
    text = '[wp_caption id="attachment_99" width="300" caption="This is a pelican"]<img src="p.png"/>[/wp_caption]'
    out = apply(text, ctx)
    assert markdown(out).strip() == "![This is a pelican](p.png)  \n_This is a pelican_"
    assert ctx.stats["shortcode:wp_caption"] == 1


def test_caption_keeps_an_existing_alt_and_works_without_width() -> None:
    out = apply('[caption]<img src="p.png" alt="mine" />\nThe caption[/caption]', TransformContext())
    assert 'alt="mine"' in out and "<em>The caption</em>" in out


@pytest.mark.parametrize("tail", [" The caption", " The caption</a>"])
def test_caption_closes_a_link_left_open(tail: str) -> None:
    # pelican's export has '<a href="…"><img … /> Yet another pelican[/caption]' with no </a>.
    text = f'[caption width="300"]<a href="https://x.org/"><img src="p.png" alt="" />{tail}[/caption]'
    out = apply(text, TransformContext())
    image = '<a href="https://x.org/"><img src="p.png" alt="The caption" /></a>'
    assert out == f"<p>{image}<br />\n<em>The caption</em></p>"


def test_caption_after_wpautop_drops_the_break_before_the_caption() -> None:
    html = wpautop('[caption width="10"]<img src="p.png" alt="x" />\nCap[/caption]')
    out = apply(html, TransformContext())
    assert out.startswith('<p><img src="p.png" alt="x" /><br />\n<em>Cap</em></p>')


def test_gallery_resolves_ids_and_counts_missing() -> None:
    ctx = TransformContext(attachments=ATTACHMENTS)
    out = apply('[gallery ids="10, 11,404" link="file" columns="3"]', ctx)
    assert out == (
        '<p><a href="https://ex.com/a.jpg"><img src="https://ex.com/a.jpg" alt="Alt A" /></a><br />\n'
        "<em>Caption <em>A</em></em></p>\n"
        '<p><a href="https://ex.com/b.jpg"><img src="https://ex.com/b.jpg" alt="" /></a></p>'
    )
    assert ctx.stats["gallery-missing"] == 1 and ctx.stats["shortcode:gallery"] == 1


def test_gallery_include_unlinked_and_unresolved() -> None:
    ctx = TransformContext(attachments=ATTACHMENTS)
    assert apply('[gallery include="11"]', ctx) == '<p><img src="https://ex.com/b.jpg" alt="" /></p>'
    assert apply("[gallery]", ctx) == ""
    assert ctx.stats["gallery-unresolved"] == 1 and "gallery-missing" not in ctx.stats


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("[youtube https://youtu.be/abc]", "https://youtu.be/abc"),
        ("[youtube=http://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;w=640&amp;h=385]",
         "http://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("[youtube https://www.youtube.com/watch?v=x1&t=30&w=640]", "https://www.youtube.com/watch?v=x1&t=30"),
        ("[youtube dQw4w9WgXcQ]", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("[youtube url='https://youtu.be/q']", "https://youtu.be/q"),
        ("[vimeo 12345]", "https://vimeo.com/12345"),
        ("[vimeo id=777 w=400 h=300]", "https://vimeo.com/777"),
        ("[vimeo https://vimeo.com/55]", "https://vimeo.com/55"),
        ("[embed width=500]https://twitter.com/x/status/1[/embed]", "https://twitter.com/x/status/1"),
    ],
)
def test_video_services_become_links(text: str, url: str) -> None:
    out = apply(text, TransformContext())
    assert out == f'<p><a href="{url.replace("&", "&amp;")}">{url.replace("&", "&amp;")}</a></p>'
    assert url in markdown(out)


def test_video_is_protected_html5() -> None:
    ctx = TransformContext()
    out = apply('[video width="640" mp4="https://ex.com/v.mp4" poster="p.jpg"][/video]', ctx)
    assert re.fullmatch(r"<p>WPCVTPROTECTED\d+X</p>", out)
    assert ctx.restore(out) == '<p><video controls src="https://ex.com/v.mp4" poster="p.jpg"></video></p>'


def test_video_with_several_sources() -> None:
    ctx = TransformContext()
    out = ctx.restore(apply('[video src="a.mp4" webm="a.webm" ogv="a.ogv"]', ctx))
    assert out == '<p><video controls><source src="a.mp4" /><source src="a.webm" /><source src="a.ogv" /></video></p>'


@pytest.mark.parametrize(
    "text",
    [
        "[audio https://ex.com/a.mp3]",
        '[audio mp3="https://ex.com/a.mp3"]',
        '[audio src="https://ex.com/a.mp3"][/audio]',
        "[audio https://ex.com/a.mp3|titles=Song|artists=Band]",
    ],
)
def test_audio_forms(text: str) -> None:
    ctx = TransformContext()
    assert ctx.restore(apply(text, ctx)) == '<p><audio controls src="https://ex.com/a.mp3"></audio></p>'
    assert ctx.stats["shortcode:audio"] == 1


def test_media_without_a_source_is_counted() -> None:
    ctx = TransformContext()
    assert apply("[video]", ctx) == ""
    assert ctx.stats["media-unresolved:video"] == 1


def test_playlist_lists_links() -> None:
    ctx = TransformContext(attachments=ATTACHMENTS)
    out = apply('[playlist ids="20,21,404"]', ctx)
    assert out == (
        '<ul><li><a href="https://ex.com/song.mp3">A Song</a></li>'
        '<li><a href="https://ex.com/other.mp3">other.mp3</a></li></ul>'
    )
    assert ctx.stats["playlist-missing"] == 1


def test_urls_and_text_are_escaped_once() -> None:
    refs = {1: AttachmentRef(1, 'https://ex.com/a.jpg?x=1&y="2"', alt="Tom &amp; Jerry <3")}
    out = apply('[gallery ids="1"]', TransformContext(attachments=refs))
    assert 'src="https://ex.com/a.jpg?x=1&amp;y=&quot;2&quot;"' in out
    assert 'alt="Tom &amp; Jerry &lt;3"' in out


# -- code shortcodes -------------------------------------------------------------------------

CODE = 'if a < b && c > d:\n\n    print(`x` + "```")\n\treturn {"k": [1]}\n'


def test_code_is_fenced_verbatim() -> None:
    ctx = TransformContext()
    out = protect_code(f"before\n[code language=\"Python\"]\n{CODE}[/code]\nafter", ctx)
    token = re.search(r"WPCVTPROTECTED\d+X", out)
    assert token is not None
    assert out == f"before\n\n\n{token.group(0)}\n\n\nafter"
    # Backticks inside get a longer fence; everything else is byte for byte.
    assert ctx.restore(token.group(0)) == "````python\n" + CODE + "````"
    assert ctx.stats["shortcode:code"] == 1


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ('[sourcecode language="Python"]x[/sourcecode]', "python"),
        ("[source lang='Ruby']x[/source]", "ruby"),
        ('[code="CSS"]x[/code]', "css"),
        ("[code=css]x[/code]", "css"),
        ("[php]x[/php]", "php"),
        ("[js]x[/js]", "js"),
        ("[c-sharp]x[/c-sharp]", "c-sharp"),
        ("[code]x[/code]", ""),
    ],
)
def test_code_language(text: str, language: str) -> None:
    ctx = TransformContext()
    assert ctx.restore(protect_code(text, ctx)).strip() == f"```{language}\nx\n```"


def test_code_strips_one_newline_each_side_and_normalises_crlf() -> None:
    ctx = TransformContext()
    out = ctx.restore(protect_code("[code]\r\n\r\n  a\r\n\r\n[/code]", ctx))
    # The code is "\n  a\n": a blank line, then "  a" (its final newline ends the last line of the fence).
    assert out.strip("\n") == "```\n\n  a\n```"


def test_code_lone_or_empty_tags_stay_text() -> None:
    ctx = TransformContext()
    assert protect_code("use [code] or [c] for code", ctx) == "use [code] or [c] for code"
    assert protect_code("[code][/code]", ctx) == "[code][/code]"
    assert not ctx.stats


def test_code_escaped_is_literal_after_the_whole_pipeline() -> None:
    ctx = TransformContext(shortcode_mode="strip")
    out = apply(wpautop(protect_code("Write [[code]x < y[/code]] to show code.", ctx)), ctx)
    assert "[" not in out and not ctx.stats
    assert markdown(out).strip() == "Write [code]x < y[/code] to show code."


def test_code_html_entities_decoded_only_when_asked() -> None:
    text = "[code]if (a &lt; b &amp;&amp; c)[/code]"
    ctx = TransformContext()
    assert "a &lt; b &amp;&amp; c" in ctx.restore(protect_code(text, ctx))
    ctx = TransformContext()
    assert "if (a < b && c)" in ctx.restore(protect_code(text, ctx, decode_entities=True))
    # As SyntaxHighlighter does: code that holds a real "<" is taken literally even then.
    ctx = TransformContext()
    assert "<b> &lt;" in ctx.restore(protect_code("[code]<b> &lt;[/code]", ctx, decode_entities=True))


def test_code_survives_wpautop_as_its_own_block() -> None:
    ctx = TransformContext()
    html = wpautop(protect_code("Some code:\n[python]\ndef f():\n\n    return 1\n[/python]\nThe end.", ctx))
    token = re.search(r"WPCVTPROTECTED\d+X", html)
    assert token is not None
    assert html == f"<p>Some code:</p>\n<p>{token.group(0)}</p>\n<p>The end.</p>\n"
    assert ctx.restore(token.group(0)) == "```python\ndef f():\n\n    return 1\n```"


def test_code_names_cover_syntaxhighlighter() -> None:
    for name in ["code", "sourcecode", "source", "python", "php", "js", "bash", "css", "html", "xml", "sql", "java",
                 "cpp", "ruby", "plain", "text", "powershell"]:
        assert name in CODE_SHORTCODES
    assert "latex" not in CODE_SHORTCODES and "r" not in CODE_SHORTCODES  # SyntaxHighlighter leaves these out


# -- real exports ---------------------------------------------------------------------------

_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def _contents(path: Path) -> list[str]:
    tree = etree.parse(str(path), etree.XMLParser(recover=True, huge_tree=True))
    return [el.text or "" for el in tree.iter(_CONTENT)]


def test_nikola_sourcecode_and_caption(corpus: Path) -> None:
    (post,) = [c for c in _contents(corpus / "nikola" / "wordpress_export_example.xml") if "[sourcecode" in c]
    ctx = TransformContext()
    html = apply(wpautop(protect_code(post, ctx)), ctx)
    restored = ctx.restore(html)
    assert "```python\nimport sys\nprint sys.version\n```" in restored
    assert "[caption" not in html and "[sourcecode" not in html
    assert ctx.stats["shortcode:sourcecode"] == 1 and ctx.stats["shortcode:caption"] >= 1


def test_pelican_captions(corpus: Path) -> None:
    posts = [c for c in _contents(corpus / "pelican" / "wordpressexport.xml") if "[caption" in c]
    assert posts
    ctx = TransformContext()
    html = "".join(apply(wpautop(protect_code(p, ctx)), ctx) for p in posts)
    assert "<em>This is a pelican</em>" in html and "<em>This also a pelican</em>" in html
    assert "[caption" not in html and "[/caption]" not in html


def test_theme_unit_test_data(corpus: Path) -> None:
    ctx = TransformContext()
    contents = _contents(corpus / "php-toolkit" / "theme-unit-test-data.xml")
    outputs = [apply(wpautop(protect_code(c, ctx)), ctx) for c in contents]
    text = "".join(ctx.restore(o) for o in outputs)
    assert ctx.stats["shortcode:gallery"] >= 2 and ctx.stats["shortcode:audio"] >= 1
    assert '<audio controls src="https://wpthemetestdata.files.wordpress.com/2008/06/' in text
    # Every built-in shortcode was expanded; none is left in the HTML.
    assert not re.search(r"\[/?(?:caption|gallery|audio|video|embed|playlist)\b", text)


def test_whole_corpus_runs(corpus: Path) -> None:
    ctx = TransformContext()
    captions = 0
    for path in sorted(corpus.rglob("*.xml")):
        for content in _contents(path):
            captions += len(re.findall(r"(?<!\[)\[caption\b", content))
            out = ctx.restore(apply(wpautop(protect_code(content, ctx)), ctx))
            assert "[caption" not in out and "[/caption]" not in out
    assert captions > 50 and ctx.stats["shortcode:caption"] == captions  # every one of them handled


# -- properties ------------------------------------------------------------------------------

_PIECES = ["[", "]", "/", "[/", "[[", "]]", " ", "=", '"', "'", "a", "foo", "x1", "<b>", "</b>", "<", ">", "\n",
           "[foo]", "[/foo]", "[bar x=1]", "<!--", "-->", "\xa0", "\\", "//", "?w=1&", "\r\n", "<img src=x>",
           "[caption]", "[/caption]", "[gallery ids=1]", "[code]", "[/code]", "[python]", "[/python]", "<pre>",
           "[youtube=", "[youtube ", "[vimeo ", "[video ", "mp4=", "[audio", "[embed]", "[/embed]", "[playlist "]
_SHORTCODE_TEXT = st.lists(st.sampled_from(_PIECES)).map("".join)


@settings(max_examples=300)
@given(st.one_of(st.text(), _SHORTCODE_TEXT), st.sampled_from(["keep", "strip"]))
def test_never_crashes(text: str, mode: str) -> None:
    ctx = TransformContext(shortcode_mode="strip" if mode == "strip" else "keep")
    assert isinstance(apply(wpautop(protect_code(text, ctx)), ctx), str)
    assert isinstance(apply(text, ctx), str)


@settings(max_examples=300)
@given(st.one_of(st.text(), _SHORTCODE_TEXT))
def test_keep_mode_leaves_text_without_registered_shortcodes_unchanged(text: str) -> None:
    assume(not any("[" + name in text for name in DEFAULT_REGISTRY.names()))
    assert apply(text, TransformContext()) == text
    assert ShortcodeRegistry().apply(text, TransformContext()) == text


@given(st.text(alphabet=st.characters(exclude_characters="\r", codec="utf-8")))
def test_code_roundtrip(code: str) -> None:
    assume("[/code]" not in code)
    ctx = TransformContext()
    out = protect_code(f"[code]{code}[/code]", ctx)
    if code == "":
        assert out == "[code][/code]"
        return
    token = re.search(r"WPCVTPROTECTED\d+X", out)
    assert token is not None
    body = code.removeprefix("\n").removesuffix("\n")
    fence = ctx.restore(token.group(0))
    ticks = fence[: fence.index("\n")]
    assert fence == f"{ticks}\n{body}{'' if body.endswith(chr(10)) or not body else chr(10)}{ticks}"


def _reference_regex(names: str) -> re.Pattern[str]:
    # get_shortcode_regex(), transcribed directly; the module finds the same matches in linear time.
    return re.compile(
        r"\[(\[?)(" + names + r")([^\]/]*(?:/(?!\])[^\]/]*)*?)"
        r"(?:(/)\]|\](?:([^\[]*+(?:\[(?!/\2\])[^\[]*+)*+)\[/\2\])?)(\]?)",
        re.ASCII,
    )


_REF = _reference_regex(r"(?:a|bb)(?![\w-])")
_REF_PIECES = ["[a]", "[/a]", "[bb", "]", "/", " ", "x", "[", "[/bb]", "[a/]", "[[a]]", "[a ", "=", "[[", "]]"]


@given(st.lists(st.sampled_from(_REF_PIECES), max_size=14).map("".join))
def test_parser_matches_wordpress_regex(text: str) -> None:
    seen: list[tuple[str | None, ...]] = []

    def record(sc: Shortcode, ctx: TransformContext) -> str:
        seen.append((sc.name, sc.content, sc.raw))
        return "#"

    reg = ShortcodeRegistry({"a": record, "bb": record})
    expected: list[tuple[str | None, ...]] = []

    def ref(m: re.Match[str]) -> str:
        if m.group(1) == "[" and m.group(6) == "]":
            return m.group(0)[1:-1]
        expected.append((m.group(2), m.group(5), m.group(0)[len(m.group(1)) : len(m.group(0)) - len(m.group(6))]))
        return m.group(1) + "#" + m.group(6)

    assert reg.run(text, TransformContext()) == _REF.sub(ref, text)
    assert seen == expected


def test_linear_time_on_hostile_input() -> None:
    for text in ["[a]" * 20000, "[gallery " * 20000, "[code]" * 20000, "Lorem [foo] ipsum\n\n" * 16000]:
        ctx = TransformContext()
        start = time.perf_counter()
        apply(protect_code(text, ctx), ctx)
        assert time.perf_counter() - start < 2.0, text[:10]


def test_module_exports() -> None:
    assert set(shortcodes.__all__) >= {"apply", "protect_code", "register", "ShortcodeRegistry", "Shortcode"}


@settings(max_examples=400)
@given(st.lists(st.sampled_from(["<", ">", "[", "]", "<!--", "-->", "<![CDATA[", "]]>", "<!", "a", " ", "\ue000"]), max_size=16))
def test_bracket_hiding_matches_the_plain_substitution(parts: list[str]) -> None:
    # The hiding skips texts where no element holds a bracket; the result is that of hiding in every element.
    text = "".join(parts)
    hide, unhide = str.maketrans("[]", "\ue000\ue001"), str.maketrans("\ue000\ue001", "[]")
    assert shortcodes._hide_brackets_in_tags(text) == shortcodes._HTML_ELEMENT.sub(lambda m: m[0].translate(hide), text)
    assert shortcodes._unhide(text) == text.translate(unhide)
