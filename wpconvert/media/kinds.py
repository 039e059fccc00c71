"""What a media URL looks like: upload folders, WordPress.com media hosts, file extensions.

Pure helpers shared by the finder (:mod:`.find`), the variant logic (:mod:`.variants`) and
the path mapping (:mod:`.paths`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

# The folder WordPress stores uploads in, as it appears in URL paths.
UPLOADS_MARKER = "/wp-content/uploads/"

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".webp", ".avif", ".bmp", ".tif", ".tiff",
     ".heic", ".heif", ".svg", ".ico"}
)
AUDIO_EXTENSIONS = frozenset(
    {".mp3", ".m4a", ".ogg", ".oga", ".wav", ".wma", ".flac", ".aac", ".opus", ".mid", ".midi"}
)
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".webm", ".ogv", ".avi", ".wmv", ".flv", ".mkv", ".mpg", ".mpeg",
     ".3gp"}
)
DOCUMENT_EXTENSIONS = frozenset(
    {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp",
     ".epub", ".zip", ".vtt", ".srt"}
)
MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | AUDIO_EXTENSIONS | VIDEO_EXTENSIONS | DOCUMENT_EXTENSIONS

# Jetpack/WordPress.com image CDN ("Photon"): i0.wp.com … i3.wp.com.
_PHOTON_HOST_RE = re.compile(r"^i\d\.wp\.com$")


def is_photon_host(host: str) -> bool:
    """True for the Photon image CDN hosts ``i0.wp.com`` … ``i3.wp.com``."""
    return bool(_PHOTON_HOST_RE.match(host.lower().rstrip(".")))


def is_wpcom_files_host(host: str) -> bool:
    """True for WordPress.com upload hosts such as ``example.files.wordpress.com``."""
    return host.lower().rstrip(".").endswith(".files.wordpress.com")


def is_wpcom_media_host(host: str) -> bool:
    """True for hosts that only serve media: ``*.files.wordpress.com`` and Photon."""
    return is_wpcom_files_host(host) or is_photon_host(host)


def has_uploads_marker(path: str) -> bool:
    """True when a URL path runs through ``/wp-content/uploads/``."""
    return UPLOADS_MARKER in path.lower()


def extension(path: str) -> str:
    """The lower-cased extension (with the dot) of a URL path's last segment, or ""."""
    last = unquote(path).rsplit("/", 1)[-1]
    return posixpath.splitext(last)[1].lower()


def looks_like_media(url: str, uploads_prefixes: Iterable[str] = ()) -> bool:
    """True when ``url`` points at an uploaded file rather than a page.

    That is a path through ``/wp-content/uploads/``, a WordPress.com media host, a media
    file extension, or a match of one of ``uploads_prefixes``: an absolute URL prefix
    (``https://cdn.example.com/media/``) or a path fragment (``/files/``).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    for prefix in uploads_prefixes:
        if not prefix:
            continue
        if "://" in prefix:
            if url.lower().startswith(prefix.lower()):
                return True
        elif prefix.lower() in parts.path.lower():
            return True
    if has_uploads_marker(parts.path):
        return True
    if is_wpcom_media_host(parts.hostname or ""):
        return True
    return extension(parts.path) in MEDIA_EXTENSIONS
