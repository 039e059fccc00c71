"""Tests of wpconvert.transform.blocks: Gutenberg block markup → plain HTML.

The block markup below is written the way the block editor saves it (as in WordPress's
theme test data); each test converts to Markdown too, since that is what the HTML is for.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from wpconvert.transform.blocks import is_block_content, render_blocks
from wpconvert.transform.context import AttachmentRef, TransformContext
from wpconvert.transform.html2md import html_to_markdown


def convert(markup: str, ctx: TransformContext | None = None) -> str:
    """Blocks → HTML → Markdown, protected parts restored."""
    ctx = ctx or TransformContext()
    html = render_blocks(markup, ctx)
    assert "<!-- wp:" not in html and "<!-- /wp:" not in html
    return ctx.restore(html_to_markdown(html, ctx))


def block(name: str, inner: str, attrs: str = "") -> str:
    attrs = f" {attrs}" if attrs else ""
    return f"<!-- wp:{name}{attrs} -->\n{inner}\n<!-- /wp:{name} -->\n\n"


# --- grammar -----------------------------------------------------------------------------


def test_is_block_content() -> None:
    assert is_block_content(block("paragraph", "<p>x</p>"))
    assert is_block_content("<!-- wp:latest-posts /-->")
    assert not is_block_content("<p>classic</p>\n<!--more-->")
    assert not is_block_content("<pre>&lt;!-- wp:code --></pre>")  # escaped, in a listing


def test_every_block_is_counted_with_its_namespace() -> None:
    ctx = TransformContext()
    render_blocks(
        block("paragraph", "<p>a</p>")
        + '<!-- wp:latest-posts {"postsToShow":2} /-->'
        + block("acme/widget", "<div>w</div>", '{"x":1}'),
        ctx,
    )
    assert ctx.stats["block:core/paragraph"] == 1
    assert ctx.stats["block:core/latest-posts"] == 1
    assert ctx.stats["block:acme/widget"] == 1
    assert ctx.stats["block-unknown:acme/widget"] == 1
    assert "block-unknown:core/paragraph" not in ctx.stats


def test_attributes_with_braces_and_escapes_in_strings() -> None:
    # The editor escapes "--", "<" and ">" in attribute values, never "}".
    attrs = '{"language":"js","note":"a} b \\u002d\\u002d\\u003e \\u003c!"}'
    markup = block("code", '<pre class="wp-block-code"><code>x</code></pre>', attrs)
    assert convert(markup) == "```js\nx\n```\n"


def test_freeform_text_between_blocks_passes_through() -> None:
    markup = "<p>classic <em>one</em></p>\n" + block("paragraph", "<p>block</p>") + "<h3>classic two</h3>"
    assert convert(markup) == "classic *one*\n\nblock\n\n### classic two\n"


def test_unbalanced_markup_never_raises_and_loses_no_text() -> None:
    ctx = TransformContext()
    markup = (
        "<!-- /wp:quote -->"  # closer without opener
        "<!-- wp:group --><div><!-- wp:paragraph --><p>unclosed para</p>"  # paragraph never closed
        "<!-- /wp:group --></div>"  # closes the group and, implicitly, the paragraph
        "<!-- wp:columns --><p>never closed</p>"
        '<!-- wp:image {"id": broken json} --><figure><img src="i.jpg" alt="i"></figure><!-- /wp:image -->'
        "<!-- WP:Paragraph --><!--wp:foo-->text"  # not block comments, but must not survive
    )
    html = render_blocks(markup, ctx)
    assert "wp:" not in html.lower()
    out = ctx.restore(html_to_markdown(html, ctx))
    for text in ("unclosed para", "never closed", "![i](i.jpg)", "text"):
        assert text in out
    assert ctx.stats["block-stray-closer:quote"] == 1


def test_deep_nesting_does_not_recurse() -> None:
    markup = "<!-- wp:group --><div>" * 5000 + "<p>deep</p>" + "</div><!-- /wp:group -->" * 5000
    assert convert(markup) == "deep\n"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *"<!-- wp:paragraph -->|<!-- /wp:paragraph -->|<!-- wp:group -->|<!-- /wp:group -->".split("|"),
                *'<!-- wp:image {"id":1} -->|<!-- /wp:image -->|<!-- wp:acme/x /-->|<!-- wp:code -->'.split("|"),
                *'<!-- /wp:code -->|<!-- wp:embed {"url":"https://youtu.be/x"} -->|<!-- /wp:embed -->'.split("|"),
                *"<!-- wp:html -->|<!-- /wp:html -->|<p>|</p>|<figure>|<img src=x>|<pre>|<code>|text".split("|"),
                *"{|}|-->|<!--|\n".split("|"),
            ]
        ),
        max_size=30,
    )
)
def test_no_delimiter_survives_any_mix(parts: list[str]) -> None:
    ctx = TransformContext()
    html = render_blocks("".join(parts), ctx)
    assert not re.search(r"<!--\s*/?wp:", html)
    assert "<!-- wp:" not in ctx.restore(html_to_markdown(html, ctx))


# --- text blocks -------------------------------------------------------------------------


def test_paragraph_heading_separator_spacer() -> None:
    markup = (
        block("paragraph", '<p class="has-drop-cap">Hello <strong>world</strong></p>', '{"dropCap":true}')
        + block("heading", '<h3 class="wp-block-heading">Sub</h3>', '{"level":3}')
        + block("separator", '<hr class="wp-block-separator has-alpha-channel-opacity"/>')
        + block(
            "spacer",
            '<div style="height:100px" aria-hidden="true" class="wp-block-spacer"></div>',
            '{"height":"100px"}',
        )
        + block("paragraph", "<p>end</p>")
    )
    assert convert(markup) == "Hello **world**\n\n### Sub\n\n* * *\n\nend\n"


def test_nested_list_blocks() -> None:
    inner = (
        "<ul><!-- wp:list-item -->\n<li>One<!-- wp:list -->\n<ul><!-- wp:list-item -->\n<li>Nested</li>\n"
        "<!-- /wp:list-item --></ul>\n<!-- /wp:list --></li>\n<!-- /wp:list-item -->\n\n"
        "<!-- wp:list-item -->\n<li>Two</li>\n<!-- /wp:list-item --></ul>"
    )
    ordered = '<ol start="4"><!-- wp:list-item -->\n<li>Four</li>\n<!-- /wp:list-item --></ol>'
    markup = block("list", inner) + block("list", ordered, '{"ordered":true,"start":4}')
    assert convert(markup) == "- One\n  - Nested\n- Two\n\n4. Four\n"


def test_quote_with_citation() -> None:
    markup = block(
        "quote",
        '<blockquote class="wp-block-quote"><!-- wp:paragraph -->\n<p>Quoted</p>\n'
        "<!-- /wp:paragraph --><cite>Someone</cite></blockquote>",
    )
    assert convert(markup) == "> Quoted\n>\n> — Someone\n"


def test_pullquote_with_citation() -> None:
    markup = block(
        "pullquote",
        '<figure class="wp-block-pullquote"><blockquote><p>Pulled</p><cite>Citation</cite></blockquote></figure>',
    )
    assert convert(markup) == "> Pulled\n>\n> — Citation\n"


def test_verse_keeps_lines_and_indentation_as_prose() -> None:
    markup = block("verse", '<pre class="wp-block-verse">A <em>haiku</em>?\n  Why not?</pre>')
    assert convert(markup) == "A *haiku*?  \n\u00a0\u00a0Why not?\n"


# --- code --------------------------------------------------------------------------------

CODE = "if (a < b && c) {\n    echo '<b>';\n\n\treturn ``` + `x`;\n}"


def escape(code: str) -> str:
    # How the block editor saves code: <, & escaped; "[" too, against shortcodes.
    return code.replace("&", "&amp;").replace("<", "&lt;").replace("[", "&#91;")


def test_code_block_is_verbatim() -> None:
    markup = block("code", f'<pre class="wp-block-code"><code>{escape(CODE)}</code></pre>')
    assert convert(markup) == f"````\n{CODE}\n````\n"


def test_code_block_language_from_attribute_or_class() -> None:
    by_attr = block("code", '<pre class="wp-block-code"><code>x</code></pre>', '{"language":"php"}')
    by_class = block("code", '<pre class="wp-block-code"><code class="language-python">x</code></pre>')
    highlighter = block(
        "syntaxhighlighter/code", '<pre class="wp-block-syntaxhighlighter-code">y</pre>', '{"language":"bash"}'
    )
    assert convert(by_attr + by_class + highlighter) == "```php\nx\n```\n\n```python\nx\n```\n\n```bash\ny\n```\n"


def test_code_block_formatting_and_escaped_delimiter() -> None:
    markup = block(
        "code",
        '<pre class="wp-block-code"><code><strong>bold</strong> [x]\n&lt;!-- wp:code --></code></pre>',
    )
    # The listing shows a block comment: it stays, as text inside the fence.
    assert convert(markup) == "```\nbold [x]\n<!-- wp:code -->\n```\n"


def test_preformatted_block_with_breaks() -> None:
    markup = block("preformatted", '<pre class="wp-block-preformatted">a<br>  b &gt; c<br><br>d</pre>')
    assert convert(markup) == "```\na\n  b > c\n\nd\n```\n"


# --- media -------------------------------------------------------------------------------


def test_image_with_alt_caption_and_link() -> None:
    markup = block(
        "image",
        '<figure class="wp-block-image size-large"><a href="https://ex.com/big.jpg"><img src="https://ex.com/s.jpg"'
        ' alt="A windmill" class="wp-image-767"/></a><figcaption class="wp-element-caption">Align <em>left</em>'
        "</figcaption></figure>",
        '{"id":767,"sizeSlug":"large","linkDestination":"media"}',
    )
    assert convert(markup) == "[![A windmill](https://ex.com/s.jpg)](<https://ex.com/big.jpg>)\n\n*Align left*\n"


def test_gallery_of_image_blocks_with_caption() -> None:
    image = block(
        "image",
        '<figure class="wp-block-image size-large"><img src="a.jpg" alt="A" class="wp-image-1"/>'
        '<figcaption class="wp-element-caption">Cap A</figcaption></figure>',
        '{"id":1}',
    )
    markup = block(
        "gallery",
        '<figure class="wp-block-gallery has-nested-images columns-default is-cropped">'
        + image
        + block("image", '<figure class="wp-block-image"><img src="b.jpg" alt="B"/></figure>', '{"id":2}')
        + '<figcaption class="blocks-gallery-caption wp-element-caption">Whole gallery</figcaption></figure>',
        '{"linkTo":"none"}',
    )
    assert convert(markup) == "![A](a.jpg)\n\n*Cap A*\n\n![B](b.jpg)\n\n*Whole gallery*\n"


def test_legacy_gallery_list() -> None:
    markup = block(
        "gallery",
        '<figure class="wp-block-gallery columns-2 is-cropped"><ul class="blocks-gallery-grid">'
        '<li class="blocks-gallery-item"><figure><img src="a.jpg" alt="A" data-id="769"/>'
        '<figcaption class="blocks-gallery-item__caption">Beach</figcaption></figure></li>'
        '<li class="blocks-gallery-item"><figure><a href="b-big.jpg"><img src="b.jpg" alt="B"/></a></figure></li>'
        "</ul></figure>",
        '{"ids":["769","768"],"columns":2}',
    )
    assert convert(markup) == "![A](a.jpg)\n\n*Beach*\n\n[![B](b.jpg)](<b-big.jpg>)\n"


def test_gallery_from_ids_uses_attachments() -> None:
    ctx = TransformContext(attachments={5: AttachmentRef(5, "https://ex.com/5.jpg", alt="Five", caption="Cap 5")})
    markup = '<!-- wp:gallery {"ids":[5,6]} /-->'
    assert convert(markup, ctx) == "![Five](https://ex.com/5.jpg)\n\n*Cap 5*\n"
    assert ctx.stats["gallery-missing"] == 1


def test_embeds_become_links() -> None:
    youtube = block(
        "embed",
        '<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube"><div '
        'class="wp-block-embed__wrapper">\nhttps://www.youtube.com/watch?v=ex8fMxXJDJw\n</div>'
        "<figcaption>The video</figcaption></figure>",
        '{"url":"https://www.youtube.com/watch?v=ex8fMxXJDJw","type":"video","providerNameSlug":"youtube"}',
    )
    legacy = block(
        "core-embed/twitter",
        '<figure class="wp-block-embed-twitter wp-block-embed"><div class="wp-block-embed__wrapper">\n'
        "https://twitter.com/WordPress/status/1057136472321613824\n</div></figure>",
        '{"url":"https://twitter.com/WordPress/status/1057136472321613824","type":"rich"}',
    )
    no_attr = block(
        "embed",
        '<figure class="wp-block-embed"><div class="wp-block-embed__wrapper">https://vimeo.com/1</div></figure>',
    )
    ctx = TransformContext()
    assert convert(youtube + legacy + no_attr, ctx) == (
        "<https://www.youtube.com/watch?v=ex8fMxXJDJw>\n\n*The video*\n\n"
        "<https://twitter.com/WordPress/status/1057136472321613824>\n\n<https://vimeo.com/1>\n"
    )
    assert ctx.stats["block:core-embed/twitter"] == 1
    assert "block-unknown:core-embed/twitter" not in ctx.stats


def test_audio_and_video_are_raw_html_with_caption() -> None:
    audio = block(
        "audio",
        '<figure class="wp-block-audio"><audio controls src="https://ex.com/a.mp3"></audio>'
        '<figcaption class="wp-element-caption">St. Louis Blues</figcaption></figure>',
        '{"id":821}',
    )
    video = block(
        "video",
        '<figure class="wp-block-video"><video controls muted poster="p.jpg" src="https://ex.com/v.mov"></video>'
        "</figure>",
        '{"id":1690}',
    )
    assert convert(audio + video) == (
        '<audio controls src="https://ex.com/a.mp3"></audio>\n\n*St. Louis Blues*\n\n'
        '<video controls muted poster="p.jpg" src="https://ex.com/v.mov"></video>\n'
    )


def test_file_block_is_a_link_without_the_download_button() -> None:
    markup = block(
        "file",
        '<div class="wp-block-file"><a id="wp-block-file--media-7d" href="https://ex.com/doc.pdf">My &amp; doc</a>'
        '<a href="https://ex.com/doc.pdf" class="wp-block-file__button wp-element-button" download '
        'aria-describedby="wp-block-file--media-7d">Download</a></div>',
        '{"id":761,"href":"https://ex.com/doc.pdf"}',
    )
    assert convert(markup) == "[My & doc](<https://ex.com/doc.pdf>)\n"


def test_table_block_goes_to_html2md() -> None:
    markup = block(
        "table",
        '<figure class="wp-block-table"><table><thead><tr><th>H1</th><th>H2</th></tr></thead><tbody><tr>'
        '<td>Cell 1</td><td>Cell 2</td></tr></tbody></table><figcaption class="wp-element-caption">Caption'
        "</figcaption></figure>",
    )
    assert convert(markup) == "| H1 | H2 |\n| --- | --- |\n| Cell 1 | Cell 2 |\n\n*Caption*\n"


# --- layout ------------------------------------------------------------------------------


def test_buttons_columns_group_are_flattened() -> None:
    buttons = block(
        "buttons",
        '<div class="wp-block-buttons"><!-- wp:button {"width":25} -->\n<div class="wp-block-button"><a class='
        '"wp-block-button__link wp-element-button" href="https://ex.com/go">Go</a></div>\n<!-- /wp:button --></div>',
    )
    columns = block(
        "columns",
        '<div class="wp-block-columns"><!-- wp:column -->\n<div class="wp-block-column"><!-- wp:paragraph -->\n'
        "<p>Col one</p>\n<!-- /wp:paragraph --></div>\n<!-- /wp:column -->\n\n<!-- wp:column -->\n"
        '<div class="wp-block-column"><!-- wp:group --><div class="wp-block-group"><!-- wp:paragraph -->\n'
        "<p>Col two</p>\n<!-- /wp:paragraph --></div><!-- /wp:group --></div>\n<!-- /wp:column --></div>",
    )
    assert convert(buttons + columns) == "[Go](<https://ex.com/go>)\n\nCol one\n\nCol two\n"


def test_cover_and_media_text_keep_their_image_and_content() -> None:
    cover = block(
        "cover",
        '<div class="wp-block-cover has-background-dim" style="background-image:url(https://ex.com/bg.jpg)">'
        '<div class="wp-block-cover__inner-container"><!-- wp:paragraph {"align":"center"} -->\n'
        '<p class="has-text-align-center">Over the cover</p>\n<!-- /wp:paragraph --></div></div>',
        '{"url":"https://ex.com/bg.jpg","id":759}',
    )
    media_text = block(
        "media-text",
        '<div class="wp-block-media-text"><figure class="wp-block-media-text__media"><img src="m.jpg" alt="M"/>'
        '</figure><div class="wp-block-media-text__content"><!-- wp:paragraph -->\n<p>Beside</p>\n'
        "<!-- /wp:paragraph --></div></div>",
        '{"mediaId":769,"mediaType":"image"}',
    )
    assert convert(cover + media_text) == "![](https://ex.com/bg.jpg)\n\nOver the cover\n\n![M](m.jpg)\n\nBeside\n"


def test_more_and_nextpage_markers_are_kept() -> None:
    html = render_blocks(block("more", "<!--more-->") + block("nextpage", "<!--nextpage-->"), TransformContext())
    assert "<!--more-->" in html and "<!--nextpage-->" in html


def test_html_block_is_kept_raw() -> None:
    markup = block("html", '<div style="width: 45%">Custom <b>HTML</b></div>\n\n<span>x</span>')
    assert convert(markup) == '<div style="width: 45%">Custom <b>HTML</b></div>\n<span>x</span>\n'


def test_shortcode_block_passes_its_text_on() -> None:
    html = render_blocks(block("shortcode", '[gallery columns=2 ids="769,767"]'), TransformContext())
    assert html.strip() == '[gallery columns=2 ids="769,767"]'


def test_dynamic_blocks_render_nothing_but_are_counted() -> None:
    ctx = TransformContext()
    markup = (
        '<!-- wp:latest-posts /-->\n<!-- wp:archives {"displayAsDropdown":true} /-->\n<!-- wp:site-title /-->\n'
        + block(
            "query",
            '<div class="wp-block-query"><!-- wp:post-template --><!-- wp:post-title /-->'
            "<!-- /wp:post-template --><!-- wp:query-no-results --><p>No posts</p><!-- /wp:query-no-results -->"
            "</div>",
            '{"queryId":1}',
        )
        + block("paragraph", "<p>kept</p>")
    )
    assert convert(markup, ctx) == "kept\n"
    for name in ("latest-posts", "archives", "site-title", "query", "post-template", "post-title"):
        assert ctx.stats[f"block:core/{name}"] == 1
    assert not [k for k in ctx.stats if k.startswith("block-unknown")]


def test_unknown_and_missing_blocks_keep_their_html() -> None:
    ctx = TransformContext()
    markup = block("acme/notice", '<div class="acme-notice"><p>Plugin <em>text</em></p></div>', '{"type":"info"}')
    markup += block("missing", "<p>Original content</p>", '{"originalName":"old/thing"}')
    assert convert(markup, ctx) == "Plugin *text*\n\nOriginal content\n"
    assert ctx.stats["block-unknown:acme/notice"] == 1
    assert ctx.stats["block-unknown:old/thing"] == 1


def test_social_links() -> None:
    markup = block(
        "social-links",
        '<ul class="wp-block-social-links"><!-- wp:social-link {"url":"https://wordpress.org","service":"wordpress"}'
        " /--></ul>",
    )
    assert convert(markup) == "- [wordpress](<https://wordpress.org>)\n"
