"""The conversion pass: items read in this process, built and prepared in workers.

The main process parses the export and hands each ``<item>`` on as bytes
(:class:`~wpconvert.build.RawItem`); a worker builds the item, applies the publishing
policy and runs the writer's :meth:`~wpconvert.writers.Writer.prepare` (Markdown pages,
JSON text); the main process takes the results in export order and writes them. With one
job the same functions run in this process, so the output does not depend on ``-j``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from . import policy
from .build import FileSlice, InputEnd, RawItem, build_raw
from .model import Item
from .options import Options
from .parallel import default_jobs, ordered_map
from .reader import Export

Progress = Callable[[int], None]
SkipReason = Callable[[Item], "str | None"]


@dataclass(frozen=True, slots=True)
class ItemRef:
    """What the run report keeps of an item (the item itself stays in the worker)."""

    id: int | None
    post_type: str
    status: str
    title: str

    def __reduce__(self) -> tuple[Any, ...]:
        return (ItemRef, (self.id, self.post_type, self.status, self.title))  # see RawItem's


@dataclass(frozen=True, slots=True)
class Outcome:
    """One item after the worker: written (``payload`` from the writer) or ``skipped``."""

    seq: int
    ref: ItemRef
    raw: RawItem  # without its data: where the item was, for the report
    notes: list[tuple[str, int]]
    skipped: str | None = None
    payload: Any = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent back for every item: a tuple pickles faster (see RawItem.__reduce__).
        return (Outcome, (self.seq, self.ref, self.raw, self.notes, self.skipped, self.payload))


class _Work:
    """The function workers run: build, decide, prepare (set up before the pool forks)."""

    def __init__(self, writer: Any, options: Options, skip: SkipReason) -> None:
        self.writer = writer
        self.options = options
        self.skip = skip
        self.pid = os.getpid()

    def batch(self, raws: list[RawItem | InputEnd]) -> list[Outcome | InputEnd]:
        """:meth:`__call__` over a batch (one task for a worker)."""
        return [self(raw) for raw in raws]

    def __call__(self, raw: RawItem | InputEnd) -> Outcome | InputEnd:
        if isinstance(raw, InputEnd):
            return raw
        if self.pid != os.getpid():
            # A forked worker: connections (SQLite) must not be shared across a fork.
            self.pid = os.getpid()
            self.writer.forked()
        item, notes = build_raw(raw)
        ref = ItemRef(item.id, item.post_type, item.status, item.title)
        light = RawItem(raw.seq, raw.input, raw.file, raw.line, b"", raw.report)
        reason = self.skip(item)
        if reason:
            return Outcome(raw.seq, ref, light, notes, skipped=reason)
        self.writer.ctx.seq = raw.seq
        payload = self.writer.prepare(policy.prepare(item, self.options))
        return Outcome(raw.seq, ref, light, notes, payload=payload)


def prepared(
    export: Export, writer: Any, options: Options, skip: SkipReason,
    progress: Progress | None = None, cut: bool = False,
) -> Iterator[Outcome]:
    """Every item the policy lets out, prepared by ``writer``, in export order.

    With several jobs and ``cut``, inputs are cut into items without parsing them here
    (see :meth:`Export.raw_items`; :class:`~wpconvert.split.SplitFailed` may be raised).

    Items ``skip`` gives a reason for are recorded as skipped in the report (with every
    item counted as read); problems found while building go to the report in order.
    """
    report = export.report
    jobs = options.jobs or default_jobs()
    work = _Work(writer, options, skip)
    if jobs > 1:
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


def _flat(batches: Iterable[list[Outcome | InputEnd]]) -> Iterator[Outcome | InputEnd]:
    for batch in batches:
        yield from batch
