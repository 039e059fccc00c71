"""Post dates: the fast reading of WordPress's date format agrees with strptime()."""

from __future__ import annotations

import datetime as dt

from hypothesis import example, given
from hypothesis import strategies as st

from wpconvert.writers.site import _parse_date, iso_date

DATE_LIKE = st.one_of(
    st.from_regex(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}", fullmatch=True),
    st.from_regex(r"[0-9٠-٩]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", fullmatch=True),
    st.text(max_size=25),
)


def _strptime(value: str) -> dt.datetime | str:
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return "refused"


def _fast(value: str) -> dt.datetime | str:
    try:
        return _parse_date(value)
    except ValueError:
        return "refused"


@given(DATE_LIKE)
@example("2024-02-29 23:59:59")
@example("2023-02-29 12:00:00")
@example("2020-12-31 23:59:60")
@example("0000-00-00 00:00:00")
@example("2020-1-5 3:4:5")
def test_dates_read_as_strptime_reads_them(value: str) -> None:
    assert _fast(value) == _strptime(value)


def test_gmt_date_wins_and_is_utc() -> None:
    got = iso_date("2020-05-01 12:00:00", "2020-05-01 10:00:00")
    assert got == dt.datetime(2020, 5, 1, 10, tzinfo=dt.UTC)
    assert iso_date("2020-05-01 12:00:00", "0000-00-00 00:00:00") == dt.datetime(2020, 5, 1, 12)
    assert iso_date(None, None) is None
