"""Model objects from parsed WXR elements: items, comments (threaded), authors, terms.

The reader (:mod:`wpconvert.reader`) streams the elements; this module turns one complete
element into frozen model objects. :class:`RawItem` carries an item from the process that
parsed it to the one that builds it (see :mod:`wpconvert.pipeline`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import unquote

from .model import Author, Comment, Item, ItemTerm, Meta, Source, Term, pickles_as_tuple
from .split import SplitFailed
from .xmlstream import parse_exact, parse_item

# WordPress changed the namespace URI with each WXR version (1.0, 1.1, 1.2) and some
# exports use https://; match the family, not one URI.
_WP_NS = re.compile(r"^https?://wordpress\.org/export/(\d+\.\d+)/?$")
_EXCERPT_NS = re.compile(r"^https?://wordpress\.org/export/\d+\.\d+/excerpt/?$")
_CONTENT_NS = re.compile(r"^https?://purl\.org/rss/1\.0/modules/content/?$")
_DC_NS = re.compile(r"^https?://purl\.org/dc/elements/1\.1/?$")
_NO_DATE = "0000-00-00 00:00:00"
# PHP's trim() characters: what WordPress strips from logins (sanitize_user) and addresses.
# Not Python's str.strip(), which would also eat NBSP and other Unicode spaces.
_PHP_TRIM = " \t\n\r\0\x0b"

_tag_cache: dict[str, str] = {}
# An export with endless distinct element names must not grow the cache without bound.
_TAG_CACHE_MAX = 4096


def _key(tag: Any) -> str:
    """A stable short name for an element's Clark tag: ``wp:post_id``, ``title``, …

    Elements of foreign namespaces get ``?`` names and are ignored by the builders.
    """
    try:
        return _tag_cache[tag]
    except (KeyError, TypeError):
        pass
    if not isinstance(tag, str):  # comments, processing instructions
        return "?"
    if tag[0] != "{":
        key = tag
    else:
        uri, local = tag[1:].split("}", 1)
        if _WP_NS.match(uri):
            key = "wp:" + local
        elif _EXCERPT_NS.match(uri):
            key = "excerpt:" + local
        elif _CONTENT_NS.match(uri):
            key = "content:" + local
        elif _DC_NS.match(uri):
            key = "dc:" + local
        else:
            key = "?" + local
    if len(_tag_cache) < _TAG_CACHE_MAX:
        _tag_cache[tag] = key
    return key


def _text(el: Any) -> str:
    # lxml joins adjacent text and CDATA sections (WordPress splits "]]>" across two).
    t = el.text
    return t if t is not None else ""


# An exported number: ASCII digits only (Python's int() would also take "1_000" and
# Arabic-Indic digits, and raise past 4300 digits). Values past 64 bits are kept: the site
# index guards against them and `wpconvert check` reports them (WPC210).
_INT = re.compile(r"[+-]?[0-9]{1,40}")


def _int(value: str) -> int | None:
    if value.isdigit() and value.isascii() and len(value) <= 40:
        return int(value)
    value = value.strip()
    return int(value) if _INT.fullmatch(value) else None


def _date(value: str) -> str | None:
    value = value.strip()
    return None if not value or value == _NO_DATE else value


def _decode_slug(post_name: str) -> str:
    # WordPress stores non-ASCII slugs percent-encoded (sanitize_title → urlencode).
    return unquote(post_name) if "%" in post_name else post_name


def _meta(el: Any) -> Meta:
    key = value = None
    cache = _tag_cache
    for c in el:
        tag = c.tag
        k = cache.get(tag) or _key(tag)
        if k == "wp:meta_key":
            key = c.text
        elif k == "wp:meta_value":
            value = c.text
    return Meta(key or "", value or "")


def _author(el: Any) -> Author:
    f: dict[str, str] = {}
    for c in el:
        f[_key(c.tag)] = _text(c)
    return Author(
        # Logins and addresses never hold surrounding white space (WordPress's importer
        # passes them through sanitize_user()/sanitize_email()), but hand-edited exports
        # put the closing tag on the next line (authors-multiline.xml).
        login=f.get("wp:author_login", "").strip(_PHP_TRIM),
        id=_int(f.get("wp:author_id", "")),
        email=f.get("wp:author_email", "").strip(_PHP_TRIM),
        display_name=f.get("wp:author_display_name", ""),
        first_name=f.get("wp:author_first_name", ""),
        last_name=f.get("wp:author_last_name", ""),
    )


def _term(el: Any, kind: str) -> Term:
    f: dict[str, str] = {}
    meta: list[Meta] = []
    for c in el:
        k = _key(c.tag)
        if k == "wp:termmeta":
            meta.append(_meta(c))
        else:
            f[k] = _text(c)
    if kind == "wp:category":
        return Term("category", f.get("wp:category_nicename", ""), f.get("wp:cat_name", ""),
                    _int(f.get("wp:term_id", "")), f.get("wp:category_parent", ""),
                    f.get("wp:category_description", ""), tuple(meta))
    if kind == "wp:tag":
        return Term("post_tag", f.get("wp:tag_slug", ""), f.get("wp:tag_name", ""),
                    _int(f.get("wp:term_id", "")), "", f.get("wp:tag_description", ""), tuple(meta))
    return Term(f.get("wp:term_taxonomy", ""), f.get("wp:term_slug", ""), f.get("wp:term_name", ""),
                _int(f.get("wp:term_id", "")), f.get("wp:term_parent", ""),
                f.get("wp:term_description", ""), tuple(meta))


@dataclass(slots=True)
class _RawComment:
    fields: dict[str, str]
    meta: list[Meta]
    id: int = 0
    parent: int = 0


def _comment(el: Any) -> _RawComment:
    f: dict[str, str] = {}
    meta: list[Meta] = []
    cache = _tag_cache
    for c in el:
        tag = c.tag
        k = cache.get(tag) or _key(tag)
        if k == "wp:commentmeta":
            meta.append(_meta(c))
        else:
            t = c.text
            f[k] = t if t is not None else ""
    return _RawComment(f, meta, _int(f.get("wp:comment_id", "")) or 0, _int(f.get("wp:comment_parent", "")) or 0)


def _build_comment(raw: _RawComment, replies: tuple[Comment, ...]) -> Comment:
    f = raw.fields
    return Comment(
        id=raw.id,
        author=f.get("wp:comment_author", ""),
        author_email=f.get("wp:comment_author_email", ""),
        author_url=f.get("wp:comment_author_url", ""),
        author_ip=f.get("wp:comment_author_IP", ""),
        date=_date(f.get("wp:comment_date", "")),
        date_gmt=_date(f.get("wp:comment_date_gmt", "")),
        content=f.get("wp:comment_content", ""),
        approved=f.get("wp:comment_approved", "1").strip(),
        # Older exports write "" for an ordinary comment.
        type=f.get("wp:comment_type", "").strip() or "comment",
        parent=raw.parent,
        user_id=_int(f.get("wp:comment_user_id", "")) or 0,
        meta=tuple(raw.meta),
        replies=replies,
    )


# Replies nested deeper than this hang at this depth, the way WordPress shows replies past
# its thread depth setting (10 at most) at the deepest level. Without a bound, a long reply
# chain would overflow every recursive consumer (dataclass comparison, JSON, templates).
MAX_REPLY_DEPTH = 100


def thread_comments(raws: list[_RawComment], note: Any) -> tuple[Comment, ...]:
    """Thread comments into reply trees by ``comment_parent``, iteratively.

    A reply whose parent is not among the item's comments stays at the top level, and so
    does a comment caught in a parent cycle; replies past :data:`MAX_REPLY_DEPTH` levels
    hang, in export order, under their ancestor at that depth. ``note(kind, comment_id)``
    is told of each (``orphan-comment``, ``comment-cycle``, ``deep-thread``). Every
    comment keeps its exported ``parent``.
    """
    if not any(r.parent for r in raws):
        # No replies (most items): nothing to thread.
        return tuple(_build_comment(r, ()) for r in raws)
    threaded = _thread_in_order(raws)
    return threaded if threaded is not None else _thread_any(raws, note)


def _thread_in_order(raws: list[_RawComment]) -> tuple[Comment, ...] | None:
    """The common case, quickly: every reply comes after its parent (WordPress exports
    comments by id) and no thread is too deep. None when that is not so."""
    index: dict[int, int] = {}
    for i, r in enumerate(raws):
        index.setdefault(r.id, i)
    kids: list[list[int]] = [[] for _ in raws]
    depth = [1] * len(raws)
    for i, r in enumerate(raws):
        if r.parent:
            at = index.get(r.parent, i)
            if at >= i:
                return None  # a missing or later parent (or itself): see _thread_any
            depth[i] = depth[at] + 1
            if depth[i] > MAX_REPLY_DEPTH:
                return None
            kids[at].append(i)
    # Replies come after their parents: built from the last comment back, each finds its
    # replies built.
    built: dict[int, Comment] = {}
    for i in range(len(raws) - 1, -1, -1):
        built[i] = _build_comment(raws[i], tuple(built[k] for k in kids[i]))
    return tuple(built[i] for i, r in enumerate(raws) if not r.parent)


def _thread_any(raws: list[_RawComment], note: Any) -> tuple[Comment, ...]:
    """Threading in general: orphans, cycles, replies before their parents, deep chains."""
    ids = [r.id for r in raws]
    index: dict[int, int] = {}
    for i, cid in enumerate(ids):
        index.setdefault(cid, i)
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for i, r in enumerate(raws):
        parent = r.parent
        if parent == 0:
            roots.append(i)
        elif parent not in index or index[parent] == i:
            note("orphan-comment", ids[i])
            roots.append(i)
        else:
            children.setdefault(index[parent], []).append(i)

    # Place every comment once, walking down from the roots (without recursion).
    placed: set[int] = set()
    tree: dict[int, list[int]] = {}

    def place(root: int) -> None:
        placed.add(root)
        stack = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            kids = [c for c in children.get(node, ()) if c not in placed]
            placed.update(kids)
            if kids and depth >= MAX_REPLY_DEPTH:
                below = list(kids)
                todo = list(kids)
                while todo:
                    more = [c for c in children.get(todo.pop(), ()) if c not in placed]
                    placed.update(more)
                    below.extend(more)
                    todo.extend(more)
                if len(below) > len(kids):
                    note("deep-thread", ids[node])
                tree[node] = sorted(below)
                continue
            tree[node] = kids
            stack.extend((k, depth + 1) for k in reversed(kids))

    top: list[int] = []
    for root in roots:
        place(root)
        top.append(root)
    for i in range(len(raws)):
        if i not in placed:  # part of a parent cycle: unreachable from any root
            note("comment-cycle", ids[i])
            place(i)
            top.append(i)

    # Build the frozen comments bottom-up (post-order, without recursion).
    built: dict[int, Comment] = {}
    for root in top:
        stack: list[tuple[int, bool]] = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                built[node] = _build_comment(raws[node], tuple(built[c] for c in tree.get(node, ())))
                continue
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(tree.get(node, ())))
    return tuple(built[root] for root in top)


def build_item(el: Any, source: Source | None, note: Any, comments: bool = True) -> Item:
    """Build an :class:`Item` from a complete ``<item>`` element (without its comments
    when ``comments`` is False: for passes that do not use them)."""
    f: dict[str, str] = {}
    terms: list[ItemTerm] = []
    meta: list[Meta] = []
    raw_comments: list[_RawComment] = []
    # The hot loop of the reader: one pass over the children, names from the cache.
    cache = _tag_cache
    for c in el:
        tag = c.tag
        k = cache.get(tag) or _key(tag)
        if k == "wp:postmeta":
            meta.append(_meta(c))
        elif k == "wp:comment":
            if comments:
                raw_comments.append(_comment(c))
        elif k == "category":
            t = c.text
            terms.append(ItemTerm(c.get("domain", ""), c.get("nicename", ""), t if t is not None else ""))
        elif k not in f:
            # namespace-edge-cases: the first occurrence of a field wins (the importer's
            # XML parsers agree with each other only on this).
            t = c.text
            f[k] = t if t is not None else ""
    post_name = f.get("wp:post_name", "")
    if any(not t.slug for t in terms):
        terms = _drop_rss_twins(terms)
    return Item(
        id=_int(f.get("wp:post_id", "")),
        post_type=f.get("wp:post_type", "").strip() or "post",
        title=f.get("title", ""),
        link=f.get("link", "").strip(),
        guid=f.get("guid", "").strip(),
        pub_date=f.get("pubDate", "").strip(),
        # The author's login (trimmed like Author.login, so that Site.author() finds it).
        creator=f.get("dc:creator", "").strip(_PHP_TRIM),
        content=f.get("content:encoded", ""),
        excerpt=f.get("excerpt:encoded", ""),
        date=_date(f.get("wp:post_date", "")),
        date_gmt=_date(f.get("wp:post_date_gmt", "")),
        modified=_date(f.get("wp:post_modified", "")),
        modified_gmt=_date(f.get("wp:post_modified_gmt", "")),
        comment_status=f.get("wp:comment_status", "").strip(),
        ping_status=f.get("wp:ping_status", "").strip(),
        post_name=post_name,
        slug=_decode_slug(post_name.strip()),
        status=f.get("wp:status", "").strip() or "publish",
        parent=_int(f.get("wp:post_parent", "")) or 0,
        menu_order=_int(f.get("wp:menu_order", "")) or 0,
        password=f.get("wp:post_password", ""),
        sticky=f.get("wp:is_sticky", "0").strip() == "1",
        attachment_url=f.get("wp:attachment_url", "").strip(),
        terms=tuple(terms),
        meta=tuple(meta),
        comments=thread_comments(raw_comments, note) if raw_comments else (),
        source=source,
    )


def _drop_rss_twins(terms: list[ItemTerm]) -> list[ItemTerm]:
    """Drop the plain RSS copies WXR 1.0 wrote beside each of an item's terms.

    WordPress up to 3.0 wrote every term twice: ``<category>Name</category>`` (for tags
    ``<category domain="tag">Name</category>``) for feed readers, then the same with a
    ``nicename``. The copy without a slug is dropped when its twin is there (WordPress's
    importer ignores it too); one without a twin is all an export holds and is kept.
    """
    named = {(t.kind, t.name) for t in terms if t.slug}
    return [t for t in terms if t.slug or (t.kind, t.name) not in named]


class FileSlice(NamedTuple):
    """An item's bytes by where they are in a plain file, with the root element that
    declares its namespaces (see :func:`wpconvert.split.split_items`)."""

    path: str
    offset: int
    length: int
    wrap: bytes

    def read(self) -> bytes:
        """The item inside its root element, as :func:`parse_exact` takes it."""
        return _read_slices([self])[0]

    def read_from(self, fd: int) -> bytes:
        """:meth:`read`, from ``fd``, the file open (OSError if it cannot be read)."""
        if hasattr(os, "pread"):
            data = os.pread(fd, self.length, self.offset)
        else:  # pragma: no cover - Windows
            os.lseek(fd, self.offset, os.SEEK_SET)
            data = os.read(fd, self.length)
        return self.wrap + data + b"</rss>"


def _read_slices(slices: list[FileSlice]) -> list[bytes]:
    """Each of ``slices`` read, each file opened once."""
    out: list[bytes] = []
    fds: dict[str, int] = {}
    try:
        for part in slices:
            fd = fds.get(part.path)
            if fd is None:
                fd = fds[part.path] = os.open(part.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            out.append(part.read_from(fd))
    except OSError as exc:
        # Gone or changed since it was cut: the ordinary way reads it (and says why not).
        raise SplitFailed(f"cannot read the item again: {exc}") from None
    finally:
        for fd in fds.values():
            os.close(fd)
    return out


def read_slices(raws: list[RawItem | InputEnd]) -> list[RawItem | InputEnd]:
    """``raws`` (a worker's batch) with the bytes of each :class:`FileSlice` read, each
    file opened once for the whole batch rather than once per item."""
    slices = [r.data for r in raws if isinstance(r, RawItem) and isinstance(r.data, FileSlice)]
    if not slices:
        return raws
    data = iter(_read_slices(slices))
    return [r.holding(next(data)) if isinstance(r, RawItem) and isinstance(r.data, FileSlice) else r for r in raws]


@pickles_as_tuple  # crosses to a worker and back for every item
@dataclass(frozen=True, slots=True)
class RawItem:
    """An item read but not built yet: its ``<item>`` element serialized, and where it was.

    Built by :func:`build_raw`, in another process when the conversion runs in several:
    parsing stays in the main process, building and everything after it goes to workers.
    ``seq`` is its position in the export; ``report`` says whether problems found while
    building it are reported (only on the first pass over its input).
    """

    seq: int
    input: int
    file: str
    line: int
    # The serialized element; or, read for this process only, the element itself; or
    # the item as built on an earlier pass (Built).
    data: bytes | Any
    report: bool
    # data is the item as cut from the export (wpconvert.split), inside a root element
    # that declares its namespaces (or a FileSlice to read it from): it must parse as it is.
    exact: bool = False

    def holding(self, data: bytes | Built) -> RawItem:
        """The same item, where it was, with other ``data``: the item built (:class:`Built`),
        its bytes read (from a :class:`FileSlice`), or nothing (``b""``, what the report
        keeps)."""
        return RawItem(self.seq, self.input, self.file, self.line, data, self.report, self.exact)


@pickles_as_tuple
@dataclass(frozen=True, slots=True)
class InputEnd:
    """Marks the end of input number ``input`` in :meth:`Export.raw_items`."""

    input: int


Notes = list[tuple[str, int]]


@pickles_as_tuple
@dataclass(frozen=True, slots=True)
class Built:
    """The data of a :class:`RawItem` built on an earlier pass: what :func:`build_raw`
    gave then (see :class:`wpconvert.pipeline.Spool`)."""

    item: Item
    notes: Notes


def build_raw(raw: RawItem) -> tuple[Item, Notes]:
    """Build a :class:`RawItem`: the item, and the comment problems found (for
    :meth:`Export.add_notes`)."""
    if isinstance(raw.data, Built):
        return raw.data.item, raw.data.notes
    notes: Notes = []
    if raw.exact:
        el = parse_exact(raw.data.read() if isinstance(raw.data, FileSlice) else raw.data)
    else:
        el = parse_item(raw.data) if isinstance(raw.data, bytes) else raw.data
    item = build_item(el, Source(raw.file, raw.line), lambda kind, cid: notes.append((kind, cid)))
    return item, notes
