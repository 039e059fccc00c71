"""The media URLs of a whole export: attachments and what the content refers to."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Item, Site
from .find import find_media_urls
from .kinds import UPLOADS_MARKER


def attachment_url(item: Item, site: Site | None = None) -> str:
    """The file URL of an attachment item ("" when it has none).

    ``attachment_url`` as exported; where that is empty, the site URL joined with
    ``/wp-content/uploads/`` and the ``_wp_attached_file`` meta (``2024/05/cat.jpg``).
    """
    if item.attachment_url.strip():
        return item.attachment_url.strip()
    attached = (item.meta_value("_wp_attached_file") or "").strip().lstrip("/")
    if not attached:
        return ""
    if attached.startswith(("http://", "https://")):
        return attached
    base = ""
    if site is not None:
        base = site.base_site_url or site.link or site.base_blog_url
    if not base:
        return ""
    return base.rstrip("/") + UPLOADS_MARKER + attached


def attachment_urls(items: Iterable[Item], site: Site | None = None) -> dict[int, str]:
    """Attachment post id → file URL, for resolving ``_thumbnail_id`` and galleries."""
    found: dict[int, str] = {}
    for item in items:
        if item.post_type != "attachment" or item.id is None:
            continue
        url = attachment_url(item, site)
        if url:
            found.setdefault(item.id, url)
    return found


def export_media_urls(
    items: Iterable[Item],
    site: Site | None = None,
    uploads_prefixes: Iterable[str] = (),
) -> list[str]:
    """Every media URL of an export, in export order, each once.

    Attachments contribute their file URL; other items the media URLs of their content
    and excerpt (:func:`~wpconvert.media.find.find_media_urls`, relative URLs resolved
    against the item's link or the site's).
    """
    prefixes = tuple(uploads_prefixes)
    urls: dict[str, None] = {}
    site_base = (site.link or site.base_blog_url or site.base_site_url) if site else ""
    for item in items:
        if item.post_type == "attachment":
            url = attachment_url(item, site)
            if url:
                urls.setdefault(url, None)
            continue
        base = item.link or site_base or None
        for text in (item.content, item.excerpt):
            if text:
                for url in find_media_urls(text, prefixes, base_url=base):
                    urls.setdefault(url, None)
    return list(urls)
