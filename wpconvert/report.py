"""The run report: every repair, problem, written and skipped item, and the totals.

A :class:`Report` is filled while a run goes on and returned by the library calls; the CLI
prints its summary and ``--report FILE`` writes :meth:`Report.to_dict` as JSON.
"""

from __future__ import annotations

import heapq
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from operator import attrgetter
from typing import IO, Any, overload

from .model import pickles_as_tuple

# At most this many repairs of one kind are listed per input file; the rest are counted.
MAX_LISTED_REPAIRS = 200


@pickles_as_tuple  # sent back from the workers with each item's report
@dataclass(frozen=True, slots=True)
class Repair:
    """A fix the reader made to broken input so that it could be parsed."""

    kind: str
    file: str
    line: int
    detail: str = ""


@pickles_as_tuple  # sent back from the workers with each item's report
@dataclass(frozen=True, slots=True)
class Problem:
    """A finding about the content: ``severity`` is ``error``, ``warning`` or ``info``.

    ``code`` is stable (for example ``WPC201``) so that CI configurations can refer to it.
    """

    code: str
    severity: str
    message: str
    file: str = ""
    line: int = 0


@pickles_as_tuple  # sent back from the workers with each item's report
@dataclass(frozen=True, slots=True)
class Entry:
    """What happened to one item of the input: written to ``path`` or skipped for ``reason``."""

    id: int | None
    post_type: str
    status: str
    title: str
    action: str  # "written" or "skipped"
    path: str = ""
    reason: str = ""
    # The item's position in the export (0-based); entries are listed in this order.
    seq: int = -1


# What EntryLog spills of an entry: its fields, in order (read back as Entry(*values)).
# Field by field: astuple() copies deeply, and was most of the spilling.
_ENTRY_VALUES = attrgetter(*(f.name for f in fields(Entry)))


class EntryLog(Sequence[Entry]):
    """The per-item entries of a run, in export order, in bounded memory.

    Entries arrive nearly in order (a skipped item is recorded as soon as it is read, a
    written one when its worker is done): a heap of :data:`HOLD` entries puts them back in
    order, and past :data:`SPILL` entries the oldest go to a temporary file, so that an
    export of a million items does not keep a million entries in memory.
    """

    HOLD = 4096
    SPILL = 20000

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Entry]] = []
        self._ready: list[Entry] = []
        self._file: IO[str] | None = None
        self._spilled = 0
        self._n = 0

    def append(self, entry: Entry) -> None:
        """Add an entry (ordered by its ``seq``; entries without one keep arrival order)."""
        self._n += 1
        heapq.heappush(self._heap, (entry.seq if entry.seq >= 0 else 1 << 62, self._n, entry))
        if len(self._heap) > self.HOLD:
            self._ready.append(heapq.heappop(self._heap)[2])
            if len(self._ready) >= self.SPILL:
                self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._file.seek(0, os.SEEK_END)
        dumps = json.dumps
        self._file.writelines(dumps(_ENTRY_VALUES(e), ensure_ascii=False) + "\n" for e in self._ready)
        self._spilled += len(self._ready)
        self._ready.clear()

    def __iter__(self) -> Iterator[Entry]:
        if self._file is not None:
            self._file.flush()
            self._file.seek(0)
            for line in self._file:
                yield Entry(*json.loads(line))
        yield from self._ready
        yield from (e for _, _, e in sorted(self._heap))

    def __len__(self) -> int:
        return self._spilled + len(self._ready) + len(self._heap)

    @overload
    def __getitem__(self, index: int) -> Entry: ...

    @overload
    def __getitem__(self, index: slice) -> list[Entry]: ...

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        return list(self)[index]


@dataclass
class Report:
    """Everything a run did, in the order it happened."""

    repairs: list[Repair] = field(default_factory=list)
    repairs_not_listed: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    entries: EntryLog = field(default_factory=EntryLog)
    counts: Counter[str] = field(default_factory=Counter)
    media: list[dict[str, Any]] = field(default_factory=list)
    files_written: int = 0
    _per_kind: Counter[tuple[str, str]] = field(default_factory=Counter, repr=False)

    def repair(self, kind: str, file: str, line: int, detail: str = "") -> None:
        """Record a repair; past :data:`MAX_LISTED_REPAIRS` of a kind in a file, count only."""
        key = (kind, file)
        self._per_kind[key] += 1
        if self._per_kind[key] > MAX_LISTED_REPAIRS:
            self.repairs_not_listed[kind] += 1
        else:
            self.repairs.append(Repair(kind, file, line, detail))

    def problem(
        self, code: str, severity: str, message: str, file: str = "", line: int = 0
    ) -> None:
        """Record a problem."""
        self.problems.append(Problem(code, severity, message, file, line))

    def written(self, item: Any, path: str, seq: int = -1) -> None:
        """Record that ``item`` (the ``seq``-th of the export) was written to ``path``."""
        self.entries.append(
            Entry(item.id, item.post_type, item.status, item.title, "written", path, seq=seq)
        )

    def skipped(self, item: Any, reason: str, seq: int = -1) -> None:
        """Record that ``item`` (the ``seq``-th of the export) was not written, and why."""
        self.entries.append(
            Entry(item.id, item.post_type, item.status, item.title, "skipped", reason=reason, seq=seq)
        )

    @property
    def repair_count(self) -> int:
        """How many repairs were made in all (listed or not)."""
        return len(self.repairs) + sum(self.repairs_not_listed.values())

    def has_errors(self) -> bool:
        """True when a problem of severity ``error`` was recorded."""
        return any(p.severity == "error" for p in self.problems)

    def totals(self) -> dict[str, int]:
        """Written and skipped counts, plus the run's counters, sorted by name."""
        out: Counter[str] = Counter()
        for e in self.entries:
            out[e.action] += 1
        out["repairs"] = self.repair_count
        out["problems"] = len(self.problems)
        out.update(self.counts)
        return dict(sorted(out.items()))

    def _head(self) -> dict[str, Any]:
        return {
            "totals": self.totals(),
            "repairs": [asdict(r) for r in self.repairs],
            "repairs_not_listed": dict(sorted(self.repairs_not_listed.items())),
            "problems": [asdict(p) for p in self.problems],
            "media": self.media,
        }

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (what ``--report FILE`` writes)."""
        data = self._head()
        data["items"] = [asdict(e) for e in self.entries]
        return data

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def write_json(self, fh: IO[str]) -> None:
        """Write what :meth:`to_json` returns, the items streamed (a million-item run's
        report is not built in memory)."""
        head = json.dumps(self._head(), ensure_ascii=False, indent=2)
        fh.write(head[: head.rindex("\n}")] + ',\n  "items": [')
        first = True
        for e in self.entries:
            item = json.dumps(asdict(e), ensure_ascii=False, indent=2).replace("\n", "\n    ")
            fh.write(("\n    " if first else ",\n    ") + item)
            first = False
        fh.write("]\n}\n" if first else "\n  ]\n}\n")
