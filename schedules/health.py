"""Per-source health: last run, items, errors, blocked or backing off, next run.

One document serves `feedarchiver sources`, `/health` of `feedarchiver serve` and of the daemon.
It is built from the index (runs per source) and the job store (next run of each schedule).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.triggers.base import BaseTrigger

from crawler.config import AppConfig, Workspace
from crawler.errors import SchedulerError
from crawler.index import HealthReader, SourceHealth, SourceRun, SourceState, open_index_store
from schedules.polling import PollState, is_blocked, poll_state
from schedules.spec import ScheduleSpec
from schedules.store import JobInfo, read_jobs

logger = logging.getLogger(__name__)

RUNS_LOOKED_AT = 12  # enough history for the longest back-off (2 ** 11 slots)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def first_slot(trigger: BaseTrigger, next_run: datetime | None, not_before: datetime | None) -> datetime | None:
    """The first fire time of a job at or after ``not_before`` (the job's next run if that is later)."""
    slot = next_run
    for _ in range(10_000):
        if slot is None or not_before is None or slot >= not_before:
            return slot
        slot = trigger.get_next_fire_time(slot, slot + timedelta(microseconds=1))
    return None


def open_existing_store(app: AppConfig, data_dir: Path) -> HealthReader | None:
    """The index store, or None when there is none yet (reporting health must not create one)."""
    workspace = Workspace(app, data_dir)
    return open_index_store(workspace.index_url) if workspace.has_index else None


def _last_run(h: SourceHealth | None) -> dict[str, Any] | None:
    if h is None:
        return None
    return {"started": _iso(h.last_started), "finished": _iso(h.last_finished), "status": h.last_status,
            "items": h.last_items, "errors": h.last_errors, "last_error": h.last_error}


def _block(state: SourceState | None, now: datetime) -> dict[str, Any] | None:
    if state is None or not (state.blocked_by or state.blocks_total):
        return None
    return {"waf": state.blocked_by, "until": _iso(state.blocked_until), "backing_off": state.backing_off(now),
            "in_row": state.blocks_in_row, "total": state.blocks_total, "last": _iso(state.last_blocked_at)}


def held_until(state: SourceState | None, now: datetime) -> datetime | None:
    """When a WAF block's back-off ends, if the source is in one now."""
    return state.blocked_until if state is not None and state.backing_off(now) else None


def source_report(app: AppConfig, schedules: list[ScheduleSpec], *, health: Mapping[str, SourceHealth],
                  runs: Mapping[str, list[SourceRun]], jobs: Mapping[str, JobInfo],
                  states: Mapping[str, SourceState] | None = None, running: Collection[str] = (),
                  now: datetime | None = None) -> dict[str, dict[str, Any]]:
    now = now or datetime.now(UTC)
    states = states or {}
    report: dict[str, dict[str, Any]] = {}
    for name in sorted(set(app.sources) | set(health)):
        source = app.sources.get(name)
        history = runs.get(name, [])
        member_of = [spec for spec in schedules if name in spec.sources]
        hold = held_until(states.get(name), now)
        best: tuple[PollState, datetime | None, str] | None = None
        for spec in member_of:
            state = poll_state(history, spec.nominal_interval(now), adaptive=spec.adaptive,
                               max_factor=spec.max_factor(now))
            job = jobs.get(spec.name)
            not_before = max(filter(None, (state.not_before, hold)), default=None)
            slot = first_slot(job.trigger, job.next_run_time, not_before) if job else None
            if best is None or (slot is not None and (best[1] is None or slot < best[1])):
                best = (state, slot, spec.name)
        if best is None:
            # Not scheduled: describe it by its last run, with no schedule to back off from.
            state = poll_state(history, timedelta(days=1), adaptive=False, max_factor=1)
            best = (state, None, "")
        state, slot, schedule = best
        if hold is not None:
            waf = states[name].blocked_by
            state = PollState("blocked", state.factor, hold, f"blocked by a {waf} WAF challenge; backing off until "
                              f"{_iso(hold)}")
        h = health.get(name)
        entry: dict[str, Any] = {
            "title": source.title if source else name,
            "kind": source.kind if source else None,
            "enabled": source.enabled if source else False,
            "configured": source is not None,
            "schedules": [spec.name for spec in member_of],
            "state": "running" if name in running else state.state,
            "reason": state.reason,
            "blocked": hold is not None or bool(history and is_blocked(history[0])),
            "backing_off": hold is not None or state.backing_off,
            "block": _block(states.get(name), now),
            "poll_every_slots": state.factor,
            "last_run": _last_run(h),
            "runs": h.runs if h else 0,
            "posts": h.posts if h else 0,
            "next_run": _iso(slot),
            "next_run_schedule": schedule or None,
        }
        if source is not None and not source.enabled:
            entry["state"] = "disabled"
        elif not member_of and source is not None and entry["state"] == "never run":
            entry["state"] = "unscheduled"
        report[name] = entry
    return report


def health_document(app: AppConfig, schedules: list[ScheduleSpec], store: HealthReader | None, *,
                    jobs: Mapping[str, JobInfo], running: Collection[str] = (),
                    daemon: dict[str, Any] | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The JSON health document."""
    now = now or datetime.now(UTC)
    health = store.source_health() if store is not None else {}
    runs = store.recent_runs(RUNS_LOOKED_AT) if store is not None else {}
    states = store.source_states() if store is not None else {}
    sources = source_report(app, schedules, health=health, runs=runs, jobs=jobs, states=states, running=running,
                            now=now)
    problems = sorted(name for name, s in sources.items()
                      if s["state"] in ("failing", "backing off", "blocked"))
    return {
        "generated": _iso(now),
        "pid": os.getpid(),
        "status": "degraded" if problems else "ok",
        "problems": problems,
        "daemon": daemon,
        "schedules": {spec.name: {"when": spec.describe(), "sources": list(spec.sources),
                                  "next_run": _iso(jobs[spec.name].next_run_time) if spec.name in jobs else None,
                                  "export_after": spec.export_after, "timeout": spec.timeout}
                      for spec in schedules},
        "sources": sources,
    }


def stored_jobs(app: AppConfig, data: Path) -> dict[str, Any]:
    """The daemon's stored jobs (for their next runs), read-only; none when the job store cannot be read."""

    try:
        return dict(read_jobs(Workspace(app, data).schedule_store_url, app.settings.schedule_store_table))
    except SchedulerError as exc:
        logger.warning("%s: next runs unknown", exc)
        return {}
