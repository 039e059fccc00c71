"""The two passes of a conversion: items read in this process, built and prepared in workers.

The main process reads the export and hands each ``<item>`` on as bytes or by where it is
in the file (:class:`~wpconvert.build.RawItem`); a worker builds the item, applies the
publishing policy and runs the writer's :meth:`~wpconvert.writers.Writer.prepare` (Markdown
pages, JSON text); the main process takes the results in export order and writes them.
Site formats plan every page first (the planning pass); the items built then are kept
for the conversion pass, in :class:`Spool` with one job and in :class:`BatchSpool` with
several, where the workers run the planning pass too. With one job the same functions run
in this process, so the output does not depend on ``-j``.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from . import policy
from .build import Built, FileSlice, InputEnd, RawItem, build_raw, read_slices
from .model import Item, changed, pickles_as_tuple
from .options import Options
from .parallel import default_jobs, ordered_map
from .reader import Export
from .tempdb import temp_error, temp_folder

T = TypeVar("T")
Progress = Callable[[int], None]
SkipReason = Callable[[Item], "str | None"]


@pickles_as_tuple
@dataclass(frozen=True, slots=True)
class ItemRef:
    """What the run report keeps of an item (the item itself stays in the worker)."""

    id: int | None
    post_type: str
    status: str
    title: str


@pickles_as_tuple  # sent back for every item
@dataclass(frozen=True, slots=True)
class Outcome:
    """One item after the worker: written (``payload`` from the writer) or ``skipped``."""

    seq: int
    ref: ItemRef
    raw: RawItem  # without its data: where the item was, for the report
    notes: list[tuple[str, int]]
    skipped: str | None = None
    payload: Any = None


class _Work:
    """The function workers run: build, decide, prepare (set up before the pool forks)."""

    def __init__(self, writer: Any, options: Options, skip: SkipReason) -> None:
        self.writer = writer
        self.options = options
        self.skip = skip
        self.pid = os.getpid()

    def batch(self, raws: list[RawItem | InputEnd]) -> list[Outcome | InputEnd]:
        """:meth:`__call__` over a batch (one task for a worker)."""
        return [self(raw) for raw in read_slices(raws)]

    def __call__(self, raw: RawItem | InputEnd) -> Outcome | InputEnd:
        if isinstance(raw, InputEnd):
            return raw
        if self.pid != os.getpid():
            # A forked worker: connections (SQLite) must not be shared across a fork.
            self.pid = os.getpid()
            self.writer.forked()
        item, notes = build_raw(raw)
        ref = ItemRef(item.id, item.post_type, item.status, item.title)
        light = raw.holding(b"")
        reason = self.skip(item)
        if reason:
            return Outcome(raw.seq, ref, light, notes, skipped=reason)
        self.writer.ctx.seq = raw.seq
        payload = self.writer.prepare(policy.prepare(item, self.options))
        return Outcome(raw.seq, ref, light, notes, payload=payload)

    def kept(self, path: str) -> list[Outcome | InputEnd]:
        """:meth:`batch` over a batch the planning pass built and kept (see :class:`BatchSpool`)."""
        records = BatchSpool.take(path)
        return self.batch(records)


class Spool:
    """Items built on the first pass, kept in a temporary file for the conversion pass.

    Site formats read an export twice: once to plan where every page goes, once to write.
    With one job both passes run in this process, and parsing and building an item again
    cost a third of the second pass (measured): the first pass builds each item whole
    instead, and the second reads it back (:func:`planning_items`,
    :meth:`Export.replay`). Memory stays flat; the file takes about two thirds of the
    export's size, in the system's temporary folder, and is gone when closed. With several
    jobs the workers parse in parallel and the spool is not used.
    """

    def __init__(self) -> None:
        try:
            self._file = tempfile.TemporaryFile(prefix="wpconvert-", suffix=".spool", buffering=1 << 20)
        except OSError as exc:
            raise temp_error(exc, "items") from None

    def add(self, record: RawItem | InputEnd) -> None:
        """Keep ``record`` (in order)."""
        data = pickle.dumps(record, pickle.HIGHEST_PROTOCOL)
        try:
            self._file.write(len(data).to_bytes(8, "little"))
            self._file.write(data)
        except OSError as exc:  # a full disk
            raise temp_error(exc, "items") from None

    def records(self) -> Iterator[RawItem | InputEnd]:
        """Every record kept, in order (one at a time: memory stays flat)."""
        fh = self._file
        try:
            fh.flush()
            fh.seek(0)
        except OSError as exc:
            raise temp_error(exc, "items") from None
        while head := fh.read(8):
            # Our own file, created unlinked and private to this process: safe to unpickle.
            yield pickle.loads(fh.read(int.from_bytes(head, "little")))

    def close(self) -> None:
        """Delete the file."""
        self._file.close()


class BatchSpool:
    """Items the workers built on the first pass (several jobs), kept for the conversion pass.

    With several jobs the planning pass is run by the workers too: each builds a batch of
    items whole, keeps it in a file of its own in a temporary folder, and sends back the
    items without their comments (what planning reads). The conversion pass hands the
    workers these files instead of the items' bytes, so every item is parsed and built once,
    in parallel, and the main process does not parse the export at all when it is cut
    (:meth:`Export.raw_items`). Each file is deleted once read; all of them together take
    about two thirds of the export's size, like :class:`Spool`.
    """

    def __init__(self) -> None:
        self.folder = temp_folder("items")
        self.count = 0  # files made: 0.pickle, 1.pickle, …

    def files(self) -> Iterator[str]:
        """The files kept, in order (as many as batches were built)."""
        return (os.path.join(self.folder, f"{n}.pickle") for n in range(self.count))

    def builder(self, content: bool = True) -> Callable[[tuple[int, list[RawItem | InputEnd]]], list[Item | InputEnd]]:
        """The function workers run on the planning pass: (batch number, batch) to the items
        without comments (and without content unless ``content``: only media collection
        reads it), the whole items kept in the batch's file."""
        return partial(_build_and_keep, self.folder, content)

    @staticmethod
    def take(path: str) -> list[RawItem | InputEnd]:
        """The records kept in ``path``, which is deleted."""
        try:
            with open(path, "rb") as fh:
                # Our own file, in a folder private to this run (mkdtemp: mode 0700).
                records: list[RawItem | InputEnd] = pickle.load(fh)
            os.unlink(path)
        except OSError as exc:
            raise temp_error(exc, "items") from None
        return records

    def close(self) -> None:
        """Delete the folder and what is left in it."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _build_and_keep(folder: str, content: bool, task: tuple[int, list[RawItem | InputEnd]]) -> list[Item | InputEnd]:
    n, raws = task
    kept: list[RawItem | InputEnd] = []
    light: list[Item | InputEnd] = []
    for raw in read_slices(raws):
        if isinstance(raw, InputEnd):
            kept.append(raw)
            light.append(raw)
            continue
        item, notes = build_raw(raw)
        kept.append(raw.holding(Built(item, notes)))
        # What goes back to the main process is what planning reads: the bodies, sent
        # through a pipe and unpickled there, are most of an item's bytes.
        if not content:
            light.append(changed(item, comments=(), content=""))
        else:
            light.append(changed(item, comments=()) if item.comments else item)
    try:
        with open(os.path.join(folder, f"{n}.pickle"), "wb") as fh:
            pickle.dump(kept, fh, pickle.HIGHEST_PROTOCOL)
    except OSError as exc:  # a full disk
        raise temp_error(exc, "items") from None
    return light


def planning_batches(
    export: Export, spool: BatchSpool, jobs: int, cut: bool, content: bool = True,
) -> Iterator[Item]:
    """The first pass's items, without comments (and without content unless ``content``),
    built by ``jobs`` workers that keep them whole in ``spool`` for :func:`prepared` (see
    :class:`BatchSpool`)."""
    def numbered(batches: Iterable[list[RawItem | InputEnd]]) -> Iterator[tuple[int, list[RawItem | InputEnd]]]:
        for n, batch in enumerate(batches):
            spool.count = n + 1
            yield n, batch

    raws = export.raw_items(serialized=True, cut=cut)
    for record in _flat(ordered_map(spool.builder(content), numbered(_batches(raws)), jobs)):
        if isinstance(record, InputEnd):
            # As planning_items(): parse problems now, comment problems on the next pass.
            export.end_input(record, notes_too=False)
            continue
        yield record


def planning_items(export: Export, spool: Spool) -> Iterator[Item]:
    """The first pass's items (as :meth:`Export.items` gives them), each also kept whole
    in ``spool`` with what building it noted, for :func:`prepared` to take from there."""
    for raw in export.raw_items(serialized=False):
        if isinstance(raw, InputEnd):
            # Parse problems are reported now, as by Export.items(); comment problems when
            # the conversion pass replays the items (in the order -j gives them).
            export.end_input(raw, notes_too=False)
            spool.add(raw)
            continue
        item, notes = build_raw(raw)
        spool.add(raw.holding(Built(item, notes)))
        yield item


def prepared(
    export: Export, writer: Any, options: Options, skip: SkipReason,
    progress: Progress | None = None, cut: bool = False, spool: Spool | BatchSpool | None = None,
) -> Iterator[Outcome]:
    """Every item the policy lets out, prepared by ``writer``, in export order.

    With several jobs and ``cut``, inputs are cut into items without parsing them here
    (see :meth:`Export.raw_items`; :class:`~wpconvert.split.SplitFailed` may be raised).
    With a ``spool``, the items the planning pass kept there are used: by
    :func:`planning_items` (:class:`Spool`, one job) or :func:`planning_batches`
    (:class:`BatchSpool`, several).

    Items ``skip`` gives a reason for are recorded as skipped in the report (with every
    item counted as read); problems found while building go to the report in order.
    """
    report = export.report
    jobs = options.jobs or default_jobs()
    work = _Work(writer, options, skip)
    outcomes: Iterator[Outcome | InputEnd]
    if isinstance(spool, BatchSpool):
        outcomes = _flat(ordered_map(work.kept, spool.files(), jobs))
    elif spool is not None:
        outcomes = map(work, export.replay(spool.records()))
    elif jobs > 1:
        raws = export.raw_items(serialized=True, cut=cut)
        outcomes = _flat(ordered_map(work.batch, _batches(raws), jobs))
    else:
        outcomes = map(work, export.raw_items(serialized=False))
    n = 0
    for out in outcomes:
        if isinstance(out, InputEnd):
            export.end_input(out)
            continue
        n += 1
        if progress is not None:
            progress(n)
        report.counts[f"read:{out.ref.post_type}"] += 1
        if out.notes:
            # Items built on the planning pass bring their notes only now (as replay()
            # does); on the other ways the input is expected already.
            export.expect_notes(out.raw.input)
            export.add_notes(out.raw, out.notes)
        if out.skipped is not None:
            report.skipped(out.ref, out.skipped, out.seq)
            continue
        yield out


# Items go to workers in batches: a task per item would cost more in the process pool's
# bookkeeping than reading the item did. A batch holds this many bytes (or one large item).
BATCH_BYTES = 256 * 1024
BATCH_ITEMS = 64


def _batches(raws: Iterable[RawItem | InputEnd]) -> Iterator[list[RawItem | InputEnd]]:
    batch: list[RawItem | InputEnd] = []
    size = 0
    for raw in raws:
        batch.append(raw)
        if isinstance(raw, RawItem):
            size += raw.data.length if isinstance(raw.data, FileSlice) else len(raw.data)
        if size >= BATCH_BYTES or len(batch) >= BATCH_ITEMS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _flat(batches: Iterable[list[T]]) -> Iterator[T]:
    for batch in batches:
        yield from batch
