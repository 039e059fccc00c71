"""LinkRewriter's per-run cache of site lookups (wpconvert/links.py).

The rewriter remembers, for each URL string, whether it is on the site and which indexed item it names. These
tests check that remembering changes nothing: every answer of a long-lived (cached) rewriter equals that of a
fresh rewriter made for the one call (nothing cached), whatever was looked up before it, including URLs that
differ from an earlier one only in the query, fragment, trailing slash, scheme, ``www.`` or the case of the
host or path; that problems (WPC301) are reported as the uncached code reports them; and that media lookups,
which are not cached, are neither frozen nor confused with page lookups.

The index is built as a run builds it: SiteIndex.add for every item, then (as a site writer's plan() does)
set_location for each published one, then finish(), then the LinkRewriter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from wpconvert import links
from wpconvert.index import Entry, SiteIndex
from wpconvert.links import LinkRewriter, MediaLookup
from wpconvert.model import Item
from wpconvert.report import Problem, Report

SITE = "https://blog.example.org"
PHOTO = f"{SITE}/wp-content/uploads/2024/05/photo.jpg"

# (item, published, path in the output); the path is also the URL, as the Markdown writer's url_for gives.
_ITEMS: list[tuple[Item, bool, str]] = [
    (Item(id=10, title="Hello", slug="hello", link=f"{SITE}/2024/05/hello/"), True, "posts/hello.md"),
    (Item(id=11, title="Nihon", slug="日本", link=f"{SITE}/2024/05/%e6%97%a5%e6%9c%ac/"), True, "posts/nihon.md"),
    (Item(id=20, post_type="page", title="About", slug="about", link=f"{SITE}/about/"), True, "about/index.md"),
    (
        Item(id=21, post_type="page", title="Team", slug="team", parent=20, link=f"{SITE}/about/team/"),
        True,
        "about/team/index.md",
    ),
    # Not published: links to it stay as they are and are reported.
    (Item(id=30, title="Draft", slug="draft", status="draft", link=f"{SITE}/?p=30"), False, ""),
    (
        Item(
            id=40,
            post_type="attachment",
            title="Photo",
            slug="photo",
            status="inherit",
            parent=10,
            link=f"{SITE}/2024/05/hello/photo/",
            attachment_url=PHOTO,
        ),
        False,
        "",
    ),
]

# Every kind of URL the rewriter tells apart, in an order where each variant follows the URL it differs from.
URLS = [
    f"{SITE}/2024/05/hello/",
    f"{SITE}/2024/05/hello",  # trailing slash: same item
    "http://blog.example.org/2024/05/hello/",  # scheme: same item
    "https://www.blog.example.org/2024/05/hello/",  # www.: same item
    "https://BLOG.Example.ORG/2024/05/hello/",  # host case: same item
    f"{SITE}/2024/05/Hello/",  # path case: no item (reported)
    f"{SITE}/2024/05/hello/#comments",  # fragment: kept in the new reference
    f"{SITE}/2024/05/hello/#respond",
    f"{SITE}/2024/05/hello/?replytocom=5",  # a query WordPress ignores: the permalink's item
    f"{SITE}/2024/05/hello/.",  # trailing punctuation is not part of the URL
    f"{SITE}/?p=10",
    f"{SITE}/?p=20",  # differs only in the query: another item
    f"{SITE}/?p=10#top",
    f"{SITE}/?page_id=20",
    f"{SITE}/?page_id=21",
    f"{SITE}/?p=30",  # a draft (reported)
    f"{SITE}/?p=999",  # not in the export (reported)
    f"{SITE}/2024/05/日本/",
    f"{SITE}/2024/05/%e6%97%a5%e6%9c%ac/",
    f"{SITE}/2024/05/%E6%97%A5%E6%9C%AC/",
    f"{SITE}/about/",
    f"{SITE}/about/team/",
    f"{SITE}/about/team",
    f"{SITE}/2024/05/hello/photo/",  # an attachment page: the file
    f"{SITE}/?attachment_id=40",
    PHOTO,  # a media file: a media lookup, not a site lookup
    f"{SITE}/wp-content/uploads/2024/05/other.jpg",  # not downloaded
    f"{SITE}/feed/",  # on the site, no content: not reported
    "https://elsewhere.example.net/2024/05/hello/",  # another site: left alone
    "/2024/05/hello/",  # root-relative: on the site
    "/?p=20",
    "/2024/05/gone/",  # root-relative, no item (reported; sent to the origin when one is set)
]


@pytest.fixture
def index() -> Iterator[SiteIndex]:
    idx = SiteIndex({"blog.example.org"})
    paths: dict[int, str] = {}
    for item, publish, path in _ITEMS:
        seq = idx.add(item, publish)
        paths[seq] = path
    idx.flush()
    for entry in idx.to_publish():
        idx.set_location(entry.seq, paths[entry.seq], paths[entry.seq])
    idx.finish()
    yield idx
    idx.close()


def _page(index: SiteIndex, post_id: int) -> Entry:
    entry = index.by_id(post_id)
    assert entry is not None and entry.path
    return entry


def _fresh_resolve(index: SiteIndex, report: Report, media: MediaLookup | None, origin: str) -> Callable[[str, Entry], str | None]:
    """LinkRewriter.resolve with nothing remembered: a new rewriter for every call."""
    return lambda url, entry: LinkRewriter(index, report, media, origin=origin).resolve(url, entry)


class _FreshRewriter(LinkRewriter):
    """LinkRewriter.rewrite, but each URL it finds resolved by a new rewriter (nothing remembered)."""

    def resolve(self, url: str, entry: Entry) -> str | None:
        return LinkRewriter(self.index, self.report, self.media, origin=self.origin).resolve(url, entry)


def _body(urls: list[str]) -> str:
    # The forms rewrite() finds: Markdown links (absolute and root-relative), raw HTML, bare URLs.
    out = []
    for i, url in enumerate(urls):
        if url.startswith("/"):
            out.append(f"[a]({url}) <a href=\"{url}\">b</a>" if i % 2 else f"[c](<{url}>)")
        else:
            out.append(f"see {url} and [d]({url}) <img src=\"{url}\">")
    return "\n\n".join(out) + "\n"


MEDIA = {PHOTO: "media/2024/05/photo.jpg"}


@pytest.mark.parametrize("origin", ["", SITE])
@pytest.mark.parametrize("with_media", [True, False])
def test_cached_resolve_equals_uncached(index: SiteIndex, origin: str, with_media: bool) -> None:
    media = MEDIA.get if with_media else None
    cached_report, fresh_report = Report(), Report()
    cached = LinkRewriter(index, cached_report, media, origin=origin)
    fresh = _fresh_resolve(index, fresh_report, media, origin)
    pages = [_page(index, 10), _page(index, 21), _page(index, 20)]
    # Each URL many times, from pages in different folders (the reference is relative to the page), and the
    # whole list again in reverse so that every URL is also looked up after every other one.
    for round_urls in (URLS, URLS[::-1], URLS):
        for page in pages:
            for url in round_urls:
                assert cached.resolve(url, page) == fresh(url, page), (url, page.path)
    assert cached_report.problems == fresh_report.problems


def test_expected_references(index: SiteIndex) -> None:
    # What both agree on is right, for the cases the cache key could get wrong.
    rw = LinkRewriter(index, Report(), MEDIA.get)
    hello, team = _page(index, 10), _page(index, 21)
    for _ in range(3):
        assert rw.resolve(f"{SITE}/2024/05/hello/", hello) == "hello.md"
        assert rw.resolve(f"{SITE}/2024/05/hello/", team) == "../../posts/hello.md"
        assert rw.resolve("http://www.BLOG.example.org/2024/05/hello", team) == "../../posts/hello.md"
        assert rw.resolve(f"{SITE}/2024/05/Hello/", team) is None
        assert rw.resolve(f"{SITE}/2024/05/hello/#comments", team) == "../../posts/hello.md#comments"
        assert rw.resolve(f"{SITE}/2024/05/hello/#respond", team) == "../../posts/hello.md#respond"
        assert rw.resolve(f"{SITE}/2024/05/hello/.", hello) == "hello.md."
        assert rw.resolve(f"{SITE}/?p=10", team) == "../../posts/hello.md"
        assert rw.resolve(f"{SITE}/?p=20", team) == "../index.md"
        assert rw.resolve(f"{SITE}/?page_id=21", team) == "index.md"
        assert rw.resolve(f"{SITE}/?p=10#top", hello) == "hello.md#top"
        assert rw.resolve(f"{SITE}/2024/05/日本/", hello) == "nihon.md"
        assert rw.resolve(f"{SITE}/2024/05/%E6%97%A5%E6%9C%AC/", hello) == "nihon.md"
        assert rw.resolve(f"{SITE}/2024/05/hello/photo/", team) == "../../media/2024/05/photo.jpg"
        assert rw.resolve(f"{SITE}/?attachment_id=40", hello) == "../media/2024/05/photo.jpg"
        assert rw.resolve(PHOTO, hello) == "../media/2024/05/photo.jpg"
        assert rw.resolve(f"{SITE}/?p=30", hello) is None
        assert rw.resolve("/?p=20", hello) == "../about/index.md"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (f"{SITE}/?p=10", f"{SITE}/?p=20"),
        (f"{SITE}/?p=20", f"{SITE}/?p=10"),
        (f"{SITE}/?p=10", f"{SITE}/?page_id=21"),
        (f"{SITE}/?p=10", f"{SITE}/?p=30"),
        (f"{SITE}/?p=10", f"{SITE}/?p=10/"),  # "10/" is no post id
        (f"{SITE}/?p=30", f"{SITE}/?p=10"),
        (f"{SITE}/2024/05/hello/", f"{SITE}/2024/05/hello/#respond"),
        (f"{SITE}/2024/05/hello/#comments", f"{SITE}/2024/05/hello/#respond"),
        (f"{SITE}/2024/05/hello/#comments", f"{SITE}/2024/05/hello/"),
        (f"{SITE}/2024/05/hello/", f"{SITE}/2024/05/Hello/"),
        (f"{SITE}/2024/05/Hello/", f"{SITE}/2024/05/hello/"),
        (f"{SITE}/about/team/", f"{SITE}/about/"),
        (f"{SITE}/about/", f"{SITE}/about/team/"),
        (f"{SITE}/2024/05/hello", f"{SITE}/2024/05/hello/"),
        ("https://elsewhere.example.net/2024/05/hello/", f"{SITE}/2024/05/hello/"),
        (f"{SITE}/2024/05/hello/", "https://elsewhere.example.net/2024/05/hello/"),
        (f"{SITE}/2024/05/hello/photo/", f"{SITE}/2024/05/hello/"),
        (f"{SITE}/2024/05/hello/", f"{SITE}/2024/05/hello/photo/"),
        (PHOTO, f"{SITE}/?attachment_id=40"),
        (f"{SITE}/?attachment_id=40", PHOTO),
        ("/2024/05/gone/", f"{SITE}/2024/05/gone/"),
        ("/2024/05/hello/", f"{SITE}/2024/05/hello/#x"),
    ],
)
def test_a_near_miss_after_a_lookup(index: SiteIndex, first: str, second: str) -> None:
    """A URL that differs from one already looked up resolves as it would have on its own."""
    page = _page(index, 21)
    cached = LinkRewriter(index, Report(), MEDIA.get, origin=SITE)
    cached.resolve(first, page)
    assert cached.resolve(second, page) == _fresh_resolve(index, Report(), MEDIA.get, SITE)(second, page)
    assert cached.resolve(first, page) == _fresh_resolve(index, Report(), MEDIA.get, SITE)(first, page)


@pytest.mark.parametrize("origin", ["", SITE])
def test_rewrite_of_bodies_equals_uncached(index: SiteIndex, origin: str) -> None:
    # The same old-site URLs many times in a body, and across items: output and problems as without the cache.
    cached = LinkRewriter(index, Report(), MEDIA.get, origin=origin)
    fresh = _FreshRewriter(index, Report(), MEDIA.get, origin=origin)
    bodies = [_body(URLS * 3), _body(URLS[::-1]), _body(URLS[5:12] * 4)]
    for post_id in (10, 21, 20, 11):
        page = _page(index, post_id)
        for body in bodies:
            out = cached.rewrite(body, page)
            assert out == fresh.rewrite(body, page)
            assert out != body  # something was rewritten: the test exercises the lookups
    assert cached.report.problems == fresh.report.problems


def test_unresolved_links_are_reported_on_every_hit_as_uncached(index: SiteIndex) -> None:
    # The uncached code reports an unresolved link each time it meets it (the writer merges repeats): a cache
    # hit must neither drop nor add a report, and each report names the page the link is on.
    hello, team = _page(index, 10), _page(index, 21)
    body = f"[a]({SITE}/?p=30) [b]({SITE}/?p=30) [c]({SITE}/2024/05/Hello/) [d]({SITE}/feed/) [e]({SITE}/?p=30)\n"
    cached = LinkRewriter(index, Report())
    fresh = _FreshRewriter(index, Report())
    for page in (hello, team, hello):
        assert cached.rewrite(body, page) == fresh.rewrite(body, page) == body
    assert cached.report.problems == fresh.report.problems
    expected = [
        Problem(
            "WPC301",
            "warning",
            f"link to {url}: no published item of the export has that address; left as is",
            page.path,
        )
        for page in (hello, team, hello)
        for url in (f"{SITE}/?p=30", f"{SITE}/?p=30", f"{SITE}/2024/05/Hello/", f"{SITE}/?p=30")
    ]
    assert cached.report.problems == expected


def test_media_lookups_are_not_frozen_by_the_cache(index: SiteIndex) -> None:
    # Media lookups are not remembered: a file that becomes available between two pages is used from then on,
    # both for its own URL and for its attachment page (whose item *is* remembered).
    hello = _page(index, 10)
    downloaded: dict[str, str] = {}
    cached = LinkRewriter(index, Report(), downloaded.get)
    urls = [PHOTO, f"{SITE}/2024/05/hello/photo/", f"{SITE}/?attachment_id=40"]
    before = [cached.resolve(url, hello) for url in urls]
    assert before == [_fresh_resolve(index, Report(), downloaded.get, "")(url, hello) for url in urls]
    assert before == [None, PHOTO, PHOTO]
    downloaded.update(MEDIA)
    after = [cached.resolve(url, hello) for url in urls]
    assert after == [_fresh_resolve(index, Report(), downloaded.get, "")(url, hello) for url in urls]
    assert after == ["../media/2024/05/photo.jpg"] * 3


def test_rewriters_do_not_share_answers(index: SiteIndex) -> None:
    # Two rewriters of one index (with and without media, with and without an origin) keep their own answers.
    hello = _page(index, 10)
    with_media = LinkRewriter(index, Report(), MEDIA.get, origin=SITE)
    plain = LinkRewriter(index, Report())
    for url in URLS:
        with_media.resolve(url, hello)
    for url in URLS:
        assert plain.resolve(url, hello) == _fresh_resolve(index, Report(), None, "")(url, hello), url
    for url in URLS:
        assert with_media.resolve(url, hello) == _fresh_resolve(index, Report(), MEDIA.get, SITE)(url, hello), url


def test_each_url_is_looked_up_once(index: SiteIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    # The point of the cache: a URL met again is not looked up in the index again. (The key is the whole URL,
    # fragment included, so "/hello/#a" and "/hello/#b" are one lookup each: counted on is_site_url, which
    # gets that whole URL.)
    calls: list[str] = []
    real = index.is_site_url

    def counting(url: str) -> bool:
        calls.append(url)
        return real(url)

    monkeypatch.setattr(index, "is_site_url", counting)
    rw = LinkRewriter(index, Report(), MEDIA.get)
    for page in (_page(index, 10), _page(index, 21)):
        rw.rewrite(_body(URLS * 5), page)
    assert len(calls) > 20
    assert len(calls) == len(set(calls))


def test_a_full_cache_is_emptied_without_changing_answers(index: SiteIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(links, "_REMEMBERED", 3)
    hello, team = _page(index, 10), _page(index, 21)
    cached = LinkRewriter(index, Report(), MEDIA.get, origin=SITE)
    fresh = _fresh_resolve(index, Report(), MEDIA.get, SITE)
    for _ in range(3):
        for url in URLS:
            for page in (hello, team):
                assert cached.resolve(url, page) == fresh(url, page), url
    assert len(cached._found) <= 3
