"""Tests for the synthetic WXR generator used by the benchmarks."""

from __future__ import annotations

import re
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from lxml import etree

from bench.generate import generate, main
from wpconvert.phpserial import is_serialized, unserialize

WP = "{http://wordpress.org/export/1.2/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gen") / "export.xml"
    generate(path, 200, seed=0)
    return path


@pytest.fixture(scope="module")
def items(export: Path) -> list[Any]:
    # A strict parse: no recover, so any escaping mistake fails here.
    tree = etree.parse(str(export), etree.XMLParser(recover=False, resolve_entities=False))
    return list(tree.getroot().iter("item"))


def text(item: Any, tag: str) -> str:
    return str(item.findtext(WP + tag) or "")


def test_item_count_and_header(export: Path, items: list[Any]) -> None:
    assert len(items) == 200
    channel = etree.parse(str(export)).getroot().find("channel")
    assert channel is not None
    assert channel.findtext(WP + "wxr_version") == "1.2"
    for tag in ("title", "link", "description", "language"):
        assert channel.findtext(tag)
    assert channel.findtext(WP + "base_site_url") == channel.findtext(WP + "base_blog_url")
    assert len(channel.findall(WP + "author")) == 5
    cats = channel.findall(WP + "category")
    assert len(cats) == 30
    assert sum(1 for c in cats if c.findtext(WP + "category_parent")) >= 10
    assert len(channel.findall(WP + "tag")) == 100
    taxonomies = Counter(t.findtext(WP + "term_taxonomy") for t in channel.findall(WP + "term"))
    assert taxonomies["genre"] >= 5 and taxonomies["nav_menu"] == 1


def test_every_type_and_status_occurs(items: list[Any]) -> None:
    types = Counter(text(i, "post_type") for i in items)
    assert set(types) == {"post", "page", "attachment", "nav_menu_item", "portfolio"}
    assert types["post"] > types["attachment"] > types["nav_menu_item"]
    statuses = {text(i, "status") for i in items}
    assert statuses == {"publish", "draft", "pending", "private", "future", "trash", "inherit"}
    assert any(text(i, "post_password") for i in items)
    assert any(text(i, "post_parent") != "0" for i in items if text(i, "post_type") == "page")
    undated = [i for i in items if text(i, "status") == "draft"]
    assert all(text(i, "post_date_gmt") == "0000-00-00 00:00:00" for i in undated)


def test_deterministic(export: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.xml"
    generate(again, 200, seed=0)
    assert again.read_bytes() == export.read_bytes()
    other = tmp_path / "other.xml"
    generate(other, 200, seed=1)
    assert other.read_bytes() != export.read_bytes()


def test_content_features(export: Path, items: list[Any]) -> None:
    raw = export.read_text(encoding="utf-8")
    bodies = [i.findtext(CONTENT) or "" for i in items]
    joined = "\n".join(bodies)
    # "]]>" inside content is split across CDATA sections and comes back intact.
    assert "]]]]><![CDATA[>" in raw
    assert "data[idx[0]]>hi" in joined
    for needle in ("[caption ", "[gallery ids=", '[code language="python"]', "<!--more-->",
                   "-300x200.jpg", "srcset=", "<!-- wp:paragraph -->", "<!-- wp:heading -->",
                   "<!-- wp:list -->", "<!-- wp:image ", "<!-- wp:code -->", "<!-- wp:quote -->",
                   "<!-- wp:gallery ", "<!-- wp:embed ", "„", "。", "ы"):  # fmt: skip
        assert needle in joined, needle
    assert re.search(r"[\U0001F300-\U0001FAFF]", joined)
    classic = [b for b in bodies if b and "<!-- wp:" not in b]
    assert any("\n\n" in b and "<p>" not in b for b in classic)


def test_slugs_and_attachments(items: list[Any]) -> None:
    encoded = [text(i, "post_name") for i in items if "%" in text(i, "post_name")]
    assert encoded
    for slug in encoded:
        assert slug == slug.lower()
        assert not unquote(slug).isascii()
    attachments = [i for i in items if text(i, "post_type") == "attachment"]
    attachment_ids = {text(a, "post_id") for a in attachments}
    for a in attachments:
        url = text(a, "attachment_url")
        assert re.fullmatch(r"http://example\.test/wp-content/uploads/\d{4}/\d{2}/[\w.-]+\.jpg", url)
        metas = {m.findtext(WP + "meta_key"): m.findtext(WP + "meta_value") for m in a.iter(WP + "postmeta")}
        assert url.endswith(metas["_wp_attached_file"])
        assert unserialize(metas["_wp_attachment_metadata"], strict=True)["sizes"]["medium"]["width"] == 300
    thumbs = [m.findtext(WP + "meta_value") for m in items_meta(items, "_thumbnail_id")]
    assert thumbs and all(t in attachment_ids for t in thumbs)


def items_meta(items: list[Any], key: str) -> list[Any]:
    return [m for i in items for m in i.iter(WP + "postmeta") if m.findtext(WP + "meta_key") == key]


def test_serialized_meta_is_valid(items: list[Any]) -> None:
    values = [m.findtext(WP + "meta_value") or "" for i in items for m in i.iter(WP + "postmeta")]
    serialized = [v for v in values if is_serialized(v)]
    assert len(serialized) > 20
    for value in serialized:
        unserialize(value, strict=True)  # byte lengths exact, even with non-ASCII text


def test_threaded_comments(items: list[Any]) -> None:
    statuses: Counter[str] = Counter()
    types: Counter[str] = Counter()
    deepest = 0
    for item in items:
        depth: dict[str, int] = {"0": 0}
        for c in item.iter(WP + "comment"):
            parent = text(c, "comment_parent")
            assert parent in depth, "a reply must follow its parent"
            depth[text(c, "comment_id")] = depth[parent] + 1
            statuses[text(c, "comment_approved")] += 1
            types[text(c, "comment_type")] += 1
        deepest = max(deepest, *depth.values())
    assert set(statuses) == {"1", "0", "spam", "trash"}
    assert types["pingback"] > 0 and types["comment"] > types["pingback"]
    assert deepest == 3


def test_memory_is_constant(tmp_path: Path) -> None:
    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            generate(tmp_path / f"{n}.xml", n, seed=3)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(100), peak(800)
    # 700 more items are ~6 MB more output; the peak must not grow with it.
    assert (tmp_path / "800.xml").stat().st_size > 5_000_000
    assert large < small * 1.5 + 1_000_000


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.xml"
    assert main([str(out), "--items", "20", "--seed", "5"]) == 0
    assert "20 items" in capsys.readouterr().err
    generate(tmp_path / "direct.xml", 20, seed=5)
    assert out.read_bytes() == (tmp_path / "direct.xml").read_bytes()


def test_bench_table_gives_medians_and_ratios_within_rounds() -> None:
    from bench.run import Result, report

    results = []
    for k, (floor, md) in enumerate([(10.0, 15.0), (20.0, 24.0), (12.0, 30.0)]):
        results += [Result("floor-html2text", 100, floor, floor, 20, True, k),
                    Result("markdown -j 1", 100, md, md + 1, 60 + k, k != 1, k)]
    table = report(results).splitlines()
    row = next(line for line in table if "markdown" in line)
    # Ratios per round: 1.5, 1.2, 2.5 → median 1.50, range 1.20–2.50 (not 24/12 = 2.0).
    assert "1.50x (1.20x–2.50x) floor-html2text" in row
    assert "| 24.00 (15.00–30.00) |" in row and "| 62 |" in row and "(FAILED)" in row
    single = report(results[:2]).splitlines()[-1]
    assert "| 15.00 |" in single and "1.50x floor-html2text" in single and "–" not in single
