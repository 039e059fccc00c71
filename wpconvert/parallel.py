"""Conversion in several processes, with output identical to one process.

The main process reads the export and writes the files; workers (forked, so they share the
writer's setup) turn items into file contents. At most a few tasks per worker are in flight
(a bounded window), so memory stays flat, and results are taken in input order, so the
output and the report do not depend on which worker finished first.

Tasks go to the workers in turn (task *n* to worker *n* mod *jobs*), each worker answers its
tasks in the order it got them, so the main process knows which pipe the next result comes
from. It talks to the workers over plain pipes, in one thread: it writes tasks and reads
results as the pipes allow (``select.poll``), so a large task and a large result can never
wait on each other. (``concurrent.futures``' process pool, used before, adds two threads
in the main process that hand every task and result over between them: measured here, that
bookkeeping and the contention for the interpreter lock between the threads cost a tenth of
a JSON conversion.)
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from .errors import WPConvertError
from .paths import write_all

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows (which has no fork: one job only)
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
R = TypeVar("R")

_HEAD = 8  # each message: its length (8 bytes, little-endian), then a pickle
_READ = 1 << 20
# Linux lets a pipe hold up to 1 MiB without privileges (/proc/sys/fs/pipe-max-size):
# fewer wake-ups for results of a few hundred kB than the default 64 KiB.
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux only; elsewhere it fails, harmlessly


class WorkerFailed(WPConvertError):
    """A worker process ended without answering (killed, or out of memory)."""


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def ordered_map(fn: Callable[[T], R], items: Iterable[T], jobs: int, window: int = 0) -> Iterator[R]:
    """``fn`` over ``items`` in ``jobs`` processes, results in input order.

    With ``jobs`` 1 (or where fork is unavailable) it runs in this process. ``window``
    bounds the tasks in flight (default: 4 per job). An exception ``fn`` raises in a worker
    is raised here, at its item's turn; a worker that dies raises :class:`WorkerFailed`.
    """
    if jobs <= 1 or not hasattr(os, "fork"):
        for item in items:
            yield fn(item)
        return
    pool = _Pool(fn, jobs)
    try:
        window = max(window or 4 * jobs, jobs)
        pending: deque[_Worker] = deque()
        turn = 0
        for item in items:
            worker = pool.workers[turn % jobs]
            turn += 1
            worker.send(pickle.dumps(item, pickle.HIGHEST_PROTOCOL))
            pending.append(worker)
            if len(pending) >= window:
                yield pool.result(pending.popleft())
        while pending:
            yield pool.result(pending.popleft())
    finally:
        pool.close()


class _Worker:
    """The main process's end of one worker: its pipes and what is still to go through them."""

    def __init__(self, pid: int, task_fd: int, result_fd: int) -> None:
        self.pid = pid
        self.exitcode: int | None = None  # once it has ended and been waited for
        self.task_fd = task_fd
        self.result_fd = result_fd
        self.out = bytearray()  # framed tasks not yet written
        self.head = bytearray()  # the length of the result being read
        self.body: bytearray | None = None  # the result being read, and how much of it is
        self.got = 0
        self.results: deque[bytearray] = deque()
        self.gone = False  # its pipes closed: it died (results sent before that still count)

    def send(self, data: bytes) -> None:
        """Queue a task and write what the pipe takes now (the rest waits for poll)."""
        if self.gone:
            return
        self.out += len(data).to_bytes(_HEAD, "little")
        self.out += data
        self.flush()

    def flush(self) -> None:
        """Write queued task bytes, as many as the pipe takes without waiting."""
        try:
            n = os.write(self.task_fd, self.out)
        except BlockingIOError:
            return
        except BrokenPipeError:
            # It died: what it sent before is still to be read (gone is set at its end).
            self.out.clear()
            return
        del self.out[:n]

    def fill(self) -> None:
        """Read what the result pipe holds (a message's length, then straight into a
        buffer of that size) and keep the results completed."""
        try:
            while True:
                if self.body is None:
                    data = os.read(self.result_fd, _HEAD - len(self.head))
                    if not data:
                        self.gone = True
                        return
                    self.head += data
                    if len(self.head) < _HEAD:
                        return
                    self.body = bytearray(int.from_bytes(self.head, "little"))
                    self.head.clear()
                    self.got = 0
                if self.got < len(self.body):
                    n = os.readv(self.result_fd, [memoryview(self.body)[self.got:]])
                    if not n:
                        self.gone = True
                        return
                    self.got += n
                if self.got == len(self.body):
                    self.results.append(self.body)
                    self.body = None
        except BlockingIOError:
            return

    def failed(self) -> WorkerFailed:
        """The error for a worker that is gone (its pipe closed)."""
        code = self.wait(1.0)
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return WorkerFailed(f"a worker process stopped unexpectedly ({how})")

    def wait(self, timeout: float) -> int | None:
        """Its exit code (negative: the signal that ended it), waiting up to ``timeout``
        seconds for it to end; None if it has not."""
        deadline = time.monotonic() + timeout
        while self.exitcode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # waited for by someone else: its code is gone
                self.exitcode = 0
                break
            if pid:
                self.exitcode = os.waitstatus_to_exitcode(status)
            elif time.monotonic() >= deadline:
                break
            else:
                time.sleep(0.005)
        return self.exitcode


class _Pool:
    """``jobs`` forked workers running ``fn``, each on a task pipe and a result pipe."""

    def __init__(self, fn: Callable[[Any], Any], jobs: int) -> None:
        self.workers: list[_Worker] = []
        try:
            for _ in range(jobs):
                self._start(fn)
        except BaseException:
            self.close()
            raise

    def _start(self, fn: Callable[[Any], Any]) -> None:
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        try:
            for fd in (task_w, result_w):
                try:
                    if fcntl is not None:
                        fcntl.fcntl(fd, _F_SETPIPE_SZ, _READ)
                except OSError:  # a lower limit set by the system, or not Linux: the default size
                    pass
            # The child keeps only its own two ends: a worker holding a copy of another's
            # task pipe would keep that one from ever seeing the end of its tasks.
            others = [fd for w in self.workers for fd in (w.task_fd, w.result_fd)] + [task_w, result_r]
            # A plain fork, not multiprocessing's: that refuses to start processes from a
            # daemonic one (a caller's own worker process).
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()  # or the child would write out the same buffered text
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child (its coverage is not collected)
                code = 1
                try:
                    _serve(fn, task_r, result_w, others)
                    code = 0
                finally:
                    os._exit(code)
        except BaseException:
            for fd in (task_r, task_w, result_r, result_w):
                os.close(fd)
            raise
        os.close(task_r)
        os.close(result_w)
        os.set_blocking(task_w, False)
        os.set_blocking(result_r, False)
        self.workers.append(_Worker(pid, task_w, result_r))

    def result(self, worker: _Worker) -> Any:
        """The next result of ``worker`` (raised, if ``fn`` raised), writing and reading
        the other pipes meanwhile as they allow."""
        poller = select.poll()
        while not worker.results:
            if worker.gone:
                raise worker.failed()
            registered: dict[int, tuple[_Worker, bool]] = {}
            for w in self.workers:
                if w.gone:
                    continue  # (a closed pipe would wake poll() at once, every time)
                if w.out:
                    registered[w.task_fd] = (w, True)
                    poller.register(w.task_fd, select.POLLOUT)
                registered[w.result_fd] = (w, False)
                poller.register(w.result_fd, select.POLLIN)
            for fd, _event in poller.poll():
                w, writing = registered[fd]
                if writing:
                    w.flush()
                else:
                    w.fill()
            for fd in registered:
                poller.unregister(fd)
        ok, value = pickle.loads(worker.results.popleft())
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """End the workers: they see their task pipe close and leave (or are stopped)."""
        for w in self.workers:
            for fd in (w.task_fd, w.result_fd):
                try:
                    os.close(fd)
                except OSError:
                    pass
        deadline = time.monotonic() + 5
        for w in self.workers:
            if w.wait(max(0.0, deadline - time.monotonic())) is None:
                os.kill(w.pid, signal.SIGTERM)
                w.wait(60)


def _serve(fn: Callable[[Any], Any], task_fd: int, result_fd: int, others: list[int]) -> None:
    """A worker: run ``fn`` on each task until the task pipe closes."""
    # Ctrl-C reaches the whole process group: the main process handles it and closes the
    # pipes, which ends the workers (no traceback from each of them).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for fd in others:
        os.close(fd)
    try:
        while True:
            head = _read_exact(task_fd, _HEAD)
            if head is None:
                return
            data = _read_exact(task_fd, int.from_bytes(head, "little"))
            if data is None:
                return
            try:
                answer = pickle.dumps((True, fn(pickle.loads(data))), pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # raised again in the main process, at this item
                answer = _pickled_error(exc)
            write_all(result_fd, len(answer).to_bytes(_HEAD, "little"))
            write_all(result_fd, answer)
    except (BrokenPipeError, ConnectionResetError):
        return  # the main process stopped listening (it failed or was interrupted)


def _pickled_error(exc: Exception) -> bytes:
    try:
        return pickle.dumps((False, exc), pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception that cannot be pickled: its text
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")), pickle.HIGHEST_PROTOCOL)


def _read_exact(fd: int, size: int) -> bytes | None:
    """``size`` bytes from ``fd``; None at its end."""
    parts: list[bytes] = []
    while size:
        data = os.read(fd, min(size, _READ))
        if not data:
            return None
        parts.append(data)
        size -= len(data)
    return b"".join(parts)
