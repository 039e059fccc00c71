"""The Markdown writer against the shared real-world corpus (``../shared/corpus``).

Every ``*.xml`` of the corpus that the reader accepts is converted to Markdown (``jobs=1``,
``media="link"``) and the output is checked for what must hold whatever the content:

- no block comment (``<!-- wp:…``) is left outside code;
- no handled shortcode (``[caption``, ``[gallery``, ``[code`` …) is left outside code, except
  the literal ``[gallery]`` that an escaped ``[[gallery]]`` of the source stands for;
- every published post and page (status ``publish``, no password) is written exactly once,
  and no item more than once;
- no two items share a path, judged case-insensitively (as macOS and Windows do);
- the code of every ``[code]``/``[sourcecode]`` shortcode and every ``wp:code`` block of a
  written item appears verbatim inside a fenced code block of its page.

The tests skip where the corpus is absent (a clone elsewhere) and for the files the reader
refuses (those are the reader tests' business).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CORPUS

from wpconvert.api import convert
from wpconvert.errors import InputError
from wpconvert.model import Item
from wpconvert.reader import read
from wpconvert.report import Report

FILES = sorted(CORPUS.rglob("*.xml")) if CORPUS.is_dir() else []

HANDLED = ("caption", "wp_caption", "gallery", "embed", "youtube", "vimeo", "video", "audio", "playlist",
           "code", "sourcecode", "source")
# A handled shortcode as WordPress's grammar sees one: the name, then no name character; not
# the text of a Markdown image or link ("![caption test](…)" is an image with that alt text).
_LEFTOVER = re.compile(r"(?<!!)\[(" + "|".join(HANDLED) + r")(?![\w-])[^\]]*\](?!\()")
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:")

# -- Markdown code: fenced blocks (also inside quotes and list items) and inline spans ----------

_FENCE_OPEN = re.compile(r"^((?:[ \t]|>[ \t]?|(?:[-*+]|\d{1,9}[.)])[ \t])*)(`{3,}|~{3,})([^\n]*)$")
_LIST_MARKER = re.compile(r"[-*+]|\d{1,9}[.)]")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)


@dataclass
class Split:
    """A Markdown file cut into its fenced code blocks and the text outside them."""

    blocks: list[str]
    outside: str


def split_code(markdown: str) -> Split:
    """The bodies of the fenced code blocks (their line prefix removed) and the text outside
    every fenced block and inline code span."""
    blocks: list[str] = []
    outside: list[str] = []
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if m is None or (m.group(2)[0] == "`" and "`" in m.group(3)):
            outside.append(lines[i])
            i += 1
            continue
        prefix, fence = m.group(1), m.group(2)
        cont = _LIST_MARKER.sub(lambda x: " " * len(x.group()), prefix)
        closing = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
        body: list[str] = []
        i += 1
        while i < len(lines):
            line = lines[i]
            if line.startswith(cont):
                line = line[len(cont):]
            elif line == cont.rstrip():
                line = ""
            i += 1
            if closing.match(line):
                break
            body.append(line)
        blocks.append("\n".join(body) + "\n")
    return Split(blocks, _INLINE_CODE.sub("", "\n".join(outside)))


# -- code in the source --------------------------------------------------------------------

_CODE_SHORTCODE = re.compile(r"(\[?)\[(code|sourcecode)(?![\w-])[^\]]*\](.*?)\[/\2\]", re.S)
_CODE_BLOCK = re.compile(r"<!--\s+wp:code(?:\s+\{.*?\})?\s+-->(.*?)<!--\s+/wp:code\s+-->", re.S)
_CODE_ELEMENT = re.compile(r"<code\b[^>]*>(.*)</code>", re.S | re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]*>")


def source_code(content: str) -> list[str]:
    """The code listings of a post: the text of each ``[code]``/``[sourcecode]`` (one newline
    after the opening and before the closing tag dropped) and of each ``wp:code`` block
    (entities decoded; the rich-text formatting the editor allows in it removed)."""
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    found: list[str] = []
    for m in _CODE_SHORTCODE.finditer(content):
        if m.group(1):  # [[code]…[/code]]: an escaped, literal shortcode
            continue
        code = m.group(3)
        code = code[1:] if code.startswith("\n") else code
        code = code[:-1] if code.endswith("\n") else code
        if code.strip():
            found.append(code)
    for m in _CODE_BLOCK.finditer(content):
        element = _CODE_ELEMENT.search(m.group(1))
        if element is None:
            continue
        code = html.unescape(_TAG.sub("", _BR.sub("\n", element.group(1))))
        if code.strip():
            found.append(code)
    return found


# -- the test --------------------------------------------------------------------------------


def _is_public(item: Item) -> bool:
    return item.post_type in ("post", "page") and item.status == "publish" and not item.password


def _check_page(rel: str, item: Item, text: str) -> list[str]:
    problems: list[str] = []
    split = split_code(text)
    comment = _BLOCK_COMMENT.search(split.outside)
    if comment:
        at = comment.start()
        problems.append(f"{rel}: block comment left: {split.outside[max(0, at - 40):at + 60]!r}")
    for m in _LEFTOVER.finditer(split.outside):
        if "[[" + m.group(1) in item.content:  # the literal text an escaped [[x]] stands for
            continue
        problems.append(f"{rel}: shortcode left: {m.group(0)[:100]!r}")
    for code in source_code(item.content):
        if not any(code in block for block in split.blocks):
            problems.append(f"{rel}: code listing not verbatim in a fenced block: {code[:120]!r}")
    return problems


def _written(report: Report) -> Counter[int]:
    return Counter(e.seq for e in report.entries if e.action == "written")


@pytest.mark.parametrize(
    "path", FILES or [None], ids=[p.relative_to(CORPUS).as_posix() for p in FILES] or ["no-corpus"]
)
def test_markdown_of_corpus_file(path: Path | None, corpus: Path, tmp_path: Path) -> None:
    assert path is not None  # the corpus fixture skipped otherwise
    try:
        items = list(read(path).items())
    except InputError as exc:
        pytest.skip(f"the reader refuses it: {str(exc)[:200]}")
    out = tmp_path / "out"
    report = convert(path, "markdown", out, jobs=1, media="link")
    problems: list[str] = []

    written = _written(report)
    for seq, item in enumerate(items):
        n = written.get(seq, 0)
        if _is_public(item) and n != 1:
            problems.append(f"published {item.post_type} {item.id} {item.title!r} written {n} times")
        elif n > 1:
            problems.append(f"{item.post_type} {item.id} {item.title!r} written {n} times")

    paths = [e.path for e in report.entries if e.action == "written"]
    for lowered, n in Counter(p.lower() for p in paths).items():
        if n > 1:
            problems.append(f"{n} items on one path (case-insensitively): {sorted(p for p in paths if p.lower() == lowered)}")

    for entry in report.entries:
        if entry.action != "written":
            continue
        page = out / entry.path
        if not page.is_file():
            problems.append(f"{entry.path}: in the report but not written")
            continue
        problems.extend(_check_page(entry.path, items[entry.seq], page.read_text("utf-8")))

    assert not problems, f"{path.relative_to(corpus)}:\n  " + "\n  ".join(problems[:30])


# -- the checker itself ----------------------------------------------------------------------


def test_split_code_handles_prefixed_fences_and_inline_code() -> None:
    md = (
        "Text with `[gallery]` inline.\n\n"
        "> ```js\n> a < b\n>\n> c\n> ```\n\n"
        "1. item\n\n   ````\n   ```\n\n   x\n   ````\n\n"
        "after [caption]"
    )
    split = split_code(md)
    assert split.blocks == ["a < b\n\nc\n", "```\n\nx\n"]
    assert "[gallery]" not in split.outside and "[caption]" in split.outside and "a < b" not in split.outside


def test_source_code_extraction() -> None:
    content = (
        "[code]\nx < 1 && y\n[/code] [[code]literal[/code]] [sourcecode lang='c']\n\nint a;\n\n[/sourcecode]\n"
        '<!-- wp:code {"language":"js"} -->\n<pre class="wp-block-code"><code>if (a &lt; b) {<br>}'
        "<strong>!</strong></code></pre>\n<!-- /wp:code -->"
    )
    assert source_code(content) == ["x < 1 && y", "\nint a;\n", "if (a < b) {\n}!"]


def test_check_page_flags_leftovers_but_not_escapes_or_code() -> None:
    item = Item(id=1, content="[[gallery]] [code]a < b[/code] <!-- wp:paragraph -->")
    ok = "Type [gallery] to show one. ![caption test](x.jpg)\n\n```\na < b\n```\n\n`<!-- wp:paragraph -->`\n"
    assert _check_page("p.md", item, ok) == []
    bad = "[gallery ids=\"1\"] [caption id=\"2\"]x[/caption] <!-- wp:quote -->\n\na < b\n"
    problems = _check_page("p.md", Item(id=1, content="[code]a < b[/code]"), bad)
    assert len(problems) == 4, problems  # block comment, two shortcodes, code outside a fence
