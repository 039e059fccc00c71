"""Tests of wpconvert.media: finding media URLs, variants, local paths and the fetcher.

The fetcher tests run against a real HTTP server on 127.0.0.1 (tests/media_server.py),
started per test by the ``server`` fixture; nothing is mocked and nothing else is contacted.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from email.utils import formatdate
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from media_server import Handler, MediaServer, payload, running

from wpconvert.media import (
    FetchOptions,
    HostPolicy,
    MediaResult,
    Progress,
    attachment_urls,
    candidates,
    export_media_urls,
    fetch_media,
    find_media_urls,
    hosts_for_export,
    local_path,
    local_paths,
    original_url,
    parse_srcset,
    uploads_relative,
)
from wpconvert.media.retry import backoff_delay, parse_retry_after
from wpconvert.model import Item, Meta, Site

ROOT = Path(__file__).resolve().parents[1]
UP = "/wp-content/uploads/2024/05/"

# Short timeouts and backoffs keep the whole file fast.
FAST = FetchOptions(
    jobs=4,
    per_host=4,
    connect_timeout=2.0,
    read_timeout=2.0,
    retries=2,
    backoff_base=0.01,
    backoff_max=0.05,
    retry_after_max=5.0,
    trust_env=False,
)


@pytest.fixture
def server() -> Iterator[MediaServer]:
    """A fresh HTTP server on 127.0.0.1 (port 0) for one test."""
    with running() as srv:
        yield srv


def fetch(
    urls: list[str],
    dest: Path,
    *,
    hosts: tuple[str, ...] = ("127.0.0.1",),
    media_from: Path | None = None,
    offline: bool = False,
    progress: Any = None,
    **options: Any,
) -> list[MediaResult]:
    """fetch_media with the FAST options, changed by ``options``."""
    return fetch_media(urls, dest, hosts, options=replace(FAST, **options), media_from=media_from,
                       offline=offline, progress=progress)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root``: relative path → content."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def parts_left(root: Path) -> list[Path]:
    """``.part`` files under ``root``."""
    return sorted(root.rglob("*.part")) if root.exists() else []


# ---------------------------------------------------------------------------- finding


def test_find_media_urls_all_sources_in_document_order() -> None:
    html = f"""<p>Intro <img src="http://ex.com{UP}a-300x200.jpg"
      srcset="http://ex.com{UP}a-300x200.jpg 300w, http://ex.com{UP}a.jpg 1024w,
              https://i0.wp.com/ex.com{UP}a.jpg?resize=300,200 2x"
      data-orig-file="http://ex.com{UP}a-orig.jpg" data-large-file="http://ex.com{UP}a-large.jpg"
      data-src="http://ex.com/lazy.png"></p>
    [audio mp3="http://ex.com/s.mp3" ogg='http://ex.com/s.ogg'][/audio]
    [[audio mp3="http://ex.com/escaped.mp3"]]
    <a href="http://ex.com/a-page/">page</a> <a href="http://ex.com/doc.pdf">pdf</a>
    <a href="https://blog.files.wordpress.com/2010/01/x">wpcom</a>
    <div style="background: url('http://ex.com/bg.png')">x</div>
    <iframe src="https://www.youtube.com/embed/abc"></iframe>
    <!-- wp:cover {{"url":"http://ex.com{UP}cover.jpg","id":3}} -->
    [video mp4="http://ex.com/v.mp4" poster=http://ex.com/poster.jpg][/video]
    <video><source src="http://ex.com/v.webm"></video><audio src="http://ex.com/a.m4a"></audio>
    <img src="data:image/png;base64,AAAA"><img src="//cdn.ex.com/x.gif">
    <img src="http://ex.com{UP}a.jpg">
    [custom src="http://ex.com/custom.png" url="http://ex.com/not-media"]
    """
    assert find_media_urls(html) == [
        # Per element: src, the data-* URLs, then srcset candidates.
        f"http://ex.com{UP}a-300x200.jpg",
        "http://ex.com/lazy.png",
        f"http://ex.com{UP}a-orig.jpg",
        f"http://ex.com{UP}a-large.jpg",
        f"http://ex.com{UP}a.jpg",
        f"https://i0.wp.com/ex.com{UP}a.jpg?resize=300,200",
        "http://ex.com/s.mp3",
        "http://ex.com/s.ogg",
        "http://ex.com/doc.pdf",
        "https://blog.files.wordpress.com/2010/01/x",
        "http://ex.com/bg.png",
        f"http://ex.com{UP}cover.jpg",
        "http://ex.com/v.mp4",
        "http://ex.com/poster.jpg",
        "http://ex.com/v.webm",
        "http://ex.com/a.m4a",
        "https://cdn.ex.com/x.gif",
        "http://ex.com/custom.png",
    ]


def test_find_media_urls_relative_entities_and_prefixes() -> None:
    html = ('<img src="/wp-content/uploads/r.png"><a href="/media/file">f</a>'
            '<img src="http://ex.com/p.jpg?a=1&amp;b=2"><a href="mailto:x@ex.com">m</a>')
    assert find_media_urls(html) == ["http://ex.com/p.jpg?a=1&b=2"]  # relative dropped without base
    assert find_media_urls(html, ["/media/"], base_url="https://ex.com/post/") == [
        "https://ex.com/wp-content/uploads/r.png",
        "https://ex.com/media/file",
        "http://ex.com/p.jpg?a=1&b=2",
    ]
    assert find_media_urls('<a href="https://cdn.ex.com/m/1">x</a>', ["https://cdn.ex.com/m/"]) == [
        "https://cdn.ex.com/m/1"
    ]
    assert find_media_urls("") == []
    assert find_media_urls("plain [gallery ids='1,2'] text") == []
    assert find_media_urls("\x00<img src='http://a.example/b.jpg'>") == ["http://a.example/b.jpg"]


def test_parse_srcset() -> None:
    assert parse_srcset("a.jpg 1x, b.jpg 2x") == ["a.jpg", "b.jpg"]
    assert parse_srcset(" a.jpg, b.jpg, ") == ["a.jpg", "b.jpg"]
    assert parse_srcset("a.jpg,b.jpg") == ["a.jpg,b.jpg"]  # no space: one URL, as browsers read it
    assert parse_srcset("https://i0.wp.com/x.jpg?resize=300,200 300w, y.jpg 600w") == [
        "https://i0.wp.com/x.jpg?resize=300,200",
        "y.jpg",
    ]
    assert parse_srcset("") == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('<>="\' /[]:.ahimgsrcpjx0\x00')) | st.characters(), max_size=200))
def test_find_media_urls_never_fails(html: str) -> None:
    for url in find_media_urls(html, base_url="https://ex.com/"):
        assert url.startswith(("http://", "https://"))


def test_requests_is_imported_only_by_the_fetch_module() -> None:
    code = "import sys, wpconvert.media as m; m.find_media_urls('<img src=x>'); print('requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    for module in (ROOT / "wpconvert/media").glob("*.py"):
        text = module.read_text(encoding="utf-8")
        uses = "import requests" in text or "from requests" in text or "urllib3" in text
        assert uses == (module.name == "fetch.py"), module.name


# ---------------------------------------------------------------------------- variants


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"https://ex.com{UP}cat-300x200.jpg", f"https://ex.com{UP}cat.jpg"),
        (f"https://ex.com{UP}cat-scaled.jpg", f"https://ex.com{UP}cat.jpg"),
        (f"https://ex.com{UP}cat-e1234567890.jpg", f"https://ex.com{UP}cat.jpg"),
        (f"https://ex.com{UP}cat-e1234567890-300x200.jpg", f"https://ex.com{UP}cat.jpg"),
        (f"https://ex.com{UP}cat-300x200@2x.PNG", f"https://ex.com{UP}cat.PNG"),
        (f"https://ex.com{UP}cat-e123.jpg", f"https://ex.com{UP}cat-e123.jpg"),  # short: no edit
        (f"https://ex.com{UP}cat.jpg", f"https://ex.com{UP}cat.jpg"),
        (f"https://ex.com{UP}300x200.jpg", f"https://ex.com{UP}300x200.jpg"),
        (f"https://ex.com{UP}song-300x200.mp3", f"https://ex.com{UP}song-300x200.mp3"),
        ("https://blog.files.wordpress.com/2010/01/cat.jpg?w=300&h=200",
         "https://blog.files.wordpress.com/2010/01/cat.jpg"),
        ("https://i0.wp.com/ex.com/wp-content/uploads/cat-150x150.jpg?resize=150%2C150&ssl=1",
         "https://i0.wp.com/ex.com/wp-content/uploads/cat.jpg"),
        (f"https://ex.com{UP}cat.jpg?w=300&token=abc", f"https://ex.com{UP}cat.jpg?token=abc"),
        ("https://other.example/img.php?w=300", "https://other.example/img.php?w=300"),
    ],
)
def test_original_url(url: str, expected: str) -> None:
    assert original_url(url) == expected


def test_candidates_original_first_variant_last() -> None:
    url = f"https://ex.com{UP}cat-e1234567890-300x200.jpg?w=300"
    assert candidates(url) == [
        f"https://ex.com{UP}cat.jpg",
        f"https://ex.com{UP}cat-e1234567890.jpg",
        f"https://ex.com{UP}cat-e1234567890-300x200.jpg",
        url,
    ]
    assert candidates(f"https://ex.com{UP}cat.jpg") == [f"https://ex.com{UP}cat.jpg"]


# ---------------------------------------------------------------------------- local paths


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"https://ex.com{UP}cat.jpg", "2024/05/cat.jpg"),
        ("https://ex.com/wp-content/uploads/sites/3/2024/05/cat.jpg", "sites/3/2024/05/cat.jpg"),
        ("https://cdn.example.com/img/cat.jpg#frag", "cdn.example.com/img/cat.jpg"),
        ("http://127.0.0.1:8080/x/y.png", "127.0.0.1_8080/x/y.png"),
        ("https://blog.files.wordpress.com/2010/01/a.jpg", "blog.files.wordpress.com/2010/01/a.jpg"),
        ("https://ex.com/wp-content/uploads/%E6%97%A5%E6%9C%AC.jpg", "日本.jpg"),
        ("https://ex.com/wp-content/uploads/a%20b.jpg", "a b.jpg"),
        ("https://ex.com/wp-content/uploads/../../etc/passwd", "etc/passwd"),
        ("https://ex.com/wp-content/uploads/%2e%2e/%2E%2E/etc/passwd", "etc/passwd"),
        ("https://ex.com/wp-content/uploads/a/..%2F..%2Fb.jpg", "a/.._.._b.jpg"),
        ("https://ex.com/wp-content/uploads/..%5C..%5Cwin.ini", ".._.._win.ini"),
        ("https://ex.com/wp-content/uploads/a%00b.jpg", "a_b.jpg"),
        ("https://ex.com/wp-content/uploads/a%0Ab%7F.jpg", "a_b_.jpg"),
        ("https://ex.com/wp-content/uploads/CON.jpg", "_CON.jpg"),
        ("https://ex.com/wp-content/uploads/nul", "_nul"),
        ("https://ex.com/wp-content/uploads/com1.tar.gz", "_com1.tar.gz"),
        ("https://ex.com/wp-content/uploads/console.jpg", "console.jpg"),
        ("https://ex.com/wp-content/uploads/a%3Cb%3E%3A%22%7C%3F%2A.jpg", "a_b______.jpg"),
        ("https://ex.com/wp-content/uploads/trail.jpg. .", "trail.jpg"),
        ("https://ex.com/wp-content/uploads/x.jpg?ssl=1", "x.jpg"),
        ("https://ex.com/", "ex.com/index"),
        ("", "index"),
    ],
)
def test_local_path(url: str, expected: str) -> None:
    assert local_path(url) == PurePosixPath(expected)


def test_local_path_long_names_are_cut_and_stay_distinct() -> None:
    long_a = "a" * 400 + ".jpg"
    long_b = "a" * 399 + "b.jpg"
    pa = local_path(f"https://ex.com{UP}{long_a}")
    pb = local_path(f"https://ex.com{UP}{long_b}")
    assert pa != pb
    assert pa.suffix == ".jpg" and pa.parent == PurePosixPath("2024/05")
    assert len(pa.name.encode()) <= 150
    multibyte = local_path(f"https://ex.com{UP}" + "é" * 300 + ".png")
    assert len(multibyte.name.encode()) <= 150 and multibyte.name.endswith(".png")
    deep = local_path("https://ex.com/" + "/".join(["d" * 100] * 10) + "/f.jpg")
    assert len(str(deep).encode()) <= 240 and deep.name == "f.jpg" and deep.parts[0] == "_long"


def test_local_path_folds_a_significant_query() -> None:
    plain = local_path(f"https://ex.com{UP}cat.jpg")
    w300 = local_path(f"https://ex.com{UP}cat.jpg?w=300")
    w600 = local_path(f"https://ex.com{UP}cat.jpg?w=600")
    assert len({plain, w300, w600}) == 3
    assert w300.suffix == ".jpg" and w300.name.startswith("cat-")
    assert local_path(f"https://ex.com{UP}cat.jpg?w=300&h=2") == local_path(f"https://ex.com{UP}cat.jpg?h=2&w=300")
    assert local_path(f"https://ex.com{UP}cat.jpg?w=300") == w300  # deterministic


_WINDOWS_BAD = set('<>:"|?*\\')


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_local_path_is_always_safe(tail: str) -> None:
    for url in (f"https://ex.com/wp-content/uploads/{tail}", f"https://ex.com/{tail}", tail):
        path = local_path(url)
        assert not path.is_absolute()
        assert path.parts, url
        assert len(str(path).encode()) <= 240
        for part in path.parts:
            assert part not in ("", ".", "..")
            assert len(part.encode("utf-8")) <= 150
            assert not _WINDOWS_BAD & set(part)
            assert all(ord(ch) >= 32 and ch != "\x7f" for ch in part)
            assert not part.endswith((".", " "))


def test_uploads_relative() -> None:
    assert uploads_relative(f"https://ex.com{UP}a%20b.jpg") == "2024/05/a b.jpg"
    assert uploads_relative("https://blog.files.wordpress.com/2010/01/a.jpg") == "2010/01/a.jpg"
    assert uploads_relative("https://ex.com/wp-content/uploads/../../etc/passwd") == "etc/passwd"
    assert uploads_relative("https://ex.com/img/a.jpg") is None


# ---------------------------------------------------------------------------- hosts, retry


def test_host_policy() -> None:
    policy = HostPolicy(["Example.COM", "*.files.wordpress.com", "127.0.0.1:8080", "https://cdn.ex.com/x"])
    assert policy.allows("https://example.com/a.jpg")
    assert policy.allows("http://example.com:81/a.jpg")  # no port in the pattern: any port
    assert not policy.allows("https://www.example.com/a.jpg")
    assert policy.allows("https://blog.files.wordpress.com/a.jpg")
    assert policy.allows("https://a.b.files.wordpress.com/a.jpg")
    assert not policy.allows("https://files.wordpress.com/a.jpg")
    assert not policy.allows("https://evilfiles.wordpress.com/a.jpg")
    assert policy.allows("http://127.0.0.1:8080/a.jpg")
    assert not policy.allows("http://127.0.0.1:8081/a.jpg")
    assert policy.allows("https://cdn.ex.com/other")
    assert not policy.allows("not a url") and not policy.allows("http://[::1/")


def test_hosts_for_export_and_collect() -> None:
    site = Site(link="https://blog.wordpress.com", base_site_url="https://wordpress.com")
    att = Item(id=7, post_type="attachment", attachment_url="https://blog.files.wordpress.com/2024/05/a.jpg")
    att2 = Item(id=8, post_type="attachment", meta=(Meta("_wp_attached_file", "2024/05/b.png"),))
    post = Item(id=1, link="https://blog.wordpress.com/p/", content='<img src="/wp-content/uploads/c.gif">',
                meta=(Meta("_thumbnail_id", "7"),))
    hosts = hosts_for_export(site, [att, att2, post], ["cdn.example.org"])
    assert hosts[:3] == ["blog.wordpress.com", "www.blog.wordpress.com", "wordpress.com"]
    assert "*.files.wordpress.com" in hosts and "i0.wp.com" in hosts and hosts[-1] == "cdn.example.org"
    assert attachment_urls([att, att2, post], site) == {
        7: "https://blog.files.wordpress.com/2024/05/a.jpg",
        8: "https://wordpress.com/wp-content/uploads/2024/05/b.png",
    }
    assert export_media_urls([att, att2, post], site) == [
        "https://blog.files.wordpress.com/2024/05/a.jpg",
        "https://wordpress.com/wp-content/uploads/2024/05/b.png",
        "https://blog.wordpress.com/wp-content/uploads/c.gif",
    ]


def test_retry_after_and_backoff() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = time.time()
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert backoff_delay(0, 0.5, 30, jitter=0) == 0.5
    assert backoff_delay(3, 0.5, 30, jitter=0) == 4.0
    assert backoff_delay(20, 0.5, 30, jitter=0) == 30
    with pytest.raises(ValueError):
        FetchOptions(jobs=0)


# ---------------------------------------------------------------------------- fetching


def test_download_ok_then_present(server: MediaServer, tmp_path: Path) -> None:
    body = server.file(UP + "a.jpg")
    url = server.url(UP + "a.jpg")
    [res] = fetch([url], tmp_path)
    assert (res.status, res.path, res.source) == ("downloaded", PurePosixPath("2024/05/a.jpg"), url)
    assert res.size == len(body)
    assert (tmp_path / "2024/05/a.jpg").read_bytes() == body
    [again] = fetch([url], tmp_path)
    assert again.status == "present" and again.path == res.path and again.size == len(body)
    assert server.hits[UP + "a.jpg"] == 1


def test_404_is_not_retried(server: MediaServer, tmp_path: Path) -> None:
    [res] = fetch([server.url(UP + "missing.pdf")], tmp_path)
    assert res.status == "failed" and res.reason == "HTTP 404" and res.path is None
    assert server.hits[UP + "missing.pdf"] == 1
    assert tree(tmp_path) == {}


def test_500_then_200_is_retried(server: MediaServer, tmp_path: Path) -> None:
    body = payload("flaky")
    server.sequence(UP + "flaky.png", lambda r, h: r.respond(500, b"oops"), lambda r, h: r.respond(200, body))
    [res] = fetch([server.url(UP + "flaky.png")], tmp_path)
    assert res.status == "downloaded" and (tmp_path / "2024/05/flaky.png").read_bytes() == body
    assert server.hits[UP + "flaky.png"] == 2


def test_persistent_500_fails_after_retries(server: MediaServer, tmp_path: Path) -> None:
    server.routes[UP + "down-300x200.png"] = lambda r, h: r.respond(503, b"down")
    [res] = fetch([server.url(UP + "down-300x200.png")], tmp_path, retries=2)
    assert res.status == "failed" and res.reason == "HTTP 503 after 3 attempts (tried 2 URLs)"
    assert server.hits[UP + "down.png"] == 1  # the original: 404, so the variant was tried …
    assert server.hits[UP + "down-300x200.png"] == 3  # … and a 5xx does not fall back further


def test_429_retry_after_is_honoured(server: MediaServer, tmp_path: Path) -> None:
    body = payload("rate")
    server.sequence(
        UP + "rate.jpg",
        lambda r, h: r.respond(429, b"slow down", {"Retry-After": "1"}),
        lambda r, h: r.respond(200, body),
    )
    [res] = fetch([server.url(UP + "rate.jpg")], tmp_path)
    assert res.status == "downloaded"
    first, second = server.times(UP + "rate.jpg")
    assert second - first >= 0.95


def test_retry_after_is_capped(server: MediaServer, tmp_path: Path) -> None:
    server.sequence(
        UP + "cap.jpg",
        lambda r, h: r.respond(503, b"", {"Retry-After": "3600"}),
        lambda r, h: r.respond(200, b"ok"),
    )
    start = time.monotonic()
    [res] = fetch([server.url(UP + "cap.jpg")], tmp_path, retry_after_max=0.2)
    assert res.status == "downloaded" and time.monotonic() - start < 2


def test_slow_server_times_out(server: MediaServer, tmp_path: Path) -> None:
    def slow(req: Handler, hit: int) -> None:
        time.sleep(1.0)
        req.respond(200, b"late")

    server.routes[UP + "slow.jpg"] = slow
    start = time.monotonic()
    [res] = fetch([server.url(UP + "slow.jpg")], tmp_path, read_timeout=0.2, retries=2)
    elapsed = time.monotonic() - start
    assert res.status == "failed" and res.reason == "read timeout after 3 attempts"
    assert server.hits[UP + "slow.jpg"] == 3 and elapsed < 3
    assert tree(tmp_path) == {}


def test_body_stalling_mid_stream_times_out(server: MediaServer, tmp_path: Path) -> None:
    server.routes[UP + "stall.bin"] = lambda r, h: r.stream(payload("s", 4000), chunks=2, delay=0.8)
    [res] = fetch([server.url(UP + "stall.bin")], tmp_path, read_timeout=0.2, retries=1, chunk_size=1024)
    assert res.status == "failed" and res.reason.startswith("read timeout")
    assert tree(tmp_path) == {} and parts_left(tmp_path) == []


def test_truncated_body_is_retried_and_leaves_nothing(server: MediaServer, tmp_path: Path) -> None:
    def short(req: Handler, hit: int) -> None:
        req.close_connection = True
        req.respond(200, b"x" * 100, length=1000)

    server.routes[UP + "short.jpg"] = short
    body = payload("cut")
    server.sequence(UP + "cut-once.jpg", short, lambda r, h: r.respond(200, body))
    results = fetch([server.url(UP + "short.jpg"), server.url(UP + "cut-once.jpg")], tmp_path)
    assert results[0].status == "failed" and "truncated body" in results[0].reason
    assert server.hits[UP + "short.jpg"] == 3
    assert results[1].status == "downloaded" and server.hits[UP + "cut-once.jpg"] == 2
    assert tree(tmp_path) == {"2024/05/cut-once.jpg": body}


def test_redirects(server: MediaServer, tmp_path: Path) -> None:
    body = server.file("/files/new.jpg")
    server.redirect(UP + "moved.jpg", "/files/new.jpg", 301)
    server.file(UP + "target.jpg")
    server.redirect(UP + "away.jpg", server.url(UP + "target.jpg", host="localhost"))
    server.redirect(UP + "loop-a.jpg", UP + "loop-b.jpg")
    server.redirect(UP + "loop-b.jpg", UP + "loop-a.jpg")
    for i in range(8):
        server.redirect(f"/chain/{i}.jpg", f"/chain/{i + 1}.jpg")
    server.redirect(UP + "ftp.jpg", "ftp://127.0.0.1/x.jpg")
    names = ["moved.jpg", "away.jpg", "loop-a.jpg", "ftp.jpg"]
    urls = [server.url(UP + n) for n in names] + [server.url("/chain/0.jpg")]
    moved, away, loop, ftp, chain = fetch(urls, tmp_path)
    assert moved.status == "downloaded" and moved.path == PurePosixPath("2024/05/moved.jpg")
    assert (tmp_path / "2024/05/moved.jpg").read_bytes() == body
    assert away.status == "failed" and away.reason == "redirect to host not allowed: localhost"
    assert server.hits[UP + "target.jpg"] == 0
    assert loop.status == "failed" and loop.reason == "redirect loop"
    assert server.hits[UP + "loop-a.jpg"] == 1 and server.hits[UP + "loop-b.jpg"] == 1
    assert ftp.status == "failed" and ftp.reason == "redirect to unsupported scheme: ftp"
    assert chain.status == "failed" and chain.reason == "too many redirects (more than 5)"
    assert server.hits["/chain/6.jpg"] == 0
    assert sorted(tree(tmp_path)) == ["2024/05/moved.jpg"] and parts_left(tmp_path) == []


def test_size_cap(server: MediaServer, tmp_path: Path) -> None:
    server.file(UP + "big.jpg", payload("big", 5000))
    server.routes[UP + "big-stream.jpg"] = lambda r, h: r.stream(payload("b", 5000), chunks=5, delay=0, length=False)
    server.file(UP + "small.jpg", payload("small", 900))
    urls = [server.url(UP + n) for n in ("big.jpg", "big-stream.jpg", "small.jpg")]
    big, streamed, small = fetch(urls, tmp_path, max_size=1000, chunk_size=512)
    assert big.status == "failed" and big.reason == "too large: 5000 bytes > max_size 1000"
    assert streamed.status == "failed" and streamed.reason == "too large: more than max_size 1000 bytes"
    assert server.hits[UP + "big.jpg"] == 1 and server.hits[UP + "big-stream.jpg"] == 1
    assert small.status == "downloaded"
    assert sorted(tree(tmp_path)) == ["2024/05/small.jpg"] and parts_left(tmp_path) == []


def test_skipped_urls_are_not_requested(server: MediaServer, tmp_path: Path) -> None:
    server.file(UP + "x.jpg")
    urls = [server.url(UP + "x.jpg", host="localhost"), "ftp://127.0.0.1/x.jpg", "data:image/png;base64,AA",
            "http://[::1/x.jpg"]
    results = fetch(urls, tmp_path)
    assert [(r.status, r.reason) for r in results] == [
        ("skipped", "host not allowed"),
        ("skipped", "unsupported scheme: ftp"),
        ("skipped", "unsupported scheme: data"),
        ("skipped", "invalid URL"),
    ]
    assert server.hits == {} and tree(tmp_path) == {}


def test_parallel_per_host_cap_and_input_order(server: MediaServer, tmp_path: Path) -> None:
    bodies = {f"{UP}f{i:02d}.jpg": server.file(f"{UP}f{i:02d}.jpg", delay=0.1) for i in range(40)}
    urls = [server.url(p) for p in reversed(list(bodies))]
    urls.insert(5, urls[0])  # a duplicate: fetched once, reported twice
    seen: list[Progress] = []
    results = fetch(urls, tmp_path, jobs=8, per_host=4, progress=seen.append)
    assert [r.url for r in results] == urls
    assert all(r.status == "downloaded" for r in results)
    assert results[5] == results[0]
    assert 1 < server.max_inflight <= 4
    assert server.max_inflight == 4
    assert all(n == 1 for n in server.hits.values()) and len(server.hits) == 40
    assert tree(tmp_path) == {p.removeprefix("/wp-content/uploads/"): b for p, b in bodies.items()}
    assert [p.done for p in seen] == list(range(1, 41)) and {p.total for p in seen} == {40}
    assert seen[-1].bytes_done == sum(len(b) for b in bodies.values())


def test_connection_refused_fails_after_retries(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    [res] = fetch([f"http://127.0.0.1:{port}{UP}gone.jpg"], tmp_path, retries=1)
    assert res.status == "failed"
    assert res.reason.startswith("connection error:") and res.reason.endswith("after 2 attempts")


def test_an_aborted_run_stops_promptly_and_cleans_up(server: MediaServer, tmp_path: Path) -> None:
    server.file(UP + "quick.jpg")
    for i in range(6):
        server.routes[f"{UP}long{i}.bin"] = lambda r, h: r.stream(payload("long", 8192), chunks=40, delay=0.05)
    urls = [server.url(UP + "quick.jpg")] + [server.url(f"{UP}long{i}.bin") for i in range(6)]

    def stop(progress: Progress) -> None:
        raise KeyboardInterrupt

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        fetch(urls, tmp_path, jobs=3, per_host=3, chunk_size=256, progress=stop)
    assert time.monotonic() - start < 1.5  # a whole long file takes 2 s
    assert parts_left(tmp_path) == [] and sorted(tree(tmp_path)) == ["2024/05/quick.jpg"]
    assert sum(server.hits[f"{UP}long{i}.bin"] for i in range(6)) <= 3  # the rest never started


def test_variant_falls_back_when_original_is_missing(server: MediaServer, tmp_path: Path) -> None:
    body = server.file(UP + "pic-300x200.jpg")
    [res] = fetch([server.url(UP + "pic-300x200.jpg")], tmp_path)
    assert res.status == "downloaded" and res.path == PurePosixPath("2024/05/pic-300x200.jpg")
    assert res.source == server.url(UP + "pic-300x200.jpg")
    assert server.hits[UP + "pic.jpg"] == 1 and (tmp_path / res.path).read_bytes() == body
    [again] = fetch([server.url(UP + "pic-300x200.jpg")], tmp_path)
    assert again.status == "present" and again.path == res.path
    assert server.hits[UP + "pic.jpg"] == 1 and server.hits[UP + "pic-300x200.jpg"] == 1


def test_original_is_preferred_and_srcset_collapses(server: MediaServer, tmp_path: Path) -> None:
    original = server.file(UP + "dog.jpg")
    server.file(UP + "dog-300x200.jpg")
    server.file(UP + "dog-1024x768.jpg")
    server.file(UP + "dog.jpg?w=640", b"resized")
    html = (f'<img src="{server.url(UP + "dog-300x200.jpg")}" srcset="{server.url(UP + "dog-300x200.jpg")} 300w, '
            f'{server.url(UP + "dog-1024x768.jpg")} 1024w, {server.url(UP + "dog.jpg")} 2048w">')
    urls = find_media_urls(html)
    assert len(urls) == 3
    results = fetch(urls, tmp_path)
    assert {r.path for r in results} == {PurePosixPath("2024/05/dog.jpg")}
    assert {r.status for r in results} == {"downloaded"}
    assert {r.source for r in results} == {server.url(UP + "dog.jpg")}
    assert local_paths(results) == dict.fromkeys(urls, PurePosixPath("2024/05/dog.jpg"))
    assert server.hits[UP + "dog.jpg"] == 1
    assert server.hits[UP + "dog-300x200.jpg"] == 0 and server.hits[UP + "dog-1024x768.jpg"] == 0
    assert tree(tmp_path) == {"2024/05/dog.jpg": original}


def test_media_from_copies_and_offline(server: MediaServer, tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    (uploads / "2024/05").mkdir(parents=True)
    (uploads / "2024/05/local.jpg").write_bytes(b"local bytes")
    (uploads / "2024/05/orig.jpg").write_bytes(b"original bytes")
    remote = server.file(UP + "remote.jpg")
    urls = [server.url(UP + n) for n in ("local.jpg", "orig-150x150.jpg", "remote.jpg")]

    dest = tmp_path / "media"
    local, variant, fetched = fetch(urls, dest, media_from=uploads)
    assert (local.status, local.path) == ("copied", PurePosixPath("2024/05/local.jpg"))
    assert (variant.status, variant.path) == ("copied", PurePosixPath("2024/05/orig.jpg"))
    assert fetched.status == "downloaded"
    assert server.hits[UP + "local.jpg"] == 0 and server.hits[UP + "orig.jpg"] == 0
    assert tree(dest) == {"2024/05/local.jpg": b"local bytes", "2024/05/orig.jpg": b"original bytes",
                          "2024/05/remote.jpg": remote}

    offline_dest = tmp_path / "offline"
    hits_before = sum(server.hits.values())
    local2, variant2, missing = fetch(urls, offline_dest, media_from=uploads, offline=True)
    assert local2.status == "copied" and variant2.status == "copied"
    assert (missing.status, missing.reason, missing.path) == ("failed", "offline", None)
    assert sum(server.hits.values()) == hits_before

    linked = tmp_path / "linked"
    [res] = fetch(urls[:1], linked, media_from=uploads, hardlink=True)
    assert res.status == "copied"
    assert os.stat(linked / "2024/05/local.jpg").st_ino == os.stat(uploads / "2024/05/local.jpg").st_ino


def test_stale_part_files_are_replaced(server: MediaServer, tmp_path: Path) -> None:
    body = server.file(UP + "p.jpg")
    (tmp_path / "2024/05").mkdir(parents=True)
    (tmp_path / "2024/05/p.jpg.part").write_bytes(b"junk from a killed run")
    (tmp_path / "2024/05/empty.jpg").write_bytes(b"")  # zero size: not done
    server.file(UP + "empty.jpg", b"now full")
    results = fetch([server.url(UP + "p.jpg"), server.url(UP + "empty.jpg")], tmp_path)
    assert [r.status for r in results] == ["downloaded", "downloaded"]
    assert tree(tmp_path) == {"2024/05/p.jpg": body, "2024/05/empty.jpg": b"now full"}


_CHILD = """
import sys
from pathlib import Path
from wpconvert.media import FetchOptions, fetch_media
options = FetchOptions(jobs=2, per_host=2, trust_env=False, connect_timeout=2, read_timeout=2,
                       retries=0, chunk_size=1024)
fetch_media(sys.argv[2:], Path(sys.argv[1]), ["127.0.0.1"], options=options)
"""


def test_resume_after_sigkill(server: MediaServer, tmp_path: Path) -> None:
    names = [f"{UP}slow{i}.bin" for i in range(6)]

    def slow_file(data: bytes) -> Callable[[Handler, int], None]:
        return lambda req, hit: req.stream(data, chunks=16, delay=0.025)

    for name in names:
        server.routes[name] = slow_file(payload(name, 16384))
    urls = [server.url(n) for n in names]
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(killed), *urls], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            complete = list(killed.rglob("*.bin")) if killed.exists() else []
            # A .part with less than half of its file on disk: far from done, kill now.
            if complete and any(p.stat().st_size < 8192 for p in parts_left(killed)):
                break
            assert child.poll() is None, "the child finished before it could be killed"
            time.sleep(0.01)
        else:
            pytest.fail("the child never got half way")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert parts_left(killed), "expected an interrupted download"
    done_before = {p.relative_to(killed).as_posix() for p in killed.rglob("*.bin")}
    hits_before = dict(server.hits)

    results = fetch(urls, killed)
    statuses = {r.path.as_posix(): r.status for r in results if r.path is not None}
    assert len(statuses) == 6
    assert {k for k, s in statuses.items() if s == "present"} == done_before
    assert {k for k, s in statuses.items() if s == "downloaded"} == set(statuses) - done_before
    for name in names:  # finished files were not fetched again
        if name.removeprefix("/wp-content/uploads/") in done_before:
            assert server.hits[name] == hits_before[name]

    clean = tmp_path / "clean"
    assert all(r.status == "downloaded" for r in fetch(urls, clean))
    assert tree(killed) == tree(clean)
    assert len(tree(clean)) == 6 and parts_left(killed) == []
