"""The declarative schedule: ``[[schedules]]`` tables in the config file, checked into ``ScheduleSpec``.

```toml
[[schedules]]
name = "aggregators"          # the job's id in the job store, and DATA/logs/<name>/
groups = ["新媒体"]            # every enabled source with this category (any level); and/or
sources = ["cyol"]            # source names ("*" = every enabled source)
interval = 900                # seconds between runs; or cron = "*/15 * * * *" (+ timezone)
jitter = 60                   # up to this many seconds added to each run
timeout = 1800                # a crawl still running then is stopped (SIGTERM, then SIGKILL)
export_after = true           # write the feeds after each crawl
adaptive = true               # poll sources that rarely change less often, back off failing ones
max_interval = 7200           # ... but never less often than this (default 8 x interval)
misfire_grace = 900           # a run late by more than this (daemon down) is skipped (default: interval)
```
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import AppConfig
from crawler.content.dates import zone
from crawler.errors import ConfigError

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_KEYS = {"name", "sources", "groups", "interval", "cron", "timezone", "jitter", "timeout", "export_after",
         "adaptive", "max_interval", "misfire_grace"}
MAX_FACTOR = 8  # default max_interval, in intervals


@dataclass(frozen=True, kw_only=True)
class ScheduleSpec:
    """One schedule: which sources, when, and what to do around the crawl."""

    name: str
    sources: tuple[str, ...]
    interval: float | None = None  # seconds; exactly one of interval and cron
    cron: str | None = None
    timezone: str = "UTC"  # the zone a cron expression is read in
    jitter: float = 0.0
    timeout: float = 3600.0
    export_after: bool = True
    adaptive: bool = True
    max_interval: float | None = None  # None: MAX_FACTOR x the nominal interval
    misfire_grace: float | None = None  # None: the nominal interval

    def trigger(self, *, jitter: bool = True) -> BaseTrigger:
        spread = self.jitter if jitter and self.jitter else None
        if self.cron is not None:
            minute, hour, day, month, day_of_week = self.cron.split()
            return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week,
                               timezone=zone(self.timezone), jitter=spread)
        assert self.interval is not None
        return IntervalTrigger(seconds=self.interval, timezone=UTC, jitter=spread)

    def nominal_interval(self, now: datetime | None = None) -> timedelta:
        """Time between two runs: the interval, or the gap between a cron expression's next two slots."""
        if self.interval is not None:
            return timedelta(seconds=self.interval)
        trigger = self.trigger(jitter=False)
        first = trigger.get_next_fire_time(None, now or datetime.now(UTC))
        second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
        return second - first if first and second else timedelta(days=1)

    def max_factor(self, now: datetime | None = None) -> int:
        """How many slots a backed-off or idle source may skip, at most, plus one."""
        if self.max_interval is None:
            return MAX_FACTOR
        return max(1, math.floor(self.max_interval / self.nominal_interval(now).total_seconds()))

    def grace_seconds(self, now: datetime | None = None) -> int:
        grace = self.misfire_grace if self.misfire_grace is not None else self.nominal_interval(now).total_seconds()
        return max(1, math.ceil(grace))

    @property
    def fingerprint(self) -> str:
        """Changes whenever the definition does: a stored job with another fingerprint is replaced."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]

    def describe(self) -> str:
        when = f"every {self.interval:g}s" if self.interval is not None else f"cron '{self.cron}' ({self.timezone})"
        return when + (f" +{self.jitter:g}s jitter" if self.jitter else "")


def load_schedules(app: AppConfig) -> list[ScheduleSpec]:
    """Check every ``[[schedules]]`` table of the config and resolve its sources and groups."""
    specs: list[ScheduleSpec] = []
    for index, table in enumerate(app.schedules):
        spec = _schedule(app, index, table)
        if any(s.name == spec.name for s in specs):
            raise ConfigError(f"two [[schedules]] are named {spec.name!r} in {app.path}")
        specs.append(spec)
    return specs


def _number(where: str, table: dict[str, Any], key: str, default: float | None, *, minimum: float) -> float | None:
    value = table.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"{where}: {key} must be a number of seconds of at least {minimum:g}, not {value!r}")
    return float(value)


def _flag(where: str, table: dict[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false")
    return value


def _names(where: str, table: dict[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of names")
    return value


def _schedule(app: AppConfig, index: int, table: dict[str, Any]) -> ScheduleSpec:
    name = table.get("name")
    where = f"[[schedules]] #{index + 1}" + (f" ({name})" if isinstance(name, str) else "") + f" in {app.path}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{where}: name must be lower-case letters, digits, '-' and '_'")
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; known: {', '.join(sorted(_KEYS))}")

    chosen: dict[str, None] = {}  # ordered set
    names, groups = _names(where, table, "sources"), _names(where, table, "groups")
    if not names and not groups:
        raise ConfigError(f"{where}: name its sources (sources = [...], \"*\" for all) or groups (groups = [...])")
    for source_name in names:
        if source_name == "*":
            chosen.update((s.name, None) for s in app.sources.values() if s.enabled)
            continue
        source = app.sources.get(source_name)
        if source is None:
            raise ConfigError(f"{where}: unknown source {source_name!r} (configured: "
                              f"{', '.join(sorted(app.sources)) or 'none'})")
        if not source.enabled:
            logger.warning("%s: source %s is disabled and will not be crawled", where, source_name)
            continue
        chosen[source_name] = None
    for group in groups:
        members = [s.name for s in app.sources.values() if group in s.categories]
        if not members:
            raise ConfigError(f"{where}: no source has the category {group!r}")
        chosen.update((m, None) for m in members if app.sources[m].enabled)
    if not chosen:
        raise ConfigError(f"{where}: selects no enabled source")

    interval = _number(where, table, "interval", None, minimum=1)
    cron = table.get("cron")
    if (interval is None) == (cron is None):
        raise ConfigError(f"{where}: give exactly one of interval (seconds) and cron (\"m h dom mon dow\")")
    timezone = table.get("timezone", "UTC")
    if not isinstance(timezone, str) or str(zone(timezone)) != timezone:
        raise ConfigError(f"{where}: unknown timezone {timezone!r}")
    jitter = _number(where, table, "jitter", 0, minimum=0) or 0.0
    spec = ScheduleSpec(
        name=name, sources=tuple(chosen), interval=interval, cron=cron, timezone=timezone, jitter=jitter,
        timeout=_number(where, table, "timeout", app.settings.crawl_timeout, minimum=1) or 1.0,
        export_after=_flag(where, table, "export_after", True), adaptive=_flag(where, table, "adaptive", True),
        max_interval=_number(where, table, "max_interval", None, minimum=1),
        misfire_grace=_number(where, table, "misfire_grace", None, minimum=1),
    )
    if cron is not None:
        if not isinstance(cron, str) or len(cron.split()) != 5:
            raise ConfigError(f"{where}: cron must have five fields (minute hour day month day-of-week), "
                              f"not {cron!r}")
        try:
            spec.trigger()
        except ValueError as exc:
            raise ConfigError(f"{where}: cron {cron!r} is not valid: {exc}") from None
    nominal = spec.nominal_interval().total_seconds()
    if jitter >= nominal:
        raise ConfigError(f"{where}: jitter ({jitter:g}s) must be shorter than the time between runs ({nominal:g}s)")
    if spec.max_interval is not None and spec.max_interval < nominal:
        raise ConfigError(f"{where}: max_interval ({spec.max_interval:g}s) is shorter than the time between "
                          f"runs ({nominal:g}s)")
    return spec
