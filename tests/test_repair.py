"""The repairing filter between raw export bytes and lxml (wpconvert.repair), on its own."""

from __future__ import annotations

import codecs
import time
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from wpconvert.errors import InputError
from wpconvert.repair import Repairer, _sniff_encoding

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
    'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
)
TAIL = "</channel>\n</rss>\n"

Repairs = list[tuple[str, int, str]]


def run(data: bytes | str, *, step: int = 0, strict: bool = False) -> tuple[bytes, Repairs]:
    """Filter ``data`` whole (``step`` 0) or fed ``step`` bytes at a time; output and repairs."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    found: Repairs = []
    rep = Repairer("x.xml", lambda kind, line, detail: found.append((kind, line, detail)), strict=strict)
    out = b""
    size = step or len(raw) or 1
    for i in range(0, len(raw), size):
        out += rep.feed(raw[i:i + size])
    out += rep.close()
    return out, found


def doc(body: str) -> str:
    return HEAD + body + TAIL


def text_of(out: bytes, tag: str = "t") -> str:
    """The text of the first ``<tag>`` of a filtered document, as lxml parses it."""
    root = etree.fromstring(out)
    el = root.find(f".//{tag}")
    assert el is not None
    return str(el.text or "")


def kinds(found: Repairs) -> list[tuple[str, int]]:
    return [(k, line) for k, line, _ in found]


def test_well_formed_input_passes_unchanged() -> None:
    src = doc('<t a="1 &amp; 2">x &lt; y &#233; &#xE9; <![CDATA[ & <b> ]]></t>\n<!-- a & b -->\n')
    out, found = run(src)
    assert found == []
    assert out == src.encode("utf-8")


@pytest.mark.parametrize("step", [0, 1, 3, 17])
def test_output_does_not_depend_on_how_input_is_fed(step: int) -> None:
    body = ("<t>&#x202E;&amp;&nbsp;caf\u00e9 \U0001f332 & more</t>\n"
            "<u><![CDATA[a ]]> b]]></u>\n<v><![CDATA[x]]]]><![CDATA[>y]]></v>\n<!-- c & d -->\n" * 3)
    whole = run(doc(body))
    assert run(doc(body), step=step) == whole
    assert text_of(whole[0]) == "\u202e&\xa0caf\u00e9 \U0001f332 & more"


def test_leading_junk_dropped_and_lines_kept() -> None:
    src = "\ufeffWarning: headers already sent\n\n" + doc("<t>x</t>\n")
    out, found = run(src)
    assert kinds(found) == [("leading-junk", 1)]
    assert out.startswith(b"<?xml")
    # lxml sees two lines fewer; Repairer.lines_dropped says how many.
    rep = Repairer("x.xml", lambda *a: None)
    rep.feed(src.encode("utf-8"))
    rep.close()
    assert rep.lines_dropped == 2


def test_blank_lines_before_declaration() -> None:
    out, found = run("\n\n" + doc("<t>x</t>"))
    assert kinds(found) == [("leading-junk", 1)]
    assert "blank lines" in found[0][2]


def test_multiline_declaration_keeps_line_numbers() -> None:
    src = '<?xml version="1.0"\n   encoding="ISO-8859-1"\n?>\n<rss><channel><t>\u00e9</t>\n<u/></channel></rss>'
    out, found = run(src.encode("iso-8859-1"))
    assert found == []
    u = etree.fromstring(out).find(".//u")
    line: Any = u.sourceline if u is not None else None
    assert line == 5  # as in the input
    assert text_of(out) == "\u00e9"


def test_html_entities_and_raw_ampersands() -> None:
    src = doc("<t>a&nbsp;b &hellip; AT&T &copy &unknownentity; &#38; &lt;</t>\n")
    out, found = run(src)
    assert text_of(out) == "a\xa0b \u2026 AT&T &copy &unknownentity; & <"
    assert [k for k, _, _ in found] == ["html-entity", "html-entity", "raw-ampersand", "raw-ampersand",
                                        "raw-ampersand"]
    assert {line for _, line, _ in found} == {4}


def test_controls_removed_inside_and_outside_cdata() -> None:
    src = doc("<t>a\x01b</t>\n<u><![CDATA[c\x0bd\x1fe]]></u>\n")
    out, found = run(src)
    assert text_of(out) == "ab"
    assert text_of(out, "u") == "cde"
    assert kinds(found) == [("control-char", 4), ("control-char", 5)]
    assert "2 control character(s)" in found[1][2]


@pytest.mark.parametrize(
    ("cdata", "expected", "repaired"),
    [
        ("<![CDATA[a ]]> b]]>", "a ]]> b", True),  # "]]>" followed by text: content
        ("<![CDATA[a ]]>  \n  ]]>", "a ]]>  \n  ", True),
        ("<![CDATA[a]]]]><![CDATA[>b]]>", "a]]>b", False),  # WordPress's own split
        ("<![CDATA[a]]>  ", "a  ", False),  # followed by blanks then markup: the real end
        ("<![CDATA[]]>", "", False),
    ],
)
def test_cdata_terminator(cdata: str, expected: str, repaired: bool) -> None:
    out, found = run(doc(f"<t>{cdata}</t>\n"))
    assert text_of(out) == expected
    assert bool(found) == repaired
    assert all(k == "cdata-terminator" for k, _ in kinds(found))


def test_undeclared_standard_prefix_declared() -> None:
    src = ('<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n'
           '<atom:link href="x"/>\n<wp:x>1</wp:x>\n</channel></rss>')
    out, found = run(src)
    root = etree.fromstring(out)
    assert root.find(".//{http://www.w3.org/2005/Atom}link") is not None
    assert root.find(".//{http://wordpress.org/export/1.2/}x") is not None
    assert kinds(found) == [("undeclared-prefix", 4), ("undeclared-prefix", 5)]


def test_declared_prefix_is_not_reported() -> None:
    out, found = run(doc("<atom:link href='x'/>"))
    assert found == []


@pytest.mark.parametrize("value", ["http://ëxämplë.com/ü/", "http://x/{y}", "http://x/a b", "ü"])
def test_invalid_namespace_uri_percent_encoded(value: str) -> None:
    src = doc(f"<t xmlns:u='{value}'>x<u:v>y</u:v></t>\n")
    out, found = run(src)
    assert kinds(found) == [("namespace-uri", 4)]
    root = etree.fromstring(out)  # would raise on the raw URI
    (v,) = root.iter("{*}v")
    assert etree.QName(v).namespace.isascii()
    assert codecs.decode(etree.QName(v).namespace.replace("%", "=").encode(), "quopri").decode() == value


def test_namespace_text_in_content_untouched() -> None:
    out, found = run(doc('<t>xmlns:u="ü" is text</t>\n<u><![CDATA[<a xmlns:b="ü">]]></u>\n'))
    assert found == []
    assert text_of(out) == 'xmlns:u="ü" is text'


@pytest.mark.parametrize("step", [0, 1, 5])
@pytest.mark.parametrize(
    "declaration",
    ['<!DOCTYPE rss [<!ENTITY a "b">]>', "<!DOCTYPE rss SYSTEM 'http://x/y.dtd'>", '<!ENTITY a "b">',
     "<!doctype rss>"],
)
def test_doctype_refused_however_fed(declaration: str, step: int) -> None:
    src = '<?xml version="1.0"?>\n' + declaration + "\n<rss><channel></channel></rss>"
    with pytest.raises(InputError, match="DOCTYPE or ENTITY declaration is not allowed") as info:
        run(src, step=step)
    assert (info.value.line, info.value.column) == (2, 1)


def test_doctype_text_in_cdata_and_comments_is_content() -> None:
    out, found = run(doc("<t><![CDATA[<!DOCTYPE x>]]></t><!-- <!ENTITY y 'z'> -->\n"))
    assert found == []
    assert text_of(out) == "<!DOCTYPE x>"


def test_truncated_inside_cdata_and_inside_a_tag() -> None:
    out, found = run(HEAD + "<t><![CDATA[cut sho")
    assert out.endswith(b"cut sho]]>")
    assert kinds(found) == [("truncated", 4)]
    out, found = run(HEAD + "<t>done</t>\n<wp:post_na")
    assert out.endswith(b"<t>done</t>\n")
    assert kinds(found) == [("truncated", 5)]


def test_strict_refuses_first_repair_with_line_and_column() -> None:
    src = doc("<t>fine</t>\n  <u>x &nbsp; y</u>\n<v>\x01</v>\n")
    with pytest.raises(InputError) as info:
        run(src, strict=True)
    err = info.value
    assert (err.file, err.line, err.column) == ("x.xml", 5, 8)  # the "&" of "&nbsp;"
    assert "broken input (html-entity), refused by --strict" in err.message


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        (codecs.BOM_UTF8 + b'<?xml version="1.0" encoding="ISO-8859-1"?>', "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "<?xml".encode("utf-16-le"), "utf-16"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?>', "iso8859-1"),
        (b"<?xml version='1.0' encoding='windows-1252'?>", "cp1252"),
        (b'<?xml version="1.0" encoding="UTF-16"?>', "utf-8"),  # readable as ASCII: not UTF-16
        (b'<?xml version="1.0" encoding="no-such-charset"?>', "utf-8"),
        (b'<?xml version="1.0"?>', "utf-8"),
    ],
)
def test_sniff_encoding(head: bytes, encoding: str) -> None:
    assert _sniff_encoding(head) == encoding


def test_bad_bytes_replaced_each_at_its_line() -> None:
    src = doc("<t>a\udcffb</t>\n<u>\n\udce9</u>\n").encode("utf-8", "surrogateescape")
    out, found = run(src)
    assert text_of(out) == "a\ufffdb"
    assert text_of(out, "u") == "\n\ufffd"
    assert kinds(found) == [("bad-encoding", 4), ("bad-encoding", 6)]


@pytest.mark.parametrize("step", [1, 2, 3])
def test_character_split_over_reads_survives(step: int) -> None:
    out, found = run(doc("<t>\u00e9\u20ac\U0001f332</t>"), step=step)
    assert found == []
    assert text_of(out) == "\u00e9\u20ac\U0001f332"


def test_many_repairs_cost_linear_time() -> None:
    # 200,000 raw ampersands in one read: each repair's line is found without rescanning.
    body = "<t>" + "a & b\n" * 200_000 + "</t>"
    start = time.perf_counter()
    out, found = run(doc(body))
    elapsed = time.perf_counter() - start
    assert len(found) == 200_000
    assert found[-1][1] == 4 + 200_000 - 1
    assert elapsed < 10
