"""Benchmark: wpconvert against floors measured in the same run, on a generated export.

    python -m bench.run --items 20000            # generates bench/out/export-20000.xml once
    python -m bench.run --items 2000 --items 20000 --only json,markdown
    python -m bench.run --items 20000 --repeat 3         # medians and ranges of 3 rounds

Each measurement is a separate process; wall time, CPU time (user + system, children
included) and peak resident memory come from the operating system (``wait4``). Floors:

* ``floor-lxml``: a bare lxml iterparse pass over the file, elements freed as it goes;
* ``floor-html2text``: the same, plus html2text on every ``content:encoded`` body.

Ratios are printed against those floors: JSON against the lxml floor, Markdown and Hugo
against the html2text floor. The script only measures and prints; it asserts nothing.

Outputs are written under ``--out-dir``: by default a RAM-backed folder (``/dev/shm``)
where there is one, else the system's temporary folder. The floors write nothing, and on
a virtual machine's disk creating tens of thousands of files costs anywhere from 0.3 to
13 seconds from one run to the next (seen here): that would measure the disk, not the
conversion. Pass ``--out-dir`` with a folder on disk to include it.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

FLOOR_LXML = """
import sys
from lxml import etree
n = 0
for _ev, el in etree.iterparse(sys.argv[1], events=("end",), tag="item", huge_tree=True,
                               resolve_entities=False, no_network=True):
    n += 1
    el.clear(keep_tail=True)
    while el.getprevious() is not None:
        del el.getparent()[0]
print(n)
"""

FLOOR_HTML2TEXT = """
import sys
import html2text
from lxml import etree
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
n = 0
for _ev, el in etree.iterparse(sys.argv[1], events=("end",), tag="item", huge_tree=True,
                               resolve_entities=False, no_network=True):
    body = el.findtext(CONTENT) or ""
    h = html2text.HTML2Text()
    h.body_width = 0
    h.handle(body)
    n += 1
    el.clear(keep_tail=True)
    while el.getprevious() is not None:
        del el.getparent()[0]
print(n)
"""


@dataclass
class Result:
    """One measured command."""

    name: str
    items: int
    wall: float
    cpu: float
    peak_mb: float
    ok: bool
    round: int = 0


def measure(name: str, items: int, argv: list[str]) -> Result:
    """Run ``argv`` and measure it (wall, CPU of the process tree, peak RSS)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    ok = os.waitstatus_to_exitcode(status) in (0, 1)
    if not ok:
        print(f"  {name} failed: {err.strip().splitlines()[-1:] or status}", file=sys.stderr)
    # ru_maxrss is the largest single process (KiB on Linux); workers count by themselves.
    child_peak = usage.ru_maxrss / 1024
    return Result(name, items, wall, usage.ru_utime + usage.ru_stime, child_peak, ok)


def export_for(items: int, seed: int) -> Path:
    """The generated export of ``items`` items (generated once, then reused)."""
    from bench.generate import generate

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"export-{items}-s{seed}.xml"
    if not path.exists():
        print(f"generating {path.name} …", file=sys.stderr)
        tmp = path.with_suffix(".tmp")
        generate(tmp, items, seed)
        tmp.replace(path)
    return path


def default_out_dir() -> str | None:
    """A RAM-backed folder for the outputs where there is one (see the module's doc)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def run(items: int, seed: int, only: set[str], jobs: list[int], out_dir: str | None = None,
        rounds: int = 1) -> list[Result]:
    """Every measurement for one export size (outputs written under ``out_dir``), ``rounds``
    times: each round measures the floors again, and ratios are taken within a round."""
    export = export_for(items, seed)
    py = sys.executable
    results: list[Result] = []
    work = Path(tempfile.mkdtemp(prefix="wpconvert-bench-", dir=out_dir))
    try:
        for k in range(rounds):
            round_results = [
                measure("floor-lxml", items, [py, "-c", FLOOR_LXML, str(export)]),
                measure("floor-html2text", items, [py, "-c", FLOOR_HTML2TEXT, str(export)]),
            ]
            cli = [py, "-m", "wpconvert.cli"]
            if "info" in only:
                round_results.append(measure("info", items, [*cli, "info", "-q", str(export)]))
            for fmt in ("json", "markdown", "hugo"):
                if fmt not in only:
                    continue
                for j in jobs:
                    out = work / f"{fmt}-{j}" / ("export.json" if fmt == "json" else "")
                    argv = [*cli, "convert", str(export), "-f", fmt, "-o", str(out), "-q", "-j", str(j)]
                    round_results.append(measure(f"{fmt} -j {j}", items, argv))
                    shutil.rmtree(work / f"{fmt}-{j}", ignore_errors=True)
            for r in round_results:
                r.round = k
            results.extend(round_results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def _spread(values: list[float], fmt: str) -> str:
    """The median, and with several values their range."""
    mid = statistics.median(values)
    if len(values) == 1:
        return fmt.format(mid)
    return f"{fmt.format(mid)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def report(results: list[Result]) -> str:
    """The results as a Markdown table with ratios to the floors: medians over rounds, with
    their range when there were several (a ratio is taken against the floor of its round)."""
    # The CPU ratio is steadier than the wall one on a shared machine; with -j it shows the
    # work the processes add up to, not the time a user waits.
    lines = ["| items | command | wall s | CPU s | peak MB | ratio to floor (wall) | CPU ratio |",
             "|---|---|---|---|---|---|---|"]
    floors: dict[tuple[int, int, str], Result] = {}
    groups: dict[tuple[int, str], list[Result]] = {}
    for r in results:
        if r.name.startswith("floor"):
            floors[(r.items, r.round, r.name)] = r
        groups.setdefault((r.items, r.name), []).append(r)
    for (items, name), rs in groups.items():
        floor = "floor-lxml" if name.startswith(("json", "info")) else "floor-html2text"
        walls, cpus = [], []
        for r in rs:
            base = floors.get((r.items, r.round, floor))
            if base is not None and base.wall and base.cpu and not name.startswith("floor"):
                walls.append(r.wall / base.wall)
                cpus.append(r.cpu / base.cpu)
        ratio = f"{_spread(walls, '{:.2f}x')} {floor}" if walls else ""
        cpu_ratio = _spread(cpus, "{:.2f}x") if cpus else ""
        flag = "" if all(r.ok for r in rs) else " (FAILED)"
        lines.append(
            f"| {items} | {name}{flag} | {_spread([r.wall for r in rs], '{:.2f}')} | "
            f"{_spread([r.cpu for r in rs], '{:.2f}')} | {max(r.peak_mb for r in rs):.0f} | {ratio} | {cpu_ratio} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, action="append", help="export size(s); default 2000 and 20000")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default="info,json,markdown,hugo", help="which commands (comma-separated)")
    ap.add_argument("--jobs", default="1,2", help="-j values for json, markdown and hugo")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of measurements; the table gives medians and ranges")
    ap.add_argument("--out-dir", default=default_out_dir(),
                    help="where outputs are written (default: /dev/shm where there is one)")
    args = ap.parse_args(argv)
    print(f"outputs written under {args.out_dir or tempfile.gettempdir()}", flush=True)
    # Byte-compiled first, as an installed package is (pip compiles it); where
    # PYTHONDONTWRITEBYTECODE is set, every measured process would compile it from source.
    import wpconvert

    compileall.compile_dir(str(Path(wpconvert.__file__).parent), quiet=1)
    sizes = args.items or [2000, 20000]
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    jobs = [int(j) for j in args.jobs.split(",")]
    results: list[Result] = []
    for n in sizes:
        results.extend(run(n, args.seed, only, jobs, args.out_dir, max(1, args.repeat)))
        print(report(results), flush=True)
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
