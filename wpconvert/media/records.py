"""The fetcher's settings, its per-URL results and its progress reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

Status = Literal["downloaded", "present", "copied", "failed", "skipped"]
# Statuses of a URL whose file is in the media folder after the run.
OK_STATUSES: frozenset[Status] = frozenset({"downloaded", "present", "copied"})


@dataclass(frozen=True, slots=True)
class MediaResult:
    """What became of one URL.

    ``status``: ``downloaded`` (fetched in this run), ``present`` (already in the media
    folder from an earlier run), ``copied`` (taken from ``media_from``), ``failed`` (see
    ``reason``), ``skipped`` (not fetched on purpose: ``host not allowed``, ``unsupported
    scheme``). ``path`` is the file relative to the media folder: the original's path when
    the URL is a variant whose original was found, else the URL's own. ``source`` is the URL
    the file came from (the original, or the URL itself). ``size`` is the file's size in
    bytes (0 when there is no file).
    """

    url: str
    status: Status
    path: PurePosixPath | None = None
    reason: str = ""
    size: int = 0
    source: str | None = None

    @property
    def ok(self) -> bool:
        """True when the URL's file is in the media folder."""
        return self.status in OK_STATUSES


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress report: sent once per finished URL.

    ``done`` of ``total`` URLs are finished; ``bytes_done`` is the sum of the sizes of the
    files downloaded or copied so far; ``last`` is the result that just finished.
    """

    done: int
    total: int
    bytes_done: int
    last: MediaResult


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """Settings of a :class:`~wpconvert.media.fetch.MediaFetcher`.

    ``jobs`` worker threads (and HTTP connections pooled); at most ``per_host`` requests at
    once to one host (host and port). Timeouts in seconds. A request is retried up to
    ``retries`` times on connection errors, timeouts, truncated bodies, HTTP 429 and 5xx,
    after ``backoff_base * 2 ** n`` seconds (at most ``backoff_max``), or after the
    server's ``Retry-After`` capped at ``retry_after_max``. ``max_size`` caps a file in
    bytes (None: no cap). ``hardlink`` links files from ``media_from`` instead of copying
    them (falling back to a copy across file systems). ``fsync`` flushes each file to disk
    before it is renamed into place. ``trust_env`` lets requests use proxy settings and
    ``.netrc`` from the environment.
    """

    jobs: int = 8
    per_host: int = 4
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 60.0
    max_redirects: int = 5
    max_size: int | None = None
    hardlink: bool = False
    fsync: bool = False
    trust_env: bool = True
    user_agent: str = "wpconvert-media/1.0"
    chunk_size: int = 64 * 1024

    def __post_init__(self) -> None:
        """Reject settings that cannot work."""
        if self.jobs < 1 or self.per_host < 1:
            raise ValueError("jobs and per_host must be at least 1")
        if self.retries < 0 or self.max_redirects < 0:
            raise ValueError("retries and max_redirects must not be negative")
        if min(self.connect_timeout, self.read_timeout) <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_size is not None and self.max_size < 0:
            raise ValueError("max_size must not be negative")


def summarize(results: Iterable[MediaResult]) -> Counter[str]:
    """How many results have each status (for a run report)."""
    return Counter(r.status for r in results)


def local_paths(results: Iterable[MediaResult]) -> dict[str, PurePosixPath]:
    """URL → local file (relative to the media folder) for every URL that has a file.

    What link rewriting needs: variants whose original was found map to the original's file.
    """
    return {r.url: r.path for r in results if r.ok and r.path is not None}
