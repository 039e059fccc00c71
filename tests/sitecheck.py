"""Checks on a site a static site generator built: pages, internal links, comment threads.

Shared by the Hugo and Jekyll tests. Everything works on the built output folder
(``public/`` or ``_site/``) as a web server would serve it: ``/a/b/`` is ``a/b/index.html``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
import pytest

from wpconvert import Report, convert, read
from wpconvert.frontmatter import load as _load_yaml
from wpconvert.index import link_key
from wpconvert.model import Comment, Item

# Attributes that refer to other files of the site.
_REFS = (("a", "href"), ("img", "src"), ("link", "href"), ("script", "src"), ("source", "src"),
         ("iframe", "src"), ("video", "src"), ("audio", "src"))
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_REFRESH = re.compile(r"url=(.+)$", re.I)


def require(binary: str) -> str:
    """The path of ``binary``; the test is skipped where it is not installed."""
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} is not installed (apt-get install {binary})")
    return path


def run(cmd: list[str], cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """Run a generator; fail the test with its output when it fails or logs an error."""
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "JEKYLL_ENV": "production"}
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    output = proc.stdout + proc.stderr
    errors = [line for line in output.splitlines() if re.search(r"\bERROR\b|\bError\b:", line)]
    assert proc.returncode == 0 and not errors, f"{' '.join(cmd)} failed ({proc.returncode}):\n{output[-6000:]}"
    return proc


@dataclass
class Written:
    """One item the converter wrote: its report entry, front matter and URL."""

    seq: int
    id: int | None
    post_type: str
    status: str
    title: str
    path: str
    url: str
    front: dict[str, object]


def load_yaml(text: str) -> Any:
    """Parse YAML (data files, configs)."""
    return _load_yaml(text)


def front_matter(file: Path) -> dict[str, object]:
    """The YAML front matter of a converted file."""
    text = file.read_text("utf-8")
    assert text.startswith("---\n"), file
    data = load_yaml(text[4:text.index("\n---\n", 4)])
    assert isinstance(data, dict)
    return data


def written(report: Report, src: Path, url_key: str) -> list[Written]:
    """Every written item with the URL its front matter pins (``url`` or ``permalink``)."""
    out: list[Written] = []
    for e in report.entries:
        if e.action != "written":
            continue
        fm = front_matter(src / e.path)
        out.append(Written(e.seq, e.id, e.post_type, e.status, e.title, e.path, str(fm[url_key]), fm))
    return out


def convert_site(inputs: list[Path], fmt: str, out: Path, **options: object) -> Report:
    """Convert with the site skeleton, in one process (tests stay light)."""
    settings: dict[str, Any] = {"site_skeleton": True, "jobs": 1, **options}
    return convert([str(p) for p in inputs], fmt, out, **settings)


# -- serving ------------------------------------------------------------------------------
def file_for(root: Path, url_path: str) -> Path | None:
    """The file a server would send for ``url_path`` (decoded), or None."""
    path = unquote(url_path)
    rel = path.lstrip("/")
    target = root / rel
    if path.endswith("/") or not rel:
        index = target / "index.html"
        return index if index.is_file() else None
    if target.is_file():
        return target
    if (target / "index.html").is_file():
        return target / "index.html"
    return None


def html_files(root: Path) -> Iterator[Path]:
    """Every HTML page of the built site."""
    yield from sorted(root.rglob("*.html"))


def page_url(root: Path, file: Path) -> str:
    """The URL path a built file is served at."""
    rel = file.relative_to(root).as_posix()
    if rel == "index.html":
        return "/"
    if rel.endswith("/index.html"):
        return "/" + rel[: -len("index.html")]
    return "/" + rel


def parse(file: Path) -> lxml.html.HtmlElement:
    """A built page as an lxml tree."""
    return lxml.html.fromstring(file.read_bytes())


def internal_refs(doc: lxml.html.HtmlElement) -> Iterator[str]:
    """Root-relative and relative references of a page (external, fragment-only, mailto:,
    javascript: and data: ones left out)."""
    for tag, attr in _REFS:
        for el in doc.iter(tag):
            ref = (el.get(attr) or "").strip()
            if not ref or ref.startswith("#") or ref.startswith("//") or _SCHEME.match(ref):
                continue
            yield ref


def broken_links(root: Path) -> list[tuple[str, str]]:
    """(page URL, reference) for every internal reference that no file of the site serves."""
    broken: list[tuple[str, str]] = []
    for file in html_files(root):
        base = page_url(root, file)
        for ref in internal_refs(parse(file)):
            target = urlsplit(urljoin(base, ref)).path
            if file_for(root, target) is None:
                broken.append((base, ref))
    return broken


def redirect_target(doc: lxml.html.HtmlElement) -> str | None:
    """The URL a meta-refresh redirect page sends to."""
    for meta in doc.iter("meta"):
        if (meta.get("http-equiv") or "").lower() == "refresh":
            m = _REFRESH.search(meta.get("content") or "")
            if m:
                return m.group(1).strip().strip("'\"")
    return None


def resolves_to(root: Path, old: str, new: str) -> bool:
    """True when the old path is served by a redirect page that leads to ``new``."""
    file = file_for(root, old)
    if file is None:
        return False
    target = redirect_target(parse(file))
    return target is not None and unquote(urlsplit(target).path) == unquote(new)


# -- expectations from the export ---------------------------------------------------------
def items(inputs: list[Path]) -> dict[int, Item]:
    """The export's items by position (as the report's ``seq``; ids may repeat)."""
    return dict(enumerate(read([str(p) for p in inputs], report=Report()).items()))


def visible_threads(comments: tuple[Comment, ...]) -> Iterator[tuple[Comment, int | None]]:
    """Each approved comment with its nearest approved ancestor's id (None at the top)."""

    def walk(cs: tuple[Comment, ...], parent: int | None) -> Iterator[tuple[Comment, int | None]]:
        for c in cs:
            if c.approved == "1":
                yield c, parent
                yield from walk(c.replies, c.id)
            else:
                yield from walk(c.replies, parent)

    yield from walk(comments, None)


def comment_problems(doc: lxml.html.HtmlElement, item: Item) -> list[str]:
    """What is wrong with a page's comment thread: approved comments missing, or a reply
    not inside its parent's element."""
    problems: list[str] = []
    for c, parent in visible_threads(item.comments):
        found = doc.xpath(f"//*[@id='comment-{c.id}']")
        if not found:
            problems.append(f"comment {c.id} missing")
            continue
        if parent is not None:
            ancestors = {a.get("id") for a in found[0].iterancestors()}
            if f"comment-{parent}" not in ancestors:
                problems.append(f"comment {c.id} not nested in comment {parent}")
    return problems


def old_path(link: str) -> str | None:
    """An item's old pretty permalink path when a redirect page can exist there (with a
    trailing "/" unless it is an .html file)."""
    if not link or "?" in link:
        return None
    path = "/" + link_key(link).lstrip("/")  # servers merge the slashes of "//a/"
    segments = path.strip("/").split("/")
    if path == "/" or any(s in ("", ".", "..") or len(s.encode()) > 255 or any(ord(ch) < 32 for ch in s)
                          for s in segments):
        return None
    return path[:-1] if segments[-1].endswith((".html", ".htm")) else path


def check_site(
    src: Path, built: Path, inputs: list[Path], report: Report, url_key: str,
) -> list[Written]:
    """The checks every built site must pass; returns the written items."""
    entries = written(report, src, url_key)
    assert entries, "nothing was written"
    by_seq = items(inputs)
    problems: list[str] = []
    for w in entries:
        if w.status != "publish":
            continue
        file = file_for(built, w.url)
        if file is None:
            problems.append(f"{w.post_type} {w.id} {w.title!r}: no page at {w.url}")
            continue
        doc = parse(file)
        if w.title.strip():
            h1 = " ".join(doc.xpath("string(//h1)").split())
            if " ".join(w.title.split()) not in h1 and w.title.strip() not in doc.text_content():
                problems.append(f"{w.url}: title {w.title!r} not on the page")
        item = by_seq.get(w.seq)
        if item is not None:
            problems += [f"{w.url}: {p}" for p in comment_problems(doc, item)]
    assert not problems, "\n".join(problems[:50])
    broken = broken_links(built)
    assert not broken, f"{len(broken)} broken internal links, e.g.:\n" + "\n".join(
        f"  {page} → {ref}" for page, ref in broken[:30])
    return entries


def check_old_paths(built: Path, entries: list[Written], inputs: list[Path]) -> int:
    """Every published item's old pretty permalink leads to it (unless an earlier item had
    the same old address); returns how many were checked."""
    by_seq = items(inputs)
    claimed: set[str] = set()
    urls = {unquote(w.url) for w in entries}
    checked = 0
    missing: list[str] = []
    for w in entries:
        item = by_seq.get(w.seq)
        if item is None or w.status != "publish":
            continue
        old = old_path(item.link)
        if old is None or old in claimed:
            continue
        claimed.add(old)
        if unquote(w.url).rstrip("/") == old.rstrip("/") or old in urls:
            continue
        checked += 1
        if resolves_to(built, old, w.url):
            continue
        file = file_for(built, old)
        if file is not None and redirect_target(parse(file)) is None:
            continue  # the generator serves a page of its own there (a taxonomy list)
        missing.append(f"{old} → {w.url}")
    assert not missing, "old addresses not redirected:\n" + "\n".join(missing[:30])
    return checked


def redirect_rules(text: str) -> dict[str, str]:
    """``_redirects`` rules: source (with ``key=value`` for query rules) → target."""
    rules: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) == 4:
            rules[f"{parts[0]}?{parts[1]}"] = parts[2]
        elif len(parts) == 3:
            rules[parts[0]] = parts[1]
    return rules


def check_query_redirects(redirects: Path, entries: list[Written]) -> None:
    """Every published post has a ``/?p=ID`` rule, and every page ``/?page_id=ID``, both
    pointing at its URL."""
    rules = redirect_rules(redirects.read_text("utf-8")) if redirects.exists() else {}
    missing: list[str] = []
    seen: set[str] = set()  # where ids repeat, the first item has the address
    for w in entries:
        if w.status != "publish" or w.id is None:
            continue
        keys = [f"/?p={w.id}"] + ([f"/?page_id={w.id}"] if w.post_type == "page" else [])
        for key in keys:
            if key in seen:
                continue
            seen.add(key)
            if unquote(rules.get(key, "")) != unquote(w.url):
                missing.append(f"{key} → {w.url} (have {rules.get(key)})")
    assert not missing, "\n".join(missing[:30])


# -- an export with what the fixtures lack: custom post types and taxonomies, nav menus -------
def _item(post_id: int, title: str, slug: str, post_type: str, link: str, *, parent: int = 0,
          extra: str = "", order: int = 0) -> str:
    return f"""
	<item>
		<title><![CDATA[{title}]]></title>
		<link>{link}</link>
		<dc:creator><![CDATA[ada]]></dc:creator>
		<guid isPermaLink="false">https://blog.example.org/?p={post_id}</guid>
		<content:encoded><![CDATA[{title}: see <a href="/?p=10">the first post</a>.]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>{post_id}</wp:post_id>
		<wp:post_date><![CDATA[2024-05-20 10:00:00]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[2024-05-20 10:00:00]]></wp:post_date_gmt>
		<wp:post_name><![CDATA[{slug}]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_parent>{parent}</wp:post_parent>
		<wp:menu_order>{order}</wp:menu_order>
		<wp:post_type><![CDATA[{post_type}]]></wp:post_type>
		<wp:post_password><![CDATA[]]></wp:post_password>
		<wp:is_sticky>0</wp:is_sticky>{extra}
	</item>"""


def _comment(comment_id: int, author: str, text: str, parent: int) -> str:
    fields = {
        "comment_id": comment_id, "comment_author": author, "comment_date": "2024-05-21 09:00:00",
        "comment_date_gmt": "2024-05-21 09:00:00", "comment_content": text, "comment_approved": 1,
        "comment_type": "comment", "comment_parent": parent,
    }
    inner = "".join(f"<wp:{k}><![CDATA[{v}]]></wp:{k}>" for k, v in fields.items())
    return f"\n\t\t<wp:comment>{inner}</wp:comment>"


def _menu_item(post_id: int, order: int, kind: str, obj: str, object_id: int, url: str = "",
               parent: int = 0, title: str = "") -> str:
    meta = "".join(
        f"<wp:postmeta><wp:meta_key><![CDATA[{k}]]></wp:meta_key><wp:meta_value><![CDATA[{v}]]></wp:meta_value></wp:postmeta>"
        for k, v in (("_menu_item_type", kind), ("_menu_item_object", obj), ("_menu_item_object_id", object_id),
                     ("_menu_item_url", url), ("_menu_item_menu_item_parent", parent)))
    extra = f'\n\t\t<category domain="nav_menu" nicename="main"><![CDATA[Main]]></category>\n\t\t{meta}'
    return _item(post_id, title, str(post_id), "nav_menu_item", f"https://blog.example.org/?p={post_id}",
                 extra=extra, order=order)


def custom_export(folder: Path, fixtures: Path) -> Path:
    """classic.xml plus a hierarchical custom post type with a custom taxonomy and a
    comment, and a nav menu of every kind of item."""
    xml = (fixtures / "classic.xml").read_text("utf-8")
    term = ("<wp:term><wp:term_id>50</wp:term_id><wp:term_taxonomy>nav_menu</wp:term_taxonomy>"
            "<wp:term_slug>main</wp:term_slug><wp:term_name><![CDATA[Main]]></wp:term_name></wp:term>")
    comment = _comment(900, "Kim", "Nice boat.", 0) + _comment(901, "Ada Park", "Thanks!", 900)
    items = "".join([
        _item(40, "Boat Repair", "boat-repair", "portfolio", "https://blog.example.org/portfolio/boat-repair/",
              extra='\n\t\t<category domain="genre" nicename="wood"><![CDATA[Wood]]></category>' + comment),
        _item(41, "Hull", "hull", "portfolio", "https://blog.example.org/portfolio/boat-repair/hull/", parent=40,
              extra='\n\t\t<category domain="genre" nicename="wood"><![CDATA[Wood]]></category>'),
        _menu_item(60, 1, "post_type", "page", 30),
        _menu_item(61, 2, "post_type", "page", 31, parent=60),
        _menu_item(62, 3, "custom", "custom", 62, url="https://blog.example.org/?p=10", title="First post"),
        _menu_item(63, 4, "taxonomy", "category", 2),
        _menu_item(64, 5, "custom", "custom", 64, url="https://example.net/elsewhere", title="Elsewhere"),
        _menu_item(65, 6, "post_type", "post", 999, title="Gone"),  # not in the export: dropped
    ])
    xml = xml.replace("\t<generator>", f"\t{term}\n\t<generator>", 1).replace("</channel>", items + "\n</channel>")
    out = folder / "custom.xml"
    out.write_text(xml, "utf-8")
    return out
