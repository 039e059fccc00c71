"""The worker pool (wpconvert.parallel): results in input order, bounded, errors raised at
their item, dead workers reported, large messages both ways, nothing left running."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wpconvert.parallel import WorkerFailed, _Pool, ordered_map

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    _BEFORE.clear()
    _BEFORE.update(_children())
    # A deadlock must fail the test, not hang the suite.
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("ordered_map hung"))
    signal.alarm(120)
    yield
    signal.alarm(0)


def _uneven(n: int) -> tuple[int, int]:
    # Later items finish sooner on some workers: order must come from the pool, not timing.
    time.sleep(0.002 * ((n * 7) % 5))
    return n, os.getpid()


@pytest.mark.parametrize("jobs", [2, 3])
def test_results_come_in_input_order_from_several_processes(jobs: int) -> None:
    out = list(ordered_map(_uneven, range(60), jobs))
    assert [n for n, _ in out] == list(range(60))
    pids = {pid for _, pid in out}
    assert len(pids) == jobs and os.getpid() not in pids


def test_one_job_runs_here() -> None:
    assert [pid for _, pid in ordered_map(_uneven, range(5), 1)] == [os.getpid()] * 5


def _in_daemon(conn: Any) -> None:
    conn.send([n for n, _ in ordered_map(_uneven, range(10), 2)])


def _echo_big(data: bytes) -> bytes:
    return data[::-1] * 2


def test_large_tasks_and_results_do_not_wait_on_each_other() -> None:
    # Each task and each result is many times a pipe's capacity, and a dozen are in
    # flight: a pool that wrote a task while a worker wrote its result would hang here.
    tasks = [bytes([i]) * (3 << 20) + b"end" for i in range(12)]
    out = list(ordered_map(_echo_big, iter(tasks), 2, window=6))
    assert out == [_echo_big(t) for t in tasks]


def test_tasks_in_flight_are_bounded() -> None:
    taken: list[int] = []

    def items() -> Iterator[int]:
        for i in range(100):
            taken.append(i)
            yield i

    results = ordered_map(_uneven, items(), 2, window=4)
    first = next(results)
    assert first[0] == 0
    assert len(taken) <= 5  # the window, and the item that filled it
    assert [n for n, _ in results] == list(range(1, 100))


class Refused(ValueError):
    pass


def _fail_at_7(n: int) -> int:
    if n == 7:
        raise Refused(f"item {n} refused")
    return n * n


def test_an_error_in_a_worker_is_raised_at_its_item() -> None:
    got: list[int] = []
    with pytest.raises(Refused, match="item 7 refused"):
        for r in ordered_map(_fail_at_7, range(20), 2):
            got.append(r)
    assert got == [n * n for n in range(7)]
    assert _children() == []


class Unpicklable(Exception):
    def __init__(self) -> None:
        super().__init__("cannot travel")

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("no")


def _unpicklable(n: int) -> int:
    if n == 3:
        raise Unpicklable()
    return n


def test_an_error_that_cannot_be_pickled_arrives_as_its_text() -> None:
    with pytest.raises(RuntimeError, match="Unpicklable: cannot travel"):
        list(ordered_map(_unpicklable, range(10), 2))


def _die_at(n: int) -> int:
    if n == int(os.environ["WPCONVERT_TEST_DIE_AT"]):
        os._exit(3)
    return n


@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize("at", [4, 5, 6])
def test_a_worker_that_dies_is_reported_and_the_rest_are_stopped(
    monkeypatch: pytest.MonkeyPatch, jobs: int, at: int,
) -> None:
    monkeypatch.setenv("WPCONVERT_TEST_DIE_AT", str(at))  # whichever worker gets item `at`
    got: list[int] = []
    with pytest.raises(WorkerFailed, match=r"stopped unexpectedly \(exit code 3\)"):
        for r in ordered_map(_die_at, range(40), jobs):
            got.append(r)
    assert got == list(range(at))
    assert _children() == []


@pytest.mark.parametrize("jobs", [2, 3])
def test_workers_leave_on_their_own_when_the_tasks_end(jobs: int) -> None:
    # Each worker sees its task pipe close and exits 0, none has to be stopped: no worker
    # holds a copy of another's pipes (nor closes what is not its own).
    pool = _Pool(_uneven, jobs)
    try:
        for n, w in enumerate(pool.workers * 3):
            w.send(pickle.dumps(n))
        assert [pool.result(w)[0] for w in pool.workers * 3] == list(range(3 * jobs))
    finally:
        pool.close()
    assert [w.exitcode for w in pool.workers] == [0] * jobs


def _children() -> list[int]:
    """This process's child processes still running or not waited for, but those it had
    before the test (other tests' servers)."""
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == me and int(entry) not in _BEFORE:
                found.append(int(entry))
    return found


_BEFORE: set[int] = set()


def test_a_daemonic_process_may_run_several_jobs() -> None:
    # multiprocessing refuses to start processes from a daemonic one; a caller's own
    # worker (bench.fuzzjobs runs wpconvert in one) still gets its jobs.
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_in_daemon, args=(child,), daemon=True)
    proc.start()
    assert parent.recv() == list(range(10))
    proc.join(30)
    assert proc.exitcode == 0


def test_stopping_early_ends_the_workers() -> None:
    results = ordered_map(_uneven, range(1000), 2)
    assert next(results)[0] == 0
    assert len(_children()) == 2
    results.close()
    assert _children() == []


def test_ctrl_c_gives_one_line_and_no_traceback_from_the_workers(tmp_path: Path) -> None:
    # Ctrl-C reaches the whole process group; the workers leave it to the main process.
    export = tmp_path / "export.xml"
    subprocess.run(
        [sys.executable, "-c", textwrap.dedent(f"""
            from bench.generate import generate
            generate({str(export)!r}, 3000, 5)
        """)],
        cwd=ROOT, check=True, capture_output=True,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "wpconvert.cli", "convert", str(export), "-f", "markdown",
         "-o", str(tmp_path / "out"), "-j", "2", "-q"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    # Into the conversion pass, where the workers run (planning takes a moment first).
    deadline = time.monotonic() + 60
    while not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.md")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
