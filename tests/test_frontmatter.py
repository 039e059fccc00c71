"""Front matter dumping: round-trips through a YAML load, and the fast path matches PyYAML."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from wpconvert.frontmatter import _dump_pyyaml, _fast_dump, dump, front_matter, load

# Text of every kind: emoji and other astral characters, quotes, colons, YAML keywords.
TEXT = st.one_of(
    st.text(),
    st.sampled_from(["yes", "no", "null", "~", "1e3", "0x1F", "- a", "a: b", "'q'", '"q"', "#c", "🎉 x", "\ufeff"]),
)
VALUE = st.recursive(
    st.one_of(TEXT, st.integers(), st.booleans(), st.none()),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def _loadable(value: Any) -> bool:
    # YAML cannot hold these code points as text (the dumper escapes or refuses them).
    text = repr(value)
    return "\\ud8" not in text and "\\udc" not in text


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(TEXT, VALUE, max_size=6))
def test_dump_round_trips(data: dict[str, Any]) -> None:
    if not _loadable(data):
        return
    text = dump(data)
    assert yaml.safe_load(text) == data
    assert load(text) == data
    page = front_matter(data, "body\n")
    assert page == (f"---\n{text}---\n\nbody\n" if data else "body\n")


# Title-like text: words, YAML punctuation and keywords, non-ASCII letters, emoji, spaces at
# the ends and line breaks, in any mix.
_PIECES = st.sampled_from([
    "Hello", "world", "Café", "Ärger", "日本語", "Привет", "🎉", "😀x", " ", "  ", "\n", "\n\n",
    "\t", "\r\n", ":", ": ", " :", "-", "- ", "--- ", "...", "#", " #", "?", "? ", "'", '"', ",",
    "!", "&", "*", "[", "]", "{", "}", "|", ">", "@", "%", "`", "\\", "\\U0001F389", "yes", "No",
    "null", "~", "1e3", "0x1F", "2020-01-01", "2020-01-01 10:00:00", ".inf", "-.5", "12", "=",
    "<<", "true", "\x85", "\u2028", "\ufeff", "\xa0", "\x00", "\x07", "\ufffe", "a" * 130,
])
TITLE = st.lists(_PIECES, min_size=0, max_size=6).map("".join)
ANY_TEXT = st.one_of(st.text(), TITLE, TEXT)
SCALAR = st.one_of(
    ANY_TEXT, st.integers(), st.booleans(), st.none(), st.floats(), st.tuples(),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())), st.dates(),
)
NESTED = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
DOCUMENT = st.one_of(
    st.dictionaries(ANY_TEXT, NESTED, max_size=8),
    st.lists(st.dictionaries(ANY_TEXT, NESTED, max_size=5), max_size=4),
    NESTED,
)


def _reference(data: Any) -> str | BaseException:
    try:
        return _dump_pyyaml(data)
    except Exception as exc:  # noqa: BLE001 - compared with what dump() raises
        return exc


@settings(max_examples=2000, deadline=None)
@given(DOCUMENT)
def test_dump_matches_pyyaml(data: Any) -> None:
    expected = _reference(data)
    if isinstance(expected, BaseException):
        with pytest.raises(type(expected)):
            dump(data)
        return
    assert dump(data) == expected
    fast = _fast_dump(data)
    assert fast is None or fast == expected


@pytest.mark.parametrize("key", ["k" * 127, "k" * 128, "k" * 129, "é" * 64, "é" * 65, "ü" + "k" * 127])
def test_dump_matches_pyyaml_on_long_keys(key: str) -> None:
    # libyaml writes a key of more than 128 bytes of UTF-8 as "? key".
    for data in ({key: 1}, [{"a": 1, key: [key]}]):
        assert dump(data) == _dump_pyyaml(data)


def test_dump_matches_pyyaml_on_shared_objects() -> None:
    # The same dict, list or datetime twice gets an anchor and an alias.
    when = dt.datetime(2024, 5, 3, 9, tzinfo=dt.UTC)
    tags = ["a"]
    for data in ({"date": when, "lastmod": when}, {"tags": tags, "categories": tags}, [tags, tags]):
        assert _fast_dump(data) is None
        assert dump(data) == _dump_pyyaml(data)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="the fast path follows libyaml")
def test_fast_path_taken_for_typical_front_matter() -> None:
    when = dt.datetime(2024, 5, 9, 8, tzinfo=dt.UTC)
    page = {
        "title": "Moving a blog: what I learned (part 2) — “quotes” & ünïcödé 🎉",
        "date": when, "lastmod": dt.datetime(2024, 5, 10, 8, tzinfo=dt.UTC),
        "slug": "moving-a-blog", "author": "Ada Park", "draft": False, "weight": 3,
        "summary": "Line one.\n\nLine two: it's \"quoted\".", "aliases": [], "params": {},
        "categories": ["Notes", "yes", "2024"], "tags": ["#hash", "C++", "- dash"],
        "original_url": "https://blog.example.org/2024/05/moving-a-blog/", "wordpress_id": 20,
        "menu": {"main": {"parent": None, "weight": -1}}, "type": "post",
    }
    comments = [{"id": 500, "author": "Lee", "date": when, "content": "Thanks: helpful!",
                 "replies": [{"id": 501, "author": "Ada", "date": dt.date(2024, 5, 4), "content": "Glad\nit did.",
                              "replies": []}]}]
    for data in (page, comments, {"nested": [[1, [2, {}]], {"a": [{"b": "c"}]}]}):
        fast = _fast_dump(data)
        assert fast is not None
        assert fast == _dump_pyyaml(data) == dump(data)
