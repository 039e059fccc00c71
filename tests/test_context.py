"""Tests of wpconvert.transform.context: protection tokens, fences, restoring under line prefixes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wpconvert.transform.content import render
from wpconvert.transform.context import AttachmentRef, TransformContext

TOKEN = re.compile(r"WPCVTPROTECTED\d+X")


# --- fence() ---------------------------------------------------------------------------------


def test_fence_is_three_backticks_with_the_language() -> None:
    ctx = TransformContext()
    assert ctx.restore(ctx.fence("print(1)", "python")) == "```python\nprint(1)\n```"
    assert ctx.restore(ctx.fence("a\n")) == "```\na\n```"  # one final newline, not two
    assert ctx.restore(ctx.fence("")) == "```\n```"


@pytest.mark.parametrize(("code", "ticks"), [("a `b` c", 3), ("```", 4), ("x ```` y\n`````", 6), ("``\n`", 3)])
def test_fence_is_longer_than_any_backtick_run_in_the_code(code: str, ticks: int) -> None:
    ctx = TransformContext()
    fence = "`" * ticks
    assert ctx.restore(ctx.fence(code, "md")) == f"{fence}md\n{code}\n{fence}"


@given(st.text(alphabet="`a \n<&>\t", max_size=40))
def test_fence_keeps_any_code_exactly(code: str) -> None:
    ctx = TransformContext()
    out = ctx.restore(ctx.fence(code))
    opening = out.split("\n", 1)[0]
    assert set(opening) == {"`"} and len(opening) >= 3
    assert opening not in code  # no run inside the code can close the fence
    assert out.endswith("\n" + opening)
    body = out[len(opening) + 1 : -len(opening)]  # the lines between the fences, each ending in a newline
    assert body == "" or body.endswith("\n")
    assert body.removesuffix("\n") == code.removesuffix("\n")


# --- protect() / restore() ----------------------------------------------------------------------


def test_tokens_are_letters_and_digits_and_restore_swaps_them_back() -> None:
    ctx = TransformContext()
    a, b = ctx.protect("<iframe></iframe>"), ctx.protect("`x`")
    assert TOKEN.fullmatch(a) and TOKEN.fullmatch(b) and a != b and a.isalnum()
    assert ctx.restore(f"{a}\n\ntext {b} and {b}") == "<iframe></iframe>\n\ntext `x` and `x`"


def test_restore_without_tokens_returns_the_text() -> None:
    assert TransformContext().restore("WPCVTPROTECTED0X") == "WPCVTPROTECTED0X"  # nothing protected
    ctx = TransformContext()
    ctx.protect("x")
    assert ctx.restore("plain\n  text\n") == "plain\n  text\n"


def test_nested_tokens_are_restored_once_with_one_prefix() -> None:
    ctx = TransformContext()
    inner = ctx.fence("a\n\nb")
    middle = ctx.protect(f"*caption*\n\n{inner}")
    outer = ctx.protect(f"<details>\n{middle}\n</details>")
    assert ctx.restore(outer) == "<details>\n*caption*\n\n```\na\n\nb\n```\n</details>"
    # Under a quote, every line of every level gets the prefix exactly once.
    assert ctx.restore(f"> {outer}") == ("> <details>\n> *caption*\n>\n> ```\n> a\n>\n> b\n> ```\n> </details>")


def test_nested_token_keeps_its_own_prefix_inside_the_protected_text() -> None:
    ctx = TransformContext()
    code = ctx.fence("x\n\ny")
    item = ctx.protect(f"- item\n\n  {code}")
    assert ctx.restore(f"> {item}") == "> - item\n>\n>   ```\n>   x\n>\n>   y\n>   ```"


def test_unknown_and_self_referencing_tokens_are_left_as_they_are() -> None:
    ctx = TransformContext()
    # Text of the post that happens to look like a token: numbered at or above the text holding it.
    own = ctx.fence("WPCVTPROTECTED0X and WPCVTPROTECTED7X")
    assert ctx.restore(own) == "```\nWPCVTPROTECTED0X and WPCVTPROTECTED7X\n```"
    assert ctx.restore("see WPCVTPROTECTED99X") == "see WPCVTPROTECTED99X"
    # Through the whole pipeline too.
    assert render("<pre>WPCVTPROTECTED0X</pre>", TransformContext()).markdown == "```\nWPCVTPROTECTED0X\n```\n"


# --- prefixes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # A quote: blank lines carry ">" without its trailing space.
        ("> T", "> ```\n> a\n>\n> b\n> ```"),
        ("> > T", "> > ```\n> > a\n> >\n> > b\n> > ```"),
        # Indentation (a later block of a list item): blank lines stay empty.
        ("  T", "  ```\n  a\n\n  b\n  ```"),
        ("\tT", "\t```\n\ta\n\n\tb\n\t```"),
        # A list item that starts with the token: its marker becomes spaces of its width.
        ("- T", "- ```\n  a\n\n  b\n  ```"),
        ("* T", "* ```\n  a\n\n  b\n  ```"),
        ("10. T", "10. ```\n    a\n\n    b\n    ```"),
        ("1) T", "1) ```\n   a\n\n   b\n   ```"),
        ("> 1. T", "> 1. ```\n>    a\n>\n>    b\n>    ```"),
        ("  - T", "  - ```\n    a\n\n    b\n    ```"),
        # No prefix: the text as it is.
        ("T", "```\na\n\nb\n```"),
    ],
)
def test_restore_under_a_prefix(line: str, expected: str) -> None:
    ctx = TransformContext()
    token = ctx.fence("a\n\nb")
    assert ctx.restore(line.replace("T", token)) == expected


def test_no_trailing_whitespace_from_the_prefix() -> None:
    ctx = TransformContext()
    token = ctx.fence("a\n\n\nb\n")
    for prefix in ("> ", "   ", "> > ", "- ", "> -   "):
        out = ctx.restore(prefix + token)
        assert not re.search(r"[ \t]$", out, re.M), (prefix, out)


def test_text_after_a_marker_is_not_a_prefix() -> None:
    # Emphasis marks and text before the token are not list markers: later lines get the leading prefix only.
    ctx = TransformContext()
    token = ctx.protect("<span>\n</span>")
    assert ctx.restore(f"*{token}*") == "*<span>\n</span>*"
    assert ctx.restore(f"> text -{token}") == "> text -<span>\n> </span>"


def test_fences_stay_inside_lists_and_quotes_end_to_end() -> None:
    cases = {
        "<blockquote><pre>a\n\nb</pre></blockquote>": "> ```\n> a\n>\n> b\n> ```\n",
        "<ul><li><pre>a\n\nb</pre></li></ul>": "- ```\n  a\n\n  b\n  ```\n",
        "<ol><li>x<pre>a\n\nb</pre>after</li></ol>": "1. x\n\n   ```\n   a\n\n   b\n   ```\n\n   after\n",
        "<blockquote><ul><li>x<pre>a\n\nb</pre></li></ul></blockquote>": ("> - x\n>\n>   ```\n>   a\n>\n>   b\n>   ```\n"),
    }
    for html, expected in cases.items():
        assert render(html, TransformContext()).markdown == expected, html


# --- the rest ----------------------------------------------------------------------------------------


def test_count_and_defaults() -> None:
    ctx = TransformContext()
    ctx.count("a")
    ctx.count("a", 2)
    assert ctx.stats["a"] == 3
    assert ctx.post_id is None and ctx.attached is None and ctx.attachments == {}
    ref = AttachmentRef(1, "u")
    ctx = TransformContext(post_id=3, attached=lambda post: [ref] if post == 3 else [])
    assert ctx.attached is not None and ctx.attached(3) == [ref]
