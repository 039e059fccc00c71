"""``wpconvert check`` and :func:`wpconvert.check.check`: one broken export per finding code,
the output formats and exit codes, and the whole corpus (no tracebacks, known facts)."""

from __future__ import annotations

import csv
import importlib
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wpconvert.checks import check
from wpconvert.cli import check as check_cmd
from wpconvert.cli import github_annotation
from wpconvert.errors import UsageError
from wpconvert.findings import CODES, CheckResult
from wpconvert.report import MAX_LISTED_REPAIRS, Problem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SITE = "https://blog.example.org"
NS = (
    'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/"'
)
AUTHOR = "<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[ada]]></wp:author_login></wp:author>"
CATEGORY = (
    "<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename><![CDATA[notes]]></wp:category_nicename>"
    "<wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[Notes]]></wp:cat_name></wp:category>"
)
TAG = ("<wp:tag><wp:term_id>9</wp:term_id><wp:tag_slug><![CDATA[howto]]></wp:tag_slug>"
       "<wp:tag_name><![CDATA[How-to]]></wp:tag_name></wp:tag>")


def item(
    post_id: int, *, post_type: str = "post", slug: str | None = None, status: str = "publish",
    parent: int = 0, content: str = "", creator: str = "ada", terms: str = "", meta: str = "",
    comments: str = "", attachment_url: str = "", link: str | None = None,
) -> str:
    """One <item>, its <item> tag on a line of its own."""
    slug = f"post-{post_id}" if slug is None else slug
    link = f"{SITE}/{slug}/" if link is None else link
    return f"""
	<item>
		<title>Item {post_id}</title>
		<link>{link}</link>
		<dc:creator><![CDATA[{creator}]]></dc:creator>
		<content:encoded><![CDATA[{content}]]></content:encoded>
		<wp:post_id>{post_id}</wp:post_id>
		<wp:post_date><![CDATA[2024-05-02 10:00:00]]></wp:post_date>
		<wp:post_name><![CDATA[{slug}]]></wp:post_name>
		<wp:status><![CDATA[{status}]]></wp:status>
		<wp:post_parent>{parent}</wp:post_parent>
		<wp:post_type><![CDATA[{post_type}]]></wp:post_type>
		<wp:attachment_url><![CDATA[{attachment_url}]]></wp:attachment_url>
		{terms}{meta}{comments}
	</item>"""


def attachment(post_id: int, path: str, parent: int = 0) -> str:
    return item(post_id, post_type="attachment", slug=f"file-{post_id}", status="inherit", parent=parent,
                attachment_url=f"{SITE}/wp-content/uploads/{path}", link=f"{SITE}/?attachment_id={post_id}")


def comment(cid: int, parent: int = 0) -> str:
    return (f"<wp:comment><wp:comment_id>{cid}</wp:comment_id><wp:comment_content><![CDATA[hi]]>"
            f"</wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
            f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>")


def wxr(*items: str, header: str = AUTHOR + CATEGORY + TAG, version: str = "1.2", after: str = "",
        before: str = "") -> str:
    version_el = f"<wp:wxr_version>{version}</wp:wxr_version>" if version is not None else ""
    return (f'{before}<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" {NS}>\n<channel>\n'
            f"\t<title>T</title>\n\t<link>{SITE}</link>\n\t{version_el}\n"
            f"\t<wp:base_site_url>{SITE}</wp:base_site_url>\n\t{header}\n"
            + "".join(items) + f"{after}\n</channel>\n</rss>\n")


def item_line(doc: str, post_id: int) -> int:
    """The line the <item> holding ``post_id`` starts on."""
    at = doc.index(f"<wp:post_id>{post_id}</wp:post_id>")
    start = doc.rindex("<item>", 0, at)
    return doc.count("\n", 0, start) + 1


def line_of(doc: str, needle: str) -> int:
    return doc.count("\n", 0, doc.index(needle)) + 1


def run(tmp_path: Path, doc: str | bytes, name: str = "export.xml", **kwargs: Any) -> CheckResult:
    path = tmp_path / name
    if isinstance(doc, bytes):
        path.write_bytes(doc)
    else:
        path.write_text(doc, "utf-8")
    return check(path, **kwargs)


def found(result: CheckResult, code: str) -> list[Problem]:
    return [f for f in result.findings if f.code == code]


def only(result: CheckResult, code: str) -> Problem:
    hits = found(result, code)
    assert len(hits) == 1, (code, result.findings)
    return hits[0]


# -- the codes table --------------------------------------------------------------------------


def test_codes_are_stable_and_well_formed() -> None:
    for code, (severity, title) in CODES.items():
        assert re.fullmatch(r"WPC\d{3}", code)
        assert severity in ("error", "warning", "info")
        assert title
    # Codes other modules emit with the same meaning.
    assert {"WPC101", "WPC102", "WPC103", "WPC301"} <= set(CODES)


def test_a_clean_export_has_no_findings(tmp_path: Path) -> None:
    doc = wxr(
        attachment(11, "2024/05/harbour.png", parent=10),
        item(10, content=f'<img src="{SITE}/wp-content/uploads/2024/05/harbour-300x200.png"> '
                         f'<a href="{SITE}/post-20/">next</a> [caption id="attachment_11"]x[/caption]',
             terms='<category domain="category" nicename="notes"><![CDATA[Notes]]></category>'
                   '<category domain="post_tag" nicename="howto"><![CDATA[How-to]]></category>',
             meta="<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>11</wp:meta_value></wp:postmeta>",
             comments=comment(1) + comment(2, parent=1)),
        item(20, content=f'<a href="{SITE}/?p=10">back</a>'),
        item(30, post_type="page", slug="about"),
        item(31, post_type="page", slug="team", parent=30),
    )
    result = run(tmp_path, doc)
    assert result.findings == []
    assert result.items == 5
    assert result.exit_code() == 0 and result.exit_code("info") == 0


@pytest.mark.parametrize("name", ["classic.xml", "german-comments.xml", "statuses.xml", "parts"])
def test_clean_fixtures(name: str) -> None:
    result = check(FIXTURES / name)
    assert [f for f in result.findings if f.severity != "info"] == []


def test_fixture_facts() -> None:
    slugs = check(FIXTURES / "slugs.xml")
    assert found(slugs, "WPC209")
    blocks = check(FIXTURES / "blocks.xml")
    assert "acme/unknown-widget" in only(blocks, "WPC402").message
    broken = check(FIXTURES / "broken.xml")
    assert {"WPC010", "WPC012", "WPC013", "WPC015", "WPC016", "WPC017"} <= broken.codes()
    assert broken.exit_code() == 0 and broken.exit_code("warning") == 1
    truncated = check(FIXTURES / "truncated.xml")
    assert "WPC018" in truncated.codes() and truncated.exit_code() == 1


# -- WPC0xx: the input ------------------------------------------------------------------------


def test_wpc001_missing_file(tmp_path: Path) -> None:
    result = check(tmp_path / "nope.xml")
    f = only(result, "WPC001")
    assert f.severity == "error" and f.file.endswith("nope.xml")
    assert result.unreadable and result.exit_code() == 2


def test_wpc001_broken_beyond_repair_has_line(tmp_path: Path) -> None:
    doc = wxr(item(1)).replace("</channel>", "</notchannel></channel>")
    result = run(tmp_path, doc)
    f = only(result, "WPC001")
    assert f.line == line_of(doc, "</notchannel>")
    assert result.exit_code() == 2


def test_wpc001_does_not_stop_the_other_inputs(tmp_path: Path) -> None:
    good = tmp_path / "good.xml"
    good.write_text(wxr(item(1, content="[acme_form]")), "utf-8")
    result = check([tmp_path / "missing.xml", good])
    assert {"WPC001", "WPC401"} <= result.codes()
    assert result.exit_code() == 2


@pytest.mark.parametrize("version", [None, "", "abc"])
def test_wpc002_wxr_version_missing_or_invalid(tmp_path: Path, version: str | None) -> None:
    doc = wxr(item(1), version=version)  # type: ignore[arg-type]
    result = run(tmp_path, doc)
    f = only(result, "WPC002")
    assert "WXR version" in f.message
    assert f.line == line_of(doc, "<channel>")
    assert not result.unreadable and result.exit_code() == 1


def test_wpc003_unknown_version(tmp_path: Path) -> None:
    assert only(run(tmp_path, wxr(item(1), version="1.3")), "WPC003").severity == "info"


REPAIRS = [
    # code, document, the text on the repaired line
    ("WPC010", wxr(item(1), before="Warning: headers already sent\n"), None),
    ("WPC012", wxr(item(1, content="a\x0bb")), "a\x0bb"),
    ("WPC013", wxr(item(1), header=AUTHOR + '<atom:link href="x" />'), "<atom:link"),
    ("WPC015", wxr(item(1)).replace("<title>T</title>", "<title>A & B</title>"), "A & B"),
    ("WPC016", wxr(item(1)).replace("<title>T</title>", "<title>A&nbsp;B</title>"), "A&nbsp;B"),
    ("WPC017", wxr(item(1, content="x]]>y")), "x]]>y"),
]


@pytest.mark.parametrize(("code", "doc", "needle"), REPAIRS, ids=[r[0] for r in REPAIRS])
def test_wpc01x_repairs_are_listed_with_their_line(tmp_path: Path, code: str, doc: str, needle: str | None) -> None:
    result = run(tmp_path, doc)
    f = only(result, code)
    assert f.severity == "warning"
    assert f.line == (line_of(doc, needle) if needle else 1)
    assert result.exit_code() == 0 and result.exit_code("warning") == 1


def test_wpc011_bad_encoding(tmp_path: Path) -> None:
    doc = wxr(item(1, content="caf\x00")).encode().replace(b"caf\x00", b"caf\xe9")
    result = run(tmp_path, doc)
    f = only(result, "WPC011")
    assert f.line == doc[: doc.index(b"caf\xe9")].count(b"\n") + 1


def test_wpc014_namespace_uri(tmp_path: Path) -> None:
    doc = wxr(item(1)).replace("<rss version", '<rss xmlns:u="http://ëxample.com/ü/" version')
    assert only(run(tmp_path, doc), "WPC014").line == line_of(doc, "<rss")


def test_wpc018_truncated_is_an_error(tmp_path: Path) -> None:
    doc = wxr(item(1), item(2, content="cut here and"))
    doc = doc[: doc.index("cut here and") + 12]
    result = run(tmp_path, doc)
    assert found(result, "WPC018") and all(f.severity == "error" for f in found(result, "WPC018"))
    assert result.exit_code() == 1


def test_repairs_past_the_listing_cap_are_counted(tmp_path: Path) -> None:
    doc = wxr(*(item(i, content="") for i in range(1, 3))).replace(
        "<title>T</title>", "<title>" + "a & b " * (MAX_LISTED_REPAIRS + 5) + "</title>")
    result = run(tmp_path, doc)
    hits = found(result, "WPC015")
    assert len(hits) == MAX_LISTED_REPAIRS + 1
    assert any("5 more raw-ampersand repairs" in f.message for f in hits)


# -- WPC1xx: comments and the header (the reader's problems) -----------------------------------


def test_wpc101_orphan_comment(tmp_path: Path) -> None:
    doc = wxr(item(1), item(2, comments=comment(5) + comment(6, parent=99)))
    f = only(run(tmp_path, doc), "WPC101")
    assert "comment 6" in f.message and f.line == item_line(doc, 2)


def test_wpc102_comment_cycle(tmp_path: Path) -> None:
    doc = wxr(item(1, comments=comment(5, parent=6) + comment(6, parent=5)))
    assert found(run(tmp_path, doc), "WPC102")[0].line == item_line(doc, 1)


def test_wpc103_definition_after_the_first_item(tmp_path: Path) -> None:
    doc = wxr(item(1), item(2), after="\n" + TAG.replace("howto", "late"))
    assert only(run(tmp_path, doc), "WPC103").line == line_of(doc, "late")


# -- WPC2xx: references ------------------------------------------------------------------------


def test_wpc201_page_parent_not_in_export(tmp_path: Path) -> None:
    doc = wxr(item(1, post_type="page", parent=77), item(2, post_type="page", slug="fine", parent=1))
    f = only(run(tmp_path, doc), "WPC201")
    assert "77" in f.message and f.line == item_line(doc, 1)


def test_wpc201_own_parent(tmp_path: Path) -> None:
    doc = wxr(item(1, post_type="page", parent=1))
    assert "own parent" in only(run(tmp_path, doc), "WPC201").message


def test_wpc202_attachment_parent_not_in_export(tmp_path: Path) -> None:
    doc = wxr(item(1), attachment(5, "2024/05/a.png", parent=66))
    result = run(tmp_path, doc)
    f = only(result, "WPC202")
    assert f.severity == "info" and f.line == item_line(doc, 5)
    assert not found(result, "WPC201")


def test_wpc203_featured_image(tmp_path: Path) -> None:
    thumb = "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>{}</wp:meta_value></wp:postmeta>"
    doc = wxr(item(1, meta=thumb.format(404)), item(2, meta=thumb.format(1)), item(3, meta=thumb.format(0)))
    hits = found(run(tmp_path, doc), "WPC203")
    assert [(f.line, "404" in f.message, "not an attachment" in f.message) for f in hits] == [
        (item_line(doc, 1), True, False), (item_line(doc, 2), False, True)]


def test_wpc204_term_not_defined(tmp_path: Path) -> None:
    terms = ('<category domain="category" nicename="notes"><![CDATA[Notes]]></category>'
             '<category domain="category" nicename="missing"><![CDATA[Missing]]></category>'
             '<category domain="tag" nicename="howto"><![CDATA[How-to]]></category>'  # WXR 1.0 "tag"
             '<category domain="post_format" nicename="post-format-aside"><![CDATA[Aside]]></category>')
    doc = wxr(item(1, terms=terms), item(2, terms=terms))
    result = run(tmp_path, doc)
    f = only(result, "WPC204")
    assert "'missing'" in f.message and "2 items" in f.message and f.line == item_line(doc, 1)
    assert not found(result, "WPC205")  # post formats are never defined: not reported


def test_wpc204_hints_at_a_slug_mismatch(tmp_path: Path) -> None:
    doc = wxr(item(1, terms='<category domain="category" nicename="Notes"><![CDATA[Notes]]></category>'))
    # Slugs are compared case-insensitively and percent-decoded: "Notes" is "notes".
    assert not run(tmp_path, doc).findings
    doc = wxr(item(1, terms='<category domain="category" nicename="note-s"><![CDATA[Notes]]></category>'))
    assert "slug 'notes'" in only(run(tmp_path, doc), "WPC204").message


def test_wpc205_taxonomy_not_defined_at_all(tmp_path: Path) -> None:
    terms = ('<category domain="product_cat" nicename="shoes"><![CDATA[Shoes]]></category>'
             '<category domain="nav_menu" nicename="main"><![CDATA[Main]]></category>')
    doc = wxr(item(1, terms=terms))
    result = run(tmp_path, doc)
    assert sorted(f.message.split(" ")[0] for f in found(result, "WPC205")) == ["nav_menu", "product_cat"]
    assert all(f.severity == "info" for f in found(result, "WPC205"))


def test_wxr_10_terms_without_a_slug_match_by_name(tmp_path: Path) -> None:
    doc = wxr(item(1, terms="<category><![CDATA[Notes]]></category><category><![CDATA[Gone]]></category>"))
    f = only(run(tmp_path, doc), "WPC204")
    assert "Gone" in f.message


def test_wpc206_author_not_defined(tmp_path: Path) -> None:
    doc = wxr(item(1), item(2, creator="bob"), item(3, creator="Ada"))
    hits = found(run(tmp_path, doc), "WPC206")
    assert [(f.line, "differs in case" in f.message) for f in hits] == [
        (item_line(doc, 2), False), (item_line(doc, 3), True)]
    # An export that defines no author at all (WXR 1.0) is not checked.
    assert not found(run(tmp_path, wxr(item(1, creator="bob"), header=CATEGORY)), "WPC206")


def test_wpc207_gallery_ids_not_in_export(tmp_path: Path) -> None:
    doc = wxr(attachment(5, "2024/05/a.png"),
              item(1, content='[gallery ids="5,6"]'),
              item(2, content='<!-- wp:gallery {"ids":[7]} --><figure></figure><!-- /wp:gallery -->'))
    hits = found(run(tmp_path, doc), "WPC207")
    assert [(f.line, f.message.split("attachment ")[1][:1]) for f in hits] == [
        (item_line(doc, 1), "6"), (item_line(doc, 2), "7")]


def test_wpc208_duplicate_post_id(tmp_path: Path) -> None:
    doc = wxr(item(1), item(1, slug="other"), attachment(1, "2024/05/a.png"))
    hits = found(run(tmp_path, doc), "WPC208")
    lines = [item_line(doc, 1)]
    second = doc.index("<wp:post_id>1</wp:post_id>", doc.index("<wp:post_id>1</wp:post_id>") + 1)
    lines.append(doc.count("\n", 0, doc.rindex("<item>", 0, second)) + 1)
    assert [f.line for f in hits][0] == lines[1] and len(hits) == 2
    assert all(f.severity == "info" for f in hits)


def test_wpc209_duplicate_slugs(tmp_path: Path) -> None:
    doc = wxr(
        item(1, slug="same"), item(2, slug="same"),                         # two posts: reported
        item(3, post_type="page", slug="same"),                            # another type: fine
        item(4, post_type="page", slug="child", parent=3),
        item(5, post_type="page", slug="child", parent=0),                 # other parent: fine
        attachment(6, "2024/05/a.png"), attachment(7, "2024/05/b.png"),
        item(8, slug="", status="draft"), item(9, slug="", status="draft"),  # empty slugs: fine
    ).replace("file-7", "file-6")                                          # attachments: fine
    f = only(run(tmp_path, doc), "WPC209")
    assert f.line == item_line(doc, 2) and f"{tmp_path / 'export.xml'}:{item_line(doc, 1)}" in f.message


# -- WPC3xx: links and media -------------------------------------------------------------------


def test_wpc301_internal_links_to_nothing(tmp_path: Path) -> None:
    links = [
        f"{SITE}/gone/", "/also-gone/", "http://www.blog.example.org/?p=99",       # reported
        f"{SITE}/post-2/", f"{SITE}/post-2/#comments", f"{SITE}/?p=2", "/post-2/",  # resolve
        f"{SITE}/post-2/2/",                                                         # page 2
        f"{SITE}/", f"{SITE}/feed/", f"{SITE}/category/notes/", f"{SITE}/2024/05/",  # not posts
        f"{SITE}/?s=x", f"{SITE}/wp-admin/", "https://elsewhere.example.com/x/", "mailto:a@b",
    ]
    content = " ".join(f'<a href="{u}">x</a>' for u in links)
    doc = wxr(item(1, content=content), item(2), item(3, content=f"<a href='{SITE}/gone/'>again</a>"))
    hits = found(run(tmp_path, doc), "WPC301")
    assert sorted(re.sub(r": no item .*", "", f.message) for f in hits) == sorted([
        f"link to {SITE}/gone/ (in 2 items)", f"link to {SITE}/also-gone/",
        "link to http://www.blog.example.org/?p=99"])
    assert {f.line for f in hits} == {item_line(doc, 1)}


def test_wpc302_link_to_an_unpublished_item(tmp_path: Path) -> None:
    doc = wxr(item(1, content=f'<a href="{SITE}/?p=2">draft</a>'), item(2, status="draft"))
    f = only(run(tmp_path, doc), "WPC302")
    assert "draft" in f.message and f.severity == "info"


def test_wpc303_media_not_among_attachments(tmp_path: Path) -> None:
    up = f"{SITE}/wp-content/uploads/2024/05"
    content = (f'<img src="{up}/a-300x200.png" srcset="{up}/a-1024x683.png 1024w, {up}/gone-150x150.png 150w">'
               f'[audio mp3="{up}/song.mp3"] <img src="https://cdn.elsewhere.net/wp-content/uploads/x.png">'
               f'<!-- wp:image {{"url":"/wp-content/uploads/2024/05/a-scaled.png"}} /-->')
    doc = wxr(attachment(5, "2024/05/a.png"), item(1, content=content))
    hits = found(run(tmp_path, doc), "WPC303")
    assert [f.message.split(" ")[0] for f in hits] == [f"{up}/gone-150x150.png", f"{up}/song.mp3"]
    assert {f.line for f in hits} == {item_line(doc, 1)}


def test_wpc304_an_export_without_attachments(tmp_path: Path) -> None:
    doc = wxr(item(1, content=f'<img src="{SITE}/wp-content/uploads/2024/05/a.png"> [gallery ids="3"]'))
    result = run(tmp_path, doc)
    assert "1 uploaded file" in only(result, "WPC304").message
    assert not found(result, "WPC303") and not found(result, "WPC207")


# -- WPC4xx: content ---------------------------------------------------------------------------


def test_wpc401_unknown_shortcodes(tmp_path: Path) -> None:
    doc = wxr(item(1, content="[caption]x[/caption] [contact-form-7 id=1] [[escaped]] [1] [code]a[/code]"),
              item(2, content="[contact-form-7 id=2]"))
    f = only(run(tmp_path, doc), "WPC401")
    assert f.message == "unknown shortcode [contact-form-7] (in 2 items)" and f.line == item_line(doc, 1)


def test_wpc402_wpc403_unknown_blocks(tmp_path: Path) -> None:
    content = ("<!-- wp:paragraph --><p>a</p><!-- /wp:paragraph -->"
               "<!-- wp:acme/widget {\"a\":1} /--><!-- /wp:quote -->")
    doc = wxr(item(1, content=content))
    result = run(tmp_path, doc)
    assert only(result, "WPC402").message == "unknown block acme/widget"
    stray = only(result, "WPC403")
    assert "quote" in stray.message and stray.line == item_line(doc, 1)


def test_wpc499_a_crash_is_a_finding_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The content analysis lives in wpconvert.checker.
    mod = importlib.import_module("wpconvert.checker")

    def boom(text: str, ctx: Any) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(mod, "render_blocks", boom)
    doc = wxr(item(1, content="<!-- wp:paragraph --><p>a</p><!-- /wp:paragraph -->"))
    f = only(run(tmp_path, doc), "WPC499")
    assert "RuntimeError: boom" in f.message and f.line == item_line(doc, 1)


def test_wpc210_numbers_too_large(tmp_path: Path) -> None:
    doc = wxr(item(1), item(2, parent=1)).replace("<wp:post_parent>1</wp:post_parent>",
                                                   "<wp:post_parent>99999999999999999999999</wp:post_parent>")
    result = run(tmp_path, doc)
    f = only(result, "WPC210")
    assert "parent" in f.message and f.line == item_line(doc, 2)
    assert result.exit_code() == 0


def test_wpc499_a_reader_bug_is_a_finding_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mod = importlib.import_module("wpconvert.checks")
    real = mod.Export

    class Flaky(real):  # type: ignore[misc, valid-type]
        def items(self) -> Any:
            yield from ()
            raise ValueError("Invalid tag name 'x:y'")

    monkeypatch.setattr(mod, "Export", Flaky)
    result = run(tmp_path, wxr(item(1)))
    f = only(result, "WPC499")
    assert "ValueError" in f.message and f.file.endswith("export.xml")
    assert result.unreadable and result.exit_code() == 2


# -- inputs, ignore, fail-on -------------------------------------------------------------------


def test_several_files_are_one_export(tmp_path: Path) -> None:
    thumb = "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>5</wp:meta_value></wp:postmeta>"
    one = wxr(item(1, content=f'<a href="{SITE}/post-2/">two</a>', meta=thumb))
    two = wxr(attachment(5, "2024/05/a.png"), item(2, content="[acme]"))
    (tmp_path / "site.000.xml").write_text(one, "utf-8")
    (tmp_path / "site.001.xml").write_text(two, "utf-8")
    result = check(tmp_path)
    assert [(f.code, Path(f.file).name, f.line) for f in result.findings] == [
        ("WPC401", "site.001.xml", item_line(two, 2))]
    assert [Path(f).name for f in result.files] == ["site.000.xml", "site.001.xml"]


def test_findings_are_sorted_by_file_and_line(tmp_path: Path) -> None:
    doc = wxr(item(1, content="[b]"), item(2, content="[a]", creator="zed")).replace(
        "<title>T</title>", "<title>A & B</title>")
    lines = [f.line for f in run(tmp_path, doc).findings]
    assert lines == sorted(lines) and len(lines) == 4


def test_ignore(tmp_path: Path) -> None:
    doc = wxr(item(1, content="[acme] <!-- wp:acme/x /-->", creator="zed"))
    assert run(tmp_path, doc, ignore=["WPC4*"]).codes() == {"WPC206"}
    assert run(tmp_path, doc, ignore=["wpc401,WPC206"]).codes() == {"WPC402"}
    with pytest.raises(UsageError, match="WPC999"):
        run(tmp_path, doc, ignore=["WPC999"])


def test_fail_on() -> None:
    result = CheckResult(findings=[Problem("WPC208", "info", "m")])
    assert (result.exit_code(), result.exit_code("warning"), result.exit_code("info")) == (0, 0, 1)
    result.findings.append(Problem("WPC401", "warning", "m"))
    assert (result.exit_code(), result.exit_code("warning")) == (0, 1)
    with pytest.raises(UsageError):
        result.failed("fatal")


def test_check_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work, temp = tmp_path / "work", tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    check(FIXTURES / "classic.xml")
    check(FIXTURES / "broken.xml")
    assert list(work.iterdir()) == [] and list(temp.iterdir()) == []


def test_no_input_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        check([])


# -- the command -------------------------------------------------------------------------------


def invoke(*args: str) -> Any:
    return CliRunner().invoke(check_cmd, list(args))


def test_cli_text(tmp_path: Path) -> None:
    doc = wxr(item(1, content="[acme]"))
    (tmp_path / "e.xml").write_text(doc, "utf-8")
    res = invoke(str(tmp_path / "e.xml"))
    assert res.exit_code == 0, res.output
    assert f"{tmp_path / 'e.xml'}:{item_line(doc, 1)}: warning WPC401: unknown shortcode [acme]" in res.output
    assert "0 errors, 1 warning, 0 info in 1 file (1 items)" in res.output
    assert invoke(str(tmp_path / "e.xml"), "--fail-on", "warning").exit_code == 1
    assert invoke(str(tmp_path / "e.xml"), "--fail-on", "warning", "--ignore", "WPC401").exit_code == 0


def test_cli_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "nover.xml").write_text(wxr(item(1), version="abc"), "utf-8")
    assert invoke(str(tmp_path / "nover.xml")).exit_code == 1
    assert invoke(str(tmp_path / "missing.xml")).exit_code == 2
    assert invoke(str(FIXTURES / "classic.xml")).exit_code == 0
    assert invoke().exit_code == 2
    assert invoke(str(FIXTURES / "classic.xml"), "--fail-on", "fatal").exit_code == 2
    bad = invoke(str(FIXTURES / "classic.xml"), "--ignore", "WPC999")
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1 and "Traceback" not in bad.output


def test_cli_json(tmp_path: Path) -> None:
    res = invoke(str(FIXTURES / "broken.xml"), "--format", "json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["summary"] == {"error": 0, "warning": 6, "info": 0}
    assert data["exit_code"] == 0 and data["items"] == 1
    assert {"code", "severity", "message", "file", "line"} == set(data["findings"][0])


def test_cli_github(tmp_path: Path) -> None:
    res = invoke(str(FIXTURES / "truncated.xml"), "--format", "github")
    assert res.exit_code == 1
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("::")]
    assert lines and all(re.match(r"::error file=.*truncated\.xml,line=\d+,title=WPC018::", ln) for ln in lines)


def test_github_annotation_escaping() -> None:
    f = Problem("WPC301", "warning", "50% of\nlinks", "a,b:c.xml", 7)
    assert github_annotation(f) == "::warning file=a%2Cb%3Ac.xml,line=7,title=WPC301::50%25 of%0Alinks"
    assert github_annotation(Problem("WPC304", "info", "m")) == "::notice title=WPC304::m"


def test_cli_list_codes() -> None:
    res = invoke("--list-codes")
    assert res.exit_code == 0 and len(res.output.splitlines()) == len(CODES)


def test_cli_registered_on_main() -> None:
    from wpconvert.cli import main

    if "check" not in main.commands:
        pytest.skip("wpconvert check is not registered in cli.py yet (main.add_command(check))")
    res = CliRunner().invoke(main, ["check", str(FIXTURES / "classic.xml")])
    assert res.exit_code == 0


# -- the corpus --------------------------------------------------------------------------------


def _index(corpus: Path) -> dict[str, dict[str, str]]:
    with (corpus / "INDEX.tsv").open(encoding="utf-8") as fh:
        return {row["path"].removeprefix("corpus/"): row for row in csv.DictReader(fh, delimiter="\t")}


def test_corpus_never_raises(corpus: Path) -> None:
    index = _index(corpus)
    assert len(index) > 50
    for rel, row in sorted(index.items()):
        result = check(corpus / rel)
        for f in result.findings:
            assert f.code in CODES and f.severity == CODES[f.code][0], (rel, f)
        assert "WPC499" not in result.codes(), (rel, found(result, "WPC499"))
        quirks = row["notable_quirks"]
        repairs = {c for c in result.codes() if c.startswith("WPC01")}
        if "lxml strict parse OK" in quirks:
            # Well-formed XML needs no repair.
            assert not repairs, (rel, repairs)
        elif "LXML STRICT PARSE FAILS" in quirks:
            assert repairs or {"WPC001", "WPC002"} & result.codes(), rel
        if row["wxr_version"] in ("MISSING", "abc"):
            assert result.exit_code() in (1, 2) and {"WPC001", "WPC002"} & result.codes(), rel
        dup_ids = re.search(r"duplicate wp:post_id values x(\d+)", quirks)
        assert len(found(result, "WPC208")) == (int(dup_ids.group(1)) if dup_ids else 0), rel
        dup_names = re.search(r"duplicate non-empty post_name x(\d+)", quirks)
        assert len(found(result, "WPC209")) <= (int(dup_names.group(1)) if dup_names else 0), rel


def test_corpus_known_facts(corpus: Path) -> None:
    theme = check(corpus / "theme-test-data" / "themeunittestdata.wordpress.xml")
    # Eighteen nav menu items are exported twice (same id, same post_name).
    assert len(found(theme, "WPC208")) == 18
    assert theme.exit_code() == 0
    pelican = check(corpus / "pelican" / "wordpressexport.xml")
    assert "comment 122" in only(pelican, "WPC101").message
    blocks = check(corpus / "theme-test-data" / "64-block-test-data.xml")
    assert len(found(blocks, "WPC209")) == 1
    for rel in ("php-toolkit/malformed.xml", "wordpress-importer/phpunit-data/malformed.xml"):
        malformed = check(corpus / rel)
        f = only(malformed, "WPC001")
        assert f.line and "tag mismatch" in f.message
        assert malformed.exit_code() == 2
    missing = check(corpus / "wordpress-importer" / "phpunit-data" / "missing-version-tag.xml")
    assert only(missing, "WPC002").severity == "error" and missing.exit_code() == 1


def test_corpus_cli_formats_never_trace(corpus: Path) -> None:
    files = sorted(corpus.rglob("*.xml"))[:40]
    for fmt in ("text", "json", "github"):
        res = invoke(*map(str, files), "--format", fmt)
        assert res.exit_code in (0, 1, 2) and res.exception is None or isinstance(res.exception, SystemExit), res.output
