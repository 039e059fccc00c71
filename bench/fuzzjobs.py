"""Mutated exports converted with one job and with two: the results must be the same.

    python -m bench.fuzzjobs --seconds 600 --seed 1          # jsonl and markdown
    python -m bench.fuzzjobs --seconds 60 --format hugo

``-j`` changes how fast, never what. With several jobs an export is cut into items
without parsing it and the items are parsed in the workers (``wpconvert/split.py``,
``xmlstream.parse_exact``), or, when it cannot be cut, handed over serialized; with one,
it is streamed. A broken export must come out the same either way: the same files, byte
for byte, and the same report (or the same error). This uses the mutations and the
worker harness of :mod:`bench.fuzz`; a case whose two runs differ is a failure
(``jobs-differ``), saved with the difference in ``bench/out/fuzz-failures/``. A case
that fails the one-job contract of :mod:`bench.fuzz` fails as it does there.

Run over 12,000 cases, this found four ways the two differed, each fixed with a test in
tests/test_split.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from bench.fuzz import CASE_NAME, Outcome, check_case, run

FORMATS = ("jsonl", "markdown")


def _result(data: bytes, fmt: str, strict: bool, jobs: int, workdir: Path) -> Any:
    """The files and the report (paths made relative to ``workdir``), or the error."""
    import wpconvert
    from wpconvert import writers
    from wpconvert.errors import WPConvertError

    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    case = workdir / CASE_NAME
    case.write_bytes(data)
    out = workdir / ("out." + fmt if writers.get(fmt).single_file else "out")
    try:
        report = wpconvert.convert(case, fmt, out, jobs=jobs, strict=strict)
    except WPConvertError as exc:
        return ("error", type(exc).__name__, str(exc).replace(str(workdir), "CASE"))
    files = {"": out.read_bytes()} if out.is_file() else {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }
    return ("done", files, json.dumps(report.to_dict(), sort_keys=True, default=str).replace(str(workdir), "CASE"))


def compare_jobs_case(data: bytes, fmt: str, strict: bool, workdir: Path) -> Outcome:
    """:func:`bench.fuzz.check_case`, then the same conversion with one job and with two,
    compared."""
    outcome = check_case(data, fmt, strict, workdir)
    if outcome.failure:
        return outcome
    one = _result(data, fmt, strict, 1, workdir / "one")
    two = _result(data, fmt, strict, 2, workdir / "two")
    if one == two:
        return outcome
    return Outcome("jobs-differ", "jobs-differ", _difference(one, two), outcome.seconds)


def _difference(one: Any, two: Any) -> str:
    if one[0] != "done" or two[0] != "done":
        return f"-j 1: {one[0]} {one[1:] if one[0] == 'error' else ''}\n-j 2: {two[0]} {two[1:] if two[0] == 'error' else ''}"
    lines = [f"file {name!r} differs" for name in sorted(set(one[1]) | set(two[1]))
             if one[1].get(name) != two[1].get(name)]
    if one[2] != two[2]:
        a, b = json.loads(one[2]), json.loads(two[2])
        lines += [f"report {key!r}: -j 1 {a.get(key)!r:.300} / -j 2 {b.get(key)!r:.300}"
                  for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzzjobs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="time budget, split evenly between formats")
    parser.add_argument("--seed", type=int, default=0, help="random seed (the same seed gives the same cases)")
    parser.add_argument("--format", action="append", dest="formats", help=f"default: {', '.join(FORMATS)}")
    parser.add_argument("--cases", type=int, default=None, help="at most this many cases per format")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-case time budget in seconds")
    args = parser.parse_args(argv)
    summary = run(args.seconds, args.seed, args.formats or list(FORMATS), timeout=args.timeout,
                  max_cases=args.cases, target="bench.fuzzjobs.compare_jobs_case",
                  log=lambda s: print(s, file=sys.stderr, flush=True))
    print(summary.text())
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
