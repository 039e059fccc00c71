"""Lossless JSON: one document (``--format json``) or one record per line (``jsonl``).

The document is streamed to disk item by item, never built in memory. Field order is the
model's and nothing depends on the clock, so the same input gives byte-identical output.
The shape is described by ``wpconvert/schema/export.schema.json``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import fields
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from ..model import Author, Comment, Item, Meta, Site, Term
from ..phpserial import is_serialized
from . import Writer

if TYPE_CHECKING:
    from ..pipeline import Outcome

FORMAT_VERSION = 1
# No check for reference cycles: what is encoded is made afresh from the model (PHP
# references decode to {"__ref__": n}, never to shared objects), and the check's
# bookkeeping for every dict and list cost 15% of encoding an item (measured).
_encode = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), check_circular=False,
).encode


def _dumps(value: Any) -> str:
    """Compact JSON text. A PHP-serialized INF or NAN (which JSON cannot hold) is written
    as a string: rare, so the data is made plain only when the encoder refuses it."""
    try:
        return _encode(value)
    except ValueError:
        return _encode(_plain(value))


# orjson writes the same bytes as _encode(...).encode() for what an item holds (strings,
# ints, booleans, None, lists, dicts with string or int keys; tests/test_json.py checks it)
# at about twice the speed: items are most of a JSON conversion. Floats it writes its own
# way (1e16 against Python's 1e+16, NaN as null): they are handed to it already written,
# by the standard encoder (see _item_bytes).
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def _item_bytes(make: Callable[[], dict[str, Any]], item: Item) -> bytes:
    """The JSON of ``make()`` (a record made from ``item``) as compact UTF-8: the bytes
    of ``_dumps(make()).encode()``."""
    value = make()
    if _may_hold_float(item):
        _write_floats(value)
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        # Past what orjson takes: an integer beyond 64 bits, a lone surrogate, nesting
        # deeper than 254 levels. The standard encoder decides (as it always did).
        return _dumps(make()).encode()


def _may_hold_float(item: Item) -> bool:
    """Whether a meta value of ``item`` or of its comments may decode to a float: the only
    source of floats in an item (PHP serializes one as ``d:0.5;``)."""
    if any("d:" in m.value for m in item.meta):
        return True
    stack = list(item.comments)
    while stack:
        c = stack.pop()
        if c.meta and any("d:" in m.value for m in c.meta):
            return True
        stack.extend(c.replies)
    return False


def _write_floats(record: dict[str, Any]) -> None:
    """Replace, in place, each float in the decoded meta of an item's or comment's
    ``record`` (and its replies') by its JSON as :func:`_dumps` writes it."""
    for row in record["meta"]:
        if "decoded" in row:
            row["decoded"] = _floats_written(row["decoded"])
    for reply in record["comments" if "comments" in record else "replies"]:
        _write_floats(reply)


def _floats_written(value: Any) -> Any:
    if isinstance(value, float):
        return orjson.Fragment(_dumps(value))
    if isinstance(value, dict):
        return {k: _floats_written(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_floats_written(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """Decoded PHP values made JSON-safe (NaN and infinities become strings)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def meta_dict(m: Meta) -> dict[str, Any]:
    """A meta row; ``decoded`` is added when the value is PHP-serialized (as decoded:
    encode it with :func:`_dumps`)."""
    out: dict[str, Any] = {"key": m.key, "value": m.value}
    if is_serialized(m.value):
        decoded = m.decoded()
        if decoded != m.value:
            out["decoded"] = decoded
    return out


def comment_dict(c: Comment) -> dict[str, Any]:
    """A comment with its replies nested (the model's fields, in its order)."""
    return {
        "id": c.id, "author": c.author, "author_email": c.author_email, "author_url": c.author_url,
        "author_ip": c.author_ip, "date": c.date, "date_gmt": c.date_gmt, "content": c.content,
        "approved": c.approved, "type": c.type, "parent": c.parent, "user_id": c.user_id,
        "meta": [meta_dict(m) for m in c.meta] if c.meta else [],
        "replies": [comment_dict(r) for r in c.replies] if c.replies else [],
    }


def item_dict(item: Item, media: dict[str, str] | None = None) -> dict[str, Any]:
    """An item as JSON-ready data (the model's fields, in its order, but ``source``);
    ``media`` maps original URLs to local paths."""
    out: dict[str, Any] = {
        "id": item.id, "post_type": item.post_type, "title": item.title, "link": item.link,
        "guid": item.guid, "pub_date": item.pub_date, "creator": item.creator,
        "content": item.content, "excerpt": item.excerpt, "date": item.date,
        "date_gmt": item.date_gmt, "modified": item.modified, "modified_gmt": item.modified_gmt,
        "comment_status": item.comment_status, "ping_status": item.ping_status,
        "post_name": item.post_name, "slug": item.slug, "status": item.status,
        "parent": item.parent, "menu_order": item.menu_order, "password": item.password,
        "sticky": item.sticky, "attachment_url": item.attachment_url,
        "terms": [{"taxonomy": t.taxonomy, "slug": t.slug, "name": t.name} for t in item.terms],
        "meta": [meta_dict(m) for m in item.meta],
        "comments": [comment_dict(c) for c in item.comments],
    }
    if media:
        out["media"] = [{"url": u, "path": p} for u, p in sorted(media.items())]
    return out


# item_dict() and comment_dict() spell the fields out (a loop over fields() with getattr
# was a tenth of a JSON conversion): fail at import if the model changes under them.
assert list(item_dict(Item(None))) == [f.name for f in fields(Item) if f.name != "source"], "Item changed"
assert list(comment_dict(Comment(0))) == [f.name for f in fields(Comment)], "Comment changed"


def term_dict(t: Term) -> dict[str, Any]:
    """A channel term with its meta."""
    return {
        "taxonomy": t.taxonomy, "slug": t.slug, "name": t.name, "id": t.id,
        "parent": t.parent, "description": t.description, "meta": [meta_dict(m) for m in t.meta],
    }


def author_dict(a: Author) -> dict[str, Any]:
    """An author."""
    return {f.name: getattr(a, f.name) for f in fields(Author)}


def site_dict(site: Site) -> dict[str, Any]:
    """The site header, without authors and terms (they are top-level keys)."""
    skip = {"authors", "terms", "files"}
    out = {f.name: getattr(site, f.name) for f in fields(Site) if f.name not in skip}
    # Only the inputs' base names: the folder they sat in is not part of the export.
    out["files"] = [os.path.basename(f) for f in site.files]
    return out


class _StreamingFile:
    """A file written under a temporary name and renamed into place when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = path.with_name(f".wpconvert-tmp-{path.name}")
        # Binary: items arrive as UTF-8 bytes, encoded in the worker that made them (a str
        # would be encoded to cross the process boundary, decoded, and encoded again here).
        self.fh: IO[bytes] = open(self.tmp, "wb")

    def commit(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, self.path)


class JSONWriter(Writer):
    """``--format json``: one lossless JSON document (site, authors, terms, items)."""

    name = "json"
    description = "one lossless JSON document: site, authors, terms, items with meta and threaded comments"
    single_file = True
    wants_all_items = True
    parallel = True

    def write(self, items: Iterable[Item]) -> None:
        def outcomes() -> Iterable[tuple[Any, int, bytes]]:
            for item in items:
                yield item, self.ctx.seq, self.prepare(item)
        self._write(outcomes())

    def write_prepared(self, outcomes: Iterable[Outcome]) -> None:
        self._write((o.ref, o.seq, o.payload) for o in outcomes)

    def prepare(self, item: Item) -> bytes:
        """The item's JSON text, UTF-8 encoded (in a worker process with ``-j``)."""
        return _item_bytes(lambda: item_dict(item, self.media_for(item)), item)

    def head(self) -> str:
        """What comes before the items."""
        site = self.ctx.site
        return (
            '{"wpconvert":' + _dumps({"format": FORMAT_VERSION})
            + ',\n"site":' + _dumps(site_dict(site))
            + ',\n"authors":' + _dumps([author_dict(a) for a in site.authors])
            + ',\n"terms":' + _dumps([term_dict(t) for t in site.terms])
            + ',\n"items":['
        )

    # The document: items separated by ",\n" between the head and the closing brackets.
    separator, first_separator, tail = ",\n", "\n", "\n]}\n"

    def _write(self, texts: Iterable[tuple[Any, int, bytes]]) -> None:
        ctx = self.ctx
        out = _StreamingFile(ctx.output)
        fh = out.fh
        fh.write(self.head().encode())
        first, separator = self.first_separator.encode(), self.separator.encode()
        sep = first
        name = ctx.output.name
        for ref, seq, text in texts:
            fh.write(sep)
            fh.write(text)
            sep = separator
            ctx.report.written(ref, name, seq)
        fh.write(self.tail.encode())
        out.commit()

    def media_for(self, item: Item) -> dict[str, str] | None:
        """Local paths of the item's media, when media were downloaded (set by convert)."""
        if self.media is None:
            return None
        return self.media.for_item(item) or None


# Line and paragraph separators are valid raw in JSON, but readers that split lines with
# Python's str.splitlines() (or JavaScript before ES2019) break records at them.
_LINE_BREAKERS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


class JSONLinesWriter(JSONWriter):
    """``--format jsonl``: a site record on the first line, then one item per line."""

    name = "jsonl"
    description = "JSON Lines: a site record, then one line per item"
    separator = first_separator = ""
    tail = ""

    def head(self) -> str:
        """The site record, on the first line."""
        ctx = self.ctx
        head = {
            "record": "site", "wpconvert": {"format": FORMAT_VERSION}, "site": site_dict(ctx.site),
            "authors": [author_dict(a) for a in ctx.site.authors],
            "terms": [term_dict(t) for t in ctx.site.terms],
        }
        return _line(_dumps(head))

    def prepare(self, item: Item) -> bytes:
        """The item's record, one line (UTF-8)."""
        def record() -> dict[str, Any]:
            out = {"record": "item"}
            out.update(item_dict(item, self.media_for(item)))
            return out
        return _line_bytes(_item_bytes(record, item))


def _line(text: str) -> str:
    """A JSON text as one line of JSON Lines."""
    if "\u2028" in text or "\u2029" in text or "\x85" in text:
        text = text.translate(_LINE_BREAKERS)
    return text + "\n"


# The same characters in UTF-8. In JSON text they can only stand inside strings, where the
# escape means the same character.
_LINE_BREAKER_BYTES = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"), (b"\xc2\x85", b"\\u0085"))


def _line_bytes(data: bytes) -> bytes:
    """:func:`_line` for UTF-8 JSON text."""
    for raw, escaped in _LINE_BREAKER_BYTES:
        if raw in data:
            data = data.replace(raw, escaped)
    return data + b"\n"
