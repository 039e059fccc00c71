"""Atomic writes: a run killed with SIGKILL at any moment, then run again, gives the same tree
as a run that was never interrupted, byte for byte, with no partial or temporary file left.

``wpconvert convert`` runs in a subprocess on a generated export and is killed (the whole
process group, SIGKILL) at moments spread over an uninterrupted run's duration; each killed
run is followed by another, killed later in turn, and the last one runs to completion. After
every kill, each file the tree holds (temporary files aside) must already be complete: equal
to the uninterrupted run's file at the same path.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wpconvert import writers
from wpconvert.output import MANIFEST

ROOT = Path(__file__).resolve().parents[1]
ITEMS = int(os.environ.get("WPCONVERT_INTERRUPT_ITEMS", "600"))
SEED = 11
# Kill moments as fractions of an uninterrupted run's wall time (a random extra per moment,
# seeded), from start-up to the final manifest.
FRACTIONS = (0.08, 0.3, 0.55, 0.8, 0.97)


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["TMPDIR"] = str(tmp)
    return env


def _command(export: Path, fmt: str, out: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "wpconvert.cli", "convert", str(export), "-f", fmt, "-o", str(out),
            "-q", "-j", str(jobs), "--media", "link"]


def run_to_end(export: Path, fmt: str, out: Path, tmp: Path, jobs: int = 1) -> float:
    start = time.perf_counter()
    proc = subprocess.run(_command(export, fmt, out, jobs), env=_env(tmp), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return time.perf_counter() - start


def run_and_kill(
    export: Path, fmt: str, out: Path, tmp: Path, after: float, jobs: int = 1,
) -> tuple[int | None, str, int]:
    """Start a conversion and SIGKILL its process group ``after`` seconds later; return its
    exit code and stderr when it finished before that (None when it was killed), and its pid."""
    err = tmp / "stderr.txt"
    with open(err, "wb") as fh:
        proc = subprocess.Popen(_command(export, fmt, out, jobs), env=_env(tmp), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=fh, start_new_session=True)
        try:
            proc.wait(after)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
            code = None
    text = err.read_text("utf-8", "replace")
    err.unlink()
    return code, text, proc.pid


def temp_databases(tmp: Path) -> dict[str, int]:
    """The run's temporary SQLite files and folders in TMPDIR ``tmp``
    (wpconvert-NAME-PID-RANDOM.sqlite, wpconvert-items-PID-RANDOM), each with the pid of the
    process that made it."""
    found: dict[str, int] = {}
    for p in tmp.iterdir():
        m = re.fullmatch(r"wpconvert-[a-z]+-(\d+)-\w+(?:\.sqlite.*)?", p.name)
        if m:
            found[p.name] = int(m.group(1))
    return found


def _is_temporary(name: str) -> bool:
    return name.endswith((".tmp", ".part")) or name.startswith(".wpconvert-tmp-")


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (a folder, or the single file and its siblings) by path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bench.generate import generate

    path = tmp_path_factory.mktemp("interrupt") / "export.xml"
    generate(path, ITEMS, SEED)
    return path


FORMATS = ["markdown", "json"] + [f for f in ("hugo",) if f in writers.available()]
# With two jobs, site formats keep the items between their passes in a folder of their own.
RUNS = [(fmt, 1) for fmt in FORMATS] + [("markdown", 2)]


@pytest.mark.parametrize(("fmt", "jobs"), RUNS)
def test_killed_runs_rerun_to_the_same_tree(tmp_path: Path, export: Path, fmt: str, jobs: int) -> None:
    single = writers.get(fmt).single_file
    scratch = tmp_path / "tmp"
    scratch.mkdir()

    # The reference: one uninterrupted run.
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    ref_out = ref_dir / ("site.json" if single else "site")
    duration = run_to_end(export, fmt, ref_out, scratch, jobs)
    reference = tree(ref_dir)
    assert reference and not [p for p in reference if _is_temporary(Path(p).name)]

    # Killed again and again, then run to the end.
    work = tmp_path / "work"
    work.mkdir()
    out = work / ref_out.name
    rng = random.Random(f"{SEED}:{fmt}:{jobs}")
    kills = 0
    killed_pids: set[int] = set()
    left_by_killed: set[str] = set()
    for fraction in FRACTIONS:
        after = duration * fraction * rng.uniform(0.8, 1.2)
        code, stderr, pid = run_and_kill(export, fmt, out, scratch, after, jobs)
        if code is None:
            kills += 1
            killed_pids.add(pid)
            left_by_killed |= {name for name, owner in temp_databases(scratch).items() if owner == pid}
        else:
            assert code == 0, f"the run after a killed one failed (exit {code}): {stderr}"
        # Whatever the moment, no file in place is partial: each equals the reference's.
        for rel, data in tree(work).items():
            name = Path(rel).name
            if _is_temporary(name):
                continue
            if name == MANIFEST:
                json.loads(data)  # written atomically: never half a manifest
                continue
            assert rel in reference, f"killed at {after:.2f} s: unexpected file {rel}"
            assert data == reference[rel], f"killed at {after:.2f} s: {rel} is partial or different"
    assert kills >= 3, f"only {kills} runs were killed: the export converts too fast to test this"

    run_to_end(export, fmt, out, scratch, jobs)
    # A killed run cannot delete its temporary databases; the next run deletes them (their
    # owner is gone), and a run that ends deletes its own: none is left in TMPDIR.
    stale = temp_databases(scratch)
    assert not [n for n, owner in stale.items() if owner in killed_pids], f"stale temporary databases: {stale}"
    assert stale == {}, f"temporary databases left in TMPDIR: {stale}"
    if writers.get(fmt).needs_index:
        assert left_by_killed, "no killed run had made its temporary database: the kills miss it"
    if jobs > 1 and writers.get(fmt).needs_index:
        assert any(n.startswith("wpconvert-items-") for n in left_by_killed), "no killed run left its items"
    final = tree(work)
    leftovers = sorted(p for p in final if _is_temporary(Path(p).name))
    assert leftovers == [], f"temporary files left after the rerun: {leftovers[:5]}"
    assert sorted(final) == sorted(reference), (sorted(set(final) ^ set(reference)))[:10]
    different = [p for p in reference if final[p] != reference[p]]
    assert different == [], f"files differ from an uninterrupted run: {different[:5]}"
