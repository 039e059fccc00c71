"""``--format jekyll``: the output's shape, and real ``jekyll build`` runs of it.

The build tests run Debian's ``jekyll`` (skipped where it is not installed; the redirect
pages need ``ruby-jekyll-redirect-from``) on the fixtures and on the theme unit test data,
and check the built HTML with :mod:`sitecheck`. Jekyll is slow to start, so the theme data
is built once for the module.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
import sitecheck as sc
from conftest import CORPUS, FIXTURES

from wpconvert import Report
from wpconvert.writers.jekyll import JekyllWriter, jekyll_slugify
from wpconvert.writers.redirects import Redirects

FIXTURE_NAMES = ["classic.xml", "blocks.xml", "german-comments.xml", "statuses.xml", "slugs.xml"]
THEME = CORPUS / "theme-test-data" / "themeunittestdata.wordpress.xml"


def jekyll_build(src: Path) -> Path:
    """Build ``src`` with the real jekyll; the built site's folder."""
    jekyll = sc.require("jekyll")
    probe = subprocess.run(["ruby", "-e", "require 'jekyll-redirect-from'"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("jekyll-redirect-from is not installed (apt-get install ruby-jekyll-redirect-from)")
    out = src / "_site"
    proc = sc.run([jekyll, "build", "--source", str(src), "--destination", str(out)], cwd=src)
    noise = [line for line in (proc.stdout + proc.stderr).splitlines()
             if "Warning" in line or "Conflict" in line or "Deprecation" in line]
    assert not noise, "\n".join(noise)
    return out


def convert(tmp: Path, *names: str, **options: object) -> tuple[Path, Report]:
    src = tmp / "site"
    report = sc.convert_site([FIXTURES / n for n in names], "jekyll", src, **options)
    return src, report


# -- the output, without building ------------------------------------------------------------
def test_registered() -> None:
    from wpconvert.writers import _builtin, available, get

    assert available()["jekyll"] is JekyllWriter
    assert get("jekyll") is JekyllWriter
    assert _builtin("jekyll") is JekyllWriter


def test_classic_layout_and_front_matter(tmp_path: Path) -> None:
    src, report = convert(tmp_path, "classic.xml")
    paths = sorted(e.path for e in report.entries if e.action == "written")
    assert paths == [
        "_posts/2024-05-02-moving-a-blog.md", "_posts/2024-05-09-a-follow-up.md",
        "about/index.md", "about/team/index.md",
    ]
    fm = sc.front_matter(src / "_posts/2024-05-02-moving-a-blog.md")
    assert fm["layout"] == "post"
    assert fm["permalink"] == "/posts/moving-a-blog/"
    assert fm["redirect_from"] == ["/2024/05/moving-a-blog/"]
    assert fm["categories"] == ["Notes", "Python"] and fm["tags"] == ["How-to"]
    assert fm["comments_key"] == "10" and fm["image"] == fm["featured_image"]
    assert "render_with_liquid" not in fm
    body = (src / "_posts/2024-05-02-moving-a-blog.md").read_text("utf-8")
    assert "(</posts/a-follow-up/>)" in body and "(</about/>)" in body
    page = sc.front_matter(src / "about/team/index.md")
    assert page["layout"] == "page" and page["permalink"] == "/about/team/"
    assert page["redirect_from"] == ["/team/"]
    data = sc.load_yaml((src / "_data/comments/10.yml").read_text("utf-8"))
    assert [c["id"] for c in data] == [500, 503]
    assert data[0]["replies"][0]["replies"][0]["id"] == 502
    config = sc.load_yaml((src / "_config.yml").read_text("utf-8"))
    assert config["title"] == "Harbour Notes" and config["url"] == "https://blog.example.org"
    assert config["baseurl"] == "" and config["permalink"] == "/posts/:title/"
    assert config["plugins"] == ["jekyll-redirect-from"]
    assert "_redirects" in config["include"]
    for rel in ("_layouts/default.html", "_layouts/post.html", "_layouts/page.html", "_layouts/home.html",
                "_includes/comments.html", "_includes/comment-list.html", "index.html"):
        assert (src / rel).is_file(), rel


def test_drafts(tmp_path: Path) -> None:
    src, report = convert(tmp_path, "statuses.xml")
    written = {e.title: e for e in report.entries if e.action == "written"}
    assert set(written) == {"Published post", "Draft post", "Pending post", "Future post"}
    assert written["Published post"].path.startswith("_posts/")
    for title in ("Draft post", "Pending post", "Future post"):
        assert written[title].path == f"_drafts/{title.lower().replace(' ', '-')}.md"
        assert "redirect_from" not in sc.front_matter(src / written[title].path)


def test_liquid_in_content_is_left_alone(tmp_path: Path) -> None:
    xml = (FIXTURES / "classic.xml").read_text("utf-8").replace(
        "The end.", "Templates say {{ page.title }} and {% include x.html %}. The end.")
    (tmp_path / "liquid.xml").write_text(xml, "utf-8")
    src = tmp_path / "site"
    sc.convert_site([tmp_path / "liquid.xml"], "jekyll", src)
    fm = sc.front_matter(src / "_posts/2024-05-09-a-follow-up.md")
    assert fm["render_with_liquid"] is False
    built = jekyll_build(src)
    text = sc.parse(built / "posts/a-follow-up/index.html").text_content()
    assert "{{ page.title }}" in text and "{% include x.html %}" in text


def test_keep_permalinks(tmp_path: Path) -> None:
    src, report = convert(tmp_path, "classic.xml", keep_permalinks=True)
    fm = sc.front_matter(src / "_posts/2024-05-02-moving-a-blog.md")
    assert fm["permalink"] == "/2024/05/moving-a-blog/" and "redirect_from" not in fm
    assert sc.front_matter(src / "about/team/index.md")["permalink"] == "/team/"
    config = sc.load_yaml((src / "_config.yml").read_text("utf-8"))
    assert "plugins" not in config
    rules = sc.redirect_rules((src / "_redirects").read_text("utf-8"))
    assert rules["/?p=10"] == "/2024/05/moving-a-blog/" and rules["/?page_id=31"] == "/team/"


def test_jekyll_slugify() -> None:
    assert jekyll_slugify("How-to") == "how-to"
    assert jekyll_slugify("Foo Bar & Baz") == "foo-bar-baz"
    assert jekyll_slugify("Über Straßen") == "über-straßen"


# -- real builds ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_builds(tmp_path: Path, name: str) -> None:
    src, report = convert(tmp_path, name)
    built = jekyll_build(src)
    entries = sc.check_site(src, built, [FIXTURES / name], report, "permalink")
    sc.check_old_paths(built, entries, [FIXTURES / name])
    sc.check_query_redirects(built / "_redirects", entries)


def test_classic_build_details(tmp_path: Path) -> None:
    src, _ = convert(tmp_path, "classic.xml")
    built = jekyll_build(src)
    doc = sc.parse(built / "posts/moving-a-blog/index.html")
    assert doc.xpath("//*[@id='comment-500']//*[@id='comment-501']//*[@id='comment-502']")
    assert doc.xpath("//li[@id='comment-503' and contains(@class, 'comment-pingback')]")
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert "/posts/a-follow-up/" in hrefs and "/about/" in hrefs
    assert sc.resolves_to(built, "/2024/05/moving-a-blog/", "/posts/moving-a-blog/")
    assert sc.resolves_to(built, "/team/", "/about/team/")
    home = sc.parse(built / "index.html")
    assert "/posts/moving-a-blog/" in [a.get("href") for a in home.iter("a")]
    assert (built / "_redirects").is_file() and (built / "nginx-redirects.conf").is_file()


def test_keep_permalinks_builds(tmp_path: Path) -> None:
    src, report = convert(tmp_path, "classic.xml", keep_permalinks=True)
    built = jekyll_build(src)
    entries = sc.check_site(src, built, [FIXTURES / "classic.xml"], report, "permalink")
    assert sc.file_for(built, "/2024/05/moving-a-blog/") and sc.file_for(built, "/team/")
    sc.check_query_redirects(built / "_redirects", entries)


def test_custom_types_taxonomies_and_menus(tmp_path: Path) -> None:
    export = sc.custom_export(tmp_path, FIXTURES)
    src = tmp_path / "site"
    report = sc.convert_site([export], "jekyll", src)
    # A custom post type is a collection of its own.
    assert (src / "_portfolio/boat-repair.md").is_file()
    hull = sc.front_matter(src / "_portfolio/boat-repair/hull.md")
    assert hull["permalink"] == "/portfolio/boat-repair/hull/" and hull["genre"] == ["Wood"]
    config = sc.load_yaml((src / "_config.yml").read_text("utf-8"))
    assert config["collections"]["portfolio"]["output"] is True
    nav = sc.load_yaml((src / "_data/navigation.yml").read_text("utf-8"))
    main = nav[0]
    assert main["slug"] == "main" and main["name"] == "Main"
    assert [i["url"] for i in main["items"]] == [
        "/about/", "/posts/moving-a-blog/", "/categories/#notes", "https://example.net/elsewhere",
    ]
    assert main["items"][0]["children"] == [{"title": "Team", "url": "/about/team/"}]
    # A root-relative ?p= link in the content points at the post's new URL.
    assert "(</posts/moving-a-blog/>)" in (src / "_portfolio/boat-repair.md").read_text("utf-8")
    built = jekyll_build(src)
    sc.check_site(src, built, [export], report, "permalink")
    doc = sc.parse(built / "portfolio/boat-repair/index.html")
    assert doc.xpath("//*[@id='comment-900']//*[@id='comment-901']")
    menu = doc.xpath("//nav[contains(@class, 'menu-main')]")[0]
    assert menu.xpath(".//li[a[@href='/about/']]//a[@href='/about/team/']")


# -- the theme unit test data, built once -----------------------------------------------------
@pytest.fixture(scope="module")
def theme_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Report]:
    if not THEME.is_file():
        pytest.skip(f"shared corpus not present at {CORPUS} (it lives beside the checkout)")
    src = tmp_path_factory.mktemp("jekyll-theme") / "site"
    report = sc.convert_site([THEME], "jekyll", src)
    return src, jekyll_build(src), report


def test_theme_pages_comments_links(theme_site: tuple[Path, Path, Report]) -> None:
    src, built, report = theme_site
    entries = sc.check_site(src, built, [THEME], report, "permalink")
    assert len([e for e in entries if e.status == "publish"]) >= 70
    assert sc.check_old_paths(built, entries, [THEME]) >= 50
    sc.check_query_redirects(built / "_redirects", entries)


def test_theme_menus(theme_site: tuple[Path, Path, Report]) -> None:
    src, built, _ = theme_site
    nav = sc.load_yaml((src / "_data/navigation.yml").read_text("utf-8"))
    assert {"testing-menu", "all-pages", "short", "social-menu"} <= {m["slug"] for m in nav}
    doc = sc.parse(built / "index.html")
    menu = doc.xpath("//nav[contains(@class, 'menu-testing-menu')]")[0]
    level10 = menu.xpath(".//a[text()='Level 10']")[0]
    assert len(level10.xpath("ancestor::li")) == 11
    pages = doc.xpath("//nav[contains(@class, 'menu-all-pages')]")[0]
    assert pages.xpath(".//li[a[@href='/about/']]//a[@href='/about/page-image-alignment/']")


def test_redirect_rules() -> None:
    """The first rule for an address wins; query rules sorted, path rules in the order
    given; nginx keeps the first of paths that differ only in case."""
    r = Redirects(sqlite3.connect(":memory:"))
    assert not r
    r.add_query("p", 10, "/posts/b/")
    r.add_query("p", 10, "/posts/other/")
    r.add_query("p", 9, "/posts/a/")
    r.add_query("page_id", 3, "/about/")
    r.add_query("attachment_id", 11, "https://cdn.example.org/a.jpg")
    r.add_query("p", None, "/nowhere/")
    r.add_path("/2024/05/b/", "/posts/b/")
    r.add_path("/über/", "/posts/ü/")
    r.add_path("/2024/05/B/", "/posts/other/")
    r.add_path("/2024/05/b/", "/posts/other/")
    r.add_path("/posts/b/", "/posts/b/")
    assert r
    assert "".join(r.netlify()).splitlines()[1:] == [
        "/  attachment_id=11  https://cdn.example.org/a.jpg  301!",
        "/  p=9  /posts/a/  301!",
        "/  p=10  /posts/b/  301!",
        "/  page_id=3  /about/  301!",
        "/2024/05/b/  /posts/b/  301!",
        "/%C3%BCber/  /posts/%C3%BC/  301!",
        "/2024/05/B/  /posts/other/  301!",
    ]
    nginx = "".join(r.nginx())
    assert nginx.split("map $arg_p $wpconvert_p {\n")[1].startswith(
        '    default "";\n    9 "/posts/a/";\n    10 "/posts/b/";\n}\n')
    assert nginx.split("map $uri $wpconvert_path {\n")[1] == (
        '    default "";\n'
        '    "/2024/05/b/" "/posts/b/";\n    "/2024/05/b" "/posts/b/";\n'
        '    "/über/" "/posts/%C3%BC/";\n    "/über" "/posts/%C3%BC/";\n}\n'
    )
    assert "".join(r.nginx()) == nginx  # made again, the same
