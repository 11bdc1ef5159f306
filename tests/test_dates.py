from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.dates import parse_date

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # 20:00 in Beijing


@pytest.mark.parametrize(
    ("value", "expected_utc"),
    [
        ("Sat, 11 Dec 2021 12:53:40 GMT", datetime(2021, 12, 11, 12, 53, 40, tzinfo=UTC)),
        ("2026-11-20 09:30", datetime(2026, 11, 20, 1, 30, tzinfo=UTC)),  # naive = Beijing time
        ("2026-11-20T09:30:00+08:00", datetime(2026, 11, 20, 1, 30, tzinfo=UTC)),
        ("2026年11月21日 09:30", datetime(2026, 11, 21, 1, 30, tzinfo=UTC)),
        ("2026年11月21日", datetime(2026, 11, 20, 16, 0, tzinfo=UTC)),
        ("11月20日", datetime(2026, 11, 19, 16, 0, tzinfo=UTC)),
        ("12月30日", datetime(2025, 12, 29, 16, 0, tzinfo=UTC)),  # would be in the future: last year
        ("1763600000", datetime(2025, 11, 20, 0, 53, 20, tzinfo=UTC)),
        ("1763600000000", datetime(2025, 11, 20, 0, 53, 20, tzinfo=UTC)),
        ("昨天 10:15", datetime(2026, 11, 27, 2, 15, tzinfo=UTC)),
    ],
)
def test_forms_become_aware_datetimes(value: str, expected_utc: datetime) -> None:
    parsed = parse_date(value, "Asia/Shanghai", now=NOW)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed.astimezone(UTC) == expected_utc


def test_relative_times() -> None:
    assert parse_date("5分钟前", now=NOW) == NOW - timedelta(minutes=5)
    assert parse_date("3小时前", now=NOW) == NOW - timedelta(hours=3)


def test_source_timezone_applies_to_naive_times() -> None:
    parsed = parse_date("2026-11-20 09:30", "Europe/Berlin", now=NOW)
    assert parsed is not None and parsed.astimezone(UTC) == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("value", ["", "not a date", "9999-12-31 00:00", "1900-01-01", None, [], "2026-13-45"])
def test_garbage_and_implausible_dates_are_none(value: object) -> None:
    assert parse_date(value, now=NOW) is None
