"""Checking an export without converting it: ``wpconvert check`` and :func:`check`.

One streaming pass reads the export(s) exactly as ``convert`` would, and everything that
would go wrong, or silently differ, in a conversion is reported as a *finding*
(a :class:`~wpconvert.report.Problem`): a stable code, a severity (``error``, ``warning`` or
``info``), a message, and the file and line (an item's findings carry the line its
``<item>`` starts on). Nothing is written.

Memory stays flat however large the export is: what must be cross-checked once every item
was seen (parents, featured images, links, media) goes to the on-disk SQLite table of a
:class:`~wpconvert.index.SiteIndex`, and is resolved there at the end.

Codes (see :data:`CODES`; the same table is printed by ``wpconvert check --list-codes``):

* ``WPC0xx`` the input: unreadable (``WPC001``; the CLI exits 2), not a WXR export
  (``WPC002``), repairs the reader had to make to parse it (``WPC010``–``WPC019``);
* ``WPC1xx`` comments and the header, as the reader reports them;
* ``WPC2xx`` references inside the export: parents, featured images, terms, authors,
  attachment ids in content, duplicate ids and slugs;
* ``WPC3xx`` links to the site's own pages and media that nothing in the export answers;
* ``WPC4xx`` content the converter does not know: unknown shortcodes and blocks.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import inputs as _inputs
from .convert import NON_CONTENT_TYPES
from .errors import InputError, UsageError
from .index import SiteIndex
from .media.kinds import has_uploads_marker, is_photon_host, is_wpcom_files_host
from .media.paths import uploads_relative
from .media.variants import original_url
from .model import Item, Site
from .reader import Export
from .report import Problem, Report
from .transform import shortcodes as _shortcodes
from .transform.blocks import is_block_content, render_blocks
from .transform.context import AttachmentRef, TransformContext

__all__ = ["CODES", "SEVERITIES", "CheckResult", "Finding", "check"]

Finding = Problem
"""A finding is a :class:`~wpconvert.report.Problem`: code, severity, message, file, line."""

SEVERITIES = ("error", "warning", "info")
_RANK = {"error": 3, "warning": 2, "info": 1}

CODES: dict[str, tuple[str, str]] = {
    # The input
    "WPC001": ("error", "input unreadable: cannot be opened, is not XML, or is broken beyond repair"),
    "WPC002": ("error", "not a WXR export: the WXR version is missing or invalid"),
    "WPC003": ("info", "WXR version other than 1.0, 1.1 or 1.2"),
    "WPC010": ("warning", "repaired: text before the XML declaration (leading-junk)"),
    "WPC011": ("warning", "repaired: bytes invalid in the declared encoding (bad-encoding)"),
    "WPC012": ("warning", "repaired: control characters XML forbids (control-char)"),
    "WPC013": ("warning", "repaired: namespace prefix used but not declared (undeclared-prefix)"),
    "WPC014": ("warning", "repaired: namespace URI libxml2 refuses (namespace-uri)"),
    "WPC015": ("warning", "repaired: raw '&' (raw-ampersand)"),
    "WPC016": ("warning", "repaired: HTML entity XML does not define (html-entity)"),
    "WPC017": ("warning", "repaired: ']]>' inside CDATA (cdata-terminator)"),
    "WPC018": ("error", "repaired: the export is cut short (truncated)"),
    "WPC019": ("warning", "repaired: another kind of broken XML"),
    # Comments and the header (reported by the reader)
    "WPC101": ("warning", "comment's parent is not among its item's comments"),
    "WPC102": ("warning", "comment caught in a parent cycle"),
    "WPC103": ("warning", "author or term definition after the first item (not read)"),
    # References inside the export
    "WPC201": ("warning", "item's parent is not in the export"),
    "WPC202": ("info", "attachment's (or other non-page item's) parent is not in the export"),
    "WPC203": ("warning", "featured image (_thumbnail_id) is not an attachment of the export"),
    "WPC204": ("warning", "term used by items but not defined, where the export defines its taxonomy"),
    "WPC205": ("info", "term used by items but not defined; the export defines none of its taxonomy"),
    "WPC206": ("warning", "author (dc:creator) not defined in the export"),
    "WPC207": ("warning", "content refers to an attachment id (gallery, playlist, caption) not in the export"),
    "WPC208": ("info", "post id used by more than one item"),
    "WPC209": ("warning", "slug used by more than one item of a post type"),
    "WPC210": ("warning", "post id or parent too large for any database (more than 2**63 - 1)"),
    # Links and media
    "WPC301": ("warning", "link to the site's own address that no item of the export has"),
    "WPC302": ("info", "link to an item of the export that is not published"),
    "WPC303": ("warning", "uploaded file used in content but not among the attachments"),
    "WPC304": ("info", "the export holds no attachments: media can only be fetched by URL"),
    # Content
    "WPC401": ("warning", "unknown shortcode (kept as text, or stripped with --shortcodes strip)"),
    "WPC402": ("warning", "unknown block (its HTML is kept)"),
    "WPC403": ("info", "block closing comment without an opening one"),
    "WPC499": ("error", "wpconvert failed on this input or item (a bug: please report it)"),
}

_REPAIR_CODES = {
    "leading-junk": "WPC010", "bad-encoding": "WPC011", "control-char": "WPC012",
    "undeclared-prefix": "WPC013", "namespace-uri": "WPC014", "raw-ampersand": "WPC015",
    "html-entity": "WPC016", "cdata-terminator": "WPC017", "truncated": "WPC018",
}
_KNOWN_VERSIONS = ("1.0", "1.1", "1.2")
# Types whose parent is a page of the same hierarchy; other parents only attach.
_SLUG_EXEMPT = NON_CONTENT_TYPES
# Link paths that are archives, feeds or WordPress itself, not posts.
_NOT_POST_PATH = re.compile(
    r"/(?:feed|wp-admin|wp-login\.php|wp-json|wp-content|wp-includes|xmlrpc\.php|wp-comments-post\.php)\b"
    r"|^/(?:category|tag|author|search|comments|type|page)/"
    r"|^/\d{4}/(?:\d{1,2}/(?:\d{1,2}/)?)?(?:page/\d+/)?$"
)
_ARCHIVE_QUERY = frozenset(("cat", "tag", "s", "m", "author", "paged", "feed", "year", "monthnum", "day"))
_POST_QUERY = ("p", "page_id", "attachment_id", "preview_id")
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
# A URL of an uploaded file anywhere in content: attributes, srcset, shortcodes, block JSON.
_UPLOAD_URL = re.compile(
    r"""(?:https?:)?//[^\s"'<>()\[\]\\{}|^`]+|(?<=["'(=\s])/wp-content/uploads/[^\s"'<>()\[\]\\{}|^`]+"""
)
_PAGED = re.compile(r"^(.*/)\d+/?$")  # /post-slug/2/: page 2 of a multipage post
_FLUSH_ROWS = 2000


_INT64 = 2**63 - 1


def _fits(value: int | None) -> bool:
    return value is None or -_INT64 - 1 <= value <= _INT64


def _rank(severity: str) -> int:
    return _RANK.get(severity, 0)


@dataclass
class CheckResult:
    """What :func:`check` found.

    ``findings`` are sorted by input, line and code. ``unreadable`` is true when an input
    could not be read at all (``WPC001``). ``report`` is the reader's own report (repairs and
    problems, as ``convert`` would record them).
    """

    findings: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    items: int = 0
    unreadable: bool = False
    report: Report = field(default_factory=Report)

    def count(self, severity: str) -> int:
        """How many findings have this severity."""
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> list[Problem]:
        """The findings of severity ``error``."""
        return [f for f in self.findings if f.severity == "error"]

    def codes(self) -> set[str]:
        """The codes found."""
        return {f.code for f in self.findings}

    def failed(self, fail_on: str = "error") -> bool:
        """True when a finding is at least as severe as ``fail_on`` (error, warning, info)."""
        if fail_on not in _RANK:
            raise UsageError(f"fail_on: {fail_on!r} is not one of {', '.join(SEVERITIES)}")
        return any(_rank(f.severity) >= _RANK[fail_on] for f in self.findings)

    def exit_code(self, fail_on: str = "error") -> int:
        """The CLI's exit code: 2 when an input was unreadable, 1 when :meth:`failed`, else 0."""
        if self.unreadable:
            return 2
        return 1 if self.failed(fail_on) else 0

    def summary(self) -> str:
        """One line: counts per severity, files and items."""
        n = {s: self.count(s) for s in SEVERITIES}
        files = len(self.files)
        return (f"{n['error']} error{'s' * (n['error'] != 1)}, {n['warning']} warning{'s' * (n['warning'] != 1)}, "
                f"{n['info']} info in {files} file{'s' * (files != 1)} ({self.items} items)")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what ``--format json`` prints)."""
        return {
            "files": list(self.files),
            "items": self.items,
            "summary": {s: self.count(s) for s in SEVERITIES},
            "findings": [asdict(f) for f in self.findings],
        }


class _RecordingAttachments(Mapping[int, AttachmentRef]):
    """An attachments mapping that knows none and remembers every id it was asked for."""

    def __init__(self) -> None:
        self.asked: dict[int, None] = {}

    def __getitem__(self, key: int) -> AttachmentRef:
        if isinstance(key, int):
            self.asked.setdefault(key, None)
        raise KeyError(key)

    def __iter__(self) -> Iterator[int]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _norm_slug(slug: str) -> str:
    return unquote(slug.strip()).lower()


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def _bare(host: str) -> str:
    return host.removeprefix("www.")


class _Checker:
    """One run: feed it the items, then :meth:`finish` turns what it saw into findings."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.findings: list[Problem] = []
        hosts = {_host(u) for u in (site.link, site.base_site_url, site.base_blog_url)}
        self.site_hosts = {h for h in hosts if h}
        self.index = SiteIndex(self.site_hosts)
        self.db = self.index.db
        self.db.executescript(
            """
            CREATE TABLE src (seq INTEGER PRIMARY KEY, file INTEGER, line INTEGER);
            CREATE TABLE refs (seq INTEGER, kind TEXT, target INTEGER);
            CREATE TABLE uses (seq INTEGER, kind TEXT, key TEXT, extra TEXT);
            CREATE TABLE att (key TEXT PRIMARY KEY) WITHOUT ROWID;
            """
        )
        self.files: list[str] = []
        self._file_ids: dict[str, int] = {}
        self._src: list[tuple[int, int, int]] = []
        self._refs: list[tuple[int, str, int]] = []
        self._uses: list[tuple[int, str, str, str]] = []
        self._att: list[tuple[str]] = []
        self.attachments = 0
        self.media_hosts: set[str] = {_bare(h) for h in self.site_hosts}
        # Terms defined in the channel: (taxonomy, slug) and, for slug-less item terms, names.
        self.defined_terms = {(t.taxonomy, _norm_slug(t.slug)) for t in site.terms}
        self.defined_names = {(t.taxonomy, t.name.strip().casefold()) for t in site.terms}
        self.defined_taxonomies = {t.taxonomy for t in site.terms}
        self.logins = {a.login for a in site.authors}
        self.logins_folded = {a.login.casefold(): a.login for a in site.authors}
        self.names = {(t.taxonomy, t.name.strip().casefold()): t.slug for t in site.terms}

    # -- the pass ---------------------------------------------------------------------------
    def add(self, item: Item) -> None:
        huge = [name for name, value in (("post id", item.id), ("parent", item.parent)) if not _fits(value)]
        if huge:  # SQLite (and WordPress's BIGINT columns) cannot hold it: check the item without it
            item = dataclasses.replace(item, id=item.id if _fits(item.id) else None,
                                       parent=item.parent if _fits(item.parent) else 0)
        seq = self.index.add(item, item.status in ("publish", "inherit") and not item.password)
        if huge:
            self._uses.append((seq, "range", " and ".join(huge), ""))
        file = item.source.file if item.source else ""
        fid = self._file_ids.setdefault(file, len(self._file_ids))
        if fid == len(self.files):
            self.files.append(file)
        self._src.append((seq, fid, item.source.line if item.source else 0))
        if item.parent and item.post_type != "nav_menu_item":
            self._refs.append((seq, "parent", item.parent))
        thumb = (item.meta_value("_thumbnail_id") or "").strip()
        if thumb.isdigit() and int(thumb) and _fits(int(thumb)):
            self._refs.append((seq, "thumbnail", int(thumb)))
        self._terms(seq, item)
        if self.logins and item.creator and item.creator not in self.logins:
            self._uses.append((seq, "author", item.creator, ""))
        if item.post_type == "attachment":
            self._attachment(item)
        elif item.content and item.post_type not in NON_CONTENT_TYPES and item.status != "auto-draft":
            try:
                self._content(seq, item)
            except Exception as exc:  # noqa: BLE001 - a bug must not end the check
                self._uses.append((seq, "crash", f"{type(exc).__name__}: {exc}", ""))
        if len(self._src) >= _FLUSH_ROWS:
            self.flush()

    def _terms(self, seq: int, item: Item) -> None:
        for t in item.terms:
            kind = t.kind
            if kind == "post_format":
                continue  # WordPress never exports post format terms: nothing to compare
            if t.slug:
                if (kind, _norm_slug(t.slug)) in self.defined_terms:
                    continue
                key = t.slug
            else:
                if (kind, t.name.strip().casefold()) in self.defined_names:
                    continue
                key = t.name
            self._uses.append((seq, "term", f"{kind}\x00{key}", t.name))

    def _attachment(self, item: Item) -> None:
        self.attachments += 1
        url = item.attachment_url
        attached = (item.meta_value("_wp_attached_file") or "").strip().lstrip("/")
        keys = set()
        if url:
            host = _host(url)
            if host:
                self.media_hosts.add(_bare(host))
            for u in (url, original_url(url)):
                rel = uploads_relative(u)
                if rel:
                    keys.add(rel)
        if attached and not attached.startswith(("http://", "https://")):
            keys.add(unquote(attached))
            rel = uploads_relative("https://x/wp-content/uploads/" + attached)
            if rel:
                keys.add(rel)
                orig = uploads_relative(original_url("https://x/wp-content/uploads/" + attached))
                if orig:
                    keys.add(orig)
        self._att.extend((k,) for k in keys)

    def _content(self, seq: int, item: Item) -> None:
        content = item.content
        # Shortcodes and blocks, parsed as the content pipeline does (without the costly
        # HTML → Markdown stages, which find nothing more).
        if "[" in content or "<!--" in content:
            recorder = _RecordingAttachments()
            ctx = TransformContext(attachments=recorder)
            text = _shortcodes.protect_code(content, ctx)
            if is_block_content(text):
                text = render_blocks(text, ctx)
            _shortcodes.apply(text, ctx)
            for key in sorted(ctx.stats):
                kind, _, name = key.partition(":")
                if kind == "shortcode-unknown":
                    self._uses.append((seq, "shortcode", name, ""))
                elif kind == "block-unknown":
                    self._uses.append((seq, "block", name, ""))
                elif kind == "block-stray-closer":
                    self._uses.append((seq, "closer", name, ""))
            for att_id in recorder.asked:
                if _fits(att_id):
                    self._refs.append((seq, "content", att_id))
        if "href" in content:
            self._links(seq, content)
        if "/wp-content/uploads/" in content or ".files.wordpress.com/" in content:
            self._media(seq, content)

    def _media(self, seq: int, content: str) -> None:
        seen: set[str] = set()
        for m in _UPLOAD_URL.finditer(content):
            url = html.unescape(m.group()).rstrip(".,;:!?")
            if url.startswith("//"):
                url = "https:" + url
            elif url.startswith("/"):
                if not self.site_hosts:
                    continue
                url = f"https://{min(self.site_hosts)}{url}"
            if url in seen:
                continue
            seen.add(url)
            rel = uploads_relative(url)
            if rel is None:
                continue
            orig = uploads_relative(original_url(url)) or rel
            self._uses.append((seq, "media", f"{_bare(_host(url))}\x00{orig}", url))

    def _links(self, seq: int, content: str) -> None:
        seen: set[str] = set()
        for m in _HREF.finditer(content):
            raw = html.unescape((m.group(1) if m.group(1) is not None else m.group(2)).strip())
            if raw.startswith("//"):
                raw = "https:" + raw
            elif raw.startswith("/"):
                if not self.site_hosts:
                    continue
                raw = f"https://{min(self.site_hosts)}{raw}"
            if not raw.startswith(("http://", "https://")) or not self.index.is_site_url(raw):
                continue
            url = raw.partition("#")[0]
            if url in seen or not _is_post_link(url):
                continue
            seen.add(url)
            self._uses.append((seq, "link", url, ""))

    def flush(self) -> None:
        self.index.flush()
        for sql, rows in (
            ("INSERT INTO src VALUES (?, ?, ?)", self._src),
            ("INSERT INTO refs VALUES (?, ?, ?)", self._refs),
            ("INSERT INTO uses VALUES (?, ?, ?, ?)", self._uses),
            ("INSERT OR IGNORE INTO att VALUES (?)", self._att),
        ):
            if rows:
                self.db.executemany(sql, rows)
                rows.clear()

    # -- the end ----------------------------------------------------------------------------
    def where(self, seq: int) -> tuple[str, int]:
        row = self.db.execute("SELECT file, line FROM src WHERE seq = ?", (seq,)).fetchone()
        return (self.files[row[0]], row[1]) if row else ("", 0)

    def finding(self, code: str, message: str, seq: int | None = None) -> None:
        file, line = self.where(seq) if seq is not None else ("", 0)
        self.findings.append(Problem(code, CODES[code][0], message, file, line))

    def finish(self) -> None:
        self.flush()
        self.index.finish()
        self.db.executescript(
            "CREATE INDEX IF NOT EXISTS uses_kind ON uses(kind, key);"
            "CREATE INDEX IF NOT EXISTS items_slug ON items(post_type, slug);"
        )
        self._references()
        self._duplicates()
        self._grouped()

    def _label(self, seq: int) -> str:
        entry = self.index.at(seq)
        if entry is None:
            return "an item"
        ident = f" {entry.id}" if entry.id is not None else ""
        return f"{entry.post_type}{ident}"

    def _references(self) -> None:
        rows = self.db.execute("SELECT seq, kind, target FROM refs ORDER BY seq, rowid").fetchall()
        done: set[tuple[int, str, int]] = set()
        for seq, kind, target in rows:
            if (seq, kind, target) in done:
                continue
            done.add((seq, kind, target))
            entry = self.index.by_id(target)
            who = self._label(seq)
            if kind == "parent":
                me = self.index.at(seq)
                if me is not None and me.id == target and self._other_with_id(target, seq) is None:
                    self.finding("WPC201", f"{who}: it is its own parent", seq)
                elif entry is None:
                    hierarchical = me is not None and me.post_type not in NON_CONTENT_TYPES
                    self.finding("WPC201" if hierarchical else "WPC202",
                                 f"{who}: its parent {target} is not in the export", seq)
            elif kind == "thumbnail":
                if entry is None:
                    self.finding("WPC203", f"{who}: its featured image (_thumbnail_id {target}) is not in the export",
                                 seq)
                elif not self._attachment_exists(target):
                    self.finding("WPC203", f"{who}: its featured image (_thumbnail_id {target}) is a "
                                           f"{entry.post_type}, not an attachment", seq)
            elif kind == "content" and self.attachments and not self._attachment_exists(target):
                self.finding("WPC207", f"{who}: its content refers to attachment {target}, which is not in the export",
                             seq)

    def _other_with_id(self, post_id: int, seq: int) -> int | None:
        row = self.db.execute("SELECT seq FROM items WHERE id = ? AND seq != ? LIMIT 1", (post_id, seq)).fetchone()
        return None if row is None else int(row[0])

    def _attachment_exists(self, post_id: int) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM items WHERE id = ? AND post_type = 'attachment' LIMIT 1", (post_id,)
        ).fetchone()
        return row is not None

    def _duplicates(self) -> None:
        rows = self.db.execute(
            "SELECT i.seq, i.id, f.seq FROM items i JOIN (SELECT id, MIN(seq) AS seq FROM items "
            "WHERE id IS NOT NULL GROUP BY id HAVING COUNT(*) > 1) f ON i.id = f.id "
            "WHERE i.seq != f.seq ORDER BY i.seq"
        ).fetchall()
        for seq, post_id, first in rows:
            file, line = self.where(first)
            self.finding("WPC208", f"{self._label(seq)}: post id {post_id} is also used by the "
                                   f"{self._label(first).split(' ')[0]} at {_at(file, line)}", seq)
        exempt = ",".join(f"'{t}'" for t in sorted(_SLUG_EXEMPT))
        # Pages are unique among their siblings only (WordPress's wp_unique_post_slug()).
        rows = self.db.execute(
            f"""
            WITH s AS (SELECT seq, post_type, slug, CASE WHEN post_type = 'page' THEN parent ELSE 0 END AS p
                       FROM items WHERE slug != '' AND status != 'auto-draft' AND post_type NOT IN ({exempt}))
            SELECT s.seq, s.post_type, s.slug, f.seq FROM s JOIN
                (SELECT post_type, p, slug, MIN(seq) AS seq FROM s GROUP BY post_type, p, slug HAVING COUNT(*) > 1) f
                ON s.post_type = f.post_type AND s.p = f.p AND s.slug = f.slug
            WHERE s.seq != f.seq ORDER BY s.seq
            """
        ).fetchall()
        for seq, post_type, slug, first in rows:
            file, line = self.where(first)
            self.finding("WPC209", f"{self._label(seq)}: slug {slug!r} is also used by the {post_type} "
                                   f"at {_at(file, line)} (the converter gives one of them another name)", seq)

    def _grouped(self) -> None:
        rows = self.db.execute(
            "SELECT kind, key, MIN(seq), COUNT(DISTINCT seq), MIN(extra) FROM uses "
            "GROUP BY kind, key ORDER BY MIN(seq), kind, key"
        ).fetchall()
        media_total = 0
        for kind, key, seq, n, extra in rows:
            more = f" (in {n} items)" if n > 1 else ""
            if kind == "term":
                taxonomy, _, slug = key.partition("\x00")
                name = f"{slug!r}" + (f" ({extra})" if extra and extra != slug else "")
                if taxonomy in self.defined_taxonomies and taxonomy != "nav_menu":
                    twin = self.names.get((taxonomy, (extra or "").strip().casefold()))
                    hint = f" (a term of that name is defined with slug {twin!r})" if twin is not None else ""
                    self.finding("WPC204", f"{taxonomy} {name} is used{more} but not defined in the export{hint}", seq)
                else:
                    self.finding("WPC205", f"{taxonomy} {name} is used{more} but not defined "
                                           "(the export defines no term of that taxonomy)", seq)
            elif kind == "author":
                twin = self.logins_folded.get(key.casefold())
                hint = f" (the author {twin!r} differs in case only)" if twin else ""
                self.finding("WPC206", f"author {key!r} is named by dc:creator{more} but not defined in the "
                                       f"export{hint}", seq)
            elif kind == "shortcode":
                self.finding("WPC401", f"unknown shortcode [{key}]{more}", seq)
            elif kind == "block":
                self.finding("WPC402", f"unknown block {key}{more}", seq)
            elif kind == "closer":
                self.finding("WPC403", f"closing comment of block {key} without an opening one{more}", seq)
            elif kind == "range":
                self.finding("WPC210", f"{self._label(seq)}: its {key} is too large for any database{more}; "
                                       "checked without it", seq)
            elif kind == "crash":
                self.finding("WPC499", f"{self._label(seq)}: cannot analyse the content: {key}", seq)
            elif kind == "link":
                self._link_finding(key, seq, more)
            elif kind == "media":
                if not self._own_media(extra):
                    continue
                media_total += 1
                path = key.partition("\x00")[2]
                if self.attachments and not self._has_attachment(path):
                    self.finding("WPC303", f"{extra} is used{more} but no attachment of the export is "
                                           f"that file ({path})", seq)
        if not self.attachments and media_total:
            self.finding("WPC304", f"the export holds no attachments; {media_total} uploaded file(s) used in content "
                                   "can only be fetched by their URLs (no titles, alt texts or captions)")

    def _link_finding(self, url: str, seq: int, more: str) -> None:
        target = self.index.resolve(url)
        if target is None:
            paged = _PAGED.match(urlsplit(url).path)
            if paged and not urlsplit(url).query:
                target = self.index.by_link(paged.group(1))
        if target is None:
            self.finding("WPC301", f"link to {url}{more}: no item of the export has that address", seq)
        elif target.status not in ("publish", "inherit"):
            self.finding("WPC302", f"link to {url}{more}: it is the {target.post_type} {target.id}, "
                                   f"which is {target.status}", seq)

    def _has_attachment(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM att WHERE key = ?", (key,)).fetchone() is not None

    def _own_media(self, url: str) -> bool:
        host = _bare(_host(url))
        if host in self.media_hosts:
            return True
        wpcom = any(h.endswith(".wordpress.com") for h in self.media_hosts)
        if is_wpcom_files_host(host):
            return wpcom
        if is_photon_host(host):
            # i0.wp.com/example.org/wp-content/uploads/…: the site's files through the CDN.
            inner = urlsplit(url).path.lstrip("/").split("/", 1)[0].lower()
            return _bare(inner) in self.media_hosts
        return False

    def close(self) -> None:
        self.index.close()


def _at(file: str, line: int) -> str:
    return f"{file}:{line}" if line else file or "?"


def _is_post_link(url: str) -> bool:
    """False for links to archives, feeds, the home page and WordPress's own scripts."""
    parts = urlsplit(url)
    path = unquote(parts.path) or "/"
    if parts.query:
        query = parse_qs(parts.query)
        if any(k in query for k in _POST_QUERY):
            return True
        if any(k in query for k in _ARCHIVE_QUERY):
            return False
    if path == "/" or has_uploads_marker(path) or is_wpcom_files_host(parts.hostname or ""):
        return False
    return _NOT_POST_PATH.search(path if path.endswith("/") else path + "/") is None


def _input_finding(exc: InputError) -> Problem:
    if "WXR version" in exc.message:
        return Problem("WPC002", "error", exc.message, exc.file, exc.line)
    where = f" (column {exc.column})" if exc.column else ""
    return Problem("WPC001", "error", exc.message + where, exc.file, exc.line)


def _crash(exc: Exception, file: str, tail: str = "") -> Problem:
    return Problem("WPC499", "error", f"cannot be read: {type(exc).__name__}: {exc} (a wpconvert bug){tail}", file)


def _matches(code: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(code, p) for p in patterns)


def _ignore_patterns(ignore: Iterable[str]) -> list[str]:
    patterns: list[str] = []
    for value in ignore:
        patterns.extend(p.strip().upper() for p in str(value).split(",") if p.strip())
    for p in patterns:
        if not any(fnmatch.fnmatchcase(code, p) for code in CODES):
            raise UsageError(f"--ignore: {p} matches no finding code (see wpconvert check --list-codes)")
    return patterns


def check(
    inputs: str | Path | Iterable[str | Path],
    *,
    ignore: Iterable[str] = (),
    progress: Callable[[int], None] | None = None,
) -> CheckResult:
    """Check WXR export(s) without converting them; return the findings.

    ``inputs`` are read as :func:`~wpconvert.reader.read` reads them (files, folders,
    archives; several inputs are one export). An input that cannot be read becomes a
    ``WPC001`` (``WPC002`` when it is XML but no WXR) finding and the others are still checked:
    :func:`check` raises only :class:`~wpconvert.errors.UsageError`, for an empty ``inputs`` or
    an ``ignore`` pattern that matches no code. ``ignore`` holds codes or shell patterns
    (``WPC4*``) to leave out. ``progress(n)`` is called with the number of items read.
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    names = list(inputs)
    if not names:
        raise UsageError("no export given")
    patterns = _ignore_patterns(ignore)
    result = CheckResult()
    found: list[Problem] = []
    sources: list[_inputs.Source] = []
    for name in names:
        try:
            sources.extend(_inputs.expand([name]))
        except InputError as exc:
            found.append(_input_finding(exc))
    good: list[_inputs.Source] = []
    for src in sources:
        result.files.append(src.name)
        try:
            Export([src], Report(), strict=False)  # the header alone: is this a WXR at all?
        except InputError as exc:
            found.append(_input_finding(exc))
        except Exception as exc:  # noqa: BLE001 - a reader bug must not end the check
            found.append(_crash(exc, src.name))
            result.unreadable = True
        else:
            good.append(src)
    if good:
        _check_export(good, result, found, progress)
    result.unreadable = result.unreadable or any(f.code == "WPC001" for f in found)
    order = {name: i for i, name in enumerate(result.files)}
    found = [f for f in found if not _matches(f.code, patterns)]
    found.sort(key=lambda f: (order.get(f.file, -1), f.line, f.code, f.message))
    result.findings = found
    return result


def _check_export(
    sources: list[_inputs.Source], result: CheckResult, found: list[Problem],
    progress: Callable[[int], None] | None,
) -> None:
    report = result.report
    try:
        export = Export(sources, report, strict=False)
    except InputError as exc:  # each header was read alone before; this is a file that changed
        found.append(_input_finding(exc))
        return
    except Exception as exc:  # noqa: BLE001 - a reader bug must not end the check
        found.append(_crash(exc, sources[0].name))
        result.unreadable = True
        return
    version = export.site.wxr_version
    if version not in _KNOWN_VERSIONS:
        found.append(Problem("WPC003", CODES["WPC003"][0], f"WXR version {version}: wpconvert knows 1.0, 1.1 and 1.2",
                             sources[0].name, 0))
    checker = _Checker(export.site)
    try:
        complete = True
        where = sources[0].name
        try:
            for item in export.items():
                result.items += 1
                if progress is not None:
                    progress(result.items)
                where = item.source.file if item.source else where
                checker.add(item)
        except InputError as exc:
            complete = False
            finding = _input_finding(exc)
            found.append(Problem(finding.code, finding.severity,
                                 finding.message + f"; {exc.items_read} items read, references not checked",
                                 finding.file, finding.line))
        except Exception as exc:  # noqa: BLE001 - a reader bug must not end the check
            complete = False
            found.append(_crash(exc, where, f"; {result.items} items read, references not checked"))
            result.unreadable = True
        if complete:
            checker.finish()
            found.extend(checker.findings)
    finally:
        checker.close()
    for r in report.repairs:
        code = _REPAIR_CODES.get(r.kind, "WPC019")
        message = f"{r.detail} ({r.kind})" if r.detail else r.kind
        found.append(Problem(code, CODES[code][0], message, r.file, r.line))
    for kind, n in sorted(report.repairs_not_listed.items()):
        code = _REPAIR_CODES.get(kind, "WPC019")
        found.append(Problem(code, CODES[code][0], f"{n} more {kind} repairs (not listed)"))
    found.extend(report.problems)
