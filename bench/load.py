"""Load scenarios: exports far larger than usual in one direction, converted under measurement.

    python -m bench.load                                  # every scenario, json and markdown
    python -m bench.load --scenario many-items --items 100000
    python -m bench.load --scenario big-post --post-mb 50 --formats json

Scenarios (each export is generated once, streamed to ``bench/out/load/``, and reused):

* ``big-post``: a single post of ``--post-mb`` MB of HTML (default 50);
* ``comments``: one post with ``--comments`` comments (default 100,000), threaded: a few
  reply chains ``--depth`` deep (default 5,000) and the rest in ordinary shallow threads;
* ``many-items``: ``--items`` tiny posts (default 1,000,000).

Each conversion runs in a subprocess (``python -m wpconvert.cli convert … -q``); its wall
time and peak resident memory (``os.wait4``'s ``ru_maxrss``) are printed, with its exit
code and the first line of its stderr when it failed. The script measures and prints; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "load"

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
\txmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"
\txmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
\t<title>Load test</title>
\t<link>http://load.example.test</link>
\t<description>wpconvert load scenario</description>
\t<language>en-US</language>
\t<wp:wxr_version>1.2</wp:wxr_version>
\t<wp:base_site_url>http://load.example.test</wp:base_site_url>
\t<wp:base_blog_url>http://load.example.test</wp:base_blog_url>
\t<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[admin]]></wp:author_login><wp:author_email><![CDATA[admin@load.example.test]]></wp:author_email><wp:author_display_name><![CDATA[Admin]]></wp:author_display_name></wp:author>
\t<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename><![CDATA[news]]></wp:category_nicename><wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[News]]></wp:cat_name></wp:category>
\t<generator>https://wordpress.org/?v=6.5</generator>
"""
FOOTER = "</channel>\n</rss>\n"


def item_head(n: int, title: str, slug: str, date: str) -> str:
    return (
        f"\t<item>\n\t\t<title><![CDATA[{title}]]></title>\n"
        f"\t\t<link>http://load.example.test/{slug}/</link>\n"
        f"\t\t<dc:creator><![CDATA[admin]]></dc:creator>\n"
        f'\t\t<guid isPermaLink="false">http://load.example.test/?p={n}</guid>\n'
        f"\t\t<description></description>\n"
    )


def item_fields(n: int, slug: str, date: str) -> str:
    return (
        f"\t\t<excerpt:encoded><![CDATA[]]></excerpt:encoded>\n"
        f"\t\t<wp:post_id>{n}</wp:post_id>\n"
        f"\t\t<wp:post_date><![CDATA[{date}]]></wp:post_date>\n"
        f"\t\t<wp:post_date_gmt><![CDATA[{date}]]></wp:post_date_gmt>\n"
        f"\t\t<wp:comment_status><![CDATA[open]]></wp:comment_status>\n"
        f"\t\t<wp:post_name><![CDATA[{slug}]]></wp:post_name>\n"
        f"\t\t<wp:status><![CDATA[publish]]></wp:status>\n"
        f"\t\t<wp:post_parent>0</wp:post_parent>\n"
        f"\t\t<wp:menu_order>0</wp:menu_order>\n"
        f"\t\t<wp:post_type><![CDATA[post]]></wp:post_type>\n"
        f"\t\t<wp:post_password><![CDATA[]]></wp:post_password>\n"
        f"\t\t<wp:is_sticky>0</wp:is_sticky>\n"
        f'\t\t<category domain="category" nicename="news"><![CDATA[News]]></category>\n'
    )


WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore "
         "et dolore magna aliqua über straße 日本語 café naïve").split()


def paragraph(rng: random.Random, n: int) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 90)))
    kind = n % 7
    if kind == 0:
        return f"<h2>Section {n}</h2>\n<p>{words}</p>\n"
    if kind == 1:
        return f'<p>{words} <a href="http://load.example.test/p{n}/">link {n}</a> &amp; <strong>bold</strong>.</p>\n'
    if kind == 2:
        return "<ul>\n" + "".join(f"<li>{rng.choice(WORDS)} {i}</li>\n" for i in range(5)) + "</ul>\n"
    if kind == 3:
        return f"<pre><code>for i in range({n}):\n    if i &lt; 3 and x &gt; 2: print(i)\n</code></pre>\n"
    if kind == 4:
        return f"<blockquote><p>{words}</p></blockquote>\n"
    if kind == 5:
        src = f"http://load.example.test/wp-content/uploads/2024/05/img{n % 50}.jpg"
        return f'<p><img src="{src}" alt="x"> {words}</p>\n'
    return f"<p><em>{words}</em></p>\n"


# -- generators (streamed) --------------------------------------------------------------
def gen_big_post(out: IO[str], megabytes: float, seed: int) -> None:
    rng = random.Random(seed)
    out.write(HEADER)
    date = "2024-05-02 10:00:00"
    out.write(item_head(1, "A very long post", "a-very-long-post", date))
    out.write("\t\t<content:encoded><![CDATA[")
    target, written, n = int(megabytes * 1_000_000), 0, 0
    while written < target:
        block = "".join(paragraph(rng, n + k) for k in range(50))
        n += 50
        out.write(block)
        written += len(block.encode("utf-8"))
    out.write("]]></content:encoded>\n")
    out.write(item_fields(1, "a-very-long-post", date))
    out.write("\t</item>\n")
    out.write(FOOTER)


def comment_xml(cid: int, parent: int, rng: random.Random) -> str:
    approved = "1" if rng.random() < 0.9 else rng.choice(("0", "spam", "trash"))
    return (
        f"\t\t<wp:comment><wp:comment_id>{cid}</wp:comment_id>"
        f"<wp:comment_author><![CDATA[Reader {cid % 997}]]></wp:comment_author>"
        f"<wp:comment_author_email><![CDATA[r{cid}@mail.example.test]]></wp:comment_author_email>"
        f"<wp:comment_author_url></wp:comment_author_url>"
        f"<wp:comment_author_IP><![CDATA[192.0.2.{cid % 250}]]></wp:comment_author_IP>"
        f"<wp:comment_date><![CDATA[2024-05-03 09:00:00]]></wp:comment_date>"
        f"<wp:comment_date_gmt><![CDATA[2024-05-03 09:00:00]]></wp:comment_date_gmt>"
        f"<wp:comment_content><![CDATA[Comment {cid}: {' '.join(rng.choice(WORDS) for _ in range(12))}]]>"
        f"</wp:comment_content><wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>"
        f"<wp:comment_type><![CDATA[comment]]></wp:comment_type><wp:comment_parent>{parent}</wp:comment_parent>"
        f"<wp:comment_user_id>0</wp:comment_user_id></wp:comment>\n"
    )


def gen_comments(out: IO[str], comments: int, depth: int, seed: int, chains: int = 3) -> None:
    """One post; ``chains`` reply chains ``depth`` deep, the rest in shallow random threads."""
    rng = random.Random(seed)
    out.write(HEADER)
    date = "2024-05-02 10:00:00"
    out.write(item_head(1, "A post people talk about", "talked-about", date))
    out.write("\t\t<content:encoded><![CDATA[<p>Discuss.</p>]]></content:encoded>\n")
    out.write(item_fields(1, "talked-about", date))
    cid = 0
    for _ in range(chains):
        parent = 0
        for _ in range(min(depth, comments - cid)):
            cid += 1
            out.write(comment_xml(cid, parent, rng))
            parent = cid
    first_free = cid + 1
    while cid < comments:
        cid += 1
        parent = rng.randrange(first_free, cid) if cid > first_free and rng.random() < 0.5 else 0
        out.write(comment_xml(cid, parent, rng))
    out.write("\t</item>\n")
    out.write(FOOTER)


def gen_many_items(out: IO[str], items: int, seed: int) -> None:
    out.write(HEADER)
    for n in range(1, items + 1):
        slug = f"post-{n}"
        date = f"20{10 + n % 15:02d}-{1 + n % 12:02d}-{1 + n % 28:02d} 10:00:00"
        out.write(item_head(n, f"Post {n}", slug, date))
        out.write(f"\t\t<content:encoded><![CDATA[<p>Tiny post {n}.</p>]]></content:encoded>\n")
        out.write(item_fields(n, slug, date))
        out.write("\t</item>\n")
    out.write(FOOTER)


@dataclass
class Scenario:
    name: str
    file: str
    make: Callable[[IO[str]], None]
    items: int


def scenarios(args: argparse.Namespace) -> Iterator[Scenario]:
    chosen = set(args.scenario or ["big-post", "comments", "many-items"])
    if "big-post" in chosen:
        yield Scenario("big-post", f"big-post-{args.post_mb:g}mb.xml",
                       lambda out: gen_big_post(out, args.post_mb, args.seed), 1)
    if "comments" in chosen:
        yield Scenario("comments", f"comments-{args.comments}-d{args.depth}.xml",
                       lambda out: gen_comments(out, args.comments, args.depth, args.seed), 1)
    if "many-items" in chosen:
        yield Scenario("many-items", f"many-items-{args.items}.xml",
                       lambda out: gen_many_items(out, args.items, args.seed), args.items)


def ensure(s: Scenario, folder: Path) -> tuple[Path, float]:
    """The scenario's export (generated, streamed, when missing); the seconds it took."""
    path = folder / s.file
    if path.is_file():
        return path, 0.0
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xml.part")
    start = time.perf_counter()
    with open(tmp, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        s.make(out)
    os.replace(tmp, path)
    return path, time.perf_counter() - start


@dataclass
class Measure:
    code: int | None
    wall: float
    max_rss_mb: float
    error: str
    output_mb: float
    files: int
    work: Path


def _size(path: Path) -> tuple[float, int]:
    if path.is_file():
        return path.stat().st_size / 1e6, 1
    total, count = 0, 0
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            total += os.lstat(os.path.join(dirpath, name)).st_size
            count += 1
    return total / 1e6, count


def measure(export: Path, fmt: str, jobs: int, timeout: float) -> Measure:
    """Convert in a subprocess (output under ``Measure.work``); wall time and peak RSS from wait4."""
    work = Path(tempfile.mkdtemp(prefix=f"load-{fmt}-", dir=OUT))
    out = work / ("out.json" if fmt == "json" else "out.jsonl" if fmt == "jsonl" else "out")
    err_path = work / "stderr.txt"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "wpconvert.cli", "convert", str(export), "-f", fmt, "-o", str(out),
           "-q", "-j", str(jobs), "--media", "link"]
    start = time.perf_counter()
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                env=env, start_new_session=True)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    code = proc.returncode
    text = err_path.read_text("utf-8", "replace").strip()
    lines = text.splitlines()
    error = ""
    if code != 0:
        error = lines[-1] if lines else ("killed (timeout)" if code == -signal.SIGKILL else f"exit {code}")
        if time.perf_counter() > deadline:
            error = f"timeout after {timeout:.0f} s"
    size, files = _size(out) if out.exists() else (0.0, 0)
    return Measure(code, wall, usage.ru_maxrss / 1024, error, size, files, work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", action="append", choices=["big-post", "comments", "many-items"],
                        help="scenario to run (repeatable; default all)")
    parser.add_argument("--formats", default="json,markdown", help="comma-separated formats (default json,markdown)")
    parser.add_argument("--post-mb", type=float, default=50.0, help="big-post: size of the post in MB")
    parser.add_argument("--comments", type=int, default=100_000, help="comments: number of comments")
    parser.add_argument("--depth", type=int, default=5_000, help="comments: depth of the deep reply chains")
    parser.add_argument("--items", type=int, default=1_000_000, help="many-items: number of items")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="wpconvert -j (default 1)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per conversion, seconds")
    parser.add_argument("--keep", action="store_true", help="keep the outputs (under bench/out/load/)")
    args = parser.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    print(f"{'scenario':12} {'input':>9} {'format':9} {'exit':>4} {'wall s':>8} {'peak RSS':>9} "
          f"{'output':>9} {'files':>8}  note", flush=True)
    for s in scenarios(args):
        export, gen_seconds = ensure(s, OUT)
        size = export.stat().st_size / 1e6
        if gen_seconds:
            print(f"# generated {export.name}: {size:.1f} MB in {gen_seconds:.1f} s", flush=True)
        for fmt in formats:
            m = measure(export, fmt, args.jobs, args.timeout)
            code = "-" if m.code is None else str(m.code)
            print(f"{s.name:12} {size:7.1f}MB {fmt:9} {code:>4} {m.wall:8.1f} {m.max_rss_mb:7.0f}MB "
                  f"{m.output_mb:7.1f}MB {m.files:8d}  {m.error[:160]}", flush=True)
            if not args.keep:
                shutil.rmtree(m.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
