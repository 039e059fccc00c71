"""Determinism: the same export converted twice gives byte-identical output, in every format.

Every built-in format (``wpconvert.writers.available()``, so formats added later are covered
as they appear) converts every fixture, and the theme unit test data where the corpus is
present, in two separate processes that differ in everything that must not matter: the hash
seed (set and dict-of-set iteration order), the time zone, the working directory and the
output folder's location. The two trees must hold the same files with the same bytes, the
run reports must agree, and no file may hold today's date (a timestamp).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from wpconvert import writers

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"


def _inputs() -> dict[str, Path]:
    found = {p.stem: p for p in sorted(FIXTURES.glob("*.xml"))}
    if (FIXTURES / "parts").is_dir():
        found["parts"] = FIXTURES / "parts"  # one export in several files
    # Read in place from the shared corpus (never copied into the project).
    found["theme-unit-test"] = CORPUS / "theme-test-data" / "themeunittestdata.wordpress.xml"
    found["block-test-data"] = CORPUS / "theme-test-data" / "64-block-test-data.xml"
    return found


def _builtin_formats() -> dict[str, bool]:
    """Format name → single-file, for the writers that come with wpconvert (not plugins)."""
    return {name: cls.single_file for name, cls in writers.available().items()
            if cls.__module__.startswith("wpconvert.")}


INPUTS = _inputs()
FORMATS = _builtin_formats()
# Each format with the defaults, in one process, and with the options that change the layout most.
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},                   # jobs=0: a worker process per CPU
    "serial": {"jobs": 1},           # must give the very same output as the parallel run
    "folders": {"layout": "folder", "date_folders": "year/month", "date_prefix": True, "comments": "front-matter",
                "site_skeleton": True, "keep_permalinks": True, "shortcodes": "strip", "include": "all"},
}

_RUNNER = r"""
import json, sys, traceback
from pathlib import Path
import wpconvert
from wpconvert import writers

root = Path(sys.argv[1])
plan = json.loads(sys.argv[2])
results = {}
for fmt, single in plan["formats"].items():
    for variant, overrides in plan["variants"].items():
        for name, src in plan["inputs"].items():
            key = f"{fmt}/{variant}/{name}"
            folder = root / fmt / variant / name
            out = folder / ("export." + fmt) if single else folder
            folder.mkdir(parents=True, exist_ok=True)
            try:
                report = wpconvert.convert(src, format=fmt, output=out, **overrides)
            except wpconvert.WPConvertError as exc:
                results[key] = {"error": f"{type(exc).__name__}: {exc}"}
            except Exception:
                results[key] = {"crash": traceback.format_exc()}
            else:
                results[key] = {"report": report.to_dict()}
(root / "results.json").write_text(json.dumps(results, indent=1, sort_keys=True), "utf-8")
"""


def _run(root: Path, env_extra: dict[str, str], inputs: dict[str, str]) -> dict[str, Any]:
    root.mkdir(parents=True)
    env = dict(os.environ)
    env.update(env_extra)
    plan = {"formats": FORMATS, "variants": VARIANTS, "inputs": inputs}
    done = subprocess.run([sys.executable, "-c", _RUNNER, str(root), json.dumps(plan)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr
    results: dict[str, Any] = json.loads((root / "results.json").read_text("utf-8"))
    (root / "results.json").unlink()
    return results


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path, dict[str, Any]]:
    inputs = {name: str(p) for name, p in INPUTS.items() if p.exists()}
    base = tmp_path_factory.mktemp("determinism")
    a = base / "first"
    b = base / "second-run" / "elsewhere"
    b.parent.mkdir()
    results_a = _run(a, {"PYTHONHASHSEED": "0", "TZ": "UTC"}, inputs)
    results_b = _run(b, {"PYTHONHASHSEED": "4242", "TZ": "Pacific/Chatham"}, inputs)
    return a, results_a, b, results_b


def _tree(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _today() -> set[bytes]:
    now = dt.datetime.now(dt.UTC)
    days = {now.date(), now.astimezone().date(), (now - dt.timedelta(hours=14)).date(),
            (now + dt.timedelta(hours=14)).date()}
    # Fixture and corpus content is dated years ago; today's date can only come from the clock.
    return {d.isoformat().encode() for d in days}


def _normalise(value: Any, root: Path) -> Any:
    text = json.dumps(value, sort_keys=True)
    return json.loads(text.replace(json.dumps(str(root))[1:-1], "<OUT>"))


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", list(INPUTS))
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_byte_identical(runs: tuple[Path, dict[str, Any], Path, dict[str, Any]], fmt: str, name: str,
                        variant: str) -> None:
    if not INPUTS[name].exists():
        pytest.skip(f"{INPUTS[name]} is not present (the shared corpus lives beside the checkout)")
    a, results_a, b, results_b = runs
    key = f"{fmt}/{variant}/{name}"
    ra, rb = results_a[key], results_b[key]
    assert "crash" not in ra, ra.get("crash")
    assert "crash" not in rb, rb.get("crash")
    if "error" in ra or "error" in rb:
        # A refused input is refused the same way both times (the message names the input).
        assert ra == rb
        return
    tree_a, tree_b = _tree(a / key), _tree(b / key)
    assert tree_a, f"{key}: nothing written"
    assert sorted(tree_a) == sorted(tree_b), "different files were written"
    differ = [p for p in tree_a if tree_a[p] != tree_b[p]]
    assert not differ, f"{key}: contents differ: {differ[:10]}"
    stamped = [p for p, data in tree_a.items() if any(day in data for day in _today())]
    assert not stamped, f"{key}: today's date (a timestamp?) in {stamped[:10]}"
    assert _normalise(ra["report"], a) == _normalise(rb["report"], b), "the run reports differ"


def test_every_builtin_format_is_covered() -> None:
    assert {"json", "jsonl", "markdown"} <= set(FORMATS)


@pytest.mark.parametrize("name", list(INPUTS))
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_parallel_equals_serial(runs: tuple[Path, dict[str, Any], Path, dict[str, Any]], fmt: str, name: str) -> None:
    """--jobs changes how fast, never what: the parallel run's output is the serial run's."""
    if not INPUTS[name].exists():
        pytest.skip(f"{INPUTS[name]} is not present (the shared corpus lives beside the checkout)")
    a, results, _, _ = runs
    parallel, serial = results[f"{fmt}/default/{name}"], results[f"{fmt}/serial/{name}"]
    if "report" not in parallel or "report" not in serial:
        assert parallel == serial
        return
    assert _tree(a / fmt / "default" / name) == _tree(a / fmt / "serial" / name)
    assert _normalise(parallel["report"], a / fmt / "default" / name) == \
        _normalise(serial["report"], a / fmt / "serial" / name)
