"""Inputs the fuzzer once broke: each must give a result, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

import wpconvert


@pytest.mark.parametrize("fmt", ["json", "markdown", "hugo", "jekyll"])
@pytest.mark.parametrize("link", ["http://[::1/x", "https://blog.example.org]/x"])
def test_malformed_item_link_is_no_crash(tmp_path: Path, fmt: str, link: str) -> None:
    # urlsplit() raises ValueError ("Invalid IPv6 URL") on these: an item's <link> is
    # whatever the export says, so nothing that splits it may let that through.
    src = (FIXTURES / "statuses.xml").read_text("utf-8")
    first = "<link>https://blog.example.org/2024/05/published-post/</link>"
    assert first in src
    export = tmp_path / "bad-link.xml"
    export.write_text(src.replace(first, f"<link>{link}</link>", 1), "utf-8")
    out = tmp_path / ("out.json" if fmt == "json" else "out")
    report = wpconvert.convert(export, fmt, out, jobs=1, site_skeleton=fmt in ("hugo", "jekyll"))
    written = [e for e in report.entries if e.action == "written"]
    assert any(e.title == "Published post" for e in written)
