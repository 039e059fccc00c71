"""Cutting exports into items without parsing them (wpconvert/split.py), for -j N.

The cut must give what lxml gives (every item, its line), step over "<item>" inside CDATA,
comments and processing instructions, and give up on anything unexpected, in which case
the conversion runs again the ordinary way: same output, same report as -j 1.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, FIXTURES
from test_reader import cdata, comment_xml, item_xml, write, wxr

import wpconvert
from wpconvert import split
from wpconvert.reader import read

TRICKY = (
    item_xml(1, "one", "text with <item> and </item> and </channel> " + cdata("x"),
             comments=comment_xml(5, 0, "a <![CDATA[ look-alike ]]> and <!-- not one -->"))
    + "\t<!-- <item> in a comment between items -->\n\t<?pi <item> ?>\n"
    + item_xml(2, "two & <three>", "line\r\nbreaks\rand\nmore", excerpt="]]>")
    + item_xml(3, "three", "")
)


def _lines_by_lxml(path: Path) -> list[int]:
    return [item.source.line for item in read(path).items() if item.source]


def _cut(path: Path) -> list[tuple[int, bytes]]:
    with open(path, "rb") as fh:
        cut = list(split.split_items(fh))
    # Each item's offset is where its bytes are in the file (workers read them from there).
    whole = path.read_bytes()
    assert all(whole[offset : offset + len(data)] == data for _, offset, data in cut)
    return [(line, data) for line, _, data in cut]


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_cut_finds_every_item_at_its_line(tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(split, "CHUNK", chunk)
    path = write(tmp_path, wxr(TRICKY))
    cut = _cut(path)
    assert [line for line, _ in cut] == _lines_by_lxml(path)
    assert all(data.startswith(b"<item>") and data.endswith(b"</item>") for _, data in cut)
    assert b"<item> and </item> and </channel>" in cut[0][1]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _run(path: Path, fmt: str, out: Path, jobs: int) -> tuple[Any, dict[str, Any]]:
    report = wpconvert.convert(path, fmt, out, jobs=jobs)
    got = _files(out) if out.is_dir() else {"": out.read_bytes()}
    summary = {
        "repairs": [(r.kind, r.line) for r in report.repairs],
        "problems": [(p.code, p.line) for p in report.problems],
        "entries": [(e.id, e.action, e.path, e.reason) for e in report.entries],
    }
    return got, summary


BROKEN_LATER = {
    # A fault past the first item: the cut gives up and the run starts again.
    "raw ampersand": item_xml(7, "x RAW y").replace("RAW", "&"),
    "html entity": item_xml(7, "x").replace("<title>x", "<title>x&nbsp;"),
    "text between items": "stray text\n" + item_xml(7, "x"),
    "late definition": "<wp:category><wp:term_id>9</wp:term_id><wp:category_nicename>late</wp:category_nicename>"
                       "<wp:cat_name>Late</wp:cat_name></wp:category>\n" + item_xml(7, "x"),
    "undeclared prefix": item_xml(7, "x", extra="<atom:link>u</atom:link>\n"),
    "control character": item_xml(7, "x\x01y"),
    "nothing wrong": item_xml(7, "x"),
    # Between items: a comment is stepped over only when lxml would read it as it is.
    "comment between items": "<!-- Page by Bob, caf\u00e9 -->\n" + item_xml(7, "x"),
    "control character in a comment between items": "<!-- Page by B\x00ob -->\n" + item_xml(7, "x"),
    "bad UTF-8 in a comment between items": "<!-- a \udcff b -->\n" + item_xml(7, "x"),
    "CDATA between items": "<![CDATA[ x ]]>\n" + item_xml(7, "x"),
    "processing instruction between items": "<?php echo 1; ?>\n" + item_xml(7, "x"),
    # Not broken, but the quick cut guesses wrong: the item's own parse catches it.
    "end tag in a comment": item_xml(7, "x", extra="<!-- </item> -->\n"),
    "end tag with a space": item_xml(7, "x").replace("</item>", "</item >"),
}
FINE = ("nothing wrong", "text between items", "end tag in a comment", "end tag with a space",
        "comment between items", "CDATA between items",
        "processing instruction between items")


@pytest.mark.parametrize("case", sorted(BROKEN_LATER))
@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_cut_or_not_the_output_and_report_are_those_of_one_job(tmp_path: Path, case: str, fmt: str) -> None:
    text = wxr(TRICKY + BROKEN_LATER[case] + item_xml(8, "after"))
    path = write(tmp_path, text.encode("utf-8", "surrogateescape"))  # "\udcff": the byte 0xff
    name = "out.json" if fmt == "json" else "out"
    one = _run(path, fmt, tmp_path / "j1" / name, 1)
    two = _run(path, fmt, tmp_path / "j2" / name, 2)
    assert one == two
    if case in ("nothing wrong", "comment between items"):
        assert len(_cut(path)) == 5
    elif case not in FINE:
        assert one[1]["repairs"] or one[1]["problems"], "the broken case must show in the report"


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_a_comment_lxml_refuses_between_items_fails_the_same_with_two_jobs(tmp_path: Path, fmt: str) -> None:
    # "--" inside a comment is not well-formed: the cut must not step over it.
    path = write(tmp_path, wxr(TRICKY + "<!-- a -- b -->\n" + item_xml(7, "x")))
    errors = []
    for jobs in (1, 2):
        with pytest.raises(wpconvert.InputError) as err:
            wpconvert.convert(path, fmt, tmp_path / f"j{jobs}" / "out", jobs=jobs)
        errors.append(str(err.value))
    assert errors[0] == errors[1]
    assert "Double hyphen within comment" in errors[0]


def test_truncated_export_is_not_cut(tmp_path: Path) -> None:
    text = wxr(TRICKY)
    path = write(tmp_path, text[: text.index("<title>three")])
    with pytest.raises(split.SplitFailed):
        _cut(path)
    one = _run(path, "json", tmp_path / "a" / "out.json", 1)
    assert one == _run(path, "json", tmp_path / "b" / "out.json", 2)
    assert ("truncated", one[1]["repairs"][-1][1]) in one[1]["repairs"]


@pytest.mark.parametrize("tail", ["</channel>\n<extra/></rss>", "</channel>\n</rss>\ntrailing"])
def test_anything_after_the_channel_is_not_cut(tail: str) -> None:
    stream = io.BytesIO(wxr(item_xml(1)).replace("</channel>\n</rss>\n", tail).encode())
    with pytest.raises(split.SplitFailed):
        list(split.split_items(stream))


def test_only_utf8_is_cut() -> None:
    assert split.can_split(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert split.can_split(b"<?xml version='1.0'?><rss>")
    assert split.can_split(b"<rss>")
    assert not split.can_split(b'<?xml version="1.0" encoding="ISO-8859-1"?>')


def _inputs() -> list[Path]:
    found = sorted(FIXTURES.glob("*.xml"))
    if CORPUS.is_dir():
        found += sorted(p for p in CORPUS.rglob("*.xml") if p.stat().st_size < 5_000_000)
    return found


@pytest.mark.parametrize("fmt", ["jsonl", "markdown"])
@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_fixtures_and_corpus_convert_the_same_with_two_jobs(tmp_path: Path, path: Path, fmt: str) -> None:
    # Every export at hand, clean or broken: -j 2 (cut where it can be) = -j 1 (for
    # Markdown, from the items the planning pass kept: tests/test_spool.py).
    out = "out.jsonl" if fmt == "jsonl" else "out"
    try:
        one = _run(path, fmt, tmp_path / "a" / out, 1)
    except wpconvert.InputError as exc:
        with pytest.raises(wpconvert.InputError) as again:
            _run(path, fmt, tmp_path / "b" / out, 2)
        assert str(again.value) == str(exc)
        return
    two = _run(path, fmt, tmp_path / "b" / out, 2)
    assert one == two
    if fmt == "jsonl":
        records = [json.loads(line) for line in one[0][""].decode().splitlines()]
        assert len(records) - 1 == sum(1 for e in one[1]["entries"] if e[1] == "written")


def test_compressed_and_zipped_inputs_are_cut_too(tmp_path: Path) -> None:
    import gzip
    import zipfile

    text = wxr(TRICKY).encode()
    gz = tmp_path / "export.xml.gz"
    gz.write_bytes(gzip.compress(text))
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("part-1.xml", text)
        zf.writestr("part-2.xml", wxr(item_xml(9, "nine")).encode())
    for path in (gz, zipped):
        one = _run(path, "json", tmp_path / "a" / path.name / "out.json", 1)
        two = _run(path, "json", tmp_path / "b" / path.name / "out.json", 2)
        assert one == two
        assert sum(1 for e in one[1]["entries"] if e[1] == "written") == (3 if path is gz else 4)


def test_a_slice_that_cannot_be_read_again_sends_the_run_the_ordinary_way(tmp_path: Path) -> None:
    from wpconvert.build import FileSlice
    from wpconvert.xmlstream import parse_exact

    path = write(tmp_path, wxr(item_xml(1)))
    with open(path, "rb") as fh:
        (_, offset, data), = list(split.split_items(fh))
    wrap = wpconvert.read(path)._wrap[0]  # the root that declares the export's namespaces
    piece = FileSlice(str(path), offset, len(data), wrap)
    assert piece.read() == wrap + data + b"</rss>"
    assert parse_exact(piece.read()).tag == "item"
    path.write_bytes(path.read_bytes()[: offset + 10])  # cut short since
    with pytest.raises(split.SplitFailed):
        parse_exact(piece.read())
    path.unlink()  # gone since
    with pytest.raises(split.SplitFailed):
        piece.read()


def test_only_plain_files_are_read_again_by_offset(tmp_path: Path) -> None:
    from wpconvert.inputs import expand

    path = write(tmp_path, wxr(item_xml(1)))
    packed = tmp_path / "export.xml.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    assert [s.is_plain_file() for s in expand([path, packed])] == [True, False]
    # Both read the same: the compressed one through its decompressor.
    assert [s.open().read() for s in expand([path, packed])] == [path.read_bytes()] * 2


def test_what_crosses_to_workers_pickles_whole() -> None:
    import pickle

    from wpconvert.build import FileSlice, InputEnd, RawItem
    from wpconvert.pipeline import ItemRef, Outcome

    first = RawItem(3, 1, "a.xml", 17, FileSlice("/x/a.xml", 10, 20, b"<rss>"), False, True)
    raws = [first, RawItem(4, 0, "b.xml", 1, b"<item/>", True), InputEnd(2)]
    out = Outcome(3, ItemRef(None, "page", "draft", "T"), first, [("orphan-comment", 9)], "why", {"k": b"v"})
    for value in (*raws, out):
        assert pickle.loads(pickle.dumps(value, -1)) == value
    back = pickle.loads(pickle.dumps(out))
    assert (back.ref.title, back.raw.data.offset, back.notes, back.skipped) == ("T", 10, [("orphan-comment", 9)], "why")


# Workers parse cut items with ElementTree where it agrees with lxml by construction, and
# with lxml otherwise (xmlstream.parse_exact): the two must give the same items.
_WRAP = (b'<rss xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
         b'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
         b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">')
EDGE_ITEMS = [
    b"<item><title>a<!-- c -->b<?pi x?>c</title></item>",
    b"<item><atom:link href='x'/><title>t</title></item>",  # a prefix never declared
    b"<item><title>&nbsp;</title></item>", b"<item><title>&#1;</title></item>",
    b"<item><title>&#x85;&#xD;x\r\ny\rz</title></item>",
    b"<item><title><![CDATA[a]]]]><![CDATA[>b]]></title></item>",
    b'<item><category domain="a&amp;b\tc\nd" nicename="x">n</category></item>',
    b'<item xmlns="http://other/"><title>t</title></item>',
    b'<item xmlns:u="http://\xc3\xabx\xc3\xa4mple.test/"><u:f>x</u:f><title>t</title></item>',  # lxml refuses
    b'<item><title xml:lang="de">t</title></item>', b"<item><title>\xf0\x9f\x98\x80 &#x1F600;</title></item>",
    b"<item><title>&#xFFFE;</title></item>", b"<item><title>\xef\xbf\xbe</title></item>",
    b"<item><title>\x0c</title></item>", b"<item><title>\xff</title></item>",
    b"<item><wp:postmeta><wp:meta_key>k</wp:meta_key><wp:meta_value><![CDATA[]]></wp:meta_value></wp:postmeta></item>",
    b'<item><title a="1" a="2">t</title></item>', b"<item><title>t</title></item><!-- x -->",
    b"<item><title>t</title></item>tail", b"<item><title>\xc2\x80\xc2\x9f</title></item>",
    b"<item><title>&#xD800;</title></item>", b"<item><title>a]]>b</title></item>",
    b"<item><title/><title>second</title><wp:post_id> 12 </wp:post_id></item>",
    b"<item><1a/></item>", b"<item><a\xcc\x81/></item>", b"<item><a\xe2\x80\xbf/></item>",  # names: lxml only
    b"<item>" + b"<a>" * 2100 + b"</a>" * 2100 + b"</item>",  # too deep for lxml
    b"<item>" + b"<a>" * 1900 + b"</a>" * 1900 + b"<title>deep but not too</title></item>",
]


def _built(parse: Any, data: bytes) -> Any:
    from wpconvert.build import build_item
    from wpconvert.model import Source

    notes: list[Any] = []
    try:
        item = build_item(parse(data), Source("x.xml", 1), lambda *note: notes.append(note))
    except split.SplitFailed:
        return "refused"
    return item, notes


@pytest.mark.parametrize("n", range(len(EDGE_ITEMS)))
def test_items_parse_the_same_with_either_parser(n: int) -> None:
    from wpconvert.xmlstream import parse_exact, parse_exact_lxml

    data = _WRAP + EDGE_ITEMS[n] + b"</rss>"
    assert _built(parse_exact, data) == _built(parse_exact_lxml, data)


def test_every_item_at_hand_parses_the_same_with_either_parser(tmp_path: Path) -> None:
    from bench.generate import generate
    from wpconvert.reader import read as read_export
    from wpconvert.xmlstream import parse_exact, parse_exact_lxml

    generate(tmp_path / "generated.xml", 300, 3)
    compared = by_elementtree = 0
    for path in [tmp_path / "generated.xml", *_inputs()]:
        try:
            raws = list(read_export(path).raw_items(cut=True))
        except (wpconvert.InputError, split.SplitFailed):
            continue
        for raw in raws:
            if not getattr(raw, "exact", False):
                continue  # an input end, or an input that is not cut
            data = raw.data.read() if isinstance(raw.data, tuple) else raw.data
            assert _built(parse_exact, data) == _built(parse_exact_lxml, data), (path, raw.line)
            compared += 1
            start = data.find(b"<item")
            by_elementtree += data.find(b"xmlns", start) < 0
    assert compared > 300 and by_elementtree > 300


@pytest.mark.parametrize("declaration", [
    'xmlns:dc="http://\u00e9.example/"',  # not a valid URI to libxml2: the reader repairs it
    'xmlns:x="http://purl.org/dc/elem\rents/1.1/"',
    'xmlns:wfw=""',  # an empty URI: lxml drops the declaration, the reader reports it
    'xmlns:dc="http://purl.org/dc/elements/1.1/"',  # valid: cut, and parsed by either parser
])
@pytest.mark.parametrize("fmt", ["jsonl", "markdown"])
def test_namespace_uris_of_the_root_give_the_report_of_one_job(tmp_path: Path, declaration: str, fmt: str) -> None:
    # Found by comparing -j 1 and -j 2 on mutated exports: libxml2 reads on past such a URI
    # and lxml complains only at the end of the input (the reader repairs it then), so a
    # read of the header alone took the export for clean and cut it, and the repair was
    # lost from the report (expat, parsing the cut items, takes such URIs too).
    text = wxr(TRICKY + item_xml(8, "after")).replace('xmlns:dc="http://purl.org/dc/elements/1.1/"', declaration)
    path = write(tmp_path, text)
    name = "out.jsonl" if fmt == "jsonl" else "out"
    one = _run(path, fmt, tmp_path / "j1" / name, 1)
    two = _run(path, fmt, tmp_path / "j2" / name, 2)
    assert one == two
    assert bool(one[1]["repairs"]) == ("purl.org/dc/elements/1.1/" not in declaration)
    assert split_at_all(path) == (not one[1]["repairs"])


def split_at_all(path: Path) -> bool:
    """Whether the reader cuts ``path`` into items for workers."""
    return any(getattr(raw, "exact", False) for raw in read(path).raw_items(cut=True))


NOT_UNDER_THE_ROOT = {
    # An export pasted into another document: its end leaves that one's elements open.
    "pasted": lambda text: '<?xml version="1.0"?>\n<catalog><book><description>A book\n'
                           + text.split("?>", 1)[1],
    # A second <rss> opened inside the first: never closed.
    "second rss": lambda text: text.replace("<channel>", "<rss><channel>", 1),
    # A whole export pasted into the header of another (its first item is the first one).
    "export in an export": lambda text: text.split("<wp:author>")[0] + "<wp:author>" + text.split("?>", 1)[1],
}


@pytest.mark.parametrize("case", sorted(NOT_UNDER_THE_ROOT))
@pytest.mark.parametrize("fmt", ["jsonl", "markdown"])
def test_a_channel_not_under_the_root_is_not_cut(tmp_path: Path, case: str, fmt: str) -> None:
    # Found by comparing -j 1 and -j 2 on mutated exports: the cut took such exports for
    # clean (lxml reads the header without fault) and missed what the item pass repairs.
    path = write(tmp_path, NOT_UNDER_THE_ROOT[case](wxr(TRICKY + item_xml(8, "after"))))
    name = "out.jsonl" if fmt == "jsonl" else "out"
    one = _run(path, fmt, tmp_path / "j1" / name, 1)
    two = _run(path, fmt, tmp_path / "j2" / name, 2)
    assert one == two
    assert one[1]["repairs"], "the export must need a repair"
    assert not split_at_all(path)


def test_invalid_bytes_in_a_tag_of_a_repaired_export_give_the_items_of_one_job(tmp_path: Path) -> None:
    # Found by comparing -j 1 and -j 2 on mutated exports: the repairer makes the bytes
    # U+FFFD, and an item serialized for a worker in ASCII had "&#65533;" in a name, which
    # does not parse back: the -j 2 item lost its term and everything after it.
    extra = '<category domain="category" nicename="cat"><![CDATA[Cat]]></category>\n'
    text = wxr(TRICKY + item_xml(7, "x", extra=extra, meta=(("k", "v"),)) + item_xml(8, "after"))
    data = text.encode().replace(b'category domain="category"', b'category do\xfe\xffmain="category"', 1)
    path = write(tmp_path, data)
    one = _run(path, "jsonl", tmp_path / "j1" / "out.jsonl", 1)
    two = _run(path, "jsonl", tmp_path / "j2" / "out.jsonl", 2)
    assert one == two
    assert "bad-encoding" in [kind for kind, _ in one[1]["repairs"]]
    records = [json.loads(line) for line in two[0][""].decode().splitlines()]
    seven = next(r for r in records if r.get("id") == 7)
    assert [t["slug"] for t in seven["terms"]] == ["cat"]
    assert seven["meta"] == [{"key": "k", "value": "v"}]
