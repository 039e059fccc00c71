"""The checker behind ``wpconvert check``: one pass over the items, cross-checks at the end.

What must be cross-checked once every item was seen (parents, featured images, links,
media) goes to the on-disk SQLite table of a :class:`~wpconvert.index.SiteIndex` and is
resolved there, so memory stays flat however large the export is.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from .api import NON_CONTENT_TYPES
from .findings import CODES
from .index import SiteIndex
from .media.kinds import has_uploads_marker, is_photon_host, is_wpcom_files_host
from .media.paths import uploads_relative
from .media.variants import original_url
from .model import Item, Site
from .report import Problem
from .transform import shortcodes as _shortcodes
from .transform.blocks import is_block_content, render_blocks
from .transform.context import AttachmentRef, TransformContext

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

    def _absolute(self, url: str) -> str | None:
        """``url`` made absolute: protocol-relative gets https, root-relative the site's
        host (None when the export names no host)."""
        if url.startswith("//"):
            return "https:" + url
        if url.startswith("/"):
            return f"https://{min(self.site_hosts)}{url}" if self.site_hosts else None
        return url

    def _media(self, seq: int, content: str) -> None:
        seen: set[str] = set()
        for m in _UPLOAD_URL.finditer(content):
            url = self._absolute(html.unescape(m.group()).rstrip(".,;:!?"))
            if url is None or url in seen:
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
            raw = self._absolute(html.unescape((m.group(1) if m.group(1) is not None else m.group(2)).strip()))
            if raw is None or not raw.startswith(("http://", "https://")) or not self.index.is_site_url(raw):
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


