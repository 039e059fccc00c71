"""The run report: every repair, problem, written and skipped item, and the totals.

A :class:`Report` is filled while a run goes on and returned by the library calls; the CLI
prints its summary and ``--report FILE`` writes :meth:`Report.to_dict` as JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

# At most this many repairs of one kind are listed per input file; the rest are counted.
MAX_LISTED_REPAIRS = 200


@dataclass(frozen=True, slots=True)
class Repair:
    """A fix the reader made to broken input so that it could be parsed."""

    kind: str
    file: str
    line: int
    detail: str = ""


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


@dataclass
class Report:
    """Everything a run did, in the order it happened."""

    repairs: list[Repair] = field(default_factory=list)
    repairs_not_listed: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
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

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (what ``--report FILE`` writes)."""
        return {
            "totals": self.totals(),
            "repairs": [asdict(r) for r in self.repairs],
            "repairs_not_listed": dict(sorted(self.repairs_not_listed.items())),
            "problems": [asdict(p) for p in self.problems],
            "items": [asdict(e) for e in sorted(self.entries, key=lambda e: e.seq)],
            "media": self.media,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"
