"""When to retry: exponential backoff and the ``Retry-After`` header."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime


def is_retryable_status(status: int) -> bool:
    """True for 429 and every 5xx."""
    return status == 429 or 500 <= status <= 599


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    None for a missing or unreadable header; a date in the past gives 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(attempt: int, base: float, cap: float, *, jitter: float = 0.1) -> float:
    """The wait before retry number ``attempt`` (0-based): ``base * 2 ** attempt``, capped.

    Up to ``jitter`` (a fraction) is added at random so parallel retries spread out.
    """
    delay = min(cap, base * (2.0 ** min(attempt, 30)))
    return delay * (1.0 + random.random() * jitter) if jitter > 0 else delay


def retry_wait(
    attempt: int,
    retry_after: str | None,
    *,
    base: float,
    cap: float,
    retry_after_max: float,
) -> float:
    """The wait before the next try: the server's ``Retry-After`` (capped) or a backoff."""
    hinted = parse_retry_after(retry_after)
    if hinted is not None:
        return min(hinted, retry_after_max)
    return backoff_delay(attempt, base, cap)
