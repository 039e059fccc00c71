"""Resized image variants and the original upload they were made from.

WordPress makes sized copies of every uploaded image (``cat-300x200.jpg``), scales very
large uploads down (``cat-scaled.jpg``), names images edited in the media editor with a
timestamp (``cat-e1700000000123.jpg``), and WordPress.com/Photon resize on the fly from a
query string (``cat.jpg?w=300&h=200``). Content mostly links to such variants; the fetcher
wants the original, and falls back to the variant where the original is gone.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .kinds import IMAGE_EXTENSIONS, extension, has_uploads_marker, is_wpcom_media_host

# Query parameters of WordPress.com/Photon image resizing (and ``ssl``, which only picks the
# protocol of the origin fetch). Dropped from uploads and WordPress.com media URLs.
RESIZE_PARAMS = frozenset(
    {"w", "h", "resize", "fit", "crop", "zoom", "quality", "strip", "ssl", "lb", "ulb",
     "filter", "brightness", "contrast", "colorize", "smooth", "sharpen", "crop_strategy"}
)

# Filename suffixes, each matched at the end of the name without its extension.
_SIZE_RE = re.compile(r"-\d{1,5}x\d{1,5}(?:@[1-4]x)?$")  # -300x200, -300x200@2x
_SCALED_RE = re.compile(r"-(?:scaled|rotated)$")  # big-image scaling / EXIF rotation
_EDIT_RE = re.compile(r"-e\d{10,}$")  # media-editor edit: -e + 10+ digit timestamp
_SUFFIXES = (_SIZE_RE, _SCALED_RE, _EDIT_RE)


def _strip_query(url: str) -> str:
    """``url`` without resize parameters, where it is an uploads or WordPress.com URL."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    if not (has_uploads_marker(parts.path) or is_wpcom_media_host(parts.hostname or "")):
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in RESIZE_PARAMS]
    if len(kept) == len(parse_qsl(parts.query, keep_blank_values=True)):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _strip_suffix_once(url: str) -> str | None:
    """``url`` with one variant suffix removed from its filename, or None if it has none."""
    parts = urlsplit(url)
    path = parts.path
    ext = extension(path)
    if ext not in IMAGE_EXTENSIONS:
        return None
    head, sep, name = path.rpartition("/")
    # Work on the raw (possibly percent-encoded) name; the suffixes are plain ASCII.
    dot = name.rfind(".")
    if dot <= 0:
        return None
    stem, ext_raw = name[:dot], name[dot:]
    for pattern in _SUFFIXES:
        m = pattern.search(stem)
        if m and m.start() > 0:
            new_path = f"{head}{sep}{stem[: m.start()]}{ext_raw}"
            return urlunsplit(parts._replace(path=new_path))
    return None


def variant_chain(url: str) -> list[str]:
    """``url`` followed by each step towards its original, one transformation at a time.

    The first step drops resize query parameters; then filename suffixes come off from the
    end: ``cat-e1700000000-300x200.jpg?w=300`` → ``cat-e1700000000-300x200.jpg`` →
    ``cat-e1700000000.jpg`` → ``cat.jpg``.
    """
    chain = [url]
    current = _strip_query(url)
    if current != url:
        chain.append(current)
    for _ in range(8):  # a name carries at most a few suffixes; bound the loop anyway
        nxt = _strip_suffix_once(current)
        if nxt is None or nxt == current:
            break
        chain.append(nxt)
        current = nxt
    return chain


def original_url(url: str) -> str:
    """The URL of the original upload that ``url`` is a resized or edited variant of.

    ``…/cat-300x200.jpg`` → ``…/cat.jpg``; ``-scaled``, ``-rotated`` and media-editor
    ``-e<timestamp>`` suffixes and WordPress.com/Photon resize queries are removed too. A
    URL that is no variant is returned unchanged.
    """
    return variant_chain(url)[-1]


def candidates(url: str) -> list[str]:
    """URLs to try for ``url``, best first: the original, intermediates, the variant itself.

    The fetcher takes the first that exists, so a variant whose original is gone is still
    fetched. Always non-empty, deduplicated, ending with ``url``.
    """
    chain = variant_chain(url)
    return list(dict.fromkeys(reversed(chain)))
