"""Which hosts media may be fetched from.

A :class:`HostPolicy` holds host patterns: an exact host (``example.com``), a host with a
port (``127.0.0.1:8080``, which then must match too), or a wildcard for subdomains
(``*.files.wordpress.com`` matches ``blog.files.wordpress.com`` at any depth, not the bare
domain). :func:`hosts_for_export` derives the usual set from an export.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from ..model import Item, Site
from .kinds import is_wpcom_files_host

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Added when the export is a WordPress.com site: its uploads and its image CDN.
WPCOM_MEDIA_HOSTS = ("*.files.wordpress.com", "i0.wp.com", "i1.wp.com", "i2.wp.com", "i3.wp.com")


def _split_pattern(pattern: str) -> tuple[str, int | None] | None:
    text = pattern.strip()
    if not text:
        return None
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return None
    return host, port


def host_of(url: str) -> str:
    """The lower-cased host of ``url`` (no port, no trailing dot), or "" if it has none."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


class HostPolicy:
    """The set of hosts media may be fetched from (see the module documentation)."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        """Build the policy from host patterns; URLs are accepted in place of hosts."""
        self._exact: set[tuple[str, int | None]] = set()
        self._wildcards: set[tuple[str, int | None]] = set()
        self._patterns: list[str] = []
        for pattern in patterns:
            self.add(pattern)

    def add(self, pattern: str) -> None:
        """Allow one more host pattern."""
        wildcard = pattern.strip().startswith("*.")
        split = _split_pattern(pattern.strip()[2:] if wildcard else pattern)
        if split is None:
            return
        (self._wildcards if wildcard else self._exact).add(split)
        self._patterns.append(("*." if wildcard else "") + split[0]
                              + (f":{split[1]}" if split[1] is not None else ""))

    @property
    def patterns(self) -> tuple[str, ...]:
        """The normalised patterns, in the order they were added."""
        return tuple(dict.fromkeys(self._patterns))

    def allows(self, url: str) -> bool:
        """True when ``url``'s host (and port, where the pattern names one) is allowed."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        host = (parts.hostname or "").rstrip(".").lower()
        if not host:
            return False
        effective = port if port is not None else _DEFAULT_PORTS.get(parts.scheme.lower())
        for want_host, want_port in self._exact:
            if host == want_host and (want_port is None or want_port == effective):
                return True
        for suffix, want_port in self._wildcards:
            if host.endswith("." + suffix) and (want_port is None or want_port == effective):
                return True
        return False

    def __repr__(self) -> str:
        return f"HostPolicy({list(self.patterns)!r})"


def _twin(host: str) -> str:
    return host[4:] if host.startswith("www.") else "www." + host


def hosts_for_export(
    site: Site | None, items: Iterable[Item] = (), extra: Iterable[str] = ()
) -> list[str]:
    """Host patterns for an export: its site and blog hosts, attachment hosts, ``extra``.

    Site hosts come with their ``www.`` twin. When the site or an attachment is on
    WordPress.com, ``*.files.wordpress.com`` and the Photon CDN hosts are added.
    """
    hosts: dict[str, None] = {}
    site_urls = [site.link, site.base_site_url, site.base_blog_url] if site else []
    for url in site_urls:
        host = host_of(url)
        if host:
            hosts.setdefault(host, None)
            hosts.setdefault(_twin(host), None)
    for item in items:
        if item.attachment_url:
            host = host_of(item.attachment_url)
            if host:
                hosts.setdefault(host, None)
    if any(h.endswith(".wordpress.com") or is_wpcom_files_host(h) for h in list(hosts)):
        for pattern in WPCOM_MEDIA_HOSTS:
            hosts.setdefault(pattern, None)
    for pattern in extra:
        if pattern.strip():
            hosts.setdefault(pattern.strip(), None)
    return list(hosts)
