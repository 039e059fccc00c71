"""``--format hugo``: the output's shape, and real ``hugo`` builds of it.

The build tests run Debian's ``hugo`` (skipped where it is not installed) on the fixtures
and on the theme unit test data, and check the built HTML with :mod:`sitecheck`.
"""

from __future__ import annotations

import sqlite3
import tomllib
from pathlib import Path

import pytest
import sitecheck as sc
from conftest import CORPUS, FIXTURES

from wpconvert import Report
from wpconvert.writers.generator import escape_hugo_shortcodes, url_segment
from wpconvert.writers.hugo import HugoWriter, hugo_urlize
from wpconvert.writers.plan import UrlSpace

FIXTURE_NAMES = ["classic.xml", "blocks.xml", "german-comments.xml", "statuses.xml", "slugs.xml"]
THEME = CORPUS / "theme-test-data" / "themeunittestdata.wordpress.xml"


def hugo_build(src: Path) -> Path:
    """Build ``src`` with the real hugo; the built site's folder."""
    hugo = sc.require("hugo")
    out = src / "public"
    proc = sc.run([hugo, "--source", str(src), "--destination", str(out), "--cleanDestinationDir"])
    warnings = [line for line in (proc.stdout + proc.stderr).splitlines() if "WARN" in line]
    assert not warnings, "\n".join(warnings)
    return out


def convert(tmp: Path, *names: str, **options: object) -> tuple[Path, Report]:
    src = tmp / "site"
    report = sc.convert_site([FIXTURES / n for n in names], "hugo", src, **options)
    return src, report


# -- the output, without building ------------------------------------------------------------
def test_registered() -> None:
    from wpconvert.writers import _builtin, available, get

    assert available()["hugo"] is HugoWriter
    assert get("hugo") is HugoWriter
    assert _builtin("hugo") is HugoWriter


def test_classic_layout_and_front_matter(tmp_path: Path) -> None:
    src, report = convert(tmp_path, "classic.xml")
    paths = sorted(e.path for e in report.entries if e.action == "written")
    # About has a child page: a branch bundle; posts and Team are leaf bundles.
    assert paths == [
        "content/about/_index.md", "content/about/team/index.md",
        "content/posts/a-follow-up/index.md", "content/posts/moving-a-blog/index.md",
    ]
    fm = sc.front_matter(src / "content/posts/moving-a-blog/index.md")
    assert fm["url"] == "/posts/moving-a-blog/"
    assert fm["aliases"] == ["/2024/05/moving-a-blog/"]
    assert fm["slug"] == "moving-a-blog"
    assert fm["categories"] == ["Notes", "Python"] and fm["tags"] == ["How-to"]
    assert fm["images"] == [fm["featured_image"]]
    assert fm["comments_key"] == "10"
    assert "draft" not in fm and "type" not in fm
    body = (src / "content/posts/moving-a-blog/index.md").read_text("utf-8")
    # Internal links point at the new URLs, root-relative.
    assert "(</posts/a-follow-up/>)" in body and "(</about/>)" in body
    team = sc.front_matter(src / "content/about/team/index.md")
    assert team["url"] == "/about/team/" and team["aliases"] == ["/team/"]
    # Comments as threaded data.
    data = sc.load_yaml((src / "data/comments/10.yaml").read_text("utf-8"))
    assert [c["id"] for c in data] == [500, 503]
    assert data[0]["replies"][0]["id"] == 501 and data[0]["replies"][0]["replies"][0]["id"] == 502
    assert data[0]["date"] == "2024-05-03T09:00:00Z"
    assert "author_email" not in data[0]
    # The skeleton: a config Hugo can read.
    config = tomllib.loads((src / "hugo.toml").read_text("utf-8"))
    assert config["baseURL"] == "https://blog.example.org/"
    assert config["title"] == "Harbour Notes" and config["languageCode"] == "en-US"
    assert config["taxonomies"] == {"category": "categories", "tag": "tags"}
    assert (src / "layouts/_default/baseof.html").is_file()
    assert (src / "layouts/partials/comment-list.html").is_file()


def test_redirect_files(tmp_path: Path) -> None:
    src, _ = convert(tmp_path, "classic.xml")
    rules = sc.redirect_rules((src / "static/_redirects").read_text("utf-8"))
    assert rules["/?p=10"] == "/posts/moving-a-blog/"
    assert rules["/?page_id=30"] == "/about/"
    assert rules["/?attachment_id=11"].endswith("/harbour.png")
    assert rules["/2024/05/moving-a-blog/"] == "/posts/moving-a-blog/"
    nginx = (src / "static/nginx-redirects.conf").read_text("utf-8")
    assert "map $arg_p $wpconvert_p {" in nginx and '    10 "/posts/moving-a-blog/";' in nginx
    assert "map $arg_page_id $wpconvert_page_id {" in nginx and '    30 "/about/";' in nginx
    assert '"/2024/05/moving-a-blog/" "/posts/moving-a-blog/";' in nginx
    assert nginx.count("{") == nginx.count("}")


def test_statuses(tmp_path: Path) -> None:
    src, report = convert(tmp_path, "statuses.xml")
    written = {e.title: e for e in report.entries if e.action == "written"}
    assert set(written) == {"Published post", "Draft post", "Pending post", "Future post"}
    for title, e in written.items():
        fm = sc.front_matter(src / e.path)
        assert fm.get("draft", False) is (e.status in ("draft", "pending", "future")), title
        if fm.get("draft"):
            assert "aliases" not in fm
    rules = sc.redirect_rules((src / "static/_redirects").read_text("utf-8"))
    drafts = [e for e in written.values() if e.status != "publish"]
    assert drafts and all(f"/?p={e.id}" not in rules for e in drafts)


def test_slugs_get_unique_clean_urls(tmp_path: Path) -> None:
    src, report = convert(tmp_path, "slugs.xml")
    urls = []
    for e in report.entries:
        if e.action == "written":
            urls.append(str(sc.front_matter(src / e.path)["url"]))
    assert len({u.casefold() for u in urls}) == len(urls)
    for u in urls:
        assert u.startswith("/") and u.endswith("/") and ".." not in u and "//" not in u
        for seg in u.strip("/").split("/"):
            assert seg == url_segment(seg) and seg
    assert "/posts/日本語テスト/" in urls and "/posts/über-straßen/" in urls
    assert {"/posts/same/", "/posts/same-2/", "/posts/readme/", "/posts/readme-2/"} <= set(urls)
    # The page "same" is not pushed aside by the post of the same name.
    assert "/same/" in urls


def test_keep_permalinks(tmp_path: Path) -> None:
    src, report = convert(tmp_path, "classic.xml", keep_permalinks=True)
    fm = sc.front_matter(src / "content/posts/moving-a-blog/index.md")
    assert fm["url"] == "/2024/05/moving-a-blog/" and "aliases" not in fm
    assert sc.front_matter(src / "content/about/team/index.md")["url"] == "/team/"
    body = (src / "content/posts/moving-a-blog/index.md").read_text("utf-8")
    assert "(</2024/05/a-follow-up/>)" in body
    rules = sc.redirect_rules((src / "static/_redirects").read_text("utf-8"))
    assert rules["/?p=10"] == "/2024/05/moving-a-blog/"
    assert "/2024/05/moving-a-blog/" not in rules


def test_same_output_with_worker_processes(tmp_path: Path) -> None:
    one, _ = convert(tmp_path / "one", "classic.xml", "statuses.xml")
    many, _ = convert(tmp_path / "many", "classic.xml", "statuses.xml", jobs=3)
    files = sorted(p.relative_to(one).as_posix() for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(many).as_posix() for p in many.rglob("*") if p.is_file())
    for rel in files:
        assert (one / rel).read_bytes() == (many / rel).read_bytes(), rel


def test_url_space() -> None:
    """Taken paths are judged case-insensitively; suffixes skip taken ones, also when the
    search resumes where an earlier one for the same path stopped."""
    space = UrlSpace(sqlite3.connect(":memory:"), "urls")
    assert space.take("/posts/") and not space.take("POSTS") and "/Posts/" in space
    assert space.claim(["a", "Foo"]) == ["a", "Foo"]
    assert space.claim(["a", "foo"]) == ["a", "foo-2"]
    assert space.take("a/FOO-3")
    assert space.claim(["A", "FOO"]) == ["A", "FOO-4"]
    assert space.claim(["a", "foo"]) == ["a", "foo-5"]
    assert space.claim(["b", "foo"]) == ["b", "foo"] and "b/foo-2" not in space


def _page_tree_export(folder: Path) -> Path:
    """classic.xml plus pages nested deeper than planning follows, in a cycle, under a
    draft, under themselves, and under a missing page."""
    pages = [sc._item(5000, "Root", "root", "page", "https://blog.example.org/root/")]
    pages += [sc._item(5000 + k, f"Level {k}", "level", "page", f"https://blog.example.org/l{k}/", parent=5000 + k - 1)
              for k in range(1, 71)]
    pages += [
        sc._item(6001, "Ping", "ping", "page", "https://blog.example.org/ping/", parent=6002),
        sc._item(6002, "Pong", "pong", "page", "https://blog.example.org/pong/", parent=6001),
        sc._item(6003, "Tail", "tail", "page", "https://blog.example.org/tail/", parent=6001),
        sc._item(6004, "Me", "me", "page", "https://blog.example.org/me/", parent=6004),
        sc._item(6005, "Orphan", "orphan", "page", "https://blog.example.org/orphan/", parent=99999),
        sc._item(6006, "Draft", "draft-parent", "page", "https://blog.example.org/dp/").replace(
            "<![CDATA[publish]]>", "<![CDATA[draft]]>"),
        sc._item(6007, "Under draft", "under-draft", "page", "https://blog.example.org/ud/", parent=6006),
    ]
    xml = (FIXTURES / "classic.xml").read_text("utf-8").replace("</channel>", "".join(pages) + "\n</channel>")
    out = folder / "tree.xml"
    out.write_text(xml, "utf-8")
    return out


def test_page_tree(tmp_path: Path) -> None:
    src = tmp_path / "site"
    report = sc.convert_site([_page_tree_export(tmp_path)], "hugo", src)
    urls = {e.title: str(sc.front_matter(src / e.path)["url"]) for e in report.entries if e.action == "written"}
    paths = {e.title: e.path for e in report.entries if e.action == "written"}
    # Nesting is followed 63 levels deep; deeper pages are not nested at all.
    assert urls["Level 63"] == "/root/" + "level/" * 63
    assert urls["Level 64"] == "/level/" and urls["Level 65"] == "/level-2/"
    assert paths["Level 62"].endswith("/_index.md") and paths["Level 63"].endswith("/index.md")
    # A cycle is cut where it closes; a page hanging from it stays nested.
    assert urls["Ping"] == "/ping/" and urls["Pong"] == "/pong/" and urls["Tail"] == "/ping/tail/"
    assert urls["Me"] == "/me/" and urls["Orphan"] == "/orphan/"
    # Drafts are not built: nothing nests under them.
    assert urls["Under draft"] == "/under-draft/" and paths["Draft"].endswith("/index.md")


def test_shortcode_syntax_escaped() -> None:
    text = "Use {{< youtube abc >}} and {{% note %}}x{{% /note %}}; already {{</* x */>}}."
    assert escape_hugo_shortcodes(text) == (
        "Use {{</* youtube abc */>}} and {{%/* note */%}}x{{%/* /note */%}}; already {{</* x */>}}."
    )


def test_hugo_urlize() -> None:
    assert hugo_urlize("Foo Bar") == "foo-bar"
    assert hugo_urlize("6.1") == "6.1"
    assert hugo_urlize("Ĝerman") == "ĝerman"
    assert hugo_urlize("Don't (panic)!") == "dont-panic"


# -- real builds ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_builds(tmp_path: Path, name: str) -> None:
    src, report = convert(tmp_path, name)
    built = hugo_build(src)
    entries = sc.check_site(src, built, [FIXTURES / name], report, "url")
    sc.check_old_paths(built, entries, [FIXTURES / name])
    sc.check_query_redirects(built / "_redirects", entries)


def test_classic_build_details(tmp_path: Path) -> None:
    src, report = convert(tmp_path, "classic.xml")
    built = hugo_build(src)
    doc = sc.parse(built / "posts/moving-a-blog/index.html")
    # Replies nest three deep; the pingback is a comment of its own kind.
    assert doc.xpath("//*[@id='comment-500']//*[@id='comment-501']//*[@id='comment-502']")
    assert doc.xpath("//li[@id='comment-503' and contains(@class, 'comment-pingback')]")
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert "/posts/a-follow-up/" in hrefs and "/about/" in hrefs and "/categories/notes/" in hrefs
    assert sc.resolves_to(built, "/2024/05/moving-a-blog/", "/posts/moving-a-blog/")
    assert sc.file_for(built, "/categories/python/") and sc.file_for(built, "/tags/how-to/")
    # The branch bundle About is a page with its content and its child listed.
    about = sc.parse(built / "about/index.html")
    assert "We write about moving things." in about.text_content()
    assert "/about/team/" in [a.get("href") for a in about.iter("a")]
    assert (built / "_redirects").is_file() and (built / "nginx-redirects.conf").is_file()


def test_keep_permalinks_builds(tmp_path: Path) -> None:
    src, report = convert(tmp_path, "classic.xml", keep_permalinks=True)
    built = hugo_build(src)
    entries = sc.check_site(src, built, [FIXTURES / "classic.xml"], report, "url")
    assert sc.file_for(built, "/2024/05/moving-a-blog/") and sc.file_for(built, "/team/")
    assert sc.redirect_target(sc.parse(built / "2024/05/moving-a-blog/index.html")) is None
    sc.check_query_redirects(built / "_redirects", entries)


def test_downloaded_media_are_served(tmp_path: Path) -> None:
    src, report = convert(
        tmp_path, "classic.xml", media="download", media_from=str(FIXTURES / "uploads"), offline=True,
    )
    assert (src / "static/media/2024/05/harbour.png").is_file()
    built = hugo_build(src)
    doc = sc.parse(built / "posts/moving-a-blog/index.html")
    srcs = [img.get("src") for img in doc.iter("img")]
    assert "/media/2024/05/harbour.png" in srcs
    sc.check_site(src, built, [FIXTURES / "classic.xml"], report, "url")


def test_custom_types_taxonomies_and_menus(tmp_path: Path) -> None:
    export = sc.custom_export(tmp_path, FIXTURES)
    src = tmp_path / "site"
    report = sc.convert_site([export], "hugo", src)
    # A custom post type is a section; its hierarchical items nest (branch + leaf bundle).
    assert (src / "content/portfolio/boat-repair/_index.md").is_file()
    hull = sc.front_matter(src / "content/portfolio/boat-repair/hull/index.md")
    assert hull["url"] == "/portfolio/boat-repair/hull/" and hull["genre"] == ["Wood"]
    config = tomllib.loads((src / "hugo.toml").read_text("utf-8"))
    assert config["taxonomies"]["genre"] == "genre"
    menus = tomllib.loads((src / "config/_default/menus.toml").read_text("utf-8"))
    entries = {e["identifier"]: e for e in menus["main"]}
    assert entries["60"]["url"] == "/about/" and entries["60"]["name"] == "About"
    assert entries["61"]["parent"] == "60" and entries["61"]["url"] == "/about/team/"
    assert entries["62"]["url"] == "/posts/moving-a-blog/"
    assert entries["63"]["url"] == "/categories/notes/" and entries["63"]["name"] == "Notes"
    assert entries["64"]["url"] == "https://example.net/elsewhere"
    assert "65" not in entries
    # A root-relative ?p= link in the content points at the post's new URL.
    assert "(</posts/moving-a-blog/>)" in (src / "content/portfolio/boat-repair/_index.md").read_text("utf-8")
    built = hugo_build(src)
    sc.check_site(src, built, [export], report, "url")
    assert sc.file_for(built, "/genre/wood/") and sc.file_for(built, "/portfolio/")
    doc = sc.parse(built / "portfolio/boat-repair/index.html")
    assert doc.xpath("//*[@id='comment-900']//*[@id='comment-901']")
    nav = doc.xpath("//nav[contains(@class, 'menu-main')]")[0]
    assert nav.xpath(".//li[a[@href='/about/']]//a[@href='/about/team/']")


# -- the theme unit test data, built once -----------------------------------------------------
@pytest.fixture(scope="module")
def theme_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Report]:
    if not THEME.is_file():
        pytest.skip(f"shared corpus not present at {CORPUS} (it lives beside the checkout)")
    src = tmp_path_factory.mktemp("hugo-theme") / "site"
    report = sc.convert_site([THEME], "hugo", src)
    return src, hugo_build(src), report


def test_theme_pages_comments_links(theme_site: tuple[Path, Path, Report]) -> None:
    src, built, report = theme_site
    entries = sc.check_site(src, built, [THEME], report, "url")
    published = [e for e in entries if e.status == "publish"]
    assert len(published) >= 70
    assert sc.check_old_paths(built, entries, [THEME]) >= 50
    sc.check_query_redirects(built / "_redirects", entries)


def test_theme_nested_comments(theme_site: tuple[Path, Path, Report]) -> None:
    src, built, report = theme_site
    items = sc.items([THEME])
    deepest = 0
    for e in sc.written(report, src, "url"):
        item = items.get(e.seq)
        if item is None or not item.comments or e.status != "publish":
            continue
        doc = sc.parse(sc.file_for(built, e.url))  # type: ignore[arg-type]
        for li in doc.xpath("//li[starts-with(@id, 'comment-')]"):
            deepest = max(deepest, len(li.xpath("ancestor::li[starts-with(@id, 'comment-')]")))
    assert deepest >= 5


def test_theme_menus(theme_site: tuple[Path, Path, Report]) -> None:
    src, built, _ = theme_site
    menus = tomllib.loads((src / "config/_default/menus.toml").read_text("utf-8"))
    assert {"testing-menu", "all-pages", "short", "social-menu"} <= set(menus)
    doc = sc.parse(built / "index.html")
    nav = doc.xpath("//nav[contains(@class, 'menu-testing-menu')]")[0]
    level10 = nav.xpath(".//a[text()='Level 10']")[0]
    assert len(level10.xpath("ancestor::li")) == 11  # Depth > Level 01 > … > Level 10
    hrefs = [a.get("href") for a in nav.iter("a")]
    assert "/categories/markup/" in hrefs
    pages = doc.xpath("//nav[contains(@class, 'menu-all-pages')]")[0]
    assert pages.xpath(".//li[a[@href='/about/']]//a[@href='/about/page-image-alignment/']")
    assert sc.file_for(built, "/categories/markup/")
