"""Downloading media: a thread pool over one pooled HTTP session, politely and resumably.

:class:`MediaFetcher` takes a list of URLs and puts each file into the media folder at
:func:`~wpconvert.media.paths.local_path` of the URL it came from. For each URL:

1. URLs that are not http(s) or whose host the :class:`~wpconvert.media.hosts.HostPolicy`
   does not allow are ``skipped``.
2. The candidates (:func:`~wpconvert.media.variants.candidates`: the original first, the
   variant itself last) are looked up in the media folder: a file present there from an
   earlier run (nonzero size) makes the URL ``present``.
3. Else a candidate found in ``media_from`` (a local copy of ``wp-content/uploads``) is
   copied (or hard-linked): ``copied``. With ``offline`` nothing else happens: ``failed``,
   reason ``offline``.
4. Else the candidates are downloaded in order until one succeeds: ``downloaded``. A
   candidate that answers 4xx or is over ``max_size`` falls back to the next one; a
   connection failure, timeout or 5xx (after retries) ends the URL as ``failed``.

Presence in the media folder is decided once, before any worker starts, so results do not
depend on the order threads finish in; two URLs that need the same file share one
download. Results come back in input order, one per input URL.

This is the only module that imports :mod:`requests`.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path, PurePosixPath
from types import TracebackType
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError

from ..paths import path_key
from .hosts import HostPolicy
from .paths import local_path, uploads_relative
from .records import FetchOptions, MediaResult, Progress, ProgressCallback, Status
from .retry import is_retryable_status, retry_wait
from .store import PartFile, copy_into, discard, find_local, part_path, present_size
from .variants import candidates

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ERRNO_RE = re.compile(r"\[Errno -?\d+\][^')\"]*")


@dataclass(frozen=True, slots=True)
class _Candidate:
    url: str
    path: PurePosixPath
    local: Path | None  # the file in media_from, if there is one


@dataclass(frozen=True, slots=True)
class _Plan:
    url: str
    skip: str | None
    candidates: tuple[_Candidate, ...] = ()


@dataclass(frozen=True, slots=True)
class _Outcome:
    url: str
    status: Status
    size: int = 0
    reason: str = ""
    retryable: bool = False
    fallback: bool = True  # worth trying the next candidate after this failure
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"


# A per-file action (copy or download) for MediaFetcher._once.
_Action = Callable[[_Candidate], _Outcome]


def _fail(url: str, reason: str, *, retryable: bool = False, fallback: bool = True,
          retry_after: str | None = None) -> _Outcome:
    return _Outcome(url, "failed", reason=reason, retryable=retryable, fallback=fallback,
                    retry_after=retry_after)


def _describe(exc: BaseException) -> str:
    """A short reason for a requests exception."""
    text = str(exc)
    m = _ERRNO_RE.search(text)
    if m:
        return m.group(0).strip()
    if "NameResolutionError" in text or "Name or service not known" in text:
        return "cannot resolve host"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "connection closed by server"
    return type(exc).__name__


def _is_read_timeout(exc: BaseException) -> bool:
    return any(isinstance(a, ReadTimeoutError) for a in exc.args) or "Read timed out" in str(exc)


def _content_length(resp: requests.Response) -> int | None:
    value = resp.headers.get("Content-Length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _discard_body(resp: requests.Response) -> None:
    """Read a small error or redirect body so the connection can be reused."""
    length = _content_length(resp)
    if length is not None and length <= 65536:
        with contextlib.suppress(requests.RequestException):
            _ = resp.content


class MediaFetcher:
    """Fetches media files into ``dest`` (see the module documentation).

    ``allowed_hosts`` is a :class:`~wpconvert.media.hosts.HostPolicy` or host patterns.
    ``progress`` is called from worker threads, one call at a time, after each URL. Use
    as a context manager (or call :meth:`close`) to release the HTTP connections. One
    :meth:`fetch` at a time per fetcher; one process at a time per ``dest``.
    """

    def __init__(
        self,
        dest: Path,
        allowed_hosts: HostPolicy | Iterable[str] = (),
        *,
        options: FetchOptions | None = None,
        media_from: Path | None = None,
        offline: bool = False,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Set the fetcher up; nothing is read or fetched before :meth:`fetch`."""
        self.dest = Path(dest)
        self.policy = (
            allowed_hosts if isinstance(allowed_hosts, HostPolicy) else HostPolicy(allowed_hosts)
        )
        self.options = options or FetchOptions()
        self.media_from = Path(media_from) if media_from is not None else None
        self.offline = offline
        self.progress = progress
        self._session = self._make_session()
        self._lock = threading.Lock()
        self._host_slots: dict[str, threading.BoundedSemaphore] = {}
        self._path_locks: dict[PurePosixPath, threading.Lock] = {}
        self._finished: dict[PurePosixPath, _Outcome] = {}
        self._present: dict[PurePosixPath, int] = {}
        self._done = 0
        self._bytes = 0
        self._stop = threading.Event()
        self._casefold: dict[tuple[str, ...], str] = {}  # path key → the URL that has it

    def _make_session(self) -> requests.Session:
        opts = self.options
        session = requests.Session()
        session.trust_env = opts.trust_env
        adapter = HTTPAdapter(
            pool_connections=max(10, opts.jobs), pool_maxsize=opts.jobs, max_retries=0
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(
            {"User-Agent": opts.user_agent, "Accept": "*/*", "Accept-Encoding": "identity"}
        )
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # no cookies
        return session

    def close(self) -> None:
        """Close the HTTP session and its pooled connections."""
        self._session.close()

    def __enter__(self) -> MediaFetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- planning

    def _plan(self, url: str) -> _Plan:
        text = url.strip()
        try:
            parts = urlsplit(text)
            host = parts.hostname
        except ValueError:
            return _Plan(url, "invalid URL")
        if parts.scheme.lower() not in ("http", "https"):
            return _Plan(url, f"unsupported scheme: {parts.scheme or 'none'}")
        if not host:
            return _Plan(url, "invalid URL: no host")
        if not self.policy.allows(text):
            return _Plan(url, "host not allowed")
        text = urlunsplit(parts._replace(fragment=""))
        found: list[_Candidate] = []
        for cand in candidates(text):
            if not self.policy.allows(cand):
                continue
            local = None
            if self.media_from is not None:
                local = find_local(self.media_from, uploads_relative(cand))
            found.append(_Candidate(cand, self._unique(local_path(cand), cand), local))
        return _Plan(url, None, tuple(found))

    def _unique(self, path: PurePosixPath, url: str) -> PurePosixPath:
        """``path`` for the file at ``url``; another name when a different URL has that path
        already, or one differing only by case or Unicode normalisation (the same file on
        macOS and Windows). The same URL (an original that several resized variants fall
        back to) always gets the same file."""
        key = path_key(path)
        owner = self._casefold.setdefault(key, url)
        if owner == url:
            return path
        digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:8]
        return self._unique(path.with_name(f"{path.stem}-{digest}{path.suffix}"), url)

    def _prepare(self, plans: list[_Plan]) -> None:
        """Note which files are present and drop ``.part`` leftovers, before any worker."""
        self._finished = {}
        self._path_locks = {}
        self._present = {}
        self._done = 0
        self._bytes = 0
        for plan in plans:
            for cand in plan.candidates:
                if cand.path in self._present:
                    continue
                target = self.dest / cand.path
                self._present[cand.path] = present_size(target)
                discard(part_path(target))

    # ----------------------------------------------------------------- running

    def fetch(self, urls: Iterable[str]) -> list[MediaResult]:
        """Fetch every URL; return one result per input URL, in input order.

        A URL that fails never stops the others; repeated URLs are fetched once.
        """
        wanted = list(urls)
        unique = list(dict.fromkeys(wanted))
        plans = [self._plan(u) for u in unique]
        self._prepare(plans)
        self._stop.clear()
        pool = ThreadPoolExecutor(self.options.jobs, thread_name_prefix="wpconvert-media")
        try:
            futures = [pool.submit(self._run_one, plan, len(plans)) for plan in plans]
            by_url = {plan.url: f.result() for plan, f in zip(plans, futures, strict=True)}
        except BaseException:
            # Ctrl-C or a failing progress callback: stop the workers at their next chunk or
            # request (their .part files are removed), drop what has not started.
            self._stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return [by_url[u] for u in wanted]

    def _run_one(self, plan: _Plan, total: int) -> MediaResult:
        try:
            result = self._resolve(plan)
        except Exception as exc:  # a bug must not sink the other URLs
            result = MediaResult(plan.url, "failed", reason=f"internal error: {exc!r}")
        with self._lock:
            self._done += 1
            if self.progress is not None:
                self.progress(Progress(self._done, total, self._bytes, result))
        return result

    def _resolve(self, plan: _Plan) -> MediaResult:
        if plan.skip is not None:
            return MediaResult(plan.url, "skipped", reason=plan.skip)
        for cand in plan.candidates:
            size = self._present.get(cand.path, 0)
            if size > 0:
                return MediaResult(plan.url, "present", cand.path, size=size, source=cand.url)
        for cand in plan.candidates:
            if cand.local is not None:
                outcome = self._once(cand, self._copy)
                if outcome.ok:
                    return self._result(plan.url, cand, outcome)
        if self.offline:
            return MediaResult(plan.url, "failed", reason="offline")
        last: _Outcome | None = None
        tried = 0
        for cand in plan.candidates:
            outcome = self._once(cand, self._download)
            tried += 1
            if outcome.ok:
                return self._result(plan.url, cand, outcome)
            last = outcome
            if not outcome.fallback:
                break
        if last is None:
            return MediaResult(plan.url, "skipped", reason="host not allowed")
        reason = last.reason if tried == 1 else f"{last.reason} (tried {tried} URLs)"
        return MediaResult(plan.url, "failed", reason=reason, source=last.url)

    @staticmethod
    def _result(url: str, cand: _Candidate, outcome: _Outcome) -> MediaResult:
        return MediaResult(url, outcome.status, cand.path, size=outcome.size, source=outcome.url)

    def _once(self, cand: _Candidate, action: _Action) -> _Outcome:
        """Run ``action`` for a file at most once per run, whichever URL asks first."""
        with self._lock:
            lock = self._path_locks.setdefault(cand.path, threading.Lock())
        with lock:
            previous = self._finished.get(cand.path)
            if previous is not None and (previous.ok or previous.url == cand.url):
                return previous
            outcome = action(cand)
            self._finished[cand.path] = outcome
        if outcome.ok:
            with self._lock:
                self._bytes += outcome.size  # counted once, however many URLs share the file
        return outcome

    def _copy(self, cand: _Candidate) -> _Outcome:
        assert cand.local is not None
        try:
            size = copy_into(cand.local, self.dest / cand.path,
                             hardlink=self.options.hardlink, fsync=self.options.fsync)
        except OSError as exc:
            return _fail(cand.url, f"cannot copy from media_from: {exc.strerror or exc}")
        return _Outcome(cand.url, "copied", size=size)

    # ----------------------------------------------------------------- HTTP

    @contextlib.contextmanager
    def _host_slot(self, url: str) -> Iterator[None]:
        """Hold one of the ``per_host`` request slots of ``url``'s host and port."""
        key = urlsplit(url).netloc.lower()
        with self._lock:
            slot = self._host_slots.get(key)
            if slot is None:
                slot = self._host_slots[key] = threading.BoundedSemaphore(self.options.per_host)
        with slot:
            yield

    def _download(self, cand: _Candidate) -> _Outcome:
        """Download one candidate with retries and backoff."""
        opts = self.options
        target = self.dest / cand.path
        attempt = 0
        while True:
            outcome = self._attempt(cand.url, target)
            if outcome.ok or not outcome.retryable or attempt >= opts.retries:
                break
            wait = retry_wait(attempt, outcome.retry_after, base=opts.backoff_base,
                              cap=opts.backoff_max, retry_after_max=opts.retry_after_max)
            if self._stop.wait(wait):
                return _fail(cand.url, "interrupted", fallback=False)
            attempt += 1
        if not outcome.ok and outcome.retryable and attempt > 0:
            outcome = replace(outcome, reason=f"{outcome.reason} after {attempt + 1} attempts")
        return outcome

    def _redirect(self, current: str, location: str | None) -> str | _Outcome:
        if not location:
            return _fail(current, "redirect without Location", fallback=False)
        try:
            nxt = urlunsplit(urlsplit(urljoin(current, location.strip()))._replace(fragment=""))
            scheme = urlsplit(nxt).scheme.lower()
        except ValueError:
            return _fail(current, "redirect to an invalid URL", fallback=False)
        if scheme not in ("http", "https"):
            return _fail(current, f"redirect to unsupported scheme: {scheme}", fallback=False)
        if not self.policy.allows(nxt):
            host = urlsplit(nxt).hostname or ""
            return _fail(current, f"redirect to host not allowed: {host}", fallback=False)
        return nxt

    def _attempt(self, url: str, target: Path) -> _Outcome:
        """One try: the request, its redirects (followed by hand) and the body."""
        opts = self.options
        timeout = (opts.connect_timeout, opts.read_timeout)
        current, seen = url, {url}
        for _hop in range(opts.max_redirects + 1):
            if self._stop.is_set():
                return _fail(url, "interrupted", fallback=False)
            with self._host_slot(current):
                try:
                    resp = self._session.get(current, stream=True, allow_redirects=False,
                                             timeout=timeout)
                except requests.ConnectTimeout:
                    return _fail(url, "connect timeout", retryable=True, fallback=False)
                except requests.ReadTimeout:
                    return _fail(url, "read timeout", retryable=True, fallback=False)
                except requests.ConnectionError as exc:
                    return _fail(url, f"connection error: {_describe(exc)}",
                                 retryable=True, fallback=False)
                except requests.RequestException as exc:
                    return _fail(url, f"request error: {_describe(exc)}")
                with resp:
                    status = resp.status_code
                    if status in _REDIRECT_STATUSES:
                        _discard_body(resp)
                        nxt = self._redirect(current, resp.headers.get("Location"))
                        if isinstance(nxt, _Outcome):
                            return replace(nxt, url=url)
                        if nxt in seen:
                            return _fail(url, "redirect loop", fallback=False)
                        seen.add(nxt)
                        current = nxt
                        continue
                    if status == 200:
                        return self._save(resp, url, target)
                    _discard_body(resp)
                    if is_retryable_status(status):
                        return _fail(url, f"HTTP {status}", retryable=True, fallback=False,
                                     retry_after=resp.headers.get("Retry-After"))
                    return _fail(url, f"HTTP {status}")
        return _fail(url, f"too many redirects (more than {opts.max_redirects})", fallback=False)

    def _save(self, resp: requests.Response, url: str, target: Path) -> _Outcome:
        """Stream a 200 response's body to ``target`` through a ``.part`` file."""
        cap = self.options.max_size
        length = _content_length(resp)
        if cap is not None and length is not None and length > cap:
            return _fail(url, f"too large: {length} bytes > max_size {cap}")
        try:
            with PartFile(target, fsync=self.options.fsync) as part:
                for chunk in resp.iter_content(self.options.chunk_size):
                    if self._stop.is_set():
                        return _fail(url, "interrupted", fallback=False)
                    if cap is not None and part.size + len(chunk) > cap:
                        return _fail(url, f"too large: more than max_size {cap} bytes")
                    part.write(chunk)
                received = resp.raw.tell() if hasattr(resp.raw, "tell") else part.size
                if length is not None and received != length:
                    return _fail(url, f"truncated body: {received} of {length} bytes",
                                 retryable=True, fallback=False)
                part.commit()
                return _Outcome(url, "downloaded", size=part.size)
        except requests.exceptions.ChunkedEncodingError:
            return _fail(url, "truncated body", retryable=True, fallback=False)
        except requests.ConnectionError as exc:
            reason = "read timeout" if _is_read_timeout(exc) else (
                f"connection error: {_describe(exc)}")
            return _fail(url, reason, retryable=True, fallback=False)
        except requests.RequestException as exc:
            return _fail(url, f"request error: {_describe(exc)}", retryable=True, fallback=False)
        except OSError as exc:
            return _fail(url, f"cannot write {target.name}: {exc.strerror or exc}",
                         fallback=False)


def fetch_media(
    urls: Iterable[str],
    dest: Path,
    allowed_hosts: HostPolicy | Iterable[str] = (),
    *,
    options: FetchOptions | None = None,
    media_from: Path | None = None,
    offline: bool = False,
    progress: ProgressCallback | None = None,
) -> list[MediaResult]:
    """Fetch ``urls`` into ``dest`` with a one-off :class:`MediaFetcher`; results in order."""
    with MediaFetcher(dest, allowed_hosts, options=options, media_from=media_from,
                      offline=offline, progress=progress) as fetcher:
        return fetcher.fetch(urls)
