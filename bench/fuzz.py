"""A mutation fuzzer for wpconvert: broken exports in, a result or a one-line error out.

    python -m bench.fuzz --seconds 600 --seed 1                   # json and markdown
    python -m bench.fuzz --seconds 60 --seed 7 --format markdown
    python -m bench.fuzz --replay bench/out/fuzz-failures/markdown-traceback-*.xml

Seeds are the team's ``fixtures/`` and the shared corpus (``../shared/corpus``, read in
place, never copied). Each case takes a seed file and applies one to three mutations:
byte-level ones (bits flipped, bytes inserted, deleted, duplicated, the file truncated or
spliced with another) and structural ones (a closing or opening tag removed, an element
duplicated or dropped, ``]]>``, ``&``, control characters, ``<!DOCTYPE``, bad encodings,
deep nesting, hostile field values, parent cycles injected).

Every case is converted by the library (``wpconvert.convert``) in a worker process with a
per-case time budget: a case that takes longer is a hang, the worker is killed and a new
one started. The contract checked for each case:

* the run returns a report and a readable output (JSON that parses, JSON Lines whose every
  line parses, Markdown whose front matter and sidecars parse as YAML), with no temporary
  file left behind and nothing written beside the output; or
* it raises a :class:`wpconvert.errors.WPConvertError` whose message is one line naming
  the input file (and, for an :class:`~wpconvert.errors.InputError`, the line and column
  when it says it knows them).

Anything else (another exception, a hang, a dead worker, a broken output) is a failure:
the mutated input is saved to ``bench/out/fuzz-failures/`` with a ``.txt`` beside it that
holds the traceback and the command that reproduces it. The exit status is 1 when there
were failures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script: bench/fuzz.py
    sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"
FAILURES = HERE / "out" / "fuzz-failures"
CASE_NAME = "fuzz-case.xml"
DEFAULT_FORMATS = ("json", "markdown")
# Seeds larger than this are left out by default (a case should take well under a second).
DEFAULT_MAX_SEED_BYTES = 100_000
# No mutated input grows beyond this.
MAX_CASE_BYTES = 3 << 20
# The worker's address-space limit: a runaway allocation is a failure, not a dead machine.
WORKER_MEMORY = 2 << 30
# At most this many failures of one signature are saved to disk.
SAVE_PER_SIGNATURE = 3

__all__ = ["Case", "Outcome", "Runner", "Summary", "cases", "check_case", "mutate", "run", "seed_files"]


# -- seeds -------------------------------------------------------------------------------
def seed_files(*, corpus: bool = True, max_bytes: int = DEFAULT_MAX_SEED_BYTES) -> list[Path]:
    """The inputs mutations start from: fixtures first, then the corpus (where present)."""
    found = sorted(FIXTURES.glob("*.xml")) + sorted((FIXTURES / "parts").glob("*.xml"))
    if corpus and CORPUS.is_dir():
        found += sorted(p for p in CORPUS.rglob("*.xml") if p.is_file())
    return [p for p in found if p.stat().st_size <= max_bytes]


# -- mutations ---------------------------------------------------------------------------
Mutator = Callable[[random.Random, bytes, Sequence[bytes]], tuple[bytes, str]]

TOKENS: tuple[bytes, ...] = (
    b"]]>", b"]]", b"<![CDATA[", b"<!--", b"-->", b"<", b">", b"</", b"/>", b"&", b"&amp", b"&nbsp;",
    b"&bogus;", b"&#0;", b"&#xD800;", b"&#x110000;", b"&#99999999999;", b"&#x;", b"&lt", b"&#38;#38;",
    b"<!DOCTYPE rss>", b'<!DOCTYPE rss [<!ENTITY x "y">]>', b'<!ENTITY x SYSTEM "file:///etc/passwd">',
    b"<!doctype html>", b"<!DOC", b"&x;", b"<?xml version='1.0'?>", b"<?php echo 1; ?>", b"<?xml-stylesheet?>",
    b"\x00", b"\x01", b"\x08", b"\x0b", b"\x0c", b"\x1b", b"\x1f", b"\x7f", b"\xc2\x85", b"\xc2\x9f",
    b"\xef\xbf\xbe", b"\xef\xbf\xbf", b"\xed\xa0\x80", b"\xc3\x28", b"\xff", b"\xfe\xff", b"\xef\xbb\xbf",
    b"\xf4\x90\x80\x80", b"\xe2\x80\xae", b"\r", b"\r\n", b"\n\n\n", b'"', b"'", b"=", b"xmlns:wp=\"x\"",
    b' xmlns=""', b' xmlns:wp="http://wordpress.org/export/9.9/"', b"<wp:", b"<item>", b"</item>",
    b"<channel>", b"</channel>", b"</rss>", b"<rss>", b"<wp:comment>", b"</wp:comment>",
    b"<wp:postmeta><wp:meta_key>k</wp:meta_key><wp:meta_value>a:1:{</wp:meta_value></wp:postmeta>",
    b"<wp:wxr_version>9</wp:wxr_version>", b"<wp:wxr_version></wp:wxr_version>",
)

# Hostile values for text fields (titles, slugs, types, statuses, dates, links, meta).
VALUES: tuple[str, ...] = (
    "", " ", "\t", "../../etc/passwd", "..", ".", "/abs/path", "C:\\Windows\\x", "\\\\server\\share", "con",
    "NUL.txt", "com1", "a" * 300, "日本" * 120, "\u202eevil", "a\u0000b", "%00", "%ff%fe", "%e6%97", "%2e%2e%2f",
    "Readme", "README", "readme", "ǅ", "ß", "SS", "ﬁ", "e\u0301", "é", "-", "---", "'", '"', ":", "? x", "- a",
    "&amp;", "<b>x</b>", "{{< x >}}", "{% raw %}", "---\nfoo: bar\n---", "*" * 500, "[" * 2000, "`" * 300,
    'a:1:{s:3:"foo";}', 'a:2147483647:{', 's:99999999:"x";', 'O:8:"stdClass":1:{s:1:"a";i:1;}', "b:2;",
    'a:1:{i:0;a:1:{i:0;a:1:{i:0;', "d:NAN;", "i:99999999999999999999999;", "N;", "C:3:\"Foo\":0:{}",
    "2024-13-45 99:99:99", "0000-00-00 00:00:00", "9999-12-31 23:59:59", "-0001-11-30 00:00:00", "yesterday",
    "javascript:alert(1)", "http://[::1", "http://%zz", "http://example.test/?p=1", "//example.test/x.jpg",
    "http://example.test/wp-content/uploads/../../../etc/passwd", "file:///etc/passwd", "http://a b/c d.jpg",
    "[gallery ids=\"1,2,x\"]", "[caption]x", "[/caption]", "[embed]http://x[/embed]", "[[x]]",
    '<!-- wp:gallery {"ids":[1,"x"]} -->', "<!-- wp:image {bad json -->", "<!--more-->", "<!--nextpage-->",
    "post", "page", "attachment", "nav_menu_item", "revision", "publish", "private", "trash", "draft",
    "auto-draft", "inherit", "future", "pending", "spam", "0", "1", "-1", "99999999999999999999999",
)
NUMBERS: tuple[str, ...] = (
    "", "0", "1", "-1", "2", "7", "10", "11", "99999999999999999999999", "1e9", "1.5", "abc", " 7 ", "٣",
    "9223372036854775808", "-9223372036854775809", "0x10", "+3",
)
NUMERIC_TAGS = (b"wp:post_id", b"wp:post_parent", b"wp:menu_order", b"wp:comment_id", b"wp:comment_parent",
                b"wp:term_id", b"wp:comment_user_id", b"wp:author_id")
TEXT_TAGS = (b"title", b"wp:post_name", b"wp:post_type", b"wp:status", b"wp:comment_approved", b"wp:post_date",
             b"wp:post_date_gmt", b"link", b"guid", b"wp:attachment_url", b"wp:meta_value", b"wp:meta_key",
             b"wp:post_password", b"dc:creator", b"wp:comment_type", b"wp:comment_author", b"wp:author_login",
             b"wp:category_nicename", b"wp:cat_name", b"wp:wxr_version", b"wp:base_site_url", b"content:encoded",
             b"excerpt:encoded", b"wp:comment_content", b"wp:is_sticky")
ELEMENTS = (b"item", b"wp:comment", b"wp:postmeta", b"category", b"wp:author", b"wp:category", b"wp:tag",
            b"wp:term", b"channel", b"title", b"content:encoded", b"wp:commentmeta")
ENCODINGS = (b"UTF-16", b"utf-32", b"ISO-8859-1", b"windows-1252", b"bogus", b"cp500", b"shift_jis", b"",
             b"UTF-8", b"ascii", b"utf-7", b"koi8-r", b"x-mac-roman")
HTML_BOMBS = (
    "<div>" * 3000, "<blockquote>" * 2000, "<ul><li>" * 1500, "<table><tr><td>" * 800, "<b><i>" * 2000,
    "<a href='x'>" * 2000, "<p>" * 5000, "<pre><code>" + "<" * 20000, "&" * 20000, "*_" * 20000,
    "[" * 20000 + "]" * 20000, "[x " * 5000, "<!--" * 5000, "<img src=" * 3000, "\\" * 20000, "`" * 20000,
    "<h1>" * 3000, "<ol start='99999999999999999999'><li>x", "<td colspan='999999999'>x",
    "[caption id=\"x\" width=\"99999999999999999999\"]" * 500, "[gallery ids=\"" + ",".join(["1"] * 20000) + "\"]",
    "<!-- wp:group -->" * 3000, "<!-- wp:columns {" + '"a":[' * 3000 + " -->", "\n" * 200000, " " * 500000,
)


def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data) + 1)


def _matches(data: bytes, pattern: bytes, limit: int = 5000) -> list[re.Match[bytes]]:
    out: list[re.Match[bytes]] = []
    for m in re.finditer(pattern, data):
        out.append(m)
        if len(out) >= limit:
            break
    return out


def m_flip(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    if not data:
        return data, "flip (empty)"
    buf = bytearray(data)
    n = rng.randint(1, 8)
    where = []
    for _ in range(n):
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
        where.append(i)
    return bytes(buf), f"flip bits at {where}"


def m_insert(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    i = _pos(rng, data)
    junk = rng.randbytes(rng.randint(1, 16)) if rng.random() < 0.5 else rng.choice(TOKENS)
    return data[:i] + junk + data[i:], f"insert {junk!r} at {i}"


def m_delete(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    if not data:
        return data, "delete (empty)"
    i = rng.randrange(len(data))
    n = rng.choice((1, 1, 2, 8, 64, 256, 4096))
    return data[:i] + data[i + n:], f"delete {n} bytes at {i}"


def m_duplicate(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    if not data:
        return data, "duplicate (empty)"
    a = rng.randrange(len(data))
    n = rng.choice((1, 16, 256, 4096))
    chunk = data[a:a + n]
    times = rng.choice((1, 1, 2, 10, 100))
    i = _pos(rng, data)
    return data[:i] + chunk * times + data[i:], f"duplicate {len(chunk)} bytes from {a} x{times} at {i}"


def m_truncate(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    i = _pos(rng, data)
    return data[:i], f"truncate at {i}"


def m_splice(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    other = rng.choice(others) if others else data
    i, j = _pos(rng, data), _pos(rng, other)
    return data[:i] + other[j:], f"splice head {i} + other tail from {j}"


def m_drop_close_tag(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    found = _matches(data, rb"</[A-Za-z_][\w:.-]*\s*>")
    if not found:
        return m_truncate(rng, data, others)
    m = rng.choice(found)
    return data[:m.start()] + data[m.end():], f"remove closing tag {m.group()!r} at {m.start()}"


def m_drop_open_tag(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    found = _matches(data, rb"<[A-Za-z_][\w:.-]*(?:\s[^<>]*)?>")
    if not found:
        return m_truncate(rng, data, others)
    m = rng.choice(found)
    return data[:m.start()] + data[m.end():], f"remove opening tag {m.group()[:40]!r} at {m.start()}"


def m_token(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    """Inject a dangerous token, preferably where markup starts or ends or CDATA is."""
    tok = rng.choice(TOKENS)
    anchors = _matches(data, rb"<!\[CDATA\[|\]\]>|<|>")
    if anchors and rng.random() < 0.7:
        m = rng.choice(anchors)
        i = m.end() if rng.random() < 0.5 else m.start()
    else:
        i = _pos(rng, data)
    return data[:i] + tok + data[i:], f"inject {tok!r} at {i}"


def m_doctype(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    decl = rng.choice((
        b'<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
        b'<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/x.dtd">', b"<!DOCTYPE rss>", b"<!doctype RSS>",
        b'<!ENTITY xxe SYSTEM "file:///etc/passwd">',
    ))
    m = re.search(rb"\?>", data)
    i = m.end() if m and rng.random() < 0.6 else _pos(rng, data)
    return data[:i] + decl + data[i:], f"inject {decl[:30]!r} at {i}"


def _element_spans(data: bytes, name: bytes) -> list[tuple[int, int]]:
    spans = []
    esc = re.escape(name)
    for m in _matches(data, rb"<" + esc + rb"[\s>]", 2000):
        end = data.find(b"</" + name + b">", m.start())
        if end >= 0:
            spans.append((m.start(), end + len(name) + 3))
    return spans


def m_dup_element(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    name = rng.choice(ELEMENTS)
    spans = _element_spans(data, name)
    if not spans:
        return m_token(rng, data, others)
    a, b = rng.choice(spans)
    times = rng.choice((1, 1, 2, 50))
    where = rng.choice((b, a, _pos(rng, data)))
    return data[:where] + data[a:b] * times + data[where:], f"duplicate <{name.decode()}> [{a}:{b}] x{times} at {where}"


def m_drop_element(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    name = rng.choice(ELEMENTS)
    spans = _element_spans(data, name)
    if not spans:
        return m_delete(rng, data, others)
    a, b = rng.choice(spans)
    return data[:a] + data[b:], f"remove <{name.decode()}> [{a}:{b}]"


def m_nest_element(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    """Put an element where it does not belong (an item in an item, a comment in the header)."""
    name = rng.choice(ELEMENTS)
    spans = _element_spans(data, name)
    if not spans:
        return m_token(rng, data, others)
    a, b = rng.choice(spans)
    anchors = _matches(data, rb">")
    i = rng.choice(anchors).end() if anchors else _pos(rng, data)
    return data[:i] + data[a:b] + data[i:], f"copy <{name.decode()}> [{a}:{b}] to {i}"


def _replace_field(rng: random.Random, data: bytes, tags: Sequence[bytes], values: Sequence[str]) -> tuple[bytes, str]:
    tag = rng.choice(tags)
    found = _matches(data, rb"<" + re.escape(tag) + rb"(?:\s[^>]*)?>(.*?)</" + re.escape(tag) + rb">", 2000)
    if not found:
        return data, f"no <{tag.decode()}>"
    value = rng.choice(values)
    raw = value.encode("utf-8", "surrogatepass")
    if rng.random() < 0.5:
        new = b"<![CDATA[" + raw.replace(b"]]>", b"]]]]><![CDATA[>") + b"]]>"
    else:
        new = raw.replace(b"&", b"&amp;").replace(b"<", b"&lt;")
    chosen = found if rng.random() < 0.15 else [rng.choice(found)]
    out, last, desc = [], 0, []
    for m in chosen:
        out += [data[last:m.start(1)], new]
        last = m.end(1)
        desc.append(m.start(1))
    out.append(data[last:])
    return b"".join(out), f"set <{tag.decode()}> at {desc[:5]} to {value[:40]!r}"


def m_number(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    return _replace_field(rng, data, NUMERIC_TAGS, NUMBERS)


def m_value(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    return _replace_field(rng, data, TEXT_TAGS, VALUES)


def m_html_bomb(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    bomb = rng.choice(HTML_BOMBS)
    return _replace_field(rng, data, (b"content:encoded", b"excerpt:encoded", b"wp:comment_content", b"title"),
                          (bomb,))


def m_comment_cycle(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    """Point comment parents at comments of the same item (or themselves): cycles, chains."""
    ids = [m.group(1) for m in _matches(data, rb"<wp:comment_id>\s*(\d+)\s*</wp:comment_id>")]
    parents = _matches(data, rb"<wp:comment_parent>([^<]*)</wp:comment_parent>")
    if not ids or not parents:
        return m_number(rng, data, others)
    out, last = [], 0
    for m in parents:
        out += [data[last:m.start(1)], rng.choice(ids)]
        last = m.end(1)
    out.append(data[last:])
    return b"".join(out), f"comment parents shuffled over {len(parents)} comments"


def m_post_cycle(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    """Page parents pointing at each other, or the item itself."""
    ids = [m.group(1) for m in _matches(data, rb"<wp:post_id>\s*(\d+)\s*</wp:post_id>")]
    parents = _matches(data, rb"<wp:post_parent>([^<]*)</wp:post_parent>")
    if not ids or not parents:
        return m_number(rng, data, others)
    out, last = [], 0
    for m in parents:
        out += [data[last:m.start(1)], rng.choice(ids)]
        last = m.end(1)
    out.append(data[last:])
    out_data = b"".join(out)
    if rng.random() < 0.5:
        out_data = out_data.replace(b"[post]]></wp:post_type>", b"[page]]></wp:post_type>")
    return out_data, f"post parents shuffled over {len(parents)} items"


def m_encoding(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    enc = rng.choice(ENCODINGS)
    m = re.search(rb"""encoding\s*=\s*["']([^"']*)["']""", data[:1024])
    if m:
        return data[:m.start(1)] + enc + data[m.end(1):], f"encoding declared {enc!r}"
    return b"<?xml version=\"1.0\" encoding=\"" + enc + b"\"?>\n" + data, f"declaration with {enc!r} added"


def m_reencode(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    """The bytes really in another encoding (with or without a BOM, declaration unchanged)."""
    text = data.decode("utf-8", "replace")
    enc = rng.choice(("utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252"))
    return text.encode(enc, "replace"), f"re-encoded as {enc}"


def m_deep(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    depth = rng.choice((100, 300, 3000, 30000))
    name = rng.choice((b"a", b"item", b"wp:comment", b"category", b"x:y"))
    anchors = _matches(data, rb">")
    i = rng.choice(anchors).end() if anchors else _pos(rng, data)
    close = b"</" + name + b">" if rng.random() < 0.7 else b""
    blob = (b"<" + name + b">") * depth + close * depth
    return data[:i] + blob + data[i:], f"nest <{name.decode()}> {depth} deep at {i}"


def m_namespace(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    decls = _matches(data, rb'xmlns(?::[\w.-]+)?\s*=\s*"([^"]*)"')
    if not decls:
        return m_token(rng, data, others)
    m = rng.choice(decls)
    uri = rng.choice((b"", b"http://wordpress.org/export/1.0/", b"https://wordpress.org/export/1.1/",
                      b"http://wordpress.org/export/9.9/", b"urn:x", b"http://\xc3\xa9.example/", b"a b {c}",
                      b"http://purl.org/rss/1.0/modules/content/"))
    return data[:m.start(1)] + uri + data[m.end(1):], f"namespace {m.group()[:40]!r} -> {uri!r}"


def m_line_endings(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    new = rng.choice((b"\r", b"\r\n", b"\n\n", "\u0085".encode(), "\u2028".encode()))
    return data.replace(b"\n", new), f"line endings -> {new!r}"


def m_case(rng: random.Random, data: bytes, others: Sequence[bytes]) -> tuple[bytes, str]:
    found = _matches(data, rb"</?([A-Za-z_][\w:.-]*)")
    if not found:
        return m_flip(rng, data, others)
    m = rng.choice(found)
    return data[:m.start(1)] + m.group(1).upper() + data[m.end(1):], f"tag name {m.group(1)!r} upper-cased"


MUTATORS: tuple[tuple[str, Mutator, int], ...] = (
    ("flip", m_flip, 6), ("insert", m_insert, 5), ("delete", m_delete, 5), ("duplicate", m_duplicate, 3),
    ("truncate", m_truncate, 4), ("splice", m_splice, 2), ("drop-close-tag", m_drop_close_tag, 5),
    ("drop-open-tag", m_drop_open_tag, 4), ("token", m_token, 8), ("doctype", m_doctype, 2),
    ("dup-element", m_dup_element, 4), ("drop-element", m_drop_element, 3), ("nest-element", m_nest_element, 3),
    ("number", m_number, 4), ("value", m_value, 7), ("html-bomb", m_html_bomb, 3),
    ("comment-cycle", m_comment_cycle, 2), ("post-cycle", m_post_cycle, 2), ("encoding", m_encoding, 2),
    ("reencode", m_reencode, 1), ("deep", m_deep, 2), ("namespace", m_namespace, 2),
    ("line-endings", m_line_endings, 1), ("case", m_case, 2),
)
_NAMES = [n for n, _f, _w in MUTATORS]
_FUNCS = {n: f for n, f, _w in MUTATORS}
_WEIGHTS = [w for _n, _f, w in MUTATORS]


def mutate(rng: random.Random, data: bytes, others: Sequence[bytes] = ()) -> tuple[bytes, list[str]]:
    """``data`` with one to three mutations applied; the list says what was done."""
    steps: list[str] = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        name = rng.choices(_NAMES, _WEIGHTS)[0]
        data, what = _FUNCS[name](rng, data, others)
        steps.append(f"{name}: {what}")
        if len(data) > MAX_CASE_BYTES:
            data = data[:MAX_CASE_BYTES]
            steps.append(f"capped at {MAX_CASE_BYTES} bytes")
    return data, steps


@dataclass
class Case:
    """One mutated input and how it was made."""

    number: int
    seed_file: str
    steps: list[str]
    data: bytes
    format: str
    strict: bool = False


def cases(seed: int, fmt: str, seeds: Sequence[Path]) -> Iterator[Case]:
    """An endless, deterministic stream of cases for ``fmt`` (the same for the same seed)."""
    rng = random.Random(f"wpconvert-fuzz:{seed}:{fmt}")
    blobs = [p.read_bytes() for p in seeds]
    names = [_display(p) for p in seeds]
    n = 0
    while True:
        k = rng.randrange(len(blobs))
        data, steps = mutate(rng, blobs[k], blobs)
        strict = rng.random() < 0.15
        yield Case(n, names[k], steps, data, fmt, strict)
        n += 1


def _display(p: Path) -> str:
    for base, label in ((FIXTURES, "fixtures"), (CORPUS, "corpus")):
        try:
            return f"{label}/{p.relative_to(base).as_posix()}"
        except ValueError:
            continue
    return str(p)


# -- checking one case (runs in the worker) ----------------------------------------------
@dataclass
class Outcome:
    """What one case did. ``failure`` is "" for an acceptable outcome."""

    kind: str  # ok, problems, InputError, OutputError, UsageError, or the failure kind
    failure: str = ""
    detail: str = ""
    seconds: float = 0.0


def _check_output(out: Path, fmt: str, single_file: bool) -> str:
    """"" when the output is complete and readable, else what is wrong with it."""
    from wpconvert.frontmatter import YAMLError, load

    if single_file:
        if not out.is_file():
            return f"no output file {out.name}"
        text = out.read_text("utf-8")
        if fmt == "jsonl":
            # Records are separated by "\n" only (str.splitlines() would also split at the
            # U+0085 and U+2028 that JSON strings may hold raw).
            for n, line in enumerate(text.rstrip("\n").split("\n"), 1):
                try:
                    json.loads(line)
                except ValueError as exc:
                    return f"line {n} of the JSON Lines output does not parse: {exc}"
        else:
            try:
                json.loads(text)
            except ValueError as exc:
                return f"the JSON output does not parse: {exc}"
        return ""
    if not out.is_dir():
        return "no output folder"
    if not (out / ".wpconvert-manifest.json").is_file():
        return "no manifest in the output folder"
    for p in sorted(out.rglob("*")):
        if not p.is_file():
            continue
        name = p.name
        if name.endswith((".tmp", ".part")) or name.startswith(".wpconvert-tmp-"):
            return f"temporary file left: {p.relative_to(out)}"
        try:
            if name.endswith(".md"):
                text = p.read_text("utf-8")
                if text.startswith("---\n"):
                    end = text.find("\n---\n", 3)
                    if end < 0:
                        return f"{p.relative_to(out)}: front matter is not closed"
                    data = load(text[4:end + 1])
                    if not isinstance(data, dict):
                        return f"{p.relative_to(out)}: front matter is not a mapping"
            elif name.endswith((".yaml", ".yml")):
                load(p.read_text("utf-8"))
            elif name.endswith(".json"):
                json.loads(p.read_text("utf-8"))
        except (UnicodeDecodeError, YAMLError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return f"{p.relative_to(out)}: does not parse: {first}"
    return ""


def _check_error(exc: BaseException, case_path: Path) -> str:
    """"" when a WPConvertError reads as one actionable line, else what is wrong with it."""
    from wpconvert.errors import InputError

    text = str(exc)
    if not text.strip():
        return "empty error message"
    if "\n" in text or "\r" in text:
        return "error message spans several lines"
    if isinstance(exc, InputError):
        if case_path.name not in text:
            return "InputError does not name the input file"
        if exc.line and f":{exc.line}:{exc.column}" not in text:
            return "InputError does not show its line and column"
        if exc.line < 0 or exc.column < 0:
            return "InputError with a negative position"
    return ""


def check_case(data: bytes, fmt: str, strict: bool, workdir: Path) -> Outcome:
    """Convert ``data`` with ``fmt`` inside ``workdir`` (emptied first) and judge the outcome."""
    import wpconvert
    from wpconvert import writers
    from wpconvert.errors import WPConvertError

    for p in workdir.iterdir():
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    case_path = workdir / CASE_NAME
    case_path.write_bytes(data)
    single = writers.get(fmt).single_file
    out = workdir / ("out." + fmt if single else "out")
    start = time.perf_counter()
    try:
        report = wpconvert.convert(case_path, fmt, out, jobs=1, strict=strict)
    except WPConvertError as exc:
        seconds = time.perf_counter() - start
        bad = _check_error(exc, case_path)
        if bad:
            return Outcome("bad-error", "bad-error", f"{bad}: {type(exc).__name__}: {exc!r}", seconds)
        kind = type(exc).__name__
        if kind == "InputError" and not getattr(exc, "line", 0):
            kind += " (no line)"
        return Outcome(kind, "", str(exc), seconds)
    except RecursionError:
        # Kept apart from other exceptions so that the trace stays short in the report.
        tb = traceback.format_exc(limit=-12)
        return Outcome("traceback", "traceback", tb, time.perf_counter() - start)
    except Exception:
        return Outcome("traceback", "traceback", traceback.format_exc(), time.perf_counter() - start)
    seconds = time.perf_counter() - start
    bad = _check_output(out, fmt, single)
    if not bad:
        stray = sorted(p.name for p in workdir.iterdir() if p.name not in (CASE_NAME, out.name))
        if stray:
            bad = f"files written beside the output: {stray}"
    if bad:
        return Outcome("bad-output", "bad-output", bad, seconds)
    return Outcome("problems" if report.has_errors() else "ok", "", "", seconds)


def selftest_case(data: bytes, fmt: str, strict: bool, workdir: Path) -> Outcome:
    """A stand-in for :func:`check_case` that misbehaves on request, to test the harness:
    ``HANG`` sleeps, ``CRASH`` raises a KeyError, ``DIE`` kills the worker, ``MULTILINE``
    raises a two-line WPConvertError, ``LEAK`` leaves a file in TMPDIR."""
    from wpconvert.errors import WPConvertError

    def misbehave() -> None:
        if data == b"HANG":
            time.sleep(3600)
        if data == b"CRASH":
            raise KeyError("boom")
        if data == b"DIE":
            os._exit(9)
        if data == b"MULTILINE":
            raise WPConvertError("first line\nsecond line")
        if data == b"LEAK":
            tempfile.mkstemp(prefix="leak-")

    if data in (b"HANG", b"CRASH", b"DIE", b"MULTILINE", b"LEAK"):
        start = time.perf_counter()
        try:
            misbehave()
        except WPConvertError as exc:
            bad = _check_error(exc, workdir / CASE_NAME)
            return Outcome("bad-error" if bad else "WPConvertError", "bad-error" if bad else "", bad)
        except Exception:
            return Outcome("traceback", "traceback", traceback.format_exc(), time.perf_counter() - start)
        return Outcome("ok")
    return check_case(data, fmt, strict, workdir)


def _worker(conn: Any, target: str) -> None:
    """The worker process: run cases sent over ``conn`` until it sends None."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not Linux
        pass
    module, _, name = target.rpartition(".")
    fn = getattr(__import__(module, fromlist=[name]), name)
    root = Path(tempfile.mkdtemp(prefix=f"wpconvert-fuzz-{os.getpid()}-"))  # Runner._stop removes it
    work, scratch = root / "work", root / "tmp"
    work.mkdir()
    scratch.mkdir()
    # The library's own temporary files (the site index) go here, so leaks are seen.
    tempfile.tempdir = str(scratch)
    try:
        while True:
            msg = conn.recv()
            if msg is None:
                break
            data, fmt, strict = msg
            outcome = fn(data, fmt, strict, work)
            if not outcome.failure:
                left = sorted(os.listdir(scratch))
                if left:
                    outcome = Outcome("leak", "leak", f"temporary files left in TMPDIR: {left[:5]}", outcome.seconds)
                    for name in left:
                        p = scratch / name
                        shutil.rmtree(p) if p.is_dir() else p.unlink()
            conn.send(outcome)
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        shutil.rmtree(root, ignore_errors=True)


class Runner:
    """One worker process with a per-case watchdog; restarted after a hang or a crash."""

    def __init__(self, timeout: float, target: str) -> None:
        self.timeout = timeout
        self.target = target
        self.ctx = multiprocessing.get_context("spawn")
        self.proc: Any = None
        self.conn: Any = None

    def _start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child, self.target), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent

    def run(self, case: Case) -> Outcome:
        if self.proc is None or not self.proc.is_alive():
            self._start()
        start = time.perf_counter()
        try:
            self.conn.send((case.data, case.format, case.strict))
            if self.conn.poll(self.timeout):
                result: Outcome = self.conn.recv()
                return result
        except (EOFError, OSError, BrokenPipeError):
            self._stop()
            code = self.proc.exitcode if self.proc is not None else None
            return Outcome("died", "died", f"the worker died (exit code {code})", time.perf_counter() - start)
        if not self.proc.is_alive():
            code = self.proc.exitcode
            self._stop()
            return Outcome("died", "died", f"the worker died (exit code {code})", time.perf_counter() - start)
        self._stop()
        return Outcome("timeout", "timeout", f"no result within {self.timeout:.0f} s (a hang)", self.timeout)

    def _stop(self) -> None:
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(5)
            # A worker killed (a hang) or dead could not remove its own folder.
            for left in Path(tempfile.gettempdir()).glob(f"wpconvert-fuzz-{self.proc.pid}-*"):
                shutil.rmtree(left, ignore_errors=True)
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None

    def close(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            try:
                self.conn.send(None)
                self.proc.join(5)
            except (OSError, BrokenPipeError):
                pass
        self._stop()


# -- the run -----------------------------------------------------------------------------
@dataclass
class Failure:
    """A failed case: where its input was saved and what went wrong."""

    signature: str
    case: Case
    outcome: Outcome
    saved: Path | None = None


@dataclass
class Summary:
    """What a fuzz run did."""

    cases: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    signatures: Counter[str] = field(default_factory=Counter)
    slowest: tuple[float, str] = (0.0, "")

    def text(self) -> str:
        lines = [f"{self.cases} cases in {self.seconds:.0f} s: "
                 + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))]
        lines.append(f"slowest case {self.slowest[0]:.2f} s ({self.slowest[1]})")
        for sig, n in self.signatures.most_common():
            first = next(f for f in self.failures if f.signature == sig)
            lines.append(f"FAIL x{n}: {sig}")
            lines.append(f"  seed {first.case.seed_file}, {first.case.format}"
                         f"{' --strict' if first.case.strict else ''}; {'; '.join(first.case.steps)}")
            if first.saved:
                lines.append(f"  saved: {first.saved}")
            tail = first.outcome.detail.strip().splitlines()[-6:]
            lines.extend("  | " + t for t in tail)
        return "\n".join(lines)


def _signature(outcome: Outcome, fmt: str) -> str:
    """Failures with the same signature are one bug: kind, exception and innermost frame."""
    if outcome.failure != "traceback":
        detail = re.sub(r"\d+", "N", outcome.detail.split(":")[0])
        return f"{outcome.failure}: {detail}"
    lines = outcome.detail.strip().splitlines()
    frames = [m.groups() for m in re.finditer(r'File "([^"]+)", line (\d+), in (\S+)', outcome.detail)]
    ours = [f for f in frames if "/wpconvert/" in f[0]] or frames
    if ours:
        path, line, func = ours[-1]
        last_frame = f"{'/'.join(Path(path).parts[-2:])}:{line} in {func}"
    else:
        last_frame = "?"
    exc = lines[-1].split(":")[0] if lines else "?"
    return f"traceback: {exc} at {last_frame}"


def _save(case: Case, outcome: Outcome, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(case.data).hexdigest()[:12]
    path = folder / f"{case.format}-{outcome.failure}-{digest}.xml"
    path.write_bytes(case.data)
    note = [
        f"format: {case.format}{' (strict)' if case.strict else ''}",
        f"seed file: {case.seed_file}",
        "mutations:", *[f"  {s}" for s in case.steps],
        f"outcome: {outcome.failure} after {outcome.seconds:.2f} s",
        f"reproduce: python -m bench.fuzz --replay {path} --format {case.format}"
        + (" --strict" if case.strict else ""),
        "", outcome.detail,
    ]
    path.with_suffix(".txt").write_text("\n".join(note) + "\n", "utf-8")
    return path


def run(
    seconds: float, seed: int = 0, formats: Sequence[str] = DEFAULT_FORMATS, *,
    timeout: float = 20.0, max_cases: int | None = None, corpus: bool = True,
    max_seed_bytes: int = DEFAULT_MAX_SEED_BYTES, failures_dir: Path = FAILURES,
    target: str = "bench.fuzz.check_case", log: Callable[[str], None] | None = None,
) -> Summary:
    """Fuzz each of ``formats`` for ``seconds / len(formats)`` (or ``max_cases`` cases each)."""
    seeds = seed_files(corpus=corpus, max_bytes=max_seed_bytes)
    if not seeds:
        raise SystemExit("no seed files found")
    summary = Summary()
    began = time.perf_counter()
    per_format = seconds / max(1, len(formats))
    runner = Runner(timeout, target)
    try:
        for fmt in formats:
            stop = time.perf_counter() + per_format
            for case in cases(seed, fmt, seeds):
                if time.perf_counter() >= stop or (max_cases is not None and case.number >= max_cases):
                    break
                outcome = runner.run(case)
                summary.cases += 1
                summary.outcomes[outcome.kind] += 1
                if outcome.seconds > summary.slowest[0]:
                    summary.slowest = (outcome.seconds, f"{fmt} case {case.number} from {case.seed_file}")
                if outcome.failure:
                    sig = _signature(outcome, fmt)
                    summary.signatures[sig] += 1
                    saved = None
                    if summary.signatures[sig] <= SAVE_PER_SIGNATURE:
                        saved = _save(case, outcome, failures_dir)
                    summary.failures.append(Failure(sig, case, outcome, saved))
                    if log:
                        log(f"FAIL {fmt} case {case.number}: {sig}")
            if log:
                log(f"{fmt}: done, {summary.cases} cases so far")
    finally:
        runner.close()
    summary.seconds = time.perf_counter() - began
    return summary


def replay(paths: Sequence[Path], fmt: str, strict: bool, timeout: float) -> int:
    """Run saved cases again; print each outcome; 1 when any still fails."""
    runner = Runner(timeout, "bench.fuzz.check_case")
    failed = 0
    try:
        for p in paths:
            outcome = runner.run(Case(0, str(p), [], p.read_bytes(), fmt, strict))
            print(f"{p}: {outcome.kind} ({outcome.seconds:.2f} s)")
            if outcome.detail:
                print(outcome.detail.rstrip())
            failed += bool(outcome.failure)
    finally:
        runner.close()
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="time budget, split evenly between formats")
    parser.add_argument("--seed", type=int, default=0, help="random seed (the same seed gives the same cases)")
    parser.add_argument("--format", action="append", dest="formats",
                        help="format to convert to (repeatable; default json and markdown; 'all' for every one)")
    parser.add_argument("--cases", type=int, default=None, help="at most this many cases per format")
    parser.add_argument("--timeout", type=float, default=20.0, help="per-case time budget in seconds")
    parser.add_argument("--max-seed-bytes", type=int, default=DEFAULT_MAX_SEED_BYTES,
                        help="leave out seed files larger than this")
    parser.add_argument("--no-corpus", action="store_true", help="mutate only the fixtures")
    parser.add_argument("--replay", nargs="+", type=Path, help="run saved inputs again")
    parser.add_argument("--strict", action="store_true", help="with --replay: convert with strict=True")
    args = parser.parse_args(argv)
    formats = args.formats or list(DEFAULT_FORMATS)
    if "all" in formats:
        from wpconvert import writers

        formats = list(writers.available())
    if args.replay:
        return replay(args.replay, formats[0], args.strict, args.timeout)
    summary = run(args.seconds, args.seed, formats, timeout=args.timeout, max_cases=args.cases,
                  corpus=not args.no_corpus, max_seed_bytes=args.max_seed_bytes,
                  log=lambda s: print(s, file=sys.stderr, flush=True))
    print(summary.text())
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
