"""Parse the date forms that news pages and feeds really use, always returning aware datetimes.

Naive times are taken in the source's timezone (Beijing time for Chinese sources by default):
assuming UTC is the classic 8-hour error of other tools.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

DEFAULT_TZ = "Asia/Shanghai"

_CN_FULL = re.compile(
    r"(?P<y>\d{4})\s*[年/.-]\s*(?P<m>\d{1,2})\s*[月/.-]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?)?"
)
_CN_MONTH_DAY = re.compile(
    r"(?<!\d)(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日(?:\s*(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{1,2}))?"
)
_RELATIVE = re.compile(r"(?P<n>\d+)\s*(?P<unit>秒|分钟|小时|天|周)前")
_YESTERDAY = re.compile(r"(?P<word>今天|昨天|前天)\s*(?:(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{1,2}))?")
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
_UNITS = {"秒": "seconds", "分钟": "minutes", "小时": "hours", "天": "days", "周": "weeks"}
_DAYS_AGO = {"今天": 0, "昨天": 1, "前天": 2}


def zone(name: str | None) -> tzinfo:
    """The named IANA zone; an unknown name falls back to the default rather than crashing a crawl."""
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def parse_date(value: object, tz: str | None = DEFAULT_TZ, now: datetime | None = None) -> datetime | None:
    """An aware datetime for ``value`` (string, epoch seconds/ms, or datetime), or None if it is no date.

    ``now`` anchors relative and year-less forms ("3分钟前", "11月20日"); year-less dates that would
    lie in the future are put in the previous year.
    """
    local = zone(tz)
    now = (now or datetime.now(UTC)).astimezone(local)
    if isinstance(value, datetime):
        return _plausible(value if value.tzinfo else value.replace(tzinfo=local))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    try:
        iso = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        return _plausible(iso if iso.tzinfo else iso.replace(tzinfo=local))
    if match := _CN_FULL.search(text):
        return _plausible(_build(match, int(match["y"]), local))
    if match := _RELATIVE.search(text):
        return now - timedelta(**{_UNITS[match["unit"]]: int(match["n"])})
    if match := _YESTERDAY.search(text):
        day = now - timedelta(days=_DAYS_AGO[match["word"]])
        hour, minute = int(match["H"] or 0), int(match["M"] or 0)
        return day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if match := _CN_MONTH_DAY.search(text):
        dt = _build(match, now.year, local)
        if dt is not None and dt > now + timedelta(days=1):
            dt = dt.replace(year=now.year - 1)
        return dt
    return _parse_western(text, local)


def _build(match: re.Match[str], year: int, local: tzinfo) -> datetime | None:
    groups = match.groupdict()
    try:
        return datetime(
            year, int(groups["m"]), int(groups["d"]),
            int(groups.get("H") or 0), int(groups.get("M") or 0), int(groups.get("S") or 0),
            tzinfo=local,
        )
    except ValueError:
        return None


def _from_epoch(number: float) -> datetime | None:
    if number > 1e11:  # milliseconds
        number /= 1000
    try:
        return _plausible(datetime.fromtimestamp(number, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _parse_western(text: str, local: tzinfo) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                parsed = dateutil_parser.parse(text)
            except (ValueError, OverflowError):
                return None
    if parsed.tzinfo is None:
        # RFC 822's "-0000" also lands here: "no zone information", so the source's zone applies.
        parsed = parsed.replace(tzinfo=local)
    return _plausible(parsed)


def _plausible(dt: datetime | None) -> datetime | None:
    """Reject dates no news page can carry (year 1900 defaults, year 9999 sentinels)."""
    if dt is None or not 1990 <= dt.year <= 2100:
        return None
    return dt
