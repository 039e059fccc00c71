"""Media: finding the files a WordPress export uses, and fetching them.

* :mod:`.find` — :func:`find_media_urls`: media URLs in post content.
* :mod:`.variants` — :func:`original_url`, :func:`candidates`: resized variants → original.
* :mod:`.paths` — :func:`local_path`: a safe relative path for a URL.
* :mod:`.hosts` — :class:`HostPolicy`, :func:`hosts_for_export`: where fetching is allowed.
* :mod:`.collect` — :func:`export_media_urls`, :func:`attachment_urls`: URLs of an export.
* :mod:`.fetch` — :class:`MediaFetcher`, :func:`fetch_media`: downloading (the only module
  that imports requests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .collect import attachment_urls, export_media_urls
from .find import find_media_urls, parse_srcset
from .hosts import HostPolicy, hosts_for_export
from .kinds import looks_like_media
from .paths import local_path, uploads_relative
from .records import (
    FetchOptions,
    MediaResult,
    Progress,
    ProgressCallback,
    Status,
    local_paths,
    summarize,
)
from .variants import candidates, original_url

if TYPE_CHECKING:
    from .fetch import MediaFetcher, fetch_media

__all__ = [
    "FetchOptions",
    "HostPolicy",
    "MediaFetcher",
    "MediaResult",
    "Progress",
    "ProgressCallback",
    "Status",
    "attachment_urls",
    "candidates",
    "export_media_urls",
    "fetch_media",
    "find_media_urls",
    "hosts_for_export",
    "local_path",
    "local_paths",
    "looks_like_media",
    "original_url",
    "parse_srcset",
    "summarize",
    "uploads_relative",
]


def __getattr__(name: str) -> Any:
    """Import the fetcher (and with it requests) only when it is used."""
    if name in ("MediaFetcher", "fetch_media"):
        from . import fetch

        return getattr(fetch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
