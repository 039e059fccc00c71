"""The reader against the shared real-world corpus: INDEX.tsv counts and ORACLES.md values.

Every file of ``../shared/corpus/INDEX.tsv`` is read. The expected counts come from two
places: INDEX.tsv's own numbers, and an independent census of each file with lxml in
recover mode (the tree API, not our streaming reader). INDEX counts literal open tags
(``<wp:author>``, ``<wp:category>``, …), which differs from what a reader should give in a
few documented ways (see ``INDEX_DEVIATIONS``); the census says what the right answer is.
The tests skip where the corpus is absent.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from wpconvert.errors import InputError
from wpconvert.model import Item, ItemTerm, Meta
from wpconvert.reader import Export, read
from wpconvert.report import Report

WI = "wordpress-importer/phpunit-data"
PT = "php-toolkit"
SHRUG = "¯\\_(ツ)_/¯"
SHRUG_ARRAY = 'a:1:{s:3:"key";s:13:"¯\\_(ツ)_/¯";}'
_WP_NS = re.compile(r"^https?://wordpress\.org/export/\d+\.\d+/?$")


# -- INDEX.tsv ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of INDEX.tsv, parsed."""

    rel: str  # path under corpus/
    wxr_version: str
    items: int
    comments: int
    post_types: Counter[str]
    defs: dict[str, int]
    quirks: str

    @property
    def strict_fails(self) -> bool:
        return "LXML STRICT PARSE FAILS" in self.quirks

    @property
    def recover_items(self) -> int:
        """The item count lxml's recover mode gives (INDEX's number for broken files)."""
        m = re.search(r"lxml recover=True yields (\d+) <item>", self.quirks)
        return int(m.group(1)) if m else self.items

    @property
    def lxml_error_line(self) -> int:
        m = re.search(r"LXML STRICT PARSE FAILS: .*?, line (\d+), column \d+ \(<string>", self.quirks)
        assert m, self.quirks
        return int(m.group(1))

    def quirk_count(self, label: str) -> int:
        m = re.search(re.escape(label) + r" x(\d+)", self.quirks)
        return int(m.group(1)) if m else 0


def _rows() -> list[Row]:
    index = CORPUS / "INDEX.tsv"
    if not index.is_file():
        return []
    rows = []
    with index.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            types: Counter[str] = Counter()
            if r["post_types"] != "-":
                for part in r["post_types"].split(","):
                    name, n = part.rsplit(":", 1)
                    types[name] = int(n)
            defs = {k: int(v) for k, v in (kv.split("=") for kv in r["channel_defs"].split())}
            rows.append(Row(r["path"].removeprefix("corpus/"), r["wxr_version"], int(r["items"]),
                            int(r["wp_comments"]), types, defs, r["notable_quirks"]))
    return rows


ROWS = _rows()

# Files that are not WXR exports at all, or broken beyond repair: the error each must give.
NOT_READABLE = {
    f"{PT}/malformed.xml": "Opening and ending tag mismatch",
    f"{WI}/malformed.xml": "Opening and ending tag mismatch",
    f"{PT}/missing-version-tag.xml": "This does not appear to be a WXR file, missing WXR version number",
    f"{WI}/missing-version-tag.xml": "This does not appear to be a WXR file, missing WXR version number",
    f"{PT}/invalid-version-tag.xml": "This does not appear to be a WXR file, invalid ('abc') WXR version number",
    f"{WI}/invalid-version-tag.xml": "This does not appear to be a WXR file, invalid ('abc') WXR version number",
    # <item> fragments without a channel (nikola's qtranslate test data), and a wagtail
    # fixture that is no WXR.
    "nikola/wordpress_qtranslate_item_modernized.xml": "missing WXR version number",
    "nikola/wordpress_qtranslate_item_raw_export.xml": "missing WXR version number",
    "wagtail-wordpress-import/test.xml": "missing WXR version number",
}

# Where INDEX's literal tag counts and a correct reader part ways, and why.
A11Y = {
    "authors": "one <wp:wp_author> (non-standard), read as an author",
    "post_types": "one item has no <wp:post_type> (INDEX leaves it out; it is a post)",
}
INDEX_DEVIATIONS: dict[str, dict[str, str]] = {
    f"{PT}/a11y-unit-test-data.xml": A11Y,
    f"{WI}/a11y-unit-test-data.xml": A11Y,
    f"{PT}/entities-options-and-posts.xml": {"authors": "one <wp:wp_author> besides the <wp:author>"},
    f"{PT}/frontloading-1-attachment.xml": {"authors": "one <wp:wp_author>"},
    f"{PT}/frontloading-attachments-post-contents-and-404s.xml": {"authors": "one <wp:wp_author>"},
    f"{WI}/authors-multiline.xml": {"authors": "INDEX also counts a <wp:author> inside the <item>"},
    f"{WI}/namespace-edge-cases.xml": {
        "authors": "INDEX counts only bare <wp:author> tags; two carry xmlns attributes",
        "terms": "its <wp:term>s come after the items, past the header (reported as WPC103)",
    },
    # WordPress 5.x (and the theme test data) repeat categories and tags as <wp:term>s;
    # like WordPress's importer, the first definition of a (taxonomy, slug) is kept.
    "hexo-migrator-wordpress/wordpress.xml": {"terms": "3 <wp:term>s repeat a category/tags"},
    f"{PT}/theme-unit-test-data.xml": {"terms": "1 <wp:term> repeats a category"},
    f"{WI}/theme-unit-test-data.xml": {"terms": "1 <wp:term> repeats a category"},
    "theme-test-data/themeunittestdata.wordpress.xml": {"terms": "1 <wp:term> repeats a category"},
    "theme-test-data/64-block-test-data.xml": {"terms": "11 <wp:term>s repeat categories/tags"},
    f"{WI}/term-meta.xml": {"categories": "its one <wp:term> is of taxonomy category"},
}


# -- an independent census with lxml's tree API ------------------------------------------------


@dataclass
class Census:
    """What one file holds, counted on lxml's recover-mode tree."""

    items: int = 0
    comments: int = 0
    post_types: Counter[str] = field(default_factory=Counter)
    logins: list[str] = field(default_factory=list)  # header authors, first of each login
    term_keys: list[tuple[str, str]] = field(default_factory=list)  # header terms, deduplicated
    late_definitions: int = 0


def _wp(el: Any, local: str | tuple[str, ...]) -> bool:
    """True for an element ``{wordpress.org/export/N.N/}local``."""
    tag = el.tag
    if not isinstance(tag, str) or not tag.startswith("{"):
        return False  # comments, no namespace, or an undeclared prefix kept by recover mode
    uri, name = tag[1:].split("}", 1)
    names = (local,) if isinstance(local, str) else local
    return name in names and bool(_WP_NS.match(uri))


def _child_text(el: Any, local: str) -> str:
    for c in el:
        if _wp(c, local):
            return str(c.text or "")
    return ""


def census(path: Path) -> Census:
    """Count items, comments, post types and header definitions of ``path`` with lxml."""
    parser = etree.XMLParser(recover=True, huge_tree=True, resolve_entities=False, no_network=True)
    root = etree.parse(str(path), parser).getroot()
    channel = root.find("channel")
    out = Census()
    assert channel is not None
    seen_item = False
    for el in channel:
        if el.tag == "item":
            seen_item = True
            out.items += 1
            out.comments += sum(1 for c in el if _wp(c, "comment"))
            out.post_types[(_child_text(el, "post_type").strip() or "post")] += 1
        elif _wp(el, ("author", "wp_author", "category", "tag", "term")):
            if seen_item:
                out.late_definitions += 1
                continue
            local = el.tag.split("}", 1)[1]
            if local in ("author", "wp_author"):
                login = _child_text(el, "author_login").strip()
                if login not in out.logins:
                    out.logins.append(login)
                continue
            if local == "category":
                key = ("category", _child_text(el, "category_nicename"))
            elif local == "tag":
                key = ("post_tag", _child_text(el, "tag_slug"))
            else:
                key = (_child_text(el, "term_taxonomy"), _child_text(el, "term_slug"))
            if key not in out.term_keys:
                out.term_keys.append(key)
    return out


def _read_all(path: Path, **kw: Any) -> tuple[Export, list[Item], Report]:
    report = Report()
    export = read(path, report=report, **kw)
    return export, list(export.items()), report


# -- every file of INDEX.tsv ------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=[r.rel for r in ROWS])
def test_counts_match_index_and_census(corpus: Path, row: Row) -> None:
    path = corpus / row.rel
    if row.rel in NOT_READABLE:
        with pytest.raises(InputError) as info:
            read(path).items().__next__()
        assert NOT_READABLE[row.rel] in str(info.value)
        assert str(path) in str(info.value)
        return
    export, items, report = _read_all(path)
    site = export.site
    expected = census(path)

    # Items, comments and post types: INDEX's numbers (the recover-mode count for broken
    # files) and the census agree, and so must we.
    assert expected.items == row.recover_items
    assert len(items) == row.recover_items
    assert sum(1 for it in items for _ in it.all_comments()) == row.comments == expected.comments
    deviations = INDEX_DEVIATIONS.get(row.rel, {})
    types = Counter(it.post_type for it in items)
    assert types == expected.post_types
    assert (types != row.post_types) == ("post_types" in deviations)

    # Header definitions: exactly the census's, in order.
    assert [a.login for a in site.authors] == expected.logins
    assert [(t.taxonomy, t.slug) for t in site.terms] == expected.term_keys
    late = [p for p in report.problems if p.code == "WPC103"]
    assert len(late) == expected.late_definitions

    # And INDEX's literal tag counts, where no deviation is documented.
    n_terms = row.defs["categories"] + row.defs["tags"] + row.defs["terms"]
    ours = {
        "authors": len(site.authors),
        "categories": len(site.categories),
        "terms": len(site.terms),
    }
    index = {"authors": row.defs["authors"], "categories": row.defs["categories"], "terms": n_terms}
    for what, number in index.items():
        if what in deviations:
            assert ours[what] != number, f"{what}: documented deviation no longer happens"
        else:
            assert ours[what] == number, what
    assert len(site.tags) == len({t.slug for t in site.tags})
    if row.wxr_version not in ("MISSING", "abc"):
        assert site.wxr_version == row.wxr_version


BROKEN = [r for r in ROWS if r.strict_fails and r.rel not in NOT_READABLE]


@pytest.mark.parametrize("row", BROKEN, ids=[r.rel for r in BROKEN])
def test_broken_file_repaired_by_default_refused_by_strict(corpus: Path, row: Row) -> None:
    path = corpus / row.rel
    _, items, report = _read_all(path)
    assert len(items) == row.recover_items
    assert report.repairs, "a file lxml refuses cannot have been read without a repair"
    assert all(r.file == str(path) and r.line > 0 for r in report.repairs)
    with pytest.raises(InputError) as info:
        list(read(path, strict=True).items())
    err = info.value
    # The first thing wrong is where lxml's strict parse stops too.
    assert (err.line, err.file) == (row.lxml_error_line, str(path))
    assert err.column > 0
    assert str(err).startswith(f"{path}:{err.line}:{err.column}: ")


def test_broken_files_are_the_expected_ones() -> None:
    if not ROWS:
        pytest.skip("shared corpus not present")
    assert {r.rel for r in BROKEN} == {
        "ghost-migrate/attachments-only.xml", "ghost-migrate/sample.xml", "ghost-migrate/sample-no-slug.xml",
        "nikola/wordpress_unicode_export.xml", f"{PT}/crazy-cdata.xml", f"{WI}/crazy-cdata.xml",
        f"{WI}/malformed-simple.xml", f"{WI}/namespace-edge-cases.xml",
    }


@pytest.mark.parametrize(
    ("rel", "kind"),
    [
        ("ghost-migrate/sample.xml", "raw-ampersand"),
        ("nikola/wordpress_unicode_export.xml", "undeclared-prefix"),
        (f"{PT}/crazy-cdata.xml", "cdata-terminator"),
        (f"{WI}/malformed-simple.xml", "truncated"),
        (f"{WI}/namespace-edge-cases.xml", "namespace-uri"),
    ],
)
def test_repair_kind_of_each_broken_file(corpus: Path, rel: str, kind: str) -> None:
    _, _, report = _read_all(corpus / rel)
    assert {r.kind for r in report.repairs} == {kind}


# -- ORACLES.md A: WordPress/wordpress-importer --------------------------------------------


def test_valid_wxr_1_1(corpus: Path) -> None:
    export, items, _ = _read_all(corpus / WI / "valid-wxr-1.1.xml")
    site = export.site
    assert site.base_site_url == "http://localhost/"
    john = site.author("john")
    assert john is not None
    assert (john.id, john.email, john.display_name, john.first_name, john.last_name) == (
        2, "johndoe@example.org", "John Doe", "John", "Doe")
    cat = site.categories[0]
    assert (cat.id, cat.slug, cat.parent, cat.name, cat.description) == (3, "alpha", "", "alpha", "The alpha category")
    tag = site.tags[0]
    assert (tag.id, tag.slug, tag.name, tag.description) == (22, "clippable", "Clippable", "The Clippable post_tag")
    term = next(t for t in site.terms if t.taxonomy == "post_tax")
    assert (term.id, term.slug, term.parent, term.name, term.description) == (
        40, "bieup", "", "bieup", "The bieup post_tax")
    assert len(items) == 2
    assert items[0].terms == (
        ItemTerm("category", "alpha", "alpha"),
        ItemTerm("post_tag", "clippable", "Clippable"),
        ItemTerm("post_tax", "bieup", "bieup"),
    )
    assert items[0].meta == ()
    assert items[1].meta == (Meta("_wp_page_template", "default"),)


def test_valid_wxr_1_0_keeps_the_tag_domain(corpus: Path) -> None:
    export, items, _ = _read_all(corpus / WI / "valid-wxr-1.0.xml")
    site = export.site
    assert site.base_site_url == "http://localhost/"
    first = site.categories[0]
    assert (first.slug, first.name, first.parent, first.description) == ("alpha", "alpha", "", "The alpha category")
    assert (site.tags[0].slug, site.tags[0].name) == ("chicken", "chicken")
    assert len(items) == 6

    def terms(i: int) -> list[tuple[str, str, str]]:
        return [(t.name, t.slug, t.taxonomy) for t in items[i].terms]

    assert terms(0) == [("Uncategorized", "uncategorized", "category")]
    # WXR 1.0 wrote domain="tag": kept as exported, normalised only by ItemTerm.kind.
    assert terms(2) == [("alpha", "alpha", "category"), ("news", "news", "tag"), ("roar", "roar", "tag")]
    assert terms(3) == [("chicken", "chicken", "tag"), ("child", "child", "category"), ("face", "face", "tag")]
    assert [t.slug for t in items[3].terms_of("post_tag")] == ["chicken", "face"]
    assert items[1].meta == (Meta("_wp_page_template", "default"),)


@pytest.mark.parametrize("rel", [f"{WI}/wxr-simple.xml", f"{PT}/wxr-simple.xml"])
def test_wxr_simple(corpus: Path, rel: str) -> None:
    export, items, _ = _read_all(corpus / rel)
    site = export.site
    assert site.title == "My WordPress Website"
    assert site.wxr_version == "1.2"
    assert site.base_site_url == site.base_blog_url == "https://playground.internal/path"
    (admin,) = site.authors
    assert (admin.id, admin.login, admin.email, admin.display_name, admin.first_name, admin.last_name) == (
        1, "admin", "admin@localhost.com", "admin", "", "")
    (post,) = items
    assert post.title == '"The Road Not Taken" by Robert Frost'
    assert post.guid == post.link == "https://playground.internal/path/?p=1"
    assert (post.date, post.date_gmt) == ("2024-06-05 16:04:48", "2024-06-05 16:04:48")
    assert post.pub_date == "Wed, 05 Jun 2024 16:04:48 +0000"
    assert (post.modified, post.modified_gmt) == ("2024-06-10 12:28:55", "2024-06-10 12:28:55")
    assert (post.creator, post.excerpt, post.id, post.post_type) == ("admin", "", 10, "post")
    assert (post.comment_status, post.ping_status, post.post_name, post.slug, post.status) == (
        "open", "open", "hello-world", "hello-world", "publish")
    assert (post.parent, post.menu_order, post.password, post.sticky) == (0, 0, "", False)
    assert post.terms == (ItemTerm("category", "uncategorized", "Uncategorized"),)
    assert post.meta == (Meta("_pingme", "1"), Meta("_encloseme", "1"))
    assert post.content.startswith("<!-- wp:paragraph -->") and post.content.count("<!-- wp:paragraph -->") == 2
    # Reading twice gives identical results.
    again = list(read(corpus / rel).items())
    assert again == items


def test_wxr_utf8_challenges_kept_exactly(corpus: Path) -> None:
    export, items, _ = _read_all(corpus / WI / "wxr-utf-8-challenges.xml")
    (post,) = items
    assert post.title == '"The Road \u202eNot\u202c Taken" by Rob\u202dert \u202eFrost \u202a\U0001f332\u202c'
    assert post.post_name == post.slug == "hello-w\u202eorld\u202c-utf8-\U0001f4ab-test"
    assert post.guid == "https://playground.internal/path/\U0001f680/\u202etsop\u202c/?p=1&test=\U0001f4ab\u200c\u200b\u200d\u200e"
    assert len(post.meta) == 5
    assert post.meta_value("_pingme\u200c\u200b\u200d\u200e") == "1\u200b\u200d\u200c\u200e"
    # Double-escaped in the source: the references stay text, never become characters.
    assert post.meta_value("_special_chars") == "&#x202E;&#x202D;&#x200B;&#x200C;&#x200D;&#x2060;&#xFEFF;&#xFFFD;"
    assert post.terms[0].slug == "uncat\u202eegorized\u202c"
    assert "\u0627\u0644\u0633\u0644\u0627\u0645 \u0639\u0644\u064a\u0643\u0645" in post.content  # Arabic
    assert "\u222b\u222e\u222f" in post.content  # math
    assert "T\u0337\u0322\u032f\u032d\u0308w" in post.content  # zalgo
    (admin,) = export.site.authors
    assert admin.login == "admin\u200c\u200b\u200d\u200e"  # zero-width characters are not white space
    assert admin.email == "\u0103dm\u0129n@\u2113ocalhost.com"
    assert admin.first_name == "\U0001f170\ufe0f"
    assert admin.last_name == "&#x1F1FA;&#x1F1F8;\U0001d54c\U0001d55f\U0001d55a\U0001d554\U0001d560\U0001d555\U0001d556"


CRAZY_META = (
    Meta("Plain string", "Foo"),
    Meta("Closing CDATA", "]]>"),
    Meta("Alot of CDATA", "This has <![CDATA[ opening and ]]> closing <![CDATA[ tags like this: ]]>"),
)


@pytest.mark.parametrize("rel", [f"{WI}/crazy-cdata-escaped.xml", f"{PT}/crazy-cdata-escaped.xml",
                                 f"{WI}/crazy-cdata.xml", f"{PT}/crazy-cdata.xml"])
def test_crazy_cdata(corpus: Path, rel: str) -> None:
    # The escaped files split "]]>" the way WordPress does; the others hold it raw, and
    # are repaired to the same values.
    _, items, report = _read_all(corpus / rel)
    (post,) = items
    assert post.content == "Content with nested <![CDATA[ tags ]]> :)"
    if rel.startswith(WI):
        assert post.meta == CRAZY_META
    else:
        # php-toolkit's copies are reindented: the line break and indentation between two
        # CDATA sections (and before </wp:meta_value>) are text of the value, as XML says.
        assert post.meta[:2] == CRAZY_META[:2]
        assert re.sub(r"\s+", "", post.meta[2].value) == re.sub(r"\s+", "", CRAZY_META[2].value)
        assert post.meta[2].value != CRAZY_META[2].value
    assert {r.kind for r in report.repairs} == (set() if "escaped" in rel else {"cdata-terminator"})


@pytest.mark.parametrize("rel", [f"{WI}/slashes.xml", f"{PT}/slashes.xml"])
def test_slashes_kept(corpus: Path, rel: str) -> None:
    export, items, _ = _read_all(corpus / rel)
    terms = {t.slug: t.name for t in export.site.terms}
    assert terms == {"alpha": 'a \\"great\\" category', "tag1": "foo\\'bar"}
    assert items[0].content == "Slashes aren\\'t \\\"cool\\\""
    if rel.startswith(WI):
        assert [c.content for c in items[0].all_comments()] == ["\\o/ " + SHRUG]


def test_serialized_term_meta(corpus: Path) -> None:
    export, _, _ = _read_all(corpus / WI / "test-serialized-term-meta.xml")
    assert [(t.taxonomy, t.slug) for t in export.site.terms] == [
        ("category", "category"), ("post_tag", "post_tag"), ("custom_taxonomy", "custom_taxonomy")]
    for term in export.site.terms:
        # Raw serialized strings, as exported; decoded on request.
        assert term.meta == (Meta("string", SHRUG), Meta("array", SHRUG_ARRAY))
        assert [m.decoded() for m in term.meta] == [SHRUG, {"key": SHRUG}]


def test_serialized_comment_meta(corpus: Path) -> None:
    _, items, _ = _read_all(corpus / WI / "test-serialized-comment-meta.xml")
    (post,) = items
    (comment,) = post.comments
    assert comment.is_approved
    assert comment.meta == (Meta("string", SHRUG), Meta("array", SHRUG_ARRAY))
    assert comment.meta[1].decoded() == {"key": SHRUG}


def test_serialized_postmeta(corpus: Path) -> None:
    _, items, _ = _read_all(corpus / WI / "test-serialized-postmeta-with-cdata.xml")
    (post,) = items
    assert post.id == 10
    decoded = {m.key: m.decoded() for m in post.meta}
    assert decoded == {
        "post-options": {"special_post_title": "A special title", "is_calendar": ""},
        "contains-html": "<pre>some html</pre>",
        "evil": "<wp:meta_value>evil</wp:meta_value>",  # markup inside CDATA is text
        "string": SHRUG,
        "array": {"key": SHRUG},
        "array-nested": {"key": {"foo": SHRUG, "bar": "\\o/"}},
        "integer": "1",
    }
    _, items, _ = _read_all(corpus / WI / "test-serialized-postmeta-no-cdata.xml")
    assert items[0].id == 122
    assert items[0].meta[0].decoded() == {"special_post_title": "A special title", "is_calendar": ""}
    _, items, _ = _read_all(corpus / WI / "test-utw-post-meta-import.xml")
    assert items[0].id == 150
    tags = [v["tag"] for v in items[0].meta[0].decoded().values()]
    assert tags == ["album", "apple", "art", "artwork", "dead-tracks", "ipod", "itunes", "javascript",
                    "lyrics", "script", "tracks", "windows-scripting-host", "wscript"]
    _, items, _ = _read_all(corpus / WI / "chunked-meta.xml")
    assert items[0].meta[0].decoded()["foo"] == "bar"


def test_small_export(corpus: Path) -> None:
    export, items, _ = _read_all(corpus / WI / "small-export.xml")
    site = export.site
    users = {a.login: (a.email, a.first_name, a.last_name) for a in site.authors}
    assert users == {
        "admin": ("local@host.null", "", ""),
        "editor": ("editor@example.org", "FirstName", "LastName"),
        "author": ("author@example.org", "", ""),
    }
    assert (len(site.categories), len(site.tags)) == (30, 3)
    parents = {t.slug: t.parent for t in site.categories}
    assert (parents["foo"], parents["foo-bar"]) == ("", "bar")
    by_status = Counter((it.post_type, it.status) for it in items)
    assert by_status == {("post", "publish"): 5, ("post", "private"): 1, ("page", "publish"): 4, ("page", "draft"): 1}
    assert sum(1 for it in items for _ in it.all_comments()) == 1
    by_id = sorted(items, key=lambda it: it.id or 0)
    assert [(it.title, it.post_name) for it in by_id] == [
        ("Hello world!", "hello-world"), ("Sample Page", "sample-page"), ("Child Page", "child-page"),
        ("Parent Page", "parent-page"), ("Draft Page", ""), ("1-col page", "1-col-page"),
        ("Private Post", "private-post"), ("Foo-child", "foo-child"), ("Top-level Foo", "top-level-foo"),
        ("Non-standard post format", "non-standard-post-format"), ("Many Categories", "many-categories"),
    ]
    titles = {it.title: it for it in items}
    assert len(titles["Many Categories"].terms_of("category")) == 27
    assert [t.slug for t in titles["Private Post"].terms_of("post_tag")] == ["tag1", "tag2", "tag3"]
    assert [t.slug for t in titles["Foo-child"].terms_of("category")] == ["foo-bar"]
    assert titles["Foo-child"].creator == "editor"
    assert titles["Hello world!"].creator == "author"
    assert [t.slug for t in titles["Non-standard post format"].terms_of("post_format")] == ["post-format-aside"]
    assert titles["1-col page"].meta_value("_wp_page_template") == "onecolumn-page.php"
    assert titles["Child Page"].parent == titles["Parent Page"].id
    assert titles["Draft Page"].status == "draft"


def test_cdata_and_whitespace_cases(corpus: Path) -> None:
    def content(name: str) -> str:
        return _read_all(corpus / WI / name)[1][0].content

    assert content("multiple-cdata.xml").strip() == "line oneline twoline three"
    assert "\n\n" in content("blank-lines.xml")
    assert content("post-content-blank-lines.xml").count("\n") == 3
    assert content("cdata-edge.xml").endswith("]] >")
    assert "C:\\xampp\\htdocs" in content("backslashes.xml")
    assert content("missing-tags.xml") == "text"


def test_large_authors_and_multiline_authors(corpus: Path) -> None:
    export, _, _ = _read_all(corpus / WI / "large-authors.xml")
    assert len(export.site.authors) == 300
    assert len({a.login for a in export.site.authors}) == 300
    export, items, _ = _read_all(corpus / WI / "authors-multiline.xml")
    # Closing tags on the next line: the login is trimmed the way WordPress trims it.
    assert [a.login for a in export.site.authors] == ["alice", "bob", "carol"]
    assert [a.id for a in export.site.authors] == [1, 2, 3]


def test_sub_data_and_term_files(corpus: Path) -> None:
    export, items, _ = _read_all(corpus / WI / "wxr-with-sub-data.xml")
    assert export.site.wxr_version == "1.1"
    (post,) = items
    assert (post.id, post.title, post.creator, post.status, post.post_type) == (
        101, "Post with sub data", "admin", "publish", "post")
    assert post.meta == (Meta("_test_meta_key", "test_meta_value"),)
    assert post.terms == (ItemTerm("category", "test-cat", "Test Category"),)
    (comment,) = post.comments
    assert (comment.id, comment.author, comment.content) == (201, "Commenter", "This is a comment with meta.")
    assert comment.meta == (Meta("_comment_meta_key", "comment_meta_value"),)
    (term,) = export.site.terms
    assert (term.id, term.taxonomy, term.slug, term.name) == (40, "custom_tax", "custom-term", "Custom Term")
    assert term.meta == (Meta("term_meta_key", "term_meta_value"),)

    export, items, _ = _read_all(corpus / WI / "term-formats.xml")
    assert export.site.base_site_url == "http://localhost/"
    assert (export.site.authors, items) == ((), [])
    kinds = Counter("category" if t.taxonomy == "category" else "post_tag" if t.taxonomy == "post_tag" else "term"
                    for t in export.site.terms)
    assert kinds == {"category": 2, "post_tag": 3, "term": 2}

    export, _, _ = _read_all(corpus / WI / "term-meta.xml")
    assert export.site.terms[0].meta[0].key == "legacy_id"


def test_namespace_edge_cases(corpus: Path) -> None:
    # lxml refuses the IRI namespace; it is percent-encoded (a repair) and the file reads.
    export, items, report = _read_all(corpus / WI / "namespace-edge-cases.xml")
    assert [it.title for it in items] == ["Mixed Namespaces", "No Prefix", "Empty Namespace",
                                          "Unicode Namespace", "Hijacked Namespace", "Namespace Bomb"]
    # The first wp:post_id wins (the importer's XML_Processor takes the last one, 999).
    assert [it.id for it in items] == [1, 2, 3, 4, None, 6]
    assert items[0].meta == (Meta("normal_key", "normal_value"),)  # the foreign-namespace meta is not ours
    assert items[4].meta == ()  # wp: bound to a hijacking namespace
    real = export.site.author("real_user")
    assert real is not None and (real.id, real.email) == (2, "real@example.com")
    assert export.site.author("fake_ns_user") is None
    assert [(r.kind, r.line) for r in report.repairs] == [("namespace-uri", 84)]
    assert [(p.code, p.line) for p in report.problems] == [("WPC103", 116), ("WPC103", 131)]


# -- ORACLES.md B–H: other converters' fixtures ----------------------------------------------


def test_entities_options_and_posts_wp_author(corpus: Path) -> None:
    export, _, _ = _read_all(corpus / PT / "entities-options-and-posts.xml")
    # The second user comes after the categories, as a <wp:wp_author>.
    assert len(export.site.authors) == 2
    assert len(export.site.categories) == 3


def test_stylish_press(corpus: Path) -> None:
    export, items, _ = _read_all(corpus / PT / "stylish-press.xml")
    assert export.site.title == "Stylish Press"
    assert export.site.base_site_url == export.site.base_blog_url == "http://www.stylishpress.wordpress.org"
    (admin,) = export.site.authors
    assert (admin.id, admin.login, admin.email, admin.display_name, admin.first_name, admin.last_name) == (
        1, "admin", "admin@stylishpress.wordpress.org", "Admin", "John", "Doe")
    assert [(it.post_type, it.post_name, it.status, it.id, it.title) for it in items[:2]] == [
        ("page", "home", "publish", 1, "Homepage"), ("page", "the-stylish-story", "publish", 2, "The Stylish Story")]
    assert items[0].meta == (Meta("_edit_last", "1"),)


def test_hexo_percent_encoded_slug(corpus: Path) -> None:
    _, items, _ = _read_all(corpus / "hexo-migrator-wordpress/wordpress.xml")
    assert len(items) == 19
    assert Counter(it.status for it in items)["trash"] == 13
    encoded = [it for it in items if "%" in it.post_name]
    assert [(it.post_name, it.slug) for it in encoded] == [
        ("%e6%97%a5%e6%9c%ac%e8%aa%9e%e3%83%86%e3%82%b9%e3%83%88", "日本語テスト")]
    assert {"hello-world", "dove-comprare-200-mg-celebrex"} <= {it.slug for it in items}


def test_contentful(corpus: Path) -> None:
    export, items, _ = _read_all(corpus / "contentful-wordpress-exporter/wordpress.xml")
    site = export.site
    assert site.title == "Moj blog 2"
    assert [a.id for a in site.authors] == [10, 12]
    cats = site.categories
    assert len(cats) == 4
    assert (cats[0].slug, cats[0].name, cats[-1].slug, cats[-1].name) == (
        "bez-kategorii", "Bez kategorii", "puchatka", "puchatka")
    assert [(t.slug, t.id) for t in site.tags] == [("testowy", 2656354), ("testowy2", 306830130)]
    assert len(items) == 7
    first = items[0]
    assert (first.id, first.title, first.link) == (1, "Informacje", "http://szpryc.wordpress.com/informacje/")
    assert first.date is not None and first.date.startswith("2014-11-26")
    att = next(it for it in items if it.id == 15)
    assert att.attachment_url == "https://szpryc.files.wordpress.com/2014/11/screen-shot-2014-11-27-at-12-34-47-pm.png"
    assert att.meta_value("_wp_attachment_image_alt") == "MOJ_DESC"

    _, items, _ = _read_all(corpus / "contentful-wordpress-exporter/wordpress_empty_dates.xml")
    assert (items[0].date, items[0].date_gmt) == (None, None)  # empty elements: no date
    assert items[1].date is None
    assert items[1].date_gmt is not None and items[1].date_gmt.startswith("2015-06-20")


def test_jekyll_wordpress_com_export(corpus: Path) -> None:
    export, items, _ = _read_all(corpus / "jekyll-import/sitetitle.wordpress.2025-01-19.000.xml")
    (bot,) = export.site.authors
    assert (bot.login, bot.email, bot.display_name, bot.first_name, bot.last_name) == (
        "jekyllbot", "jekyllbot@gmail.com", "jekyllbot", "Jekyllbot", "Hyde")
    assert all(it.creator == "jekyllbot" for it in items)
    post = next(it for it in items if it.post_name == "blog-post-1")
    assert post.title == "Blog Post 1"
    assert [t.name for t in post.terms_of("category")] == ["Foo"]
    assert [t.name for t in post.terms_of("post_tag")] == ["code", "ruby", "ship", "stars"]
    assert post.meta_value("_publicize_job_id") == "101042542514"
    assert "<p>This is a blog post.</p>" in post.content
    art = next(it for it in items if it.post_name == "the-art-of-connection")
    assert art.excerpt == (
        "In the ever-evolving world, the art of forging genuine connections remains timeless. Whether it\u2019s "
        "with colleagues, clients, or partners, establishing a genuine rapport paves the way for collaborative "
        "success.")
    # A slash in a post_name is percent-encoded as %2f; decoding restores it.
    styles = next(it for it in items if it.post_type == "wp_global_styles")
    assert styles.slug == "wp-global-styles-pub/twentytwentyfour"


@pytest.mark.parametrize("rel", [f"{PT}/theme-unit-test-data.xml", f"{WI}/theme-unit-test-data.xml",
                                 "theme-test-data/themeunittestdata.wordpress.xml"])
def test_theme_unit_test_data(corpus: Path, rel: str) -> None:
    export, items, report = _read_all(corpus / rel)
    assert len(items) == 186
    comments = [c for it in items for c in it.all_comments()]
    assert len(comments) == 33
    replies = [c for c in comments if c.parent]
    assert len(replies) == 10
    # Each reply hangs under the comment it names as its parent.
    for it in items:
        stack = [(c, 0) for c in it.comments]
        while stack:
            c, parent = stack.pop()
            assert c.parent == parent
            stack.extend((r, c.id) for r in c.replies)
    assert sum(len(it.comments) for it in items) == 33 - 10
    assert report.problems == []
    assert sum(it.sticky for it in items) == 1
    assert sum(bool(it.password) for it in items) == 1
    encoded = {it.post_name: it.slug for it in items if "%" in it.post_name}
    assert encoded == {"%ce%b5%cf%80%ce%af%cf%80%ce%b5%ce%b4%ce%bf-2": "επίπεδο-2",
                       "%ce%b5%cf%80%ce%af%cf%80%ce%b5%ce%b4%ce%bf-3": "επίπεδο-3"}
    assert Counter(c.type for c in comments) == {"comment": 29, "trackback": 2, "pingback": 2}
    assert Counter(c.approved for c in comments) == {"1": 30, "0": 3}


def test_ghost_multiple_files_merged(corpus: Path) -> None:
    folder = corpus / "ghost-migrate"
    parts = [folder / n for n in ("attachments-only.xml", "pages-only.xml", "posts-only.xml")]
    report = Report()
    export = read(parts, report=report)
    items = list(export.items())
    # 3 <wp:author> blocks over the files, 2 users once merged by login (ORACLES G).
    assert [a.login for a in export.site.authors] == ["harry@example.com", "hermione@example.com"]
    assert len(export.site.categories) == 1
    assert len(items) == 6
    assert Counter(it.post_type for it in items) == {"post": 3, "page": 1, "customcpt": 1, "attachment": 1}
    assert export.site.files == tuple(str(p) for p in parts)
    # Featured images resolve across files: the thumbnails name the attachment of another part.
    attachments = {it.id for it in items if it.post_type == "attachment"}
    featured = [it for it in items if it.meta_value("_thumbnail_id")]
    assert len(featured) == 2
    assert all(int(it.meta_value("_thumbnail_id") or 0) in attachments for it in featured)
    assert {r.file for r in report.repairs} == {str(parts[0])}  # the raw & of attachments-only


def test_ghost_sample(corpus: Path) -> None:
    export, items, _ = _read_all(corpus / "ghost-migrate/sample.xml")
    assert export.site.link == "https://example.com"
    assert (len(export.site.categories), len(export.site.authors), len(items)) == (1, 2, 6)
    by_type = Counter(it.post_type for it in items)
    assert (by_type["post"], by_type["page"]) == (3, 1)
    basic = next(it for it in items if it.title == "Basic Post")
    hermione = export.site.author(basic.creator)
    assert hermione is not None and hermione.email == "hermione@example.com"
    cpt = next(it for it in items if it.post_type == "customcpt")
    assert cpt.title == "My CPT Post"


def test_pelican_custom_types_and_duplicates(corpus: Path) -> None:
    _, items, report = _read_all(corpus / "pelican/wordpressexport.xml")
    pages = [(it.title, it.post_name) for it in items if it.post_type == "page" and it.status in ("publish", "draft")]
    assert pages == [("Page", "contact"), ("Empty Page", "empty")]
    custom = [(it.title, it.post_type) for it in items if it.post_type.startswith("custom")]
    assert custom == [("A custom post in category 4", "custom1"), ("A custom post in category 5", "custom1"),
                      ("A 2nd custom post type also in category 5", "custom2")]
    ids = Counter(it.id for it in items)
    assert (ids[334], ids[175], ids[176], ids[25]) == (2, 3, 3, 4)  # duplicated ids are all kept
    # One reply names a parent that is not in the export: kept at top level, reported.
    (orphan,) = report.problems
    assert orphan.code == "WPC101" and orphan.line > 0


def test_nikola_example_and_atom_repair(corpus: Path) -> None:
    export, items, _ = _read_all(corpus / "nikola/wordpress_export_example.xml")
    assert export.site.language == "de-DE"
    assert export.site.title == "Wordpress blog title"
    assert export.site.description == "Nikola test blog ;) - with moré Ümläüts"
    kontakt = next(it for it in items if it.slug == "kontakt")
    assert (kontakt.title, kontakt.date, kontakt.status) == ("Kontakt", "2009-07-16 20:20:32", "publish")
    att = next(it for it in items if it.id == 10)
    assert att.attachment_url == "http://some.blog/wp-content/uploads/2008/07/arzt_und_pfusch-sick-cover.png"
    assert att.meta_value("_wp_attachment_metadata") is not None
    sizes = att.meta[[m.key for m in att.meta].index("_wp_attachment_metadata")].decoded()
    assert (int(sizes["width"]), int(sizes["height"])) == (300, 299)


def test_wagtail_raw_xml(corpus: Path) -> None:
    _, items, _ = _read_all(corpus / "wagtail-wordpress-import/raw_xml.xml")
    first = items[0]
    assert (first.title, first.slug, first.date_gmt, first.id, first.post_type, first.link) == (
        "Item one title", "item-one-title", "2010-07-13 16:16:46", 1, "post", "https://www.example.com/item-one-title/")
    # content:encoded written entity-escaped instead of in CDATA: the same text comes out.
    assert "<span" in first.content and "&lt;" not in first.content
