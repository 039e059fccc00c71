"""The library API: what ``import wpconvert`` offers, and docs/api.md, whose ``python``
blocks are run here, in order and in one namespace, in a temporary folder where
``fixtures/`` is the project's fixtures folder (linked, not copied).

A block fenced as ``python requires=csvlist`` runs with the example plugin package
(tests/plugin_pkg) installed on the path, as the page says it must be.
"""

from __future__ import annotations

import os
import re
import traceback
from pathlib import Path
from typing import Any

import pytest
from test_plugins import install_csvlist, on_path

import wpconvert
from wpconvert.findings import CODES

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "api.md"
FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```\s*$", re.M | re.S)


def blocks() -> list[tuple[int, str, str]]:
    """(line, info string, code) of every python block of docs/api.md."""
    text = DOC.read_text("utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1).strip(), m.group(2)) for m in FENCE.finditer(text)]


def test_the_package_exports() -> None:
    expected = {
        "read", "convert", "info", "check", "Report", "Options", "Writer", "WriteContext",
        "WPConvertError", "InputError", "UsageError", "OutputError",
        "Site", "Author", "Term", "Item", "ItemTerm", "Comment", "Meta", "Source",
    }
    assert expected <= set(wpconvert.__all__)
    assert all(hasattr(wpconvert, name) for name in wpconvert.__all__)
    assert wpconvert.__doc__
    assert issubclass(wpconvert.InputError, wpconvert.WPConvertError)


def test_every_export_is_documented() -> None:
    text = DOC.read_text("utf-8")
    missing = [name for name in wpconvert.__all__ if f"`{name}" not in text and f" {name}" not in text]
    assert not missing, f"not mentioned in docs/api.md: {missing}"


def test_the_codes_table_matches_the_checker() -> None:
    rows = re.findall(r"^\| (WPC\d{3}) \| (\w+) \|", DOC.read_text("utf-8"), re.M)
    assert dict(rows) == {code: severity for code, (severity, _) in CODES.items()}


def test_docs_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = blocks()
    assert len(found) >= 8, "docs/api.md lost its examples"
    work = tmp_path / "work"
    work.mkdir()
    (work / "fixtures").symlink_to(ROOT / "fixtures", target_is_directory=True)
    monkeypatch.chdir(work)
    namespace: dict[str, Any] = {"__name__": "docs_api"}
    plugin: Path | None = None
    for line, info, code in found:
        try:
            if "requires=csvlist" in info:
                plugin = plugin or install_csvlist(tmp_path / "plugin")
                with on_path(plugin):
                    exec(compile(code, f"docs/api.md:{line}", "exec"), namespace)
            else:
                assert not info, f"docs/api.md:{line}: unknown block options {info!r}"
                exec(compile(code, f"docs/api.md:{line}", "exec"), namespace)
        except Exception:
            pytest.fail(f"the example at docs/api.md line {line} failed:\n{traceback.format_exc()}")
    # The examples wrote only inside the temporary folder.
    assert os.getcwd() == str(work)
