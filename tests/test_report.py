"""The run report: entries in export order in bounded memory, streamed JSON equal to to_json."""

from __future__ import annotations

import io
import random
from types import SimpleNamespace

import pytest

from wpconvert.report import EntryLog, Report


@pytest.mark.parametrize("n", [0, 1, 7, 3000])
def test_entries_come_back_in_export_order_and_stream_identically(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    # Small limits, so that the heap and the spill file are both exercised.
    monkeypatch.setattr(EntryLog, "HOLD", 50)
    monkeypatch.setattr(EntryLog, "SPILL", 200)
    rng = random.Random(n)
    order = sorted(range(n), key=lambda s: s + rng.randint(0, 40))  # nearly in order
    report = Report()
    for seq in order:
        item = SimpleNamespace(id=seq, post_type="post", status="publish", title=f"Titel „{seq}“ 🎉")
        if seq % 3:
            report.written(item, f"posts/{seq}.md", seq)
        else:
            report.skipped(item, "private (use --include private)", seq)
    assert [e.seq for e in report.entries] == list(range(n))
    assert len(report.entries) == n
    # Spilled entries come back whole, field by field.
    assert [(e.id, e.post_type, e.status, e.title, e.action, e.path, e.reason) for e in report.entries] == [
        (s, "post", "publish", f"Titel „{s}“ 🎉", "written" if s % 3 else "skipped",
         f"posts/{s}.md" if s % 3 else "", "" if s % 3 else "private (use --include private)")
        for s in range(n)
    ]
    if n:
        assert report.entries[0].seq == 0 and report.entries[-1].seq == n - 1
    buf = io.StringIO()
    report.write_json(buf)
    assert buf.getvalue() == report.to_json()


def test_spilled_entries_leave_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(EntryLog, "HOLD", 10)
    monkeypatch.setattr(EntryLog, "SPILL", 100)
    log = EntryLog()
    report = Report(entries=log)
    for seq in range(1000):
        report.written(SimpleNamespace(id=seq, post_type="post", status="publish", title="t"), "p.md", seq)
    assert len(log._heap) <= 10 and len(log._ready) < 100
    assert len(log) == 1000
