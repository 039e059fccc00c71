"""Front matter dumping: any string, number or list round-trips through a YAML load."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from wpconvert.frontmatter import dump, front_matter, load

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
