"""Adaptive polling and back-off, decided from each source's recent runs alone (no state of its own).

Like Miniflux, a source is polled less when it has nothing new and backed off when it fails:
- failing (failed, crashed, timed out, or blocked by a WAF) k runs in a row: the first failure is
  retried at the next slot; then the source waits 2, 4, 8 … slots, up to the schedule's maximum
  (a WAF block also holds the source until its `block_backoff` ends: see SourceRunsExtension);
- adaptive schedules: after two runs in a row that stored nothing new, 2, 4, 8 … slots likewise;
- anything new, or a run cut short (shutdown, interrupted), puts it back on every slot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from crawler.index import SourceRun

FAILED = frozenset({"failed", "crashed", "timeout", "blocked"})
HELD = "backing_off"  # the crawl held the source back after a WAF block: not a run of it at all
COMPLETED = frozenset({"ok", "errors"})
FRESH = ("new", "changed", "duplicate")  # index outcomes that mean the source showed something new


@dataclass(frozen=True)
class PollState:
    state: str  # never run, running, ok, errors, failing, backing off, blocked, idle, or the last status
    factor: int  # the source is crawled every `factor` slots of its schedule
    not_before: datetime | None  # slots before this are skipped
    reason: str

    @property
    def backing_off(self) -> bool:
        return self.factor > 1 and self.state in ("backing off", "blocked")


def is_blocked(run: SourceRun) -> bool:
    """A WAF or anti-bot page answered instead of content (the spider counts it as `blocked`)."""
    return bool(run.details.get("blocked"))


def is_failure(run: SourceRun) -> bool:
    return run.status in FAILED or is_blocked(run)


def is_idle(run: SourceRun) -> bool:
    """A complete run that stored nothing the index had not seen at that URL before."""
    if run.status not in COMPLETED or is_blocked(run):
        return False
    fresh = sum(int(run.details.get(f"stored/{outcome}", 0)) for outcome in FRESH)
    # Runs recorded before per-source outcomes were counted cannot tell: treat them as fresh.
    return fresh == 0 and (run.items == 0 or "stored/seen" in run.details)


def _streak(runs: list[SourceRun], test: Callable[[SourceRun], bool]) -> int:
    count = 0
    for run in runs:
        if not test(run):
            break
        count += 1
    return count


def poll_state(runs: list[SourceRun], interval: timedelta, *, adaptive: bool = True,
               max_factor: int = 8) -> PollState:
    """Where a source stands, from its runs (newest first) and its schedule's time between runs."""
    runs = [run for run in runs if run.status != HELD]
    if not runs:
        return PollState("never run", 1, None, "no run recorded yet")
    latest = runs[0]
    if latest.status == "running":
        return PollState("running", 1, None, f"crawling since {latest.started_at.isoformat(timespec='seconds')}")
    failures = _streak(runs, is_failure)
    if failures:
        factor = min(2 ** (failures - 1), max_factor)
        state = "blocked" if is_blocked(latest) else "backing off" if factor > 1 else "failing"
        reason = f"{failures} failed run{'s' if failures > 1 else ''} in a row ({latest.status}"
        reason += f": {latest.last_error})" if latest.last_error else ")"
        return _with_delay(state, factor, latest, interval, reason)
    idle = _streak(runs, is_idle) if adaptive else 0
    if idle >= 2:
        factor = min(2 ** (idle - 1), max_factor)
        return _with_delay("idle", factor, latest, interval, f"nothing new in {idle} runs in a row")
    return PollState(latest.status, 1, None, f"last run {latest.status}")


def _with_delay(state: str, factor: int, latest: SourceRun, interval: timedelta, reason: str) -> PollState:
    if factor <= 1:
        return PollState(state, 1, None, reason + "; retried at the next slot")
    # Half a slot of slack absorbs jitter and the time the last crawl took.
    not_before = latest.started_at + interval * (factor - 0.5)
    return PollState(state, factor, not_before, reason + f"; polled every {factor} slots")
