"""The load scenarios of ``bench/load.py`` at a small scale: a big post, a post with deep
reply chains, many tiny items. Each converts completely to JSON and Markdown (the full-size
figures come from ``python -m bench.load``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import wpconvert
from bench import load


def _generate(path: Path, make: object) -> Path:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        make(out)  # type: ignore[operator]
    return path


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("load")
    return {
        "big-post": _generate(d / "big.xml", lambda out: load.gen_big_post(out, 0.6, 0)),
        "comments": _generate(d / "comments.xml", lambda out: load.gen_comments(out, 1200, 500, 0, chains=2)),
        "many-items": _generate(d / "many.xml", lambda out: load.gen_many_items(out, 500, 0)),
    }


def test_big_post(tmp_path: Path, exports: dict[str, Path]) -> None:
    size = exports["big-post"].stat().st_size
    assert size > 600_000
    wpconvert.convert(exports["big-post"], "json", tmp_path / "b.json")
    content = json.loads((tmp_path / "b.json").read_text("utf-8"))["items"][0]["content"]
    assert len(content) > 500_000
    report = wpconvert.convert(exports["big-post"], "markdown", tmp_path / "md", jobs=1)
    page = (tmp_path / "md" / report.entries[0].path).read_text("utf-8")
    sections = exports["big-post"].read_text("utf-8").count("<h2>Section ")
    assert len(page) > 400_000 and page.count("## Section ") == sections > 100, "the whole post is converted"


def test_deep_comment_chains(tmp_path: Path, exports: dict[str, Path]) -> None:
    report = wpconvert.convert(exports["comments"], "json", tmp_path / "c.json", include="all")
    item = json.loads((tmp_path / "c.json").read_text("utf-8"))["items"][0]
    stack, seen = list(item["comments"]), 0
    while stack:
        c = stack.pop()
        seen += 1
        stack.extend(c["replies"])
    assert seen == 1200, "every comment is kept, however deep its chain"
    assert report.totals()["written"] == 1
    md = wpconvert.convert(exports["comments"], "markdown", tmp_path / "md", jobs=1)
    assert sum(e.action == "written" for e in md.entries) == 1
    sidecars = list((tmp_path / "md").rglob("*.comments.yaml"))
    assert len(sidecars) == 1 and sidecars[0].stat().st_size > 50_000


def test_many_items(tmp_path: Path, exports: dict[str, Path]) -> None:
    wpconvert.convert(exports["many-items"], "json", tmp_path / "m.json")
    assert len(json.loads((tmp_path / "m.json").read_text("utf-8"))["items"]) == 500
    report = wpconvert.convert(exports["many-items"], "markdown", tmp_path / "md", jobs=1)
    assert sum(e.action == "written" for e in report.entries) == 500
    assert len([p for p in (tmp_path / "md").rglob("*.md")]) == 500
