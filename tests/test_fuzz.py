"""Bad input: the mutation fuzzer (``bench/fuzz.py``) in a bounded, deterministic run.

Every mutated export must give a result (a report and a readable output) or a one-line
``WPConvertError`` naming the file (and its line and column where known): never a traceback,
a hang, a dead worker or a broken output. Failing inputs are saved to
``bench/out/fuzz-failures/`` with the traceback and the command that replays them.

The run takes ``WPCONVERT_FUZZ_SECONDS`` (default 75) in all, split between the formats.
"""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path

import pytest

from bench import fuzz
from wpconvert import writers

SEED = 20240601
SECONDS = float(os.environ.get("WPCONVERT_FUZZ_SECONDS", "75"))
STATUSES = fuzz.FIXTURES / "statuses.xml"


def test_cases_are_deterministic() -> None:
    seeds = fuzz.seed_files(corpus=False)
    def first(seed: int) -> list[tuple[str, list[str], bytes, bool]]:
        return [(c.seed_file, c.steps, c.data, c.strict) for c in itertools.islice(fuzz.cases(seed, "json", seeds), 40)]

    assert first(SEED) == first(SEED)
    assert [c[2] for c in first(SEED + 1)] != [c[2] for c in first(SEED)]


def test_every_mutator_changes_input_and_stays_bounded() -> None:
    data = STATUSES.read_bytes()
    for name, mutator, _weight in fuzz.MUTATORS:
        changed = 0
        for n in range(12):
            out, what = mutator(random.Random(n), data, [data])
            assert isinstance(out, bytes) and isinstance(what, str) and what, name
            assert len(out) <= fuzz.MAX_CASE_BYTES * 2, name
            changed += out != data
        assert changed, f"mutator {name} never changed the input"


def test_structural_mutations_hit_their_targets() -> None:
    data = STATUSES.read_bytes()
    out, what = fuzz.m_drop_close_tag(random.Random(1), data, [])
    assert out.count(b"</") == data.count(b"</") - 1, what
    out, what = fuzz.m_doctype(random.Random(1), data, [])
    assert b"<!DOCTYPE" in out or b"<!doctype" in out or b"<!ENTITY" in out, what
    tokens = set()
    for n in range(400):
        out, _ = fuzz.m_token(random.Random(n), data, [])
        tokens.update(t for t in (b"]]>", b"&bogus;", b"\x00", b"<!DOCTYPE") if out.count(t) > data.count(t))
    assert tokens == {b"]]>", b"&bogus;", b"\x00", b"<!DOCTYPE"}


def test_harness_reports_tracebacks_hangs_deaths_and_bad_errors(tmp_path: Path) -> None:
    """The fuzzer's own checks work: a misbehaving target is caught each way."""
    runner = fuzz.Runner(timeout=3.0, target="bench.fuzz.selftest_case")
    try:
        def outcome(data: bytes) -> fuzz.Outcome:
            return runner.run(fuzz.Case(0, "selftest", [], data, "json"))

        assert outcome(b"CRASH").failure == "traceback"
        assert "KeyError: 'boom'" in outcome(b"CRASH").detail
        assert outcome(b"MULTILINE").failure == "bad-error"
        assert outcome(b"LEAK").failure == "leak"
        assert outcome(b"HANG").failure == "timeout"
        assert outcome(b"DIE").failure == "died"
        # The worker is replaced after a hang or a death, and real cases go on.
        good = outcome(STATUSES.read_bytes())
        assert good.failure == "" and good.kind == "ok", good
        broken = outcome(STATUSES.read_bytes().replace(b"</wp:post_id>", b"</wp:post_idx>", 1))
        assert broken.kind == "InputError", broken
        assert f"{fuzz.CASE_NAME}:" in broken.detail and "\n" not in broken.detail
    finally:
        runner.close()


def test_failures_are_saved_for_reproduction(tmp_path: Path) -> None:
    case = fuzz.Case(3, "fixtures/statuses.xml", ["flip: x"], b"CRASH", "markdown", strict=True)
    saved = fuzz._save(case, fuzz.Outcome("traceback", "traceback", "Traceback ...\nKeyError: 'boom'"), tmp_path)
    assert saved.read_bytes() == b"CRASH"
    note = saved.with_suffix(".txt").read_text("utf-8")
    assert "python -m bench.fuzz --replay" in note and "--format markdown --strict" in note
    assert "KeyError: 'boom'" in note


def _formats() -> list[str]:
    found = writers.available()
    return [f for f in ("json", "jsonl", "markdown", "hugo", "jekyll") if f in found]


def test_fuzz_bounded_run() -> None:
    """The CI run: deterministic seed, every format, no traceback, hang or broken output."""
    formats = _formats()
    summary = fuzz.run(SECONDS, SEED, formats, timeout=30.0, failures_dir=fuzz.FAILURES)
    report = summary.text()
    print(report)
    assert summary.cases >= 20 * len(formats), report
    assert summary.outcomes["ok"] + summary.outcomes["problems"] > 0, report
    assert any(k.startswith("InputError") for k in summary.outcomes), report
    if summary.failures:
        pytest.fail(f"{len(summary.failures)} fuzz failures (inputs in {fuzz.FAILURES}):\n{report}", pytrace=False)


def test_jobs_fuzzer_sees_a_difference_between_one_job_and_two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bench.fuzzjobs's check works: a -j 2 run that loses data is caught (here: items
    serialized for the workers in ASCII, the bug it found first)."""
    from lxml import etree
    from test_reader import item_xml, wxr

    from bench import fuzzjobs
    from wpconvert import reader

    extra = '<category domain="category" nicename="cat">Cat</category>\n'
    data = wxr(item_xml(7, "x", extra=extra) + item_xml(8, "y")).encode()
    data = data.replace(b"category domain=", b"category do\xfe\xffmain=", 1)
    assert fuzzjobs.compare_jobs_case(data, "jsonl", False, tmp_path).kind in ("ok", "problems")
    monkeypatch.setattr(reader, "serialize", lambda el: etree.tostring(el))
    differ = fuzzjobs.compare_jobs_case(data, "jsonl", False, tmp_path)
    assert differ.failure == "jobs-differ" and "file '' differs" in differ.detail, differ


def test_fuzz_jobs_bounded_run() -> None:
    """-j 2 gives what -j 1 gives on mutated exports (deterministic seed)."""
    from bench import fuzzjobs

    summary = fuzz.run(SECONDS / 2, SEED, list(fuzzjobs.FORMATS), timeout=60.0, failures_dir=fuzz.FAILURES,
                       target="bench.fuzzjobs.compare_jobs_case")
    report = summary.text()
    print(report)
    assert summary.cases >= 20 * len(fuzzjobs.FORMATS), report
    if summary.failures:
        pytest.fail(f"{len(summary.failures)} fuzz failures (inputs in {fuzz.FAILURES}):\n{report}", pytrace=False)


def test_harness_leaves_no_folder_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed for a hang, or dead, cannot remove its folder: the harness does."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(fuzz.tempfile, "tempdir", None)  # read TMPDIR again
    runner = fuzz.Runner(timeout=3.0, target="bench.fuzz.selftest_case")
    try:
        for data in (b"HANG", b"DIE", STATUSES.read_bytes()):
            runner.run(fuzz.Case(0, "selftest", [], data, "json"))
    finally:
        runner.close()
    assert list(tmp_path.iterdir()) == []
