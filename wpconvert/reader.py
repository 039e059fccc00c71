"""The streaming WXR reader: raw export bytes in, model objects out, in flat memory.

The channel header (site, authors, terms) of every input is read eagerly, up to each
file's first ``<item>``; items are then built one at a time and their elements freed, so
memory does not grow with the size of the export. Entities and DTDs are never resolved and
nothing is fetched from the network.

Broken input is mended by :mod:`wpconvert.repair` (or refused with ``strict``); each
repair, and each problem found while building items (``WPC101`` orphan comment, ``WPC102``
parent cycle, ``WPC103`` definition after the first item, ``WPC104`` reply thread deeper
than :data:`MAX_REPLY_DEPTH`), is reported once per input with its file and line, however
often the items are read. Every error is an :class:`~wpconvert.errors.InputError` of one line
naming the file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from . import inputs as _inputs
from .errors import InputError
from .model import Author, Comment, Item, ItemTerm, Meta, Site, Source, Term
from .report import Report
from .xmlstream import FileReader, qname

CHUNK = 1 << 20

# WordPress changed the namespace URI with each WXR version (1.0, 1.1, 1.2) and some
# exports use https://; match the family, not one URI.
_WP_NS = re.compile(r"^https?://wordpress\.org/export/(\d+\.\d+)/?$")
_EXCERPT_NS = re.compile(r"^https?://wordpress\.org/export/\d+\.\d+/excerpt/?$")
_CONTENT_NS = re.compile(r"^https?://purl\.org/rss/1\.0/modules/content/?$")
_DC_NS = re.compile(r"^https?://purl\.org/dc/elements/1\.1/?$")
_VERSION = re.compile(r"^\d+\.\d+$")
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
    value = value.strip()
    return int(value) if _INT.fullmatch(value) else None


def _date(value: str) -> str | None:
    value = value.strip()
    return None if not value or value == _NO_DATE else value


def _decode_slug(post_name: str) -> str:
    # WordPress stores non-ASCII slugs percent-encoded (sanitize_title → urlencode).
    return unquote(post_name) if "%" in post_name else post_name


def _meta(el: Any) -> Meta:
    key = value = ""
    for c in el:
        k = _key(c.tag)
        if k == "wp:meta_key":
            key = _text(c)
        elif k == "wp:meta_value":
            value = _text(c)
    return Meta(key, value)


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


@dataclass
class _RawComment:
    fields: dict[str, str]
    meta: list[Meta]


def _comment(el: Any) -> _RawComment:
    f: dict[str, str] = {}
    meta: list[Meta] = []
    for c in el:
        k = _key(c.tag)
        if k == "wp:commentmeta":
            meta.append(_meta(c))
        else:
            f[k] = _text(c)
    return _RawComment(f, meta)


def _build_comment(raw: _RawComment, replies: tuple[Comment, ...]) -> Comment:
    f = raw.fields
    return Comment(
        id=_int(f.get("wp:comment_id", "")) or 0,
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
        parent=_int(f.get("wp:comment_parent", "")) or 0,
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
    ids = [_int(r.fields.get("wp:comment_id", "")) or 0 for r in raws]
    index: dict[int, int] = {}
    for i, cid in enumerate(ids):
        index.setdefault(cid, i)
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for i, r in enumerate(raws):
        parent = _int(r.fields.get("wp:comment_parent", "")) or 0
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


def build_item(el: Any, source: Source | None, note: Any) -> Item:
    """Build an :class:`Item` from a complete ``<item>`` element."""
    f: dict[str, str] = {}
    terms: list[ItemTerm] = []
    meta: list[Meta] = []
    comments: list[_RawComment] = []
    for c in el:
        k = _key(c.tag)
        if k == "wp:postmeta":
            meta.append(_meta(c))
        elif k == "wp:comment":
            comments.append(_comment(c))
        elif k == "category":
            terms.append(ItemTerm(c.get("domain", ""), c.get("nicename", ""), _text(c)))
        elif k not in f:
            # namespace-edge-cases: the first occurrence of a field wins (the importer's
            # XML parsers agree with each other only on this).
            f[k] = _text(c)
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
        comments=thread_comments(comments, note) if comments else (),
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


@dataclass
class _Header:
    fields: dict[str, str] = field(default_factory=dict)
    authors: list[Author] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    channel_line: int = 0


class Export:
    """An opened export: ``site`` is read already; :meth:`items` streams the items.

    Create it with :func:`read`. Iterating twice reads the inputs twice (and reports
    their repairs and problems once).
    """

    def __init__(self, sources: list[_inputs.Source], report: Report, strict: bool) -> None:
        self.sources = sources
        self.report = report
        self.strict = strict
        self._reported: set[int] = set()  # inputs whose repairs and problems are reported
        self.site = self._read_header()

    def _read_header(self) -> Site:
        site: dict[str, str] = {}
        authors: dict[str, Author] = {}
        terms: dict[tuple[str, str], Term] = {}
        for src in self.sources:
            header = _Header()
            reader = FileReader(src, Report(), self.strict)
            for kind, el in reader.events(header_only=True):
                if kind != "header":
                    break
                _take_header(header, el)
            version = header.fields.get("wp:wxr_version", "").strip()
            if not _VERSION.match(version):
                why = "missing" if not version else f"invalid ({version!r})"
                raise InputError(
                    src.name,
                    f"This does not appear to be a WXR file, {why} WXR version number",
                    header.channel_line, 1 if header.channel_line else 0,
                )
            for k, v in header.fields.items():
                site.setdefault(k, v)
            for a in header.authors:
                authors.setdefault(a.login, a)
            for t in header.terms:
                terms.setdefault((t.taxonomy, t.slug), t)
        return Site(
            title=site.get("title", ""),
            link=site.get("link", "").strip(),
            description=site.get("description", ""),
            language=site.get("language", "").strip(),
            base_site_url=site.get("wp:base_site_url", "").strip(),
            base_blog_url=site.get("wp:base_blog_url", "").strip(),
            wxr_version=site.get("wp:wxr_version", "").strip(),
            generator=site.get("generator", "").strip(),
            pub_date=site.get("pubDate", "").strip(),
            authors=tuple(authors.values()),
            terms=tuple(terms.values()),
            files=tuple(s.name for s in self.sources),
        )

    def items(self) -> Iterator[Item]:
        """Stream every item of every input, in order, building each as it ends.

        Each input's repairs and problems go to the report once, however often the items
        are read (site writers read them twice): a pass collects them aside and hands them
        over when it has read the input to its end, or failed on it.
        """
        count = 0
        for k, src in enumerate(self.sources):
            found = Report()
            reader = FileReader(src, found, self.strict)
            reader.items_read = count
            at = [0]  # the line of the item being built, for the comment problems

            def note(kind: str, cid: int, _src: _inputs.Source = src, _at: list[int] = at,
                     _found: Report = found) -> None:
                code, message = _COMMENT_PROBLEMS[kind]
                _found.problem(code, "warning", f"comment {cid}: {message}", _src.name, _at[0])

            seen_item = False
            try:
                for kind, el in reader.events(header_only=False):
                    line = at[0] = (el.sourceline or 0) + reader.lines_dropped()
                    if kind == "item":
                        item = build_item(el, Source(src.name, line), note)
                        seen_item = True
                        count += 1
                        reader.items_read = count
                        yield item
                    elif seen_item and _key(el.tag) in _DEFINITIONS:
                        # WordPress writes the whole header before the first item, and the
                        # site is read from there; a definition after an item is not part of it.
                        found.problem(
                            "WPC103", "warning",
                            f"<{qname(el)}> after the first <item> is not read (the site header ends there)",
                            src.name, line,
                        )
            except InputError:
                self._hand_over(k, found)
                raise
            self._hand_over(k, found)

    def _hand_over(self, k: int, found: Report) -> None:
        """Put what a pass over input ``k`` found into the report, the first time only."""
        if k in self._reported:
            return
        self._reported.add(k)
        for r in found.repairs:
            self.report.repair(r.kind, r.file, r.line, r.detail)
        self.report.repairs_not_listed.update(found.repairs_not_listed)
        self.report.problems.extend(found.problems)

    def __iter__(self) -> Iterator[Item]:
        return self.items()


# What thread_comments() notes, as report problems.
_COMMENT_PROBLEMS = {
    "orphan-comment": ("WPC101", "its parent is not in the export; kept at top level"),
    "comment-cycle": ("WPC102", "caught in a parent cycle; kept at top level"),
    "deep-thread": ("WPC104", f"replies nested deeper than {MAX_REPLY_DEPTH} levels kept at that depth"),
}

# Channel children that define authors and terms.
_DEFINITIONS = frozenset(("wp:author", "wp:wp_author", "wp:category", "wp:tag", "wp:term"))


def _take_header(header: _Header, el: Any) -> None:
    k = _key(el.tag)
    if not header.channel_line:
        parent = el.getparent()
        header.channel_line = parent.sourceline or 0 if parent is not None else 0
    if k in ("wp:author", "wp:wp_author"):
        # <wp:wp_author> is non-standard (a11y test data) but means the same.
        header.authors.append(_author(el))
    elif k in ("wp:category", "wp:tag", "wp:term"):
        header.terms.append(_term(el, k))
    elif k not in header.fields:
        header.fields[k] = _text(el)


def read(
    inputs: str | Path | Iterable[str | Path],
    *,
    strict: bool = False,
    report: Report | None = None,
) -> Export:
    """Open one or more WXR exports (files, folders, .zip, .gz, .bz2, .xz).

    The site header is read at once; iterate :meth:`Export.items` for the items. Repairs
    and problems go to ``report`` (a new :class:`Report` if not given, at ``export.report``).
    Raises :class:`~wpconvert.errors.InputError` for an unreadable input, or at the point
    where an input turns out to be broken beyond repair (then the items before it were
    already handed out, and the error says how many).
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    sources = _inputs.expand(inputs)
    if not sources:
        raise InputError("-", "no input given")
    return Export(sources, report if report is not None else Report(), strict)
