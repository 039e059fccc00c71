"""Privacy and publishing: what leaves the export by default, and what each opt-in adds.

By default no output (json, jsonl, markdown, and hugo/jekyll where registered) holds a
commenter's or author's e-mail address or IP, a private, password-protected or trashed
item, or an unapproved, spam or trashed comment. Each opt-in (``--include private``,
``protected``, ``trash``, ``unapproved``, ``spam``, ``--keep-personal-data``) turns on its
part and nothing else. The check greps the whole output tree, file names included, for the
fixtures' secret strings, so a leak through any file (a redirect list, a data file, a
sidecar, a file name) is caught.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from wpconvert import writers
from wpconvert.cli import main

ROOT = Path(__file__).resolve().parents[1]
STATUSES = ROOT / "fixtures" / "statuses.xml"

# What fixtures/statuses.xml hides, by the opt-in that may reveal it. Titles, slugs and
# content of the hidden items; content of the hidden comments; personal data.
SECRETS: dict[str, tuple[str, ...]] = {
    "private": ("Only for me: private diary text", "Private post", "private-post"),
    "protected": ("Secret content behind a password", "Protected post", "protected-post"),
    "trash": ("Deleted text.", "Trashed post", "trashed-post", "Trashed comment"),
    "unapproved": ("Held for moderation",),
    "spam": ("Buy now",),
    # Addresses and IPs of published comments (and of the site's author).
    "personal": ("reader@mail.example.net", "198.51.100.7", "ada@blog.example.org"),
    # The spammer's address and IP: only with --include spam and --keep-personal-data.
    "spam+personal": ("spam@spam.example.com", "203.0.113.66"),
}
# The post's password is a credential: it may go only to the lossless JSON formats, and only
# with the protected post itself.
PASSWORD = "hunter2"
# Shown only where the format has a place for it (site formats have no author e-mail field).
OPTIONAL = {"ada@blog.example.org"}
# Always published: visible content, to be sure that the grep sees the output at all.
VISIBLE = ("Visible to all.", "Approved comment", "A reply to the held comment")

FORMATS = [f for f in ("json", "jsonl", "markdown", "hugo", "jekyll") if f in writers.available()]
LOSSLESS = {"json", "jsonl"}


def output_text(root: Path) -> str:
    """Every file's relative path and content under ``root``, as one text to grep."""
    parts: list[str] = []
    for p in sorted(root.rglob("*")):
        parts.append(p.relative_to(root).as_posix())
        if p.is_file():
            parts.append(p.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def convert_cli(tmp_path: Path, fmt: str, export: Path, *flags: str) -> str:
    """Run ``wpconvert convert`` with ``flags``; return everything it wrote."""
    root = tmp_path / f"{fmt}-{'_'.join(f.strip('-') for f in flags) or 'default'}"
    root.mkdir()
    out = root / ("site." + fmt if writers.get(fmt).single_file else "site")
    result = CliRunner().invoke(
        main, ["convert", str(export), "-f", fmt, "-o", str(out), "-q", "-j", "1", "--media", "link", *flags]
    )
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    text = output_text(root)
    for v in VISIBLE:
        assert v in text, f"{fmt} {flags}: the visible {v!r} is missing: the check would see nothing"
    return text


def found(text: str) -> set[str]:
    secrets = {s for group in SECRETS.values() for s in group} | {PASSWORD}
    return {s for s in secrets if s in text}


def allowed(groups: set[str], fmt: str) -> set[str]:
    out = {s for g in groups for s in SECRETS[g]}
    if "spam" in groups and "personal" in groups:
        out |= set(SECRETS["spam+personal"])
    if "protected" in groups and fmt in LOSSLESS:
        out.add(PASSWORD)
    return out


def required(groups: set[str], fmt: str) -> set[str]:
    return {s for s in allowed(groups, fmt) if s != PASSWORD and not (s in OPTIONAL and fmt not in LOSSLESS)}


CONFIGS: list[tuple[tuple[str, ...], set[str]]] = [
    ((), set()),
    (("--include", "private"), {"private"}),
    (("--include", "protected"), {"protected"}),
    (("--include", "trash"), {"trash"}),
    (("--include", "unapproved"), {"unapproved"}),
    (("--include", "spam"), {"spam"}),
    (("--keep-personal-data",), {"personal"}),
    (("--include", "spam", "--keep-personal-data"), {"spam", "personal"}),
    (("--include", "private,unapproved"), {"private", "unapproved"}),
    (("--include", "all", "--keep-personal-data"), set(SECRETS) - {"spam+personal"}),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_opt_in_reveals_exactly_its_part(tmp_path: Path, fmt: str) -> None:
    for flags, groups in CONFIGS:
        text = convert_cli(tmp_path, fmt, STATUSES, *flags)
        seen = found(text)
        leaked = seen - allowed(groups, fmt)
        missing = required(groups, fmt) - seen
        assert not leaked, f"{fmt} {' '.join(flags) or '(defaults)'}: leaked {sorted(leaked)}"
        assert not missing, f"{fmt} {' '.join(flags)}: did not turn on {sorted(missing)}"


def test_password_never_in_site_formats(tmp_path: Path) -> None:
    for fmt in FORMATS:
        if fmt in LOSSLESS:
            continue
        text = convert_cli(tmp_path, fmt, STATUSES, "--include", "all", "--keep-personal-data")
        assert PASSWORD not in text, f"{fmt}: the post password was published"


# Akismet keeps what the commenter submitted, address and IP included, in the comment's
# meta (``akismet_as_submitted``); real exports carry it (corpus: pelican/wordpressexport.xml).
AKISMET = (
    "<wp:commentmeta><wp:meta_key><![CDATA[akismet_as_submitted]]></wp:meta_key><wp:meta_value><![CDATA["
    'a:4:{s:14:"comment_author";s:6:"Reader";s:20:"comment_author_email";s:23:"reader@mail.example.net";'
    's:7:"user_ip";s:12:"198.51.100.7";s:10:"user_agent";s:7:"Mozilla";}]]></wp:meta_value></wp:commentmeta>'
)


@pytest.fixture
def with_akismet_meta(tmp_path: Path) -> Path:
    text = STATUSES.read_text("utf-8")
    anchor = "<wp:comment_user_id>0</wp:comment_user_id>"
    assert anchor in text
    path = tmp_path / "akismet.xml"
    path.write_text(text.replace(anchor, anchor + AKISMET, 1), "utf-8")
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_personal_data_in_comment_meta_is_removed(tmp_path: Path, fmt: str, with_akismet_meta: Path) -> None:
    text = convert_cli(tmp_path, fmt, with_akismet_meta)
    leaked = {s for s in SECRETS["personal"] if s in text}
    assert not leaked, f"{fmt}: personal data published through comment meta: {sorted(leaked)}"
    kept = convert_cli(tmp_path, fmt, with_akismet_meta, "--keep-personal-data")
    assert "reader@mail.example.net" in kept


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bench.generate import generate

    path = tmp_path_factory.mktemp("privacy") / "export.xml"
    generate(path, 80, seed=5)
    return path


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@example\.test")
_IP = re.compile(r"\b192\.0\.2\.\d{1,3}\b")


@pytest.mark.parametrize("fmt", FORMATS)
def test_generated_export_has_no_personal_data_by_default(tmp_path: Path, fmt: str, generated: Path) -> None:
    """A larger export (every status, spam and trash, threads, meta): no address or IP."""
    root = tmp_path / "out"
    root.mkdir()
    out = root / ("site." + fmt if writers.get(fmt).single_file else "site")
    result = CliRunner().invoke(main, ["convert", str(generated), "-f", fmt, "-o", str(out), "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    text = output_text(root)
    assert not _EMAIL.findall(text), sorted(set(_EMAIL.findall(text)))[:5]
    assert not _IP.findall(text), sorted(set(_IP.findall(text)))[:5]
    assert '"status":"private"' not in text and "status: private" not in text
    assert '"status":"trash"' not in text and "status: trash" not in text
