"""Parse the date forms that news pages and feeds really use, always returning aware datetimes.

Naive times are taken in the source's timezone (Beijing time for Chinese sources by default):
assuming UTC is the classic 8-hour error of other tools.
"""

from __future__ import annotations

import email.utils
import re
import unicodedata
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

DEFAULT_TZ = "Asia/Shanghai"

# Text is NFKC-normalised first, so full-width digits and colons ("２０２６年", "10：30") arrive as ASCII.
_TIME = (r"(?:\s*(?P<ap>上午|下午|晚上|中午|凌晨|早上)?\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})"
         r"(?:\s*[:分]\s*(?P<S>\d{1,2}))?)")
_CN_FULL = re.compile(
    r"(?P<y>\d{4})\s*[年/.-]\s*(?P<m>\d{1,2})\s*[月/.-]\s*(?P<d>\d{1,2})\s*日?" + _TIME + "?"
)
_CN_MONTH_DAY = re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日" + _TIME + "?")
# Year-less numeric dates ("11-20 09:30", "11/20"), only as the whole value: too ambiguous inside text.
_MONTH_DAY_NUMERIC = re.compile(r"^(?P<m>\d{1,2})[-/](?P<d>\d{1,2})" + _TIME + "?$")
_TIME_ONLY = re.compile(r"^" + _TIME + "$")
_RELATIVE = re.compile(r"(?P<n>\d+|半)\s*个?\s*(?P<unit>秒钟?|分钟|小时|天|周|星期|个?月)前")
_JUST_NOW = re.compile(r"^(?:刚刚|刚才|just now)$", re.IGNORECASE)
_YESTERDAY = re.compile(r"(?P<word>今天|昨天|前天)" + _TIME + "?")
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?(?:\.\d+)?$")
_UNITS = {"秒": 1, "秒钟": 1, "分钟": 60, "小时": 3600, "天": 86400, "周": 604800, "星期": 604800,
          "月": 2_592_000, "个月": 2_592_000}
_DAYS_AGO = {"今天": 0, "昨天": 1, "前天": 2}
_PM = {"下午", "晚上"}
# Zones written as words: on Chinese pages "CST" is China Standard Time, not US Central (email.utils'
# reading), and "北京时间" / "GMT+8" say +08:00 whatever the source's configured zone.
_BEIJING_WORDS = re.compile(r"北京时间|\(?(?:GMT|UTC)\s*\+\s*0?8(?::?00)?\)?")
_CHINA_ZONES = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Urumqi", "Asia/Hong_Kong",
                "Asia/Macau", "Asia/Taipei", "PRC"}


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
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value)
        if _BEIJING_WORDS.search(value):
            value = _BEIJING_WORDS.sub(" ", value)
            local = zone(DEFAULT_TZ)
            now = now.astimezone(local)
        elif str(local) in _CHINA_ZONES and re.search(r"\bCST$", value.strip()):
            value = re.sub(r"\bCST$", "+0800", value.strip())
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
    if _JUST_NOW.match(text):
        return now
    if match := _RELATIVE.search(text):
        amount = 0.5 if match["n"] == "半" else int(match["n"])
        return now - timedelta(seconds=amount * _UNITS[match["unit"]])
    if match := _YESTERDAY.search(text):
        day = (now - timedelta(days=_DAYS_AGO[match["word"]])).date()
        return _at(day.year, day.month, day.day, match, local)
    if match := _CN_MONTH_DAY.search(text) or _MONTH_DAY_NUMERIC.match(text):
        return _yearless(match, now, local)
    if match := _TIME_ONLY.match(text):
        # A bare time is today's; one more than an hour ahead can only be yesterday's.
        dt = _at(now.year, now.month, now.day, match, local)
        if dt is not None and dt > now + timedelta(hours=1):
            day = (now - timedelta(days=1)).date()
            dt = _at(day.year, day.month, day.day, match, local)
        return dt
    return _parse_western(text, local)


def _yearless(match: re.Match[str], now: datetime, local: tzinfo) -> datetime | None:
    """"MM月DD日" has no year: this year's, unless that lies in the future, then last year's."""
    dt = _build(match, now.year, local)
    if dt is None and (match["m"], match["d"]) == ("2", "29"):
        dt = _build(match, now.year - 1, local)  # 2月29日 seen in a non-leap year
    if dt is not None and dt > now + timedelta(days=1):
        dt = _build(match, now.year - 1, local)
    return dt


def _build(match: re.Match[str], year: int, local: tzinfo) -> datetime | None:
    return _at(year, int(match["m"]), int(match["d"]), match, local)


def _at(year: int, month: int, day: int, match: re.Match[str], local: tzinfo) -> datetime | None:
    groups = match.groupdict()
    hour = int(groups.get("H") or 0)
    if (groups.get("ap") in _PM and hour < 12) or (groups.get("ap") == "中午" and hour < 6):
        hour += 12
    try:
        return datetime(year, month, day, hour, int(groups.get("M") or 0), int(groups.get("S") or 0), tzinfo=local)
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
