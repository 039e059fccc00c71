"""Every option a conversion takes, in one typed place.

The CLI, ``--config wpconvert.yaml`` files and library callers all end up with an
:class:`Options`; :func:`from_mapping` checks names and values, so a misspelt key in a config
file is an error rather than silently ignored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import UsageError

# What --include can turn on. Items: private, password-protected and trashed posts.
# Comments: held for moderation ("unapproved"), spam, trashed ("trash" covers both).
INCLUDE_CHOICES = ("private", "protected", "trash", "unapproved", "spam")
LAYOUTS = ("file", "folder")
DATE_FOLDERS = ("none", "year", "year/month")
MEDIA_MODES = ("none", "link", "download")


@dataclass(frozen=True)
class Options:
    """Conversion options (see ``wpconvert convert --help`` for each)."""

    strict: bool = False
    keep_personal_data: bool = False
    include: frozenset[str] = frozenset()
    shortcodes: Literal["keep", "strip"] = "keep"
    # Markdown layout
    layout: Literal["file", "folder"] = "file"
    date_folders: Literal["none", "year", "year/month"] = "none"
    date_prefix: bool = False
    group_by_type: bool = True
    comments: Literal["front-matter", "sidecar"] = "sidecar"
    # Static sites
    site_skeleton: bool = False
    keep_permalinks: bool = False
    # Media
    media: Literal["none", "link", "download"] = "link"
    media_jobs: int = 8
    media_from: str | None = None
    media_hosts: tuple[str, ...] = ()
    max_media_size: int = 100 * 1024 * 1024
    offline: bool = False
    allow_media_errors: bool = False
    # Running
    # Worker processes for conversion; 0 means one per CPU.
    jobs: int = 0
    force: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def includes(self, what: str) -> bool:
        """True when ``--include`` turned ``what`` on."""
        return what in self.include


def parse_include(value: object) -> frozenset[str]:
    """Parse ``--include private,trash`` (or a list); ``all`` turns everything on."""
    if not value:
        return frozenset()
    if isinstance(value, str):
        values: list[object] = [value]
    elif isinstance(value, (list, tuple, set, frozenset)):
        values = list(value)
    else:
        raise UsageError(f"--include takes names separated by commas, not {value!r}")
    parts: list[str] = []
    for v in values:
        if not isinstance(v, str):
            raise UsageError(f"--include takes names, not {v!r}")
        parts.extend(p.strip() for p in v.split(",") if p.strip())
    if "all" in parts:
        return frozenset(INCLUDE_CHOICES)
    bad = [p for p in parts if p not in INCLUDE_CHOICES]
    if bad:
        raise UsageError(f"--include: unknown {', '.join(bad)} (choose from {', '.join(INCLUDE_CHOICES)}, all)")
    return frozenset(parts)


def _hosts(key: str, value: object) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise UsageError(f"option {key!r} takes a host name or a list of them, not {value!r}")
    return tuple(values)


_CHOICES: dict[str, tuple[str, ...]] = {
    "shortcodes": ("keep", "strip"),
    "layout": LAYOUTS,
    "date_folders": DATE_FOLDERS,
    "media": MEDIA_MODES,
    "comments": ("front-matter", "sidecar"),
}


def from_mapping(values: Mapping[str, Any], base: Options | None = None) -> Options:
    """Options from a mapping of option names (``-`` or ``_``) to values, over ``base``.

    Raises :class:`UsageError` for an unknown name or a value of the wrong kind.
    """
    base = base or Options()
    known = {f.name: f for f in dataclasses.fields(Options) if f.name != "extra"}
    changes: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = str(raw_key).replace("-", "_")
        if key not in known:
            raise UsageError(f"unknown option {raw_key!r}")
        current = getattr(base, key)
        if key == "include":
            value = parse_include(value)
        elif key == "media_hosts":
            value = _hosts(raw_key, value)
        elif key == "media_from":
            if value is not None and not isinstance(value, str):
                raise UsageError(f"option {raw_key!r} takes a folder path, not {value!r}")
        elif isinstance(current, bool):
            if not isinstance(value, bool):
                raise UsageError(f"option {raw_key!r} takes true or false, not {value!r}")
        elif isinstance(current, int):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise UsageError(f"option {raw_key!r} takes a whole number, not {value!r}")
        elif key in _CHOICES and value not in _CHOICES[key]:
            raise UsageError(f"option {raw_key!r}: {value!r} is not one of {', '.join(_CHOICES[key])}")
        changes[key] = value
    return dataclasses.replace(base, **changes)
