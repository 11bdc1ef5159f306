from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.content.dates import parse_date

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


@pytest.mark.parametrize(
    ("value", "expected_utc"),
    [
        ("２０２６年１１月２１日 ０９：３０", datetime(2026, 11, 21, 1, 30, tzinfo=UTC)),  # full-width
        ("2026年11月21日 下午3:05", datetime(2026, 11, 21, 7, 5, tzinfo=UTC)),
        ("2026年11月21日 上午9:05", datetime(2026, 11, 21, 1, 5, tzinfo=UTC)),
        ("发布时间：2026-11-20 09:30:15 来源：新华社", datetime(2026, 11, 20, 1, 30, 15, tzinfo=UTC)),
        ("2026/11/20 09:30", datetime(2026, 11, 20, 1, 30, tzinfo=UTC)),
        ("2026.11.20", datetime(2026, 11, 19, 16, 0, tzinfo=UTC)),
        ("11月20日 09:30", datetime(2026, 11, 20, 1, 30, tzinfo=UTC)),
        ("11-20 09:30", datetime(2026, 11, 20, 1, 30, tzinfo=UTC)),  # year-less numeric
        ("12-30", datetime(2025, 12, 29, 16, 0, tzinfo=UTC)),
        ("前天 08:00", datetime(2026, 11, 26, 0, 0, tzinfo=UTC)),
        ("今天 19:59", datetime(2026, 11, 28, 11, 59, tzinfo=UTC)),
        ("19:30", datetime(2026, 11, 28, 11, 30, tzinfo=UTC)),  # a bare time is today's
        ("23:30", datetime(2026, 11, 27, 15, 30, tzinfo=UTC)),  # ... unless that is hours ahead
        ("Sat, 28 Nov 2026 10:00:00 CST", datetime(2026, 11, 28, 2, 0, tzinfo=UTC)),  # China, not US Central
        ("Sat, 28 Nov 2026 10:00:00 +0800", datetime(2026, 11, 28, 2, 0, tzinfo=UTC)),
        ("2026-11-28T02:00:00Z", datetime(2026, 11, 28, 2, 0, tzinfo=UTC)),
        ("2026-11-28T02:00:00.000Z", datetime(2026, 11, 28, 2, 0, tzinfo=UTC)),
        ("1763600000.25", datetime(2025, 11, 20, 0, 53, 20, 250000, tzinfo=UTC)),
    ],
)
def test_more_chinese_forms(value: str, expected_utc: datetime) -> None:
    parsed = parse_date(value, "Asia/Shanghai", now=NOW)
    assert parsed is not None and parsed.astimezone(UTC) == expected_utc


@pytest.mark.parametrize(
    ("value", "delta"),
    [
        ("刚刚", timedelta(0)),
        ("30秒前", timedelta(seconds=30)),
        ("半小时前", timedelta(minutes=30)),
        ("1个小时前", timedelta(hours=1)),
        ("2天前", timedelta(days=2)),
        ("1周前", timedelta(weeks=1)),
        ("3个月前", timedelta(days=90)),
        ("５分钟前", timedelta(minutes=5)),
    ],
)
def test_every_relative_form(value: str, delta: timedelta) -> None:
    assert parse_date(value, now=NOW) == NOW - delta


def test_zone_words_beat_the_configured_zone() -> None:
    berlin = parse_date("北京时间 2026-11-20 09:30", "Europe/Berlin", now=NOW)
    assert berlin is not None and berlin.astimezone(UTC) == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    plus8 = parse_date("2026-11-20 09:30 (GMT+8)", "UTC", now=NOW)
    assert plus8 is not None and plus8.astimezone(UTC) == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    # Outside China "CST" stays what email.utils says (US Central, -06:00).
    us = parse_date("Sat, 28 Nov 2026 10:00:00 CST", "America/Chicago", now=NOW)
    assert us is not None and us.astimezone(UTC) == datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


def test_yearless_dates_across_new_year() -> None:
    new_year = datetime(2027, 1, 2, 4, 0, tzinfo=UTC)  # 12:00 on 2 January in Beijing
    parsed = parse_date("12月31日", now=new_year)
    assert parsed is not None and parsed.year == 2026
    parsed = parse_date("1月2日", now=new_year)
    assert parsed is not None and parsed.year == 2027
    leap = parse_date("2月29日", now=datetime(2029, 3, 5, tzinfo=UTC))  # 2029 has none: the last leap day
    assert leap is not None and leap.date().isoformat() == "2028-02-29"
