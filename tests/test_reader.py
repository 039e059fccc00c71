"""The streaming WXR reader on the team's fixtures and on exports built by these tests.

Exports are built as text here (``wxr()``, ``item_xml()``, ``comment_xml()``) so that each
test shows the input it is about. The real-world corpus is tested in test_reader_corpus.py.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import re
import shutil
import tempfile
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wpconvert
import wpconvert.build as build_module
import wpconvert.reader as reader_module
from wpconvert.errors import InputError
from wpconvert.model import Comment, Item, ItemTerm, Meta
from wpconvert.reader import read
from wpconvert.report import Report

# -- building exports ---------------------------------------------------------------------------

RSS_OPEN = (
    '<rss version="2.0"\n'
    '\txmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"\n'
    '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
    '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
    '\txmlns:wp="http://wordpress.org/export/1.2/"\n'
    ">\n"
)


def cdata(text: str) -> str:
    """A CDATA section holding ``text``, with "]]>" split the way WordPress splits it."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def esc(text: str) -> str:
    """``text`` escaped for XML character data; a CR as a reference, so it survives parsing."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def comment_xml(cid: int, parent: int = 0, content: str = "", author: str = "", email: str = "",
                ip: str = "", approved: str = "1", meta: tuple[tuple[str, str], ...] = ()) -> str:
    """One ``<wp:comment>``."""
    metas = "".join(
        f"<wp:commentmeta><wp:meta_key>{cdata(k)}</wp:meta_key><wp:meta_value>{cdata(v)}</wp:meta_value>"
        "</wp:commentmeta>" for k, v in meta
    )
    return (
        f"\t\t<wp:comment><wp:comment_id>{cid}</wp:comment_id>"
        f"<wp:comment_author>{cdata(author)}</wp:comment_author>"
        f"<wp:comment_author_email>{cdata(email)}</wp:comment_author_email>"
        f"<wp:comment_author_IP>{cdata(ip)}</wp:comment_author_IP>"
        f"<wp:comment_date>2024-05-03 09:00:00</wp:comment_date>"
        f"<wp:comment_content>{cdata(content)}</wp:comment_content>"
        f"<wp:comment_approved>{approved}</wp:comment_approved>"
        f"<wp:comment_parent>{parent}</wp:comment_parent>{metas}</wp:comment>\n"
    )


def item_xml(post_id: int, title: str = "", content: str = "", *, comments: str = "", extra: str = "",
             post_name: str | None = None, excerpt: str = "", meta: tuple[tuple[str, str], ...] = (),
             creator: str = "ada") -> str:
    """One ``<item>``: ``title`` as escaped text, the rest in CDATA as WordPress writes them."""
    metas = "".join(
        f"\t\t<wp:postmeta><wp:meta_key>{cdata(k)}</wp:meta_key><wp:meta_value>{cdata(v)}</wp:meta_value>"
        "</wp:postmeta>\n" for k, v in meta
    )
    name = f"post-{post_id}" if post_name is None else post_name
    return (
        "\t<item>\n"
        f"\t\t<title>{esc(title)}</title>\n"
        f"\t\t<dc:creator>{cdata(creator)}</dc:creator>\n"
        f"\t\t<content:encoded>{cdata(content)}</content:encoded>\n"
        f"\t\t<excerpt:encoded>{cdata(excerpt)}</excerpt:encoded>\n"
        f"\t\t<wp:post_id>{post_id}</wp:post_id>\n"
        f"\t\t<wp:post_date>2024-05-02 10:00:00</wp:post_date>\n"
        f"\t\t<wp:post_name>{cdata(name)}</wp:post_name>\n"
        "\t\t<wp:status>publish</wp:status>\n"
        "\t\t<wp:post_type>post</wp:post_type>\n"
        f"{extra}{metas}{comments}"
        "\t</item>\n"
    )


def wxr(*items: str, header: str = "", version: str = "1.2", title: str = "Built") -> str:
    """A complete export: the channel header, ``header`` definitions, then ``items``."""
    version_el = f"\t<wp:wxr_version>{version}</wp:wxr_version>\n" if version else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n' + RSS_OPEN + "<channel>\n"
        f"\t<title>{esc(title)}</title>\n\t<link>https://blog.example.org</link>\n" + version_el
        + "\t<wp:author><wp:author_id>1</wp:author_id><wp:author_login>ada</wp:author_login>"
        "<wp:author_email>ada@blog.example.org</wp:author_email>"
        "<wp:author_display_name>Ada Park</wp:author_display_name></wp:author>\n"
        + header + "".join(items) + "</channel>\n</rss>\n"
    )


def write(tmp_path: Path, text: str | bytes, name: str = "export.xml") -> Path:
    """Write an export into ``tmp_path`` (text as UTF-8)."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def read_all(path: Path | list[Path], **kw: Any) -> tuple[wpconvert.Export, list[Item], Report]:
    """The export, its items and the report of reading ``path``."""
    report = Report()
    export = read(path, report=report, **kw)
    return export, list(export.items()), report


def line_of(text: str, marker: str) -> int:
    """The 1-based line of ``text`` that ``marker`` first occurs on."""
    return text[: text.index(marker)].count("\n") + 1


def column_of(text: str, marker: str) -> int:
    """The 1-based column (in characters) where ``marker`` first occurs."""
    at = text.index(marker)
    return at - text.rfind("\n", 0, at)


def walk(comments: tuple[Comment, ...]) -> Iterator[tuple[Comment, int]]:
    """Every comment with its depth, depth first, without recursion (for very deep trees)."""
    stack = [(c, 0) for c in reversed(comments)]
    while stack:
        c, depth = stack.pop()
        yield c, depth
        stack.extend((r, depth + 1) for r in reversed(c.replies))


def shape(comments: tuple[Comment, ...]) -> list[Any]:
    """The reply tree as nested ``[id, [replies…]]`` lists."""
    return [[c.id, shape(c.replies)] for c in comments]


# -- the header ---------------------------------------------------------------------------------


def test_header_is_read_eagerly_and_repairs_reported_once() -> None:
    report = Report()
    export = read(FIXTURES / "broken.xml", report=report)
    # The site is complete before a single item is asked for ...
    site = export.site
    assert site.title == "Broken"
    assert site.description == "A small\xa0blog for wpconvert's tests"  # &nbsp; repaired in the header
    assert [a.login for a in site.authors] == ["ada"]
    assert [(t.taxonomy, t.slug) for t in site.terms] == [("category", "notes"), ("category", "python"),
                                                         ("post_tag", "howto")]
    assert site.files == (str(FIXTURES / "broken.xml"),)
    # ... and the header pass does not report repairs: the item pass does, once each.
    assert report.repairs == []
    list(export.items())
    kinds = [r.kind for r in report.repairs]
    assert len(kinds) == len(set(kinds))


def test_reading_twice_reports_once(tmp_path: Path) -> None:
    # Site writers read the items twice; the report must not say everything twice.
    text = wxr(item_xml(1, "a RAW b", comments=comment_xml(5, 4)), item_xml(2, "c NBSP d"))
    text = text.replace("RAW", "&").replace("NBSP", "&nbsp;")
    path = write(tmp_path, text)
    report = Report()
    export = read(path, report=report)
    first = list(export.items())
    once = (list(report.repairs), list(report.problems))
    assert [r.kind for r in once[0]] == ["raw-ampersand", "html-entity"]
    assert [p.code for p in once[1]] == ["WPC101"]
    assert list(export.items()) == first
    assert (report.repairs, report.problems) == once
    # A pass stopped early reports nothing; the next full pass reports all, once.
    report = Report()
    export = read(path, report=report)
    next(iter(export.items()))
    assert report.repairs == []
    list(export.items())
    assert (report.repairs, report.problems) == once


def test_repairs_before_a_fatal_error_are_reported(tmp_path: Path) -> None:
    text = wxr(item_xml(1, "a RAW b"), item_xml(2, "two")).replace("RAW", "&")
    second = text.index("</wp:status>", text.index("</wp:status>") + 1)
    text = text[:second] + "</wp:statos>" + text[second + len("</wp:status>"):]
    report = Report()
    with pytest.raises(InputError) as info:
        list(read(write(tmp_path, text), report=report).items())
    assert info.value.line == line_of(text, "</wp:statos>")
    assert [(r.kind, r.line) for r in report.repairs] == [("raw-ampersand", line_of(text, "a & b"))]


def test_version_check_happens_at_read(tmp_path: Path) -> None:
    path = write(tmp_path, wxr(item_xml(1, "x"), version=""))
    with pytest.raises(InputError, match="missing WXR version number"):
        read(path)  # not only once items are asked for
    path = write(tmp_path, wxr(item_xml(1, "x"), version="1.x"))
    with pytest.raises(InputError, match=r"invalid \('1.x'\) WXR version number") as info:
        read(path)
    assert info.value.line == line_of(path.read_text(), "<channel>")


def test_definitions_after_the_first_item_are_reported(tmp_path: Path) -> None:
    late = "\t<wp:category><wp:category_nicename>late</wp:category_nicename></wp:category>\n"
    text = wxr(item_xml(1, "one"), late, item_xml(2, "two"))
    export, items, report = read_all(write(tmp_path, text))
    assert [t.slug for t in export.site.terms] == []
    assert len(items) == 2
    assert [(p.code, p.line) for p in report.problems] == [("WPC103", line_of(text, "<wp:category>"))]


def test_logins_trimmed_like_wordpress(tmp_path: Path) -> None:
    header = ("\t<wp:author><wp:author_login>\n  bob \n</wp:author_login>"
              "<wp:author_display_name>\xa0Bob\xa0</wp:author_display_name></wp:author>\n")
    export, items, _ = read_all(write(tmp_path, wxr(item_xml(1, "x", creator=" bob\n"), header=header)))
    bob = export.site.author("bob")
    assert bob is not None
    assert bob.display_name == "\xa0Bob\xa0"  # names are text: kept exactly
    assert items[0].creator == "bob"
    assert export.site.author(items[0].creator) is bob


def test_numbers_are_plain_integers(tmp_path: Path) -> None:
    extra = ("\t\t<wp:post_parent>-9223372036854775809</wp:post_parent>\n"
             "\t\t<wp:menu_order> -3 </wp:menu_order>\n")
    items = [item_xml(9223372036854775807, "max", extra=extra), item_xml(1, "x"), item_xml(2, "y"),
             item_xml(3, "z")]
    text = wxr(*items).replace("<wp:post_id>1</wp:post_id>", "<wp:post_id>1_000</wp:post_id>").replace(
        "<wp:post_id>2</wp:post_id>", "<wp:post_id>\u0661\u0662</wp:post_id>").replace(
        "<wp:post_id>3</wp:post_id>", f"<wp:post_id>{'9' * 5000}</wp:post_id>")
    _, (big, underscored, arabic, endless), _ = read_all(write(tmp_path, text))
    # Values past 64 bits are kept as exported: the site index and `check` (WPC210) guard them.
    assert (big.id, big.parent, big.menu_order) == (2**63 - 1, -(2**63) - 1, -3)
    # Not an exported number: Python's int() would take these (or raise past 4300 digits).
    assert (underscored.id, arabic.id, endless.id) == (None, None, None)


# -- comment threading --------------------------------------------------------------------------


def _comments(tmp_path: Path, *comments: str) -> tuple[Item, Report, str]:
    text = wxr(item_xml(1, "with comments", comments="".join(comments)))
    _, items, report = read_all(write(tmp_path, text))
    return items[0], report, text


def test_replies_nest_under_their_parents(tmp_path: Path) -> None:
    item, report, _ = _comments(
        tmp_path, comment_xml(1), comment_xml(2, 1), comment_xml(3, 2), comment_xml(4), comment_xml(5, 1))
    assert shape(item.comments) == [[1, [[2, [[3, []]]], [5, []]]], [4, []]]
    assert report.problems == []


def test_replies_before_their_parent_in_the_export(tmp_path: Path) -> None:
    item, _, _ = _comments(tmp_path, comment_xml(3, 2), comment_xml(2, 1), comment_xml(1))
    assert shape(item.comments) == [[1, [[2, [[3, []]]]]]]


def test_orphan_kept_at_top_level_and_reported(tmp_path: Path) -> None:
    item, report, text = _comments(tmp_path, comment_xml(1), comment_xml(7, 99, "lost"))
    assert shape(item.comments) == [[1, []], [7, []]]
    assert item.comments[1].parent == 99  # the exported value is kept
    (problem,) = report.problems
    assert problem.code == "WPC101" and problem.severity == "warning"
    assert "comment 7" in problem.message
    assert (problem.file, problem.line) == (str(tmp_path / "export.xml"), line_of(text, "<item>"))


def test_parent_cycle_terminates_and_is_reported(tmp_path: Path) -> None:
    item, report, _ = _comments(tmp_path, comment_xml(1, 2), comment_xml(2, 1), comment_xml(3), comment_xml(4, 4))
    ids = [c.id for c, _ in walk(item.comments)]
    assert sorted(ids) == [1, 2, 3, 4]  # each exactly once
    codes = sorted(p.code for p in report.problems)
    assert codes == ["WPC101", "WPC102"]  # the self-parent is an orphan, the pair a cycle
    assert {c.id for c in item.comments} >= {3, 4}


def test_deep_reply_chain_does_not_overflow(tmp_path: Path) -> None:
    # Replies past MAX_REPLY_DEPTH hang under their ancestor at that depth, in export order
    # (as WordPress shows replies past its thread depth), so no consumer has to recurse 3000
    # levels deep; each keeps the parent it was exported with.
    depth, limit = 3000, reader_module.MAX_REPLY_DEPTH
    chain = [comment_xml(1)] + [comment_xml(i, i - 1) for i in range(2, depth + 1)]
    item, report, _ = _comments(tmp_path, *chain)
    found = list(walk(item.comments))
    assert [(c.id, d) for c, d in found] == [(i, min(i - 1, limit)) for i in range(1, depth + 1)]
    assert all(c.parent == c.id - 1 for c, _ in found)
    assert [(p.code, p.message.split(":")[0]) for p in report.problems] == [("WPC104", f"comment {limit}")]
    out = tmp_path / "deep.json"
    wpconvert.convert(tmp_path / "export.xml", "json", out)  # no RecursionError downstream
    assert json.loads(out.read_text("utf-8"))["items"][0]["comments"][0]["id"] == 1


def test_thread_below_the_limit_untouched(tmp_path: Path) -> None:
    limit = reader_module.MAX_REPLY_DEPTH
    chain = [comment_xml(1)] + [comment_xml(i, i - 1) for i in range(2, limit + 1)]
    item, report, _ = _comments(tmp_path, *chain)
    assert [d for _, d in walk(item.comments)] == list(range(limit))
    assert report.problems == []


# -- repairs ------------------------------------------------------------------------------------


def test_broken_fixture_every_repair_listed_with_file_and_line() -> None:
    path = FIXTURES / "broken.xml"
    text = path.read_text("utf-8")
    export, items, report = read_all(path)
    where = {
        "leading-junk": 1,
        "html-entity": line_of(text, "&nbsp;"),
        "undeclared-prefix": line_of(text, "<atom:link"),
        "raw-ampersand": line_of(text, "&preview"),
        "control-char": line_of(text, "\x0b"),
        "cdata-terminator": line_of(text, "]]> terminator"),
    }
    assert [(r.kind, r.file, r.line) for r in report.repairs] == [(k, str(path), n) for k, n in where.items()]
    (item,) = items
    assert item.content == "Text with a controlcharacter and a raw ]]> terminator inside."
    assert item.link == "https://blog.example.org/?p=1&preview=true"
    # Line numbers are the input's, junk lines before <?xml included.
    assert item.source is not None and item.source.line == line_of(text, "<item>")
    assert export.site.description == "A small\xa0blog for wpconvert's tests"


DEFECTS = [
    # (kind, text to put into the content's place, marker where the defect starts)
    ("raw-ampersand", "</content:encoded><link>https://x.example/?a=1&b=2</link><content:encoded>", "&b=2"),
    ("html-entity", "</content:encoded><description>a&hellip;b</description><content:encoded>", "&hellip;"),
    ("control-char", "<![CDATA[ring \x07 bell]]>", "\x07"),
    ("cdata-terminator", "<![CDATA[a ]]> b]]>", "]]> b"),
]


@pytest.mark.parametrize(("kind", "defect", "marker"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_each_repair_kind_located_and_refused_by_strict(tmp_path: Path, kind: str, defect: str, marker: str) -> None:
    text = wxr(item_xml(1, "ok", "PLACEHOLDER")).replace("<![CDATA[PLACEHOLDER]]>", defect)
    path = write(tmp_path, text)
    _, items, report = read_all(path)
    assert len(items) == 1
    assert [(r.kind, r.line) for r in report.repairs] == [(kind, line_of(text, marker))]
    with pytest.raises(InputError) as info:
        list(read(path, strict=True).items())
    err = info.value
    assert (err.line, err.column) == (line_of(text, marker), column_of(text, marker))
    assert str(err).startswith(f"{path}:{err.line}:{err.column}: broken input ({kind})")


def test_repaired_values(tmp_path: Path) -> None:
    text = wxr(item_xml(1, "t", "PLACEHOLDER")).replace(
        "<![CDATA[PLACEHOLDER]]>", "<![CDATA[a ]]> b \x07]]>").replace(
        "<title>t</title>", "<title>Caf&eacute; &amp; bar & grill &nbsp;</title>")
    _, (item,), report = read_all(write(tmp_path, text))
    assert item.content == "a ]]> b "
    assert item.title == "Café & bar & grill \xa0"
    assert sorted(r.kind for r in report.repairs) == [
        "cdata-terminator", "control-char", "html-entity", "html-entity", "raw-ampersand"]


def test_leading_junk_and_undeclared_prefix(tmp_path: Path) -> None:
    junk = "\ufeff\nNotice: Undefined index: foo in /var/www/export.php on line 3\n\n"
    text = junk + wxr(item_xml(1, "a")).replace(
        "<channel>\n", '<channel>\n\t<atom:link rel="self" href="https://blog.example.org/feed"/>\n')
    path = write(tmp_path, text)
    _, items, report = read_all(path)
    assert [(r.kind, r.line) for r in report.repairs] == [
        ("leading-junk", 1), ("undeclared-prefix", line_of(text, "<atom:link"))]
    assert items[0].source is not None and items[0].source.line == line_of(text, "<item>")
    with pytest.raises(InputError, match=r"broken input \(leading-junk\)") as info:
        read(path, strict=True)
    assert (info.value.line, info.value.column) == (1, 1)


def test_namespace_iri_percent_encoded(tmp_path: Path) -> None:
    text = wxr(item_xml(1, "a", extra='\t\t<x:note xmlns:x="http://ëx.example/ü x">n</x:note>\n'))
    path = write(tmp_path, text)
    _, items, report = read_all(path)
    assert items[0].title == "a"
    assert [(r.kind, r.line) for r in report.repairs] == [("namespace-uri", line_of(text, "xmlns:x"))]
    with pytest.raises(InputError, match=r"namespace-uri") as info:
        list(read(path, strict=True).items())
    assert info.value.line == line_of(text, "xmlns:x")


def test_undeclared_foreign_prefix(tmp_path: Path) -> None:
    # libxml2 reads on past an undeclared prefix and lxml complains only at the very end.
    text = wxr(item_xml(1, "a", extra="\t\t<media:thumbnail url='x'/>\n"), item_xml(2, "b"))
    path = write(tmp_path, text)
    _, items, report = read_all(path)
    assert [it.title for it in items] == ["a", "b"]
    assert [(r.kind, r.line) for r in report.repairs] == [("undeclared-prefix", line_of(text, "<media:"))]
    with pytest.raises(InputError, match="Namespace prefix media on thumbnail is not defined") as info:
        list(read(path, strict=True).items())
    assert info.value.line == line_of(text, "<media:")
    # Cut short inside such an element: closed like any other.
    opened = text.replace("url='x'/>", "url='x'>")
    cut = opened[: opened.index("<media:thumbnail") + len("<media:thumbnail url='x'>")] + "half a caption"
    _, items, report = read_all(write(tmp_path, cut, "cut.xml"))
    assert [it.title for it in items] == ["a"]
    assert "<media:thumbnail>" in " ".join(r.detail for r in report.repairs)


def test_libxml2_context_lines_kept_out_of_the_message(tmp_path: Path) -> None:
    text = wxr(item_xml(1, "a")).replace("\t<item>", "\t<!-- never closed\n\t<item>")
    with pytest.raises(InputError, match="Comment not terminated") as info:
        list(read(write(tmp_path, text)).items())
    assert "\n" not in str(info.value)
    assert str(info.value).endswith("Comment not terminated")


def test_error_message_is_the_fatal_one(tmp_path: Path) -> None:
    # An undeclared prefix first, then a real break: the message names the break.
    text = wxr(item_xml(1, "a", extra="\t\t<x:y/>\n"), item_xml(2, "b")).replace("</wp:status>", "</wp:statos>")
    with pytest.raises(InputError, match="Opening and ending tag mismatch") as info:
        list(read(write(tmp_path, text)).items())
    assert info.value.line == line_of(text, "</wp:statos>")


def test_truncated_fixture() -> None:
    path = FIXTURES / "truncated.xml"
    text = path.read_text("utf-8")
    _, items, report = read_all(path)
    complete, cut = items
    assert (complete.title, complete.content, complete.id) == ("Complete post", "This one arrived whole.", 1)
    assert cut.title == "Cut post"
    assert text.rstrip().endswith(cut.content)  # everything up to the cut is kept
    last_line = text.count("\n") + (0 if text.endswith("\n") else 1)
    truncs = [r for r in report.repairs if r.kind == "truncated"]
    assert truncs and all(r.line == last_line and r.file == str(path) for r in truncs)
    assert all(r.kind == "truncated" for r in report.repairs)
    with pytest.raises(InputError, match=r"broken input \(truncated\)") as info:
        list(read(path, strict=True).items())
    assert info.value.line == last_line and info.value.column > 0
    assert info.value.items_read == 1


def test_truncated_inside_a_tag(tmp_path: Path) -> None:
    text = wxr(item_xml(1, "one"), item_xml(2, "two"))
    cut = text[: text.index("<wp:status>", text.index("<title>two")) + 6]  # "...<wp:st"
    _, items, report = read_all(write(tmp_path, cut))
    assert [it.title for it in items] == ["one", "two"]
    assert items[1].post_name == "post-2"
    assert [r.kind for r in report.repairs] == ["truncated", "truncated"]
    assert "partial tag" in report.repairs[0].detail


def test_malformed_xml_error_names_file_line_and_column(tmp_path: Path) -> None:
    text = wxr(item_xml(1, "one"), item_xml(2, "two"))
    text = text.replace("</wp:post_type>\n\t</item>", "</wp:post_typo>\n\t</item>", 1)
    path = write(tmp_path, text)
    with pytest.raises(InputError, match="Opening and ending tag mismatch") as info:
        list(read(path).items())
    err = info.value
    assert err.line == line_of(text, "</wp:post_typo>")
    assert err.column > 0 and err.file == str(path)
    assert str(err).startswith(f"{path}:{err.line}:{err.column}: ")
    assert "\n" not in str(err)


def test_excessive_nesting_message(tmp_path: Path) -> None:
    deep = "<d>" * 3000 + "</d>" * 3000
    path = write(tmp_path, wxr(item_xml(1, "a", extra=f"\t\t<wp:x>{deep}</wp:x>\n")))
    with pytest.raises(InputError, match="nested deeper than") as info:
        list(read(path).items())
    assert "XML_PARSE_HUGE" not in str(info.value)


# -- inputs: files, folders, archives -------------------------------------------------------------


def _parts_items() -> list[Item]:
    return list(read(FIXTURES / "parts").items())


def test_folder_of_parts_merged() -> None:
    export, items, _ = read_all(FIXTURES / "parts")
    assert export.site.files == tuple(str(p) for p in sorted((FIXTURES / "parts").glob("*.xml")))
    assert [a.login for a in export.site.authors] == ["ada", "ben"]  # ada is in both parts: once
    assert "extra" in [t.slug for t in export.site.categories]  # only in the second part
    assert [it.title for it in items] == ["First half", "Second half"]
    assert [it.source.file if it.source else "" for it in items] == list(export.site.files)


@pytest.mark.parametrize("packing", ["zip", "gz", "bz2", "xz", "list"])
def test_same_items_however_packed(tmp_path: Path, packing: str) -> None:
    parts = sorted((FIXTURES / "parts").glob("*.xml"))
    if packing == "zip":
        archive = tmp_path / "export.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for p in reversed(parts):  # stored out of order: read sorted
                z.write(p, f"export/{p.name}")
            z.writestr("__MACOSX/export/._site.000.xml", b"\x00\x05\x16\x07 resource fork")
            z.writestr("export/._site.000.xml", b"\x00\x05\x16\x07 resource fork")
            z.writestr("export/readme.txt", b"not an export")
        inputs: Any = archive
    elif packing == "list":
        inputs = parts
    else:
        compressors: dict[str, Callable[[bytes], bytes]] = {
            "gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}
        compress = compressors[packing]
        for p in parts:
            (tmp_path / f"{p.name}.{packing}").write_bytes(compress(p.read_bytes()))
        (tmp_path / "._site.000.xml.gz").write_bytes(b"\x00\x05\x16\x07 resource fork")
        inputs = tmp_path
    export, items, _ = read_all(inputs)
    assert items == _parts_items()  # Item equality ignores where an item was read
    assert len(export.site.files) == 2
    assert [a.login for a in export.site.authors] == ["ada", "ben"]


def test_unreadable_inputs_give_one_line_errors(tmp_path: Path) -> None:
    good = (FIXTURES / "classic.xml").read_bytes()
    corrupt = bytearray(gzip.compress(good))
    corrupt[len(corrupt) // 2] ^= 0xFF
    (tmp_path / "corrupt.xml.gz").write_bytes(bytes(corrupt))
    (tmp_path / "cut.xml.gz").write_bytes(gzip.compress(good)[:500])
    broken_xz = bytearray(lzma.compress(good))
    broken_xz[len(broken_xz) // 2] ^= 0xFF
    (tmp_path / "corrupt.xml.xz").write_bytes(bytes(broken_xz))
    crc = tmp_path / "crc.zip"
    with zipfile.ZipFile(crc, "w", zipfile.ZIP_STORED) as z:
        z.writestr("a.xml", good)
    raw = bytearray(crc.read_bytes())
    raw[raw.index(b"Harbour Notes")] ^= 0x01
    crc.write_bytes(bytes(raw))
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 nope")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty.xml").write_bytes(b"")
    cases = {
        "corrupt.xml.gz": "cannot read", "cut.xml.gz": "cannot read", "corrupt.xml.xz": "cannot read",
        "crc.zip": "cannot read", "not.zip": "not a readable zip archive", "empty": "no export files",
        "missing.xml": "no such file or folder", "empty.xml": "",
    }
    for name, message in cases.items():
        with pytest.raises(InputError) as info:
            list(read(tmp_path / name).items())
        assert message in str(info.value), name
        assert "\n" not in str(info.value)


# -- memory -------------------------------------------------------------------------------------


def _big_export(tmp_path: Path, n: int, *, rich: bool = True) -> Path:
    body = "Lorem ipsum dolor sit amet. " * 40
    items = "".join(
        item_xml(i, f"Post {i}", body, comments=comment_xml(i * 10), meta=(("k", "v" * 50),)) if rich
        else f"\t<item><title>Post {i}</title><content:encoded>{cdata(body)}</content:encoded></item>\n"
        for i in range(1, n + 1)
    )
    return write(tmp_path, wxr(items), f"big-{n}.xml")


def _peak_while_iterating(path: Path) -> tuple[int, int]:
    export = read(path)
    tracemalloc.start()
    try:
        count = sum(1 for _ in export.items())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_elements_are_freed_while_streaming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What lxml holds lives in libxml2's memory, which tracemalloc cannot see: look at the
    # tree itself. When an item is built, what came before it is gone but for the previous
    # item, emptied; what follows is at most the rest of the chunk lxml was just fed.
    n = 3000
    path = _big_export(tmp_path, n)
    seen: list[tuple[int, int, int]] = []
    real_build = build_module.build_item

    def spy(el: Any, source: Any, note: Any, comments: bool = True) -> Item:
        before = list(el.itersiblings(preceding=True))
        seen.append((len(before), sum(len(b) for b in before), len(el.getparent())))
        return real_build(el, source, note, comments)

    monkeypatch.setattr(build_module, "build_item", spy)
    assert sum(1 for _ in read(path).items()) == n
    assert seen[0][0] < 10  # the header elements, before the first item
    assert all(kept <= 1 for kept, _, _ in seen[1:])
    assert all(children == 0 for _, children, _ in seen[1:])
    items_per_chunk = reader_module.CHUNK // (path.stat().st_size // n)
    assert max(total for _, _, total in seen) <= items_per_chunk + 10 < n // 2


def test_python_memory_does_not_grow_with_the_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Reads of 64 KiB, so that both exports span many chunks and the peak is what the
    # items cost, not the size of one read.
    monkeypatch.setattr(reader_module, "CHUNK", 1 << 16)
    small, big = _big_export(tmp_path, 300, rich=False), _big_export(tmp_path, 3000, rich=False)
    n_small, peak_small = _peak_while_iterating(small)
    n_big, peak_big = _peak_while_iterating(big)
    assert (n_small, n_big) == (300, 3000)
    assert big.stat().st_size > 9 * small.stat().st_size > 9 * (1 << 16)
    # Ten times the items, not even twice the memory.
    assert peak_big < 2 * peak_small


# -- text exactness and encodings ---------------------------------------------------------------


def test_text_kept_exactly(tmp_path: Path) -> None:
    title = "\u202eevil\u202c \u200b\u200c\u200d\u2060\ufeff C:\\new\\table \\\" \r\n end  "
    content = "\n  lead\r\nCRLF\rCR \\n \\\\ <b>&amp;</b> ]]> ]] > \u2028\u0085\n\n"
    meta = (("_k\u200b\u200e", "v\u202d\\"), ("serial", 'a:1:{s:1:"a";s:1:"\\";}'))
    text = wxr(item_xml(1, title, content, meta=meta, excerpt="  spaced  "))
    _, (item,), report = read_all(write(tmp_path, text))
    assert report.repairs == []
    assert item.title == title  # escaped text: a CR written as &#13; survives
    # In CDATA, line ends are normalised by XML itself: CRLF and a lone CR become LF.
    assert item.content == content.replace("\r\n", "\n").replace("\r", "\n")
    assert item.excerpt == "  spaced  "
    assert item.meta == tuple(Meta(k, v) for k, v in meta)
    assert item.meta[1].decoded() == {"a": "\\"}


def test_iso_8859_1_declared(tmp_path: Path) -> None:
    text = wxr(item_xml(1, "Grüße aus Köln", "naïve café © ½"), title="Ümläüte").replace(
        'encoding="UTF-8"', 'encoding="ISO-8859-1"')
    export, (item,), report = read_all(write(tmp_path, text.encode("iso-8859-1")))
    assert (export.site.title, item.title, item.content) == ("Ümläüte", "Grüße aus Köln", "naïve café © ½")
    assert report.repairs == []


def test_windows_1252_and_utf16(tmp_path: Path) -> None:
    text = wxr(item_xml(1, "\u201cquoted\u201d \u20ac5", "dash \u2013 here"))
    cp = write(tmp_path, text.replace('encoding="UTF-8"', 'encoding="windows-1252"').encode("cp1252"), "cp.xml")
    u16 = write(tmp_path, text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"), "u16.xml")
    for path in (cp, u16):
        _, (item,), report = read_all(path)
        assert (item.title, item.content) == ("\u201cquoted\u201d \u20ac5", "dash \u2013 here")
        assert report.repairs == []


def test_invalid_utf8_replaced_and_reported_per_line(tmp_path: Path) -> None:
    text = wxr(item_xml(1, "BAD1 title", "first BAD2 line\nsecond line BAD3"))
    raw = text.encode("utf-8").replace(b"BAD1", b"\xff").replace(b"BAD2", b"caf\xe9").replace(b"BAD3", b"\xc3")
    path = write(tmp_path, raw)
    _, (item,), report = read_all(path)
    assert item.title == "\ufffd title"
    assert item.content == "first caf\ufffd line\nsecond line \ufffd"
    lines = [line_of(text, m) for m in ("BAD1", "BAD2", "BAD3")]
    assert [(r.kind, r.line) for r in report.repairs] == [("bad-encoding", n) for n in lines]
    with pytest.raises(InputError, match=r"broken input \(bad-encoding\)") as info:
        read(path, strict=True)
    assert (info.value.line, info.value.column) == (lines[0], column_of(text, "BAD1"))


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_result_independent_of_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    # Entity references, tags, CDATA markers and multi-byte characters split over two reads
    # must come out the same as when read whole.
    extra = "\t\t<description>&#x202E;&amp;&lt;&nbsp;\u00e9\U0001f332</description>\n"
    built = write(tmp_path, wxr(item_xml(1, "t & \u00e9 &#233;", "]]> <![CDATA[ x", extra=extra),
                                header='\t<atom:link href="https://x.example/?a=1&b=2"/>\n'))
    paths = [*sorted(FIXTURES.glob("*.xml")), built]

    def result(path: Path) -> Any:
        try:
            export, items, report = read_all(path)
        except InputError as exc:
            return str(exc)
        return export.site, items, [(r.kind, r.line) for r in report.repairs], [i.source for i in items]

    whole = {p: result(p) for p in paths}
    monkeypatch.setattr(reader_module, "CHUNK", chunk)
    for p in paths:
        assert result(p) == whole[p], p.name


# -- terms ----------------------------------------------------------------------------------------


def test_wxr_1_0_rss_twins_dropped(tmp_path: Path) -> None:
    cats = (
        "\t\t<category><![CDATA[News & Views]]></category>\n"
        '\t\t<category domain="category" nicename="news"><![CDATA[News & Views]]></category>\n'
        '\t\t<category domain="tag"><![CDATA[python]]></category>\n'
        '\t\t<category domain="tag" nicename="python"><![CDATA[python]]></category>\n'
        "\t\t<category><![CDATA[Lonely]]></category>\n"
    )
    _, (item,), _ = read_all(write(tmp_path, wxr(item_xml(1, "a", extra=cats), version="1.0")))
    assert item.terms == (ItemTerm("category", "news", "News & Views"), ItemTerm("tag", "python", "python"),
                          ItemTerm("", "", "Lonely"))
    assert [t.name for t in item.terms_of("category")] == ["News & Views", "Lonely"]


def test_duplicate_term_definitions_first_wins(tmp_path: Path) -> None:
    header = (
        "\t<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename>news</wp:category_nicename>"
        "<wp:cat_name>News</wp:cat_name><wp:category_description>first</wp:category_description></wp:category>\n"
        "\t<wp:term><wp:term_id>2</wp:term_id><wp:term_taxonomy>category</wp:term_taxonomy>"
        "<wp:term_slug>news</wp:term_slug><wp:term_name>News</wp:term_name>"
        "<wp:term_description>second</wp:term_description></wp:term>\n"
        "\t<wp:term><wp:term_taxonomy>genre</wp:term_taxonomy><wp:term_slug>news</wp:term_slug>"
        "<wp:term_name>News genre</wp:term_name><wp:term_parent>media</wp:term_parent></wp:term>\n"
    )
    export, _, _ = read_all(write(tmp_path, wxr(item_xml(1, "a"), header=header)))
    assert [(t.taxonomy, t.slug, t.description, t.parent) for t in export.site.terms] == [
        ("category", "news", "first", ""), ("genre", "news", "", "media")]


# -- property: random exports round-trip exactly ----------------------------------------------


XML_FORBIDDEN = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])) + "\ufffe\uffff"
xml_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters=XML_FORBIDDEN), max_size=30)
tricky = st.sampled_from(["]]>", "]]", "<![CDATA[", "&amp;", "&nbsp;", "&", "<!--", "-->", "\r\n", "\r",
                          "\u2028", "%e6%97", "<item>", "\\", "\ufeff", "\U0001f332"])
texts = st.lists(st.one_of(xml_text, tricky), max_size=6).map("".join)


@st.composite
def comment_forests(draw: st.DrawFn) -> list[tuple[int, int, str, str]]:
    """(id, parent, author, content) in export order; parents form a forest."""
    n = draw(st.integers(0, 8))
    made: list[tuple[int, int, str, str]] = []
    for cid in range(1, n + 1):
        parent = draw(st.sampled_from([0] + [c[0] for c in made]))
        made.append((cid, parent, draw(texts), draw(texts)))
    return draw(st.permutations(made))


def wp_percent_encode(text: str) -> str:
    """``text`` percent-encoded the way WordPress stores a non-ASCII post_name (lowercase hex)."""
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quote(text.encode("utf-8"), safe=""))


def xml_newlines(text: str) -> str:
    """What XML's end-of-line handling makes of ``text`` in CDATA."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def expected_tree(comments: list[tuple[int, int, str, str]]) -> list[dict[str, Any]]:
    """The threaded comments as JSON would show them: roots and each reply list in export order."""
    def node(cid: int, author: str, content: str) -> dict[str, Any]:
        kids = [node(c, a, t) for c, p, a, t in comments if p == cid]
        return {"id": cid, "author": xml_newlines(author), "content": xml_newlines(content), "replies": kids}
    return [node(c, a, t) for c, p, a, t in comments if p == 0]


def json_tree(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": c["id"], "author": c["author"], "content": c["content"], "replies": json_tree(c["replies"])}
            for c in comments]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    posts=st.lists(
        st.tuples(texts, texts, texts, st.lists(st.tuples(texts, texts), max_size=3), comment_forests(), texts),
        min_size=1, max_size=4,
    ),
    site_title=texts,
)
def test_random_exports_round_trip(tmp_path: Path, posts: list[Any], site_title: str) -> None:
    items = []
    for n, (title, content, excerpt, meta, comments, slug) in enumerate(posts, 1):
        body = "".join(comment_xml(cid, parent, content=text, author=author) for cid, parent, author, text in comments)
        items.append(item_xml(n, title, content, excerpt=excerpt, meta=tuple(meta), comments=body,
                              post_name=wp_percent_encode(slug)))
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    path = write(folder, wxr(*items, title=site_title))

    export, got, report = read_all(path)
    assert report.repairs == [] and report.problems == []
    assert export.site.title == site_title
    assert len(got) == len(posts)
    for item, (title, content, excerpt, meta, comments, slug) in zip(got, posts, strict=True):
        assert item.title == title
        assert item.content == xml_newlines(content)
        assert item.excerpt == xml_newlines(excerpt)
        assert item.slug == slug
        assert [(m.key, m.value) for m in item.meta] == [(xml_newlines(k), xml_newlines(v)) for k, v in meta]
        assert json_tree(json.loads(json.dumps(_as_json_comments(item.comments)))) == expected_tree(comments)

    out = folder / "out.json"
    wpconvert.convert(path, "json", out, keep_personal_data=True, include="all")
    doc = json.loads(out.read_text("utf-8"))
    assert doc["site"]["title"] == site_title
    for jitem, (title, content, excerpt, meta, comments, slug) in zip(doc["items"], posts, strict=True):
        assert (jitem["title"], jitem["content"], jitem["excerpt"], jitem["slug"]) == (
            title, xml_newlines(content), xml_newlines(excerpt), slug)
        assert [(m["key"], m["value"]) for m in jitem["meta"]] == [
            (xml_newlines(k), xml_newlines(v)) for k, v in meta]
        assert json_tree(jitem["comments"]) == expected_tree(comments)
    shutil.rmtree(folder)


def _as_json_comments(comments: tuple[Comment, ...]) -> list[dict[str, Any]]:
    return [{"id": c.id, "author": c.author, "content": c.content, "replies": _as_json_comments(c.replies)}
            for c in comments]


def test_builder_escapes_cdata_terminator() -> None:
    # The property test relies on this: a "]]>" in text never ends the section early.
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
    assert re.fullmatch(r"[^<>&]*", esc("a<b>&c\r").replace("&lt;", "").replace("&gt;", "").replace(
        "&amp;", "").replace("&#13;", ""))


@pytest.mark.parametrize("fmt", ["json", "jsonl", "markdown", "hugo"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_conversion_reports_comment_problems_once(tmp_path: Path, fmt: str, jobs: int) -> None:
    # Site writers plan without comments and build items in workers; JSON builds them in
    # workers only: either way an orphan comment is reported once, at its item's line.
    text = wxr(item_xml(1, "a RAW b", comments=comment_xml(5, 4)), item_xml(2, "c"))
    path = write(tmp_path, text.replace("RAW", "&"))
    out = tmp_path / ("out.json" if fmt.startswith("json") else "out")
    report = wpconvert.convert(path, fmt, out, jobs=jobs)
    assert [(p.code, p.line) for p in report.problems] == [("WPC101", line_of(text, "<item>"))]
    assert [r.kind for r in report.repairs] == ["raw-ampersand"]


# Comment threads: the quick way (replies after their parents) and the general one agree.
PARENTS = st.lists(st.tuples(st.integers(1, 12), st.integers(-1, 12)), max_size=25)


@settings(max_examples=400, deadline=None)
@given(PARENTS)
def test_threading_in_export_order_agrees_with_the_general_way(pairs: list[tuple[int, int]]) -> None:
    raws = [build_module._RawComment({"wp:comment_content": f"c{n}"}, [], cid, parent)
            for n, (cid, parent) in enumerate(pairs)]
    general_notes: list[tuple[str, int]] = []
    general = build_module._thread_any(raws, lambda kind, cid: general_notes.append((kind, cid)))
    notes: list[tuple[str, int]] = []
    assert build_module.thread_comments(raws, lambda kind, cid: notes.append((kind, cid))) == general
    assert notes == general_notes
    quick = build_module._thread_in_order(raws)
    if quick is not None:
        assert quick == general and not general_notes


def test_threading_in_export_order_is_taken_for_ordinary_threads() -> None:
    raws = [build_module._RawComment({}, [], cid, parent) for cid, parent in [(1, 0), (2, 1), (3, 0), (4, 2), (5, 1)]]
    quick = build_module._thread_in_order(raws)
    assert quick is not None
    assert [c.id for c in quick] == [1, 3]
    assert [r.id for r in quick[0].replies] == [2, 5]
    assert [r.id for r in quick[0].replies[0].replies] == [4]


def test_deep_chain_leaves_the_quick_way() -> None:
    depth = build_module.MAX_REPLY_DEPTH
    raws = [build_module._RawComment({}, [], n + 1, n) for n in range(depth + 1)]
    assert build_module._thread_in_order(raws[:depth]) is not None
    assert build_module._thread_in_order(raws) is None
