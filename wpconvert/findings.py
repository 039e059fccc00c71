"""Findings of ``wpconvert check``: the stable codes, their severities, and the result.

See :mod:`wpconvert.checks` for what is checked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import UsageError
from .report import Problem, Report

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

REPAIR_CODES = {
    "leading-junk": "WPC010", "bad-encoding": "WPC011", "control-char": "WPC012",
    "undeclared-prefix": "WPC013", "namespace-uri": "WPC014", "raw-ampersand": "WPC015",
    "html-entity": "WPC016", "cdata-terminator": "WPC017", "truncated": "WPC018",
}
KNOWN_VERSIONS = ("1.0", "1.1", "1.2")
# Types whose parent is a page of the same hierarchy; other parents only attach.

def rank(severity: str) -> int:
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
        return any(rank(f.severity) >= _RANK[fail_on] for f in self.findings)

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


