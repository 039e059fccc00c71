"""Tests for the PHP unserializer."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree

from wpconvert import phpserial
from wpconvert.phpserial import (
    PHPSerialError,
    as_list,
    is_serialized,
    maybe_unserialize,
    unserialize,
)

SHRUG = "¯\\_(ツ)_/¯"


# -- a small PHP serializer, for round trips ----------------------------------------------


def php_serialize(value: Any) -> str:
    """Serialize JSON-like values the way PHP's serialize() does (lists as 0..n-1 arrays)."""
    if value is None:
        return "N;"
    if isinstance(value, bool):
        return f"b:{int(value)};"
    if isinstance(value, int):
        return f"i:{value};"
    if isinstance(value, float):
        if math.isnan(value):
            return "d:NAN;"
        if math.isinf(value):
            return "d:INF;" if value > 0 else "d:-INF;"
        return f"d:{value!r};"
    if isinstance(value, str):
        return f's:{len(value.encode("utf-8"))}:"{value}";'
    if isinstance(value, list):
        value = dict(enumerate(value))
    if isinstance(value, dict):
        body = "".join(php_serialize(k) + php_serialize(v) for k, v in value.items())
        return f"a:{len(value)}:{{{body}}}"
    raise TypeError(type(value))


def as_php(value: Any) -> Any:
    """What PHP holds for a JSON-like value: lists become int-keyed dicts."""
    if isinstance(value, list):
        return {i: as_php(v) for i, v in enumerate(value)}
    if isinstance(value, dict):
        return {k: as_php(v) for k, v in value.items()}
    return value


# Text without surrogates (they cannot be UTF-8 encoded for a real PHP value).
texts = st.text(st.characters(codec="utf-8"), max_size=30)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | texts
)
keys = st.integers(min_value=-1000, max_value=1000) | texts
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


@given(json_like)
def test_round_trip(value: Any) -> None:
    assert unserialize(php_serialize(value)) == as_php(value)
    assert unserialize(php_serialize(value), strict=True) == as_php(value)


@given(json_like)
def test_every_proper_prefix_is_rejected_in_strict_mode(value: Any) -> None:
    text = php_serialize(value)
    for cut in range(len(text)):
        with pytest.raises(PHPSerialError):
            unserialize(text[:cut], strict=True)


@given(st.lists(texts.filter(lambda t: '"' not in t), min_size=1, max_size=4), st.data())
def test_wrong_string_lengths_are_repaired(words: list[str], data: st.DataObject) -> None:
    body = ""
    for i, word in enumerate(words):
        true_len = len(word.encode("utf-8"))
        wrong = data.draw(st.integers(min_value=0, max_value=80))
        wrong += wrong == true_len
        body += f'i:{i};s:{wrong}:"{word}";'
    text = f"a:{len(words)}:{{{body}}}"
    assert unserialize(text) == dict(enumerate(words))
    with pytest.raises(PHPSerialError):
        unserialize(text, strict=True)


# -- every type -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("N;", None),
        ("b:0;", False),
        ("b:1;", True),
        ("i:-5;", -5),
        ("i:0;", 0),
        ("i:9223372036854775807;", 2**63 - 1),
        ("d:0.5;", 0.5),
        ("d:-1.0E+25;", -1.0e25),
        ("d:1.0E-5;", 1.0e-5),
        ("d:7.0999999999999996;", 7.1),
        ("d:INF;", math.inf),
        ("d:-INF;", -math.inf),
        ('s:0:"";', ""),
        ('s:5:"hello";', "hello"),
        ('s:3:"a"b";', 'a"b'),
        ('s:2:";}";', ";}"),
        ("a:0:{}", {}),
        ('a:2:{i:0;s:1:"a";i:1;s:1:"b";}', {0: "a", 1: "b"}),
        ('a:2:{s:1:"x";i:1;i:7;b:1;}', {"x": 1, 7: True}),
    ],
)
def test_scalars_and_arrays(text: str, expected: Any) -> None:
    assert unserialize(text) == expected
    assert type(unserialize(text)) is type(expected)


def test_nan() -> None:
    assert math.isnan(unserialize("d:NAN;"))


def test_multibyte_length_counts_bytes() -> None:
    # ¯ is 2 bytes, ツ is 3: 13 bytes in 9 characters.
    assert len(SHRUG) == 9 and len(SHRUG.encode("utf-8")) == 13
    text = f's:13:"{SHRUG}";'
    assert unserialize(text, strict=True) == SHRUG
    # Declared as characters (9) instead of bytes: only the lenient mode accepts it.
    with pytest.raises(PHPSerialError):
        unserialize(f's:9:"{SHRUG}";', strict=True)
    assert unserialize(f's:9:"{SHRUG}";') == SHRUG
    assert unserialize(f'a:1:{{s:3:"key";s:9:"{SHRUG}";}}') == {"key": SHRUG}


def test_length_splitting_a_character_is_repaired() -> None:
    # 'é' is 2 bytes; a length of 1 would cut it in half even if '";' followed.
    assert unserialize('s:1:"é";') == "é"


def test_nested_arrays_keep_order() -> None:
    text = 'a:3:{s:1:"z";a:1:{i:5;a:0:{}}s:1:"a";N;i:0;a:1:{s:1:"k";d:1.5;}}'
    result = unserialize(text)
    assert list(result) == ["z", "a", 0]
    assert result == {"z": {5: {}}, "a": None, 0: {"k": 1.5}}


def test_duplicate_keys_last_wins() -> None:
    assert unserialize('a:2:{i:0;s:1:"a";i:0;s:1:"b";}') == {0: "b"}


def test_objects_become_dicts_with_class() -> None:
    text = 'O:8:"stdClass":2:{s:3:"tag";s:5:"album";s:5:"count";i:3;}'
    assert unserialize(text) == {"__class__": "stdClass", "tag": "album", "count": 3}


def test_object_visibility_prefixes_are_dropped() -> None:
    text = 'O:3:"Foo":3:{s:6:"\0*\0pro";i:1;s:8:"\0Foo\0pri";i:2;s:3:"pub";i:3;}'
    assert unserialize(text) == {"__class__": "Foo", "pro": 1, "pri": 2, "pub": 3}


def test_object_cannot_override_its_class_marker() -> None:
    text = 'O:3:"Foo":1:{s:9:"__class__";s:3:"Bar";}'
    assert unserialize(text) == {"__class__": "Foo"}


def test_custom_serialized_kept_raw() -> None:
    text = 'a:1:{i:0;C:11:"ArrayObject":21:{x:i:0;a:0:{};m:a:0:{}}}'
    assert unserialize(text) == {
        0: {"__class__": "ArrayObject", "__serialized__": "x:i:0;a:0:{};m:a:0:{}"}
    }


def test_enum() -> None:
    assert unserialize('E:11:"Suit:Hearts";') == {"__class__": "Suit", "__enum__": "Hearts"}


def test_references_become_markers() -> None:
    text = 'a:3:{i:0;a:0:{}i:1;r:2;i:2;R:2;}'
    assert unserialize(text) == {0: {}, 1: {"__ref__": 2}, 2: {"__ref__": 2}}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x",
        "i:;",
        "i:1",
        "b:2;",
        "d:abc;",
        "s:3:abc;",
        'a:1:{i:0;s:1:"a";',
        'a:1:{a:0:{}i:1;}',  # array key must be int or string
        'a:1:{b:1;i:1;}',
        "a:2:{i:0;i:0;}",  # fewer elements than declared
        "a:0:{}extra",
        'O:9:"stdClass":0:{}',  # class name length wrong (class names are strict)
        'C:3:"Foo":99:{x}',
        'E:6:"NoCase";',
        "Z:1;",
        "i:" + "9" * 40 + ";",
    ],
)
def test_malformed_raises(text: str) -> None:
    with pytest.raises(PHPSerialError):
        unserialize(text)


def test_error_is_a_value_error() -> None:
    assert issubclass(PHPSerialError, ValueError)


# -- hostile input ----------------------------------------------------------------------------


def test_deep_nesting_rejected_fast() -> None:
    text = "a:1:{i:0;" * 10000 + "N;" + "}" * 10000
    start = time.perf_counter()
    with pytest.raises(PHPSerialError, match="nesting"):
        unserialize(text)
    assert time.perf_counter() - start < 0.5


def test_depth_limit_is_exact() -> None:
    def nested(depth: int) -> str:
        return "a:1:{i:0;" * depth + "N;" + "}" * depth

    assert unserialize(nested(64)) is not None
    with pytest.raises(PHPSerialError):
        unserialize(nested(65))
    with pytest.raises(PHPSerialError):
        unserialize(nested(3), max_depth=2)


def test_deep_objects_rejected() -> None:
    text = 'O:1:"A":1:{i:0;' * 200 + "N;" + "}" * 200
    with pytest.raises(PHPSerialError, match="nesting"):
        unserialize(text)


def test_huge_declared_string_length() -> None:
    text = 's:99999999999999999:"abc";'
    with pytest.raises(PHPSerialError):
        unserialize(text, strict=True)
    # Lenient mode finds the terminator; nothing of the declared size is allocated.
    assert unserialize(text) == "abc"
    with pytest.raises(PHPSerialError):
        unserialize('s:99999999999999999:"abc')


def test_huge_declared_count_rejected_up_front() -> None:
    with pytest.raises(PHPSerialError, match="elements"):
        unserialize("a:999999999999:{}")
    with pytest.raises(PHPSerialError, match="elements"):
        unserialize('O:8:"stdClass":99999999:{}')


def test_input_length_limit() -> None:
    text = f's:{1000}:"{"x" * 1000}";'
    assert unserialize(text, max_length=2000) == "x" * 1000
    with pytest.raises(PHPSerialError, match="longer"):
        unserialize(text, max_length=500)
    # Multibyte: 400 characters but 1200 bytes.
    wide = f's:1200:"{"ツ" * 400}";'
    with pytest.raises(PHPSerialError, match="longer"):
        unserialize(wide, max_length=1000)


def test_many_ambiguous_strings_stay_bounded() -> None:
    # Every string's length is wrong and every one has several plausible terminators:
    # the repair must give up (or succeed) within its attempt budget, quickly.
    part = 's:1:"a";s:1:"b";s:1:"c'
    text = "a:50:{" + "i:0;" + part * 50 + "}"
    start = time.perf_counter()
    with pytest.raises(PHPSerialError):
        unserialize(text)
    assert time.perf_counter() - start < 2.0


def test_repair_backtracks_past_a_plausible_wrong_terminator() -> None:
    # The nearest '";' to the declared end is inside the text and followed by 'i:';
    # taking it leaves trailing garbage, so the next candidate must be tried.
    text = 's:5:"x";i:1;}y";'
    assert unserialize(text) == 'x";i:1;}y'


# -- the fast path and the general parser ------------------------------------------------------


def outcome(text: str, **options: Any) -> tuple[str, str]:
    """What unserialize() gives, as comparable text: the value's repr or the error message."""
    try:
        return "value", repr(unserialize(text, **options))
    except PHPSerialError as exc:
        return "error", str(exc)


def general_outcome(text: str, **options: Any) -> tuple[str, str]:
    """outcome() with the fast path switched off: the general parser decides everything."""
    with mock.patch.object(phpserial, "_fast_unserialize", lambda text, depth: phpserial._NOTHING):
        return outcome(text, **options)


def _strings(value: Any) -> Iterator[str]:
    """Every string in ``value``, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@given(json_like)
@example({'";': None})
def test_fast_path_decodes_plain_arrays_as_the_general_parser(value: Any) -> None:
    text = php_serialize({"v": value, 0: [value]})
    fast = phpserial._fast_unserialize(text, phpserial.DEFAULT_MAX_DEPTH)
    if fast is phpserial._NOTHING:
        # The one plain value it leaves to the general parser: a string holding '";' (it
        # could be a wrong length's end; see _fast_unserialize).
        assert any('";' in s for s in _strings(value))
    else:
        assert repr(fast) == general_outcome(text)[1]
    assert outcome(text, strict=True) == general_outcome(text, strict=True)


@given(json_like, st.data())
def test_fast_path_and_general_parser_agree_on_damaged_input(value: Any, data: st.DataObject) -> None:
    text = php_serialize({"v": value})
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        at = data.draw(st.integers(min_value=0, max_value=len(text)))
        edit = data.draw(st.sampled_from(["", '";', "}", "9", "é", ":", "\udc80", "a:1:{"]))
        text = text[:at] + edit + text[at + data.draw(st.integers(min_value=0, max_value=2)) :]
    for options in ({}, {"strict": True}, {"max_depth": 1}):
        assert outcome(text, **options) == general_outcome(text, **options)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('a:1:{i:0;s:4:"a";b";}', {0: 'a";b'}),  # '";' inside a string of the right length
        ('a:1:{i:0;s:4:"a";b}";}', {0: 'a";b}'}),
        ('a:1:{i:0;s:1:"é";}', {0: "é"}),  # length in characters, not bytes: repaired
        ('a:1:{s:3:"\udc80";i:1;}', {"\udc80": 1}),  # a lone surrogate is 3 bytes
        ('a:1:{i:0;s:05:"hello";}', {0: "hello"}),
        ('a:1:{i:0;O:8:"stdClass":0:{}}', {0: {"__class__": "stdClass"}}),
        ("a:2:{i:0;a:0:{}i:1;r:2;}", {0: {}, 1: {"__ref__": 2}}),
        ("a:1:{i:0;d:1.;}", {0: 1.0}),
        ('s:9:"a:0:{}x";', "a:0:{}x"),  # a lone string: only the general parser
    ],
)
def test_values_the_fast_path_leaves_to_the_general_parser(text: str, expected: Any) -> None:
    assert unserialize(text) == expected
    assert outcome(text) == general_outcome(text)


def test_fast_path_declines() -> None:
    for text in [
        'a:1:{i:0;s:2:"a";}',  # wrong length
        'a:1:{i:0;s:4:"a";b";}',  # '";' in the content
        'a:1:{i:0;O:8:"stdClass":0:{}}',
        "a:1:{d:1;i:1;}",  # a float key
        "a:1:{a:0:{}i:1;}",  # an array key
        "a:2:{i:0;i:0;}",  # fewer elements than declared
        "a:1:{i:0;i:0;i:1;i:1;}",  # more
        "a:0:{}a:0:{}",  # trailing data
        "a:1:{i:0;N;} ",
        "i:5;",  # not an array
        "a:1:{i:0;d:1e;}",
    ]:
        assert phpserial._fast_unserialize(text, 64) is phpserial._NOTHING, text
    assert phpserial._fast_unserialize("a:1:{i:0;a:0:{}}", 2) == {0: {}}
    assert phpserial._fast_unserialize("a:1:{i:0;a:0:{}}", 1) is phpserial._NOTHING


def test_raised_max_depth_goes_deeper_than_the_default() -> None:
    text = "a:1:{i:0;" * 100 + "N;" + "}" * 100
    with pytest.raises(PHPSerialError, match="nesting"):
        unserialize(text)
    assert unserialize(text, max_depth=100) is not None


@pytest.mark.parametrize(
    "text",
    [
        "a:1:{i:0;" + 's:1:"' * 200_000 + "}",  # strings never closed: one scan, not one each
        "a:1:{i:0;d:" + "9" * 1_000_000 + "}",  # a float never closed: no backtracking
        "a:1:{i:0;d:" + "9" * 1_000_000 + ";}",
        'a:1:{i:0;s:1:"' + '"' * 1_000_000 + "}",
    ],
)
def test_long_hostile_tokens_stay_linear(text: str) -> None:
    start = time.perf_counter()
    outcome(text)
    assert time.perf_counter() - start < 1.0


# -- maybe_unserialize / is_serialized ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("N;", None),
        ("  i:5;\n", 5),
        ("b:1;", True),
        ('a:1:{s:1:"k";s:1:"v";}', {"k": "v"}),
        ('\n   a:0:{}\n  ', {}),
        ('O:8:"stdClass":0:{}', {"__class__": "stdClass"}),
    ],
)
def test_maybe_unserialize_decodes(text: str, expected: Any) -> None:
    assert is_serialized(text)
    assert maybe_unserialize(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1",
        "hello",
        "i:5",
        "a:1:{broken}",
        "s:5:hello;",
        "<p>a:1:{}</p>",
        'C:11:"ArrayObject":0:{}',
        "a:2:{i:0;i:0;}",  # looks serialized but does not parse: unchanged
        "x:5;",
    ],
)
def test_maybe_unserialize_leaves_other_text(text: str) -> None:
    assert maybe_unserialize(text) == text


def test_double_serialized_decodes_one_level() -> None:
    inner = 'a:1:{s:1:"x";i:1;}'
    outer = f's:{len(inner)}:"{inner}";'
    assert maybe_unserialize(outer) == inner
    assert maybe_unserialize(maybe_unserialize(outer)) == {"x": 1}


@given(texts)
def test_maybe_unserialize_never_raises(text: str) -> None:
    maybe_unserialize(text)


@given(json_like)
def test_maybe_unserialize_round_trip(value: Any) -> None:
    assert maybe_unserialize(php_serialize(value)) == as_php(value)


def test_as_list() -> None:
    assert as_list({0: "a", 1: "b"}) == ["a", "b"]
    assert as_list({}) == []
    assert as_list({1: "a"}) is None
    assert as_list({1: "b", 0: "a"}) is None
    assert as_list({"0": "a"}) is None
    assert as_list({0: "a", "__class__": "X"}) is None
    assert as_list({False: "a"}) is None


# -- the shared corpus ------------------------------------------------------------------------

WP_DATA = Path("wordpress-importer") / "phpunit-data"


def meta_values(path: Path, post_id: int | None = None) -> list[tuple[str, str]]:
    """(key, value) of every postmeta in the file (of one post when ``post_id`` is given)."""
    tree = etree.parse(str(path))
    found: list[tuple[str, str]] = []
    for item in tree.iter("item"):
        pid = item.findtext("{*}post_id")
        if post_id is not None and (pid is None or int(pid) != post_id):
            continue
        for meta in item.iterfind("{*}postmeta"):
            found.append((meta.findtext("{*}meta_key") or "", meta.findtext("{*}meta_value") or ""))
    return found


def test_corpus_serialized_postmeta_with_cdata(corpus: Path) -> None:
    meta = dict(meta_values(corpus / WP_DATA / "test-serialized-postmeta-with-cdata.xml", 10))
    assert unserialize(meta["post-options"]) == {
        "special_post_title": "A special title",
        "is_calendar": "",
    }
    assert unserialize(meta["array"]) == {"key": SHRUG}
    assert unserialize(meta["array-nested"]) == {"key": {"foo": SHRUG, "bar": "\\o/"}}
    # Non-serialized values pass maybe_unserialize through untouched.
    assert maybe_unserialize(meta["string"]) == SHRUG
    assert maybe_unserialize(meta["integer"]) == "1"
    assert maybe_unserialize(meta["evil"]) == "<wp:meta_value>evil</wp:meta_value>"


def test_corpus_serialized_postmeta_no_cdata(corpus: Path) -> None:
    meta = dict(meta_values(corpus / WP_DATA / "test-serialized-postmeta-no-cdata.xml", 122))
    assert maybe_unserialize(meta["post-options"]) == {
        "special_post_title": "A special title",
        "is_calendar": "",
    }


def test_corpus_utw_objects(corpus: Path) -> None:
    meta = dict(meta_values(corpus / WP_DATA / "test-utw-post-meta-import.xml", 150))
    value = unserialize(meta["test"])
    assert list(value) == list(range(13))
    assert all(obj["__class__"] == "stdClass" for obj in value.values())
    assert [obj["tag"] for obj in value.values()] == [
        "album", "apple", "art", "artwork", "dead-tracks", "ipod", "itunes",
        "javascript", "lyrics", "script", "tracks", "windows-scripting-host", "wscript",
    ]  # fmt: skip


def test_corpus_chunked_meta(corpus: Path) -> None:
    first = meta_values(corpus / WP_DATA / "chunked-meta.xml")[0]
    assert unserialize(first[1])["foo"] == "bar"


def test_corpus_ghost_has_meta(corpus: Path) -> None:
    meta = dict(meta_values(corpus / "ghost-migrate" / "has-meta.xml"))
    attachment = maybe_unserialize(meta["_wp_attachment_metadata"])
    assert attachment["width"] == 3510
    assert attachment["height"] == 1974
    assert attachment["sizes"]["medium"]["file"] == "IMG_2347-300x168.jpg"
    assert attachment["image_meta"]["aperture"] == pytest.approx(7.1)
    assert maybe_unserialize(meta["_et_dynamic_cached_shortcodes"]) == {}
    assert as_list(maybe_unserialize(meta["_et_dynamic_cached_shortcodes"])) == []


def test_corpus_wrong_lengths_in_real_exports(corpus: Path) -> None:
    # pelican's fixture has an attachment whose file name is one byte shorter than declared.
    for key, value in meta_values(corpus / "pelican" / "wordpressexport.xml"):
        if key == "_wp_attachment_metadata" and '"2012/02/pelican.png"' in value:
            with pytest.raises(PHPSerialError):
                unserialize(value, strict=True)
            decoded = maybe_unserialize(value)
            assert decoded["file"] == "2012/02/pelican.png"
            assert decoded["width"] == "150"
            assert decoded["image_meta"]["iso"] == "0"
            return
    pytest.fail("pelican attachment metadata not found")


def test_helper_serializer_matches_php() -> None:
    """The round-trip helper writes what PHP writes (so the round trip means something)."""
    assert php_serialize([1, "a"]) == 'a:2:{i:0;i:1;i:1;s:1:"a";}'
    assert php_serialize({"k": None, "é": 0.5}) == 'a:2:{s:1:"k";N;s:2:"é";d:0.5;}'
