"""The lossless JSON and JSON Lines output: schema, round trip, determinism, personal data."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import pytest
from conftest import CORPUS, FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

import wpconvert
from wpconvert.model import Comment, Item, Meta, Site
from wpconvert.reader import read
from wpconvert.schema import definition, load_schema
from wpconvert.writers import jsonout

FIXTURE_INPUTS = [*sorted(FIXTURES.glob("*.xml")), FIXTURES / "parts"]
CORPUS_FILES = [
    "php-toolkit/theme-unit-test-data.xml",
    "wordpress-importer/phpunit-data/wxr-utf-8-challenges.xml",
    "wordpress-importer/phpunit-data/test-serialized-term-meta.xml",
    "wordpress-importer/phpunit-data/test-serialized-postmeta-with-cdata.xml",
    "wordpress-importer/phpunit-data/valid-wxr-1.0.xml",
    "jekyll-import/sitetitle.wordpress.2025-01-19.000.xml",
    "pelican/wordpressexport.xml",
    "ghost-migrate/has-meta.xml",
    "contentful-wordpress-exporter/wordpress_empty_dates.xml",
    "php-toolkit/woocommerce-demo-products.xml",
]
KEEP_ALL: dict[str, Any] = {"keep_personal_data": True, "include": "all"}


def _id(p: Path | str) -> str:
    return Path(p).name


def corpus_path(corpus: Path, rel: str) -> Path:
    return corpus / rel


def convert(inputs: Path, fmt: str, out: Path, **options: Any) -> list[Any]:
    """Convert and parse the result: [document] for json, the records for jsonl."""
    wpconvert.convert(inputs, fmt, out, **options)
    text = out.read_text("utf-8")
    if fmt == "json":
        return [json.loads(text)]
    return [json.loads(line) for line in text.splitlines()]


# -- the schema ---------------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    for name in ("siteRecord", "itemRecord", "jsonlRecord"):
        jsonschema.Draft202012Validator.check_schema(definition(name))
    with pytest.raises(KeyError):
        definition("nope")


def _validate_outputs(inputs: Path, tmp_path: Path, **options: Any) -> tuple[dict[str, Any], list[Any]]:
    (doc,) = convert(inputs, "json", tmp_path / "x.json", **options)
    jsonschema.Draft202012Validator(load_schema()).validate(doc)
    records = convert(inputs, "jsonl", tmp_path / "x.jsonl", **options)
    line = jsonschema.Draft202012Validator(definition("jsonlRecord"))
    for record in records:
        line.validate(record)
    jsonschema.Draft202012Validator(definition("siteRecord")).validate(records[0])
    for record in records[1:]:
        jsonschema.Draft202012Validator(definition("itemRecord")).validate(record)
    return doc, records


@pytest.mark.parametrize("inputs", FIXTURE_INPUTS, ids=_id)
@pytest.mark.parametrize("options", [{}, KEEP_ALL], ids=["default", "keep-all"])
def test_fixture_outputs_valid(tmp_path: Path, inputs: Path, options: dict[str, Any]) -> None:
    doc, records = _validate_outputs(inputs, tmp_path, **options)
    # The JSON Lines hold the same data as the document.
    assert records[0] == {"record": "site", "wpconvert": doc["wpconvert"], "site": doc["site"],
                          "authors": doc["authors"], "terms": doc["terms"]}
    assert [{k: v for k, v in r.items() if k != "record"} for r in records[1:]] == doc["items"]
    assert all(r["record"] == "item" for r in records[1:])


@pytest.mark.parametrize("rel", CORPUS_FILES, ids=_id)
def test_corpus_outputs_valid(tmp_path: Path, corpus: Path, rel: str) -> None:
    doc, records = _validate_outputs(corpus / rel, tmp_path, **KEEP_ALL)
    assert len(records) == len(doc["items"]) + 1


def test_schema_rejects_wrong_documents(tmp_path: Path) -> None:
    (doc,) = convert(FIXTURES / "classic.xml", "json", tmp_path / "x.json", **KEEP_ALL)
    validator = jsonschema.Draft202012Validator(load_schema())
    assert validator.is_valid(doc)
    item = next(i for i in doc["items"] if i["comments"])

    def broken(change: Any) -> dict[str, Any]:
        bad: dict[str, Any] = copy.deepcopy(doc)
        change(bad, next(i for i in bad["items"] if i["id"] == item["id"]))
        return bad

    wrongs = [
        lambda d, i: i.pop("title"),
        lambda d, i: i.update(sticky="no"),
        lambda d, i: i.update(unknown=1),
        lambda d, i: i.update(record="item"),  # a JSON Lines field has no place in the document
        lambda d, i: i["comments"][0].pop("replies"),
        lambda d, i: i["comments"][0]["replies"].append({"id": 1}),
        lambda d, i: i["meta"].append({"key": "k"}),
        lambda d, i: d["site"].update(wxr_version="one"),
        lambda d, i: d["authors"].append({"login": "x"}),
        lambda d, i: d["wpconvert"].update(format=2),
    ]
    for wrong in wrongs:
        assert not validator.is_valid(broken(wrong))
    record = {"record": "item", **item}
    assert jsonschema.Draft202012Validator(definition("jsonlRecord")).is_valid(record)
    assert not jsonschema.Draft202012Validator(definition("jsonlRecord")).is_valid({**record, "record": "site"})


def test_schema_ships_with_the_package() -> None:
    import wpconvert.schema as schema_pkg

    folder = Path(schema_pkg.__file__).parent
    assert (folder / "export.schema.json").is_file()
    assert load_schema() == json.loads((folder / "export.schema.json").read_text("utf-8"))
    first = load_schema()
    first["$defs"].clear()
    assert load_schema()["$defs"], "load_schema() must hand out a fresh copy"


# -- lossless: the JSON is the reader's model ---------------------------------------------------


def _plain(value: Any) -> Any:
    """Model data as JSON would carry it (tuples to lists, keys to strings)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _strip_decoded(value: Any) -> Any:
    """JSON data without the ``decoded`` views of meta rows (checked on their own)."""
    if isinstance(value, dict):
        return {k: _strip_decoded(v) for k, v in value.items() if k != "decoded"}
    if isinstance(value, list):
        return [_strip_decoded(v) for v in value]
    return value


def _model_item(item: Item) -> Any:
    data = dataclasses.asdict(item)
    del data["source"]
    return _plain(data)


def _metas(item: Item) -> list[Meta]:
    out = list(item.meta)
    stack = list(item.comments)
    while stack:
        c = stack.pop()
        out.extend(c.meta)
        stack.extend(c.replies)
    return out


def _json_metas(item: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(item["meta"])
    stack = list(item["comments"])
    while stack:
        c = stack.pop()
        out.extend(c["meta"])
        stack.extend(c["replies"])
    return out


def _check_lossless(inputs: Path, tmp_path: Path) -> None:
    export = read(inputs)
    items = list(export.items())
    (doc,) = convert(inputs, "json", tmp_path / "x.json", **KEEP_ALL)
    site = dataclasses.asdict(export.site)
    assert doc["site"] == _plain({k: v for k, v in site.items() if k not in ("authors", "terms", "files")}
                                 | {"files": [os.path.basename(f) for f in export.site.files]})
    assert doc["authors"] == _plain(site["authors"])
    assert _strip_decoded(doc["terms"]) == _plain(site["terms"])
    assert len(doc["items"]) == len(items)
    for jitem, item in zip(doc["items"], items, strict=True):
        assert _strip_decoded(jitem) == _model_item(item)


def _check_decoded(inputs: Path, tmp_path: Path) -> None:
    """Serialized meta values carry their decoded view (Meta.decoded()), and only they do."""
    export = read(inputs)
    items = list(export.items())
    (doc,) = convert(inputs, "json", tmp_path / "x.json", **KEEP_ALL)
    pairs = [(jm, m) for jt, t in zip(doc["terms"], export.site.terms, strict=True)
             for jm, m in zip(jt["meta"], t.meta, strict=True)]
    for jitem, item in zip(doc["items"], items, strict=True):
        pairs.extend(zip(_json_metas(jitem), _metas(item), strict=True))
    for jm, m in pairs:
        decoded = m.decoded()
        if decoded is m.value or decoded == m.value:
            assert "decoded" not in jm
        else:
            assert jm.get("decoded") == _plain(decoded), m.value[:60]


@pytest.mark.parametrize("inputs", FIXTURE_INPUTS, ids=_id)
def test_fixture_json_is_lossless(tmp_path: Path, inputs: Path) -> None:
    _check_lossless(inputs, tmp_path)
    _check_decoded(inputs, tmp_path)


@pytest.mark.parametrize("rel", CORPUS_FILES, ids=_id)
def test_corpus_json_is_lossless(tmp_path: Path, corpus: Path, rel: str) -> None:
    _check_lossless(corpus / rel, tmp_path)


# The woocommerce export writes serialized values outside CDATA on their own indented
# line: the decoded view must be there although the value starts with white space.
@pytest.mark.parametrize("rel", CORPUS_FILES, ids=_id)
def test_corpus_json_decoded_meta(tmp_path: Path, corpus: Path, rel: str) -> None:
    _check_decoded(corpus / rel, tmp_path)


def test_serialized_meta_decoded_in_json(tmp_path: Path, corpus: Path) -> None:
    path = corpus / "wordpress-importer/phpunit-data/test-serialized-term-meta.xml"
    (doc,) = convert(path, "json", tmp_path / "x.json")
    shrug = "¯\\_(ツ)_/¯"
    for term in doc["terms"]:
        assert term["meta"] == [{"key": "string", "value": shrug},
                                {"key": "array", "value": 'a:1:{s:3:"key";s:13:"¯\\_(ツ)_/¯";}',
                                 "decoded": {"key": shrug}}]


# -- determinism --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("inputs", [FIXTURES / "classic.xml", FIXTURES / "parts", FIXTURES / "german-comments.xml"],
                         ids=_id)
def test_identical_input_gives_identical_bytes(tmp_path: Path, inputs: Path, fmt: str) -> None:
    first, second = tmp_path / "a" / f"x.{fmt}", tmp_path / "b" / f"x.{fmt}"
    wpconvert.convert(inputs, fmt, first)
    wpconvert.convert(inputs, fmt, second)
    assert first.read_bytes() == second.read_bytes()
    # The folder the input sat in is not part of the output.
    copy_dir = tmp_path / "elsewhere"
    if inputs.is_dir():
        copy_dir.mkdir()
        for p in inputs.iterdir():
            (copy_dir / p.name).write_bytes(p.read_bytes())
        moved = copy_dir
    else:
        copy_dir.mkdir()
        moved = copy_dir / inputs.name
        moved.write_bytes(inputs.read_bytes())
    third = tmp_path / "c" / f"x.{fmt}"
    wpconvert.convert(moved, fmt, third)
    assert third.read_bytes() == first.read_bytes()


# -- personal data ------------------------------------------------------------------------------


def _personal(site: Site, items: list[Item]) -> set[str]:
    found = {a.email for a in site.authors}
    for item in items:
        stack: list[Comment] = list(item.comments)
        while stack:
            c = stack.pop()
            found |= {c.author_email, c.author_ip}
            stack.extend(c.replies)
    return found - {""}


def _public_text(items: list[Item]) -> str:
    return " ".join(f"{i.title} {i.content} {i.excerpt} {[m.value for m in i.meta]}" for i in items)


@pytest.mark.parametrize("name", ["classic.xml", "german-comments.xml", "statuses.xml"])
@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_personal_data_only_on_request(tmp_path: Path, name: str, fmt: str) -> None:
    path = FIXTURES / name
    export = read(path)
    items = list(export.items())
    personal = _personal(export.site, items)
    assert personal, "the fixture must hold some personal data for this test to mean anything"
    public = _public_text(items)

    wpconvert.convert(path, fmt, tmp_path / f"default.{fmt}")
    text = (tmp_path / f"default.{fmt}").read_text("utf-8")
    for value in personal:
        if value not in public:
            assert value not in text
    records = [json.loads(line) for line in text.splitlines()] if fmt == "jsonl" else [json.loads(text)]
    authors = records[0]["authors"]
    assert all(a["email"] == "" for a in authors)
    items_json = records[1:] if fmt == "jsonl" else records[0]["items"]
    for jitem in items_json:
        stack = list(jitem["comments"])
        while stack:
            c = stack.pop()
            assert (c["author_email"], c["author_ip"]) == ("", "")
            stack.extend(c["replies"])

    wpconvert.convert(path, fmt, tmp_path / f"keep.{fmt}", keep_personal_data=True, include="all")
    kept = (tmp_path / f"keep.{fmt}").read_text("utf-8")
    for value in personal:
        assert json.dumps(value, ensure_ascii=False) in kept


# -- comments -----------------------------------------------------------------------------------


def test_comments_threaded_in_json(tmp_path: Path) -> None:
    export = read(FIXTURES / "classic.xml")
    items = list(export.items())
    replies = [(c.id, c.parent) for it in items for c in it.all_comments() if c.parent]
    assert replies, "classic.xml has replies"
    (doc,) = convert(FIXTURES / "classic.xml", "json", tmp_path / "x.json", **KEEP_ALL)
    nested = 0
    for jitem in doc["items"]:
        stack = [(c, 0) for c in jitem["comments"]]
        while stack:
            c, parent = stack.pop()
            assert c["parent"] == parent  # each reply sits under the comment it answers
            nested += parent != 0
            stack.extend((r, c["id"]) for r in c["replies"])
    assert nested == len(replies)


def test_corpus_has_the_files_these_tests_name() -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not present")
    missing = [rel for rel in CORPUS_FILES if not (CORPUS / rel).is_file()]
    assert missing == []


def test_jsonl_lines_survive_splitlines(tmp_path: Path) -> None:
    # U+2028, U+2029 and NEL are valid raw in JSON, but str.splitlines() breaks lines at
    # them: JSON Lines writes them escaped, and the text reads back exactly.
    odd = "one\u2028two\u2029three\x85four"
    src = (FIXTURES / "classic.xml").read_text("utf-8")
    first_title = src.index("<title>", src.index("<item>")) + len("<title>")
    end = src.index("</title>", first_title)
    export = tmp_path / "odd.xml"
    export.write_text(src[:first_title] + odd + src[end:], "utf-8")
    out = tmp_path / "odd.jsonl"
    wpconvert.convert(export, "jsonl", out)
    text = out.read_text("utf-8")
    assert not any(ch in text for ch in "\u2028\u2029\x85")
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == text.count("\n")
    assert records[1]["title"] == odd
    for fmt in ("json", "jsonl"):
        jobs = [convert(export, fmt, tmp_path / f"j{j}.{fmt}", jobs=j) for j in (1, 2)]
        assert jobs[0] == jobs[1]


def test_php_infinity_and_nan_become_strings(tmp_path: Path) -> None:
    # PHP serializes INF and NAN; JSON cannot hold them: they are written as strings.
    src = (FIXTURES / "classic.xml").read_text("utf-8")
    meta = ("<wp:postmeta><wp:meta_key>odd</wp:meta_key>"
            "<wp:meta_value><![CDATA[a:2:{i:0;d:INF;s:1:\"n\";d:NAN;}]]></wp:meta_value></wp:postmeta>")
    at = src.index("</item>")
    export = tmp_path / "odd.xml"
    export.write_text(src[:at] + meta + src[at:], "utf-8")
    for fmt in ("json", "jsonl"):
        records = convert(export, fmt, tmp_path / f"odd.{fmt}")
        items = records[0]["items"] if fmt == "json" else records[1:]
        rows = [m for it in items for m in it["meta"] if m["key"] == "odd"]
        assert rows == [{"key": "odd", "value": 'a:2:{i:0;d:INF;s:1:"n";d:NAN;}', "decoded": {"0": "inf", "n": "nan"}}]


# What an item's JSON holds: strings (every code point but surrogates, which XML cannot
# carry), integers (PHP's and past 64 bits), booleans, None, lists and dicts with string
# or integer keys (decoded PHP arrays).
_JSON_KEYS = st.one_of(st.text(), st.integers(min_value=-(2**70), max_value=2**70))
_JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_JSON_KEYS, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(value=_JSON_VALUES, meta=st.lists(st.text(alphabet="d:i;s0.5", max_size=8), max_size=3))
def test_fast_item_encoding_writes_the_standard_encoders_bytes(value: Any, meta: list[str]) -> None:
    # Items are encoded with orjson where it writes the same bytes as the standard
    # encoder, and with the standard encoder everywhere else (integers past 64 bits):
    # either way, the bytes are the same.
    item = Item(1, meta=tuple(Meta("k", v) for v in meta))
    record = {"value": value, "text": "\x00\x1f\x7f\"\\/\u2028\x85é\U0001f600", "meta": [], "comments": []}
    assert jsonout._item_bytes(lambda: copy.deepcopy(record), item) == jsonout._dumps(record).encode()


_DECODED = st.recursive(
    st.one_of(st.none(), st.integers(), st.text(max_size=3), st.floats()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.one_of(st.text(max_size=2), st.integers()), inner, max_size=3)),
    max_leaves=8,
)


def _meta_rows(values: list[Any]) -> list[dict[str, Any]]:
    return [{"key": "k", "value": "d:", "decoded": v} for v in values]


@settings(max_examples=300, deadline=None)
@given(item_meta=st.lists(_DECODED, max_size=2), comment_meta=st.lists(_DECODED, max_size=2),
       reply_meta=st.lists(_DECODED, max_size=2))
def test_floats_in_decoded_meta_are_written_as_the_standard_encoder_writes_them(
        item_meta: list[Any], comment_meta: list[Any], reply_meta: list[Any]) -> None:
    # orjson writes floats its own way (1e16, not 1e+16; NaN as null): in an item whose
    # meta may hold one, each float of the decoded meta (of the item, its comments and
    # their replies) is written by the standard encoder, NaN and infinities as strings.
    reply = {"id": 3, "meta": _meta_rows(reply_meta), "replies": []}
    comment = {"id": 2, "meta": _meta_rows(comment_meta), "replies": [reply]}
    record = {"id": 1, "meta": _meta_rows(item_meta), "comments": [comment]}
    item = Item(1, comments=(Comment(2, replies=(Comment(3, meta=(Meta("k", "d:1.5;"),)),)),))
    assert jsonout._may_hold_float(item)
    assert jsonout._item_bytes(lambda: copy.deepcopy(record), item) == jsonout._dumps(record).encode()


def test_float_written_as_python_writes_it() -> None:
    item = Item(1, meta=(Meta("k", 'a:1:{i:0;d:1.0E+16;}'),))
    record = {"meta": [{"key": "k", "value": "", "decoded": {0: 1e16, 1: [1.5e-07, float("nan")]}}], "comments": []}
    assert jsonout._item_bytes(lambda: copy.deepcopy(record), item) == \
        b'{"meta":[{"key":"k","value":"","decoded":{"0":1e+16,"1":[1.5e-07,"nan"]}}],"comments":[]}'
    assert not jsonout._may_hold_float(Item(1, meta=(Meta("k", 'a:1:{i:0;i:5;}'),)))


@pytest.mark.parametrize("text", ["", "plain", "a\u2028b\u2029c\x85d", "\u2028\u2028"])
def test_json_lines_escapes_line_breakers_in_bytes_as_in_text(text: str) -> None:
    record = jsonout._dumps({"t": text})
    assert jsonout._line_bytes(record.encode()) == jsonout._line(record).encode()
