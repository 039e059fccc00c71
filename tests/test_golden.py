"""Golden tests: each fixture converted to Markdown, compared file by file with tests/golden/.

Every case converts one fixture (``jobs=1``, ``media="link"``) into a temporary folder and
compares the whole tree with ``tests/golden/<case>/``: the same file names and the same
bytes (the manifest excluded). A failure shows a unified diff of the first differing file.

``pytest tests/test_golden.py --regen-golden`` rewrites the golden trees from the current
output instead (the test then passes and says so in a warning). Read the diff before
committing regenerated files: the golden trees are reviewed expectations, not snapshots.

A golden file whose current output is known to be wrong holds the *right* expectation,
written by hand; it is listed in :data:`KNOWN_BUGS`, left out of the case's byte comparison
and checked by :func:`test_known_bug` under ``xfail(strict=True)``, so that the fix shows as
an XPASS failure (then remove the entry). Regeneration never overwrites such a file.
"""

from __future__ import annotations

import difflib
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ROOT

from wpconvert.api import convert
from wpconvert.output import MANIFEST

GOLDEN = ROOT / "tests" / "golden"

# case name -> (fixture file, convert() options beyond jobs=1 and media="link")
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "classic": ("classic.xml", {}),
    "blocks": ("blocks.xml", {}),
    "german-comments": ("german-comments.xml", {}),
    "shortcodes": ("shortcodes.xml", {}),
    "statuses": ("statuses.xml", {}),
    "statuses-include-all": ("statuses.xml", {"include": "all"}),
    "slugs": ("slugs.xml", {}),
}

# (case, golden file) -> what is wrong with the current output. The golden file holds the
# hand-written correct expectation.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _files(root: Path) -> dict[str, Path]:
    """Every file under ``root`` by its relative POSIX path, the manifest left out."""
    return {
        p.relative_to(root).as_posix(): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).as_posix() != MANIFEST
    }


def _convert(case: str, out: Path) -> dict[str, Path]:
    fixture, options = CASES[case]
    convert(FIXTURES / fixture, "markdown", out, jobs=1, media="link", **options)
    return _files(out)


def _diff(expected: bytes, actual: bytes, rel: str) -> str:
    lines = difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(keepends=True),
        actual.decode("utf-8", "replace").splitlines(keepends=True),
        fromfile=f"golden/{rel}", tofile=f"output/{rel}",
    )
    text = "".join(lines)
    if not text:  # the same text, different bytes (an invalid UTF-8 sequence, say)
        text = f"bytes differ: {expected[:200]!r} != {actual[:200]!r}"
    return text


def _regenerate(case: str, golden: Path, produced: dict[str, Path]) -> None:
    """Replace ``golden`` by the output, keeping the hand-written known-bug expectations."""
    kept = {rel for c, rel in KNOWN_BUGS if c == case}
    saved = {rel: (golden / rel).read_bytes() for rel in kept if (golden / rel).is_file()}
    missing = kept - saved.keys()
    if missing:
        pytest.fail(f"{case}: write the correct expectation of {sorted(missing)} by hand (a known bug)")
    if golden.exists():
        shutil.rmtree(golden)
    for rel, path in produced.items():
        target = golden / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(saved.get(rel, path.read_bytes()))
    for rel, data in saved.items():  # a known-bug file the output lacks
        target = golden / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    warnings.warn(f"golden tree regenerated: {golden.relative_to(ROOT)} ({len(produced)} files)", stacklevel=2)


@pytest.mark.parametrize("case", list(CASES))
def test_golden(case: str, tmp_path: Path, regen_golden: bool) -> None:
    golden = GOLDEN / case
    produced = _convert(case, tmp_path / "out")
    assert produced, f"{case}: the conversion wrote no file"
    if regen_golden:
        _regenerate(case, golden, produced)
        return
    if not golden.is_dir():
        pytest.fail(f"no golden tree at {golden}: run pytest {Path(__file__).name} --regen-golden and review it")
    expected = _files(golden)
    missing, extra = sorted(expected.keys() - produced.keys()), sorted(produced.keys() - expected.keys())
    assert not missing and not extra, (
        f"{case}: the file lists differ\n  missing from the output: {missing}\n  not in the golden tree: {extra}"
    )
    skip = {rel for c, rel in KNOWN_BUGS if c == case}
    for rel in sorted(expected):
        if rel in skip:
            continue
        want, got = expected[rel].read_bytes(), produced[rel].read_bytes()
        if want != got:
            pytest.fail(f"{case}: {rel} differs from the golden file\n{_diff(want, got, rel)}", pytrace=False)


@pytest.mark.parametrize(
    ("case", "rel"),
    [pytest.param(c, rel, marks=pytest.mark.xfail(strict=True, reason=why), id=f"{c}:{rel}")
     for (c, rel), why in KNOWN_BUGS.items()],
)
def test_known_bug(case: str, rel: str, tmp_path: Path) -> None:
    want = (GOLDEN / case / rel).read_bytes()
    produced = _convert(case, tmp_path / "out")
    assert rel in produced, f"{case}: {rel} was not written"
    got = produced[rel].read_bytes()
    assert want == got, f"{case}: {rel} differs from the golden file\n{_diff(want, got, rel)}"
