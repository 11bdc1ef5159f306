"""The schedule file, adaptive polling and back-off, health, and the job store lock (no daemon running)."""

from __future__ import annotations

import signal
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import AppConfig, load_config
from crawler.errors import ConfigError, SchedulerError
from crawler.index import SourceRun, SqlIndexStore
from schedules.crawls import ChildProcess, last_line
from schedules.health import first_slot, health_document
from schedules.polling import poll_state
from schedules.spec import ScheduleSpec, load_schedules
from schedules.store import JobInfo, SchedulerLock, read_jobs
from tests.conftest import POSTGRES_URL

SOURCES = """
[sources.alpha]
kind = "feed"
urls = ["http://127.0.0.1:9/a.xml"]
categories = ["新媒体", "趣头条", "科技"]

[sources.beta]
kind = "feed"
urls = ["http://127.0.0.1:9/b.xml"]
categories = ["新媒体", "ZAKER", "热点"]

[sources.gamma]
kind = "feed"
urls = ["http://127.0.0.1:9/c.xml"]
categories = ["媒体", "中国青年报"]

[sources.off]
kind = "feed"
enabled = false
urls = ["http://127.0.0.1:9/d.xml"]
categories = ["新媒体"]
"""


def config(tmp_path: Path, schedules: str) -> AppConfig:
    path = tmp_path / "feedarchiver.toml"
    path.write_text(SOURCES + schedules, encoding="utf-8")
    return load_config(path, env={})


def test_schedules_resolve_sources_groups_and_star(tmp_path: Path) -> None:
    app = config(tmp_path, """
[[schedules]]
name = "aggregators"
groups = ["新媒体"]
interval = 900
jitter = 30
timeout = 600

[[schedules]]
name = "papers"
sources = ["gamma", "alpha"]
cron = "0 */2 * * *"
timezone = "Asia/Shanghai"
export_after = false
adaptive = false

[[schedules]]
name = "everything"
sources = "*"
interval = 86400
""")
    specs = {s.name: s for s in load_schedules(app)}
    assert specs["aggregators"].sources == ("alpha", "beta")  # "off" is disabled
    assert specs["aggregators"].timeout == 600 and specs["aggregators"].jitter == 30
    assert specs["papers"].sources == ("gamma", "alpha") and not specs["papers"].export_after
    assert specs["papers"].nominal_interval() == timedelta(hours=2)
    assert specs["everything"].sources == ("alpha", "beta", "gamma")
    assert specs["everything"].timeout == app.settings.crawl_timeout  # the [settings] default
    assert specs["aggregators"].max_factor() == 8 and specs["aggregators"].grace_seconds() == 900
    trigger = specs["papers"].trigger()
    fire = trigger.get_next_fire_time(None, datetime(2026, 11, 28, 1, 30, tzinfo=UTC))
    assert fire == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.mark.parametrize(("table", "message"), [
    ('sources = ["alpha"]\ninterval = 60', "name must be"),
    ('name = "x"\ninterval = 60', "name its sources"),
    ('name = "x"\nsources = ["nope"]\ninterval = 60', "unknown source 'nope'"),
    ('name = "x"\ngroups = ["体育"]\ninterval = 60', "no source has the category '体育'"),
    ('name = "x"\nsources = ["off"]\ninterval = 60', "selects no enabled source"),
    ('name = "x"\nsources = ["alpha"]', "exactly one of interval"),
    ('name = "x"\nsources = ["alpha"]\ninterval = 60\ncron = "* * * * *"', "exactly one of interval"),
    ('name = "x"\nsources = ["alpha"]\ncron = "61 * * * *"', "is not valid"),
    ('name = "x"\nsources = ["alpha"]\ncron = "* * *"', "five fields"),
    ('name = "x"\nsources = ["alpha"]\ninterval = 0', "at least 1"),
    ('name = "x"\nsources = ["alpha"]\ninterval = true', "number of seconds"),
    ('name = "x"\nsources = ["alpha"]\ninterval = 60\njitter = 60', "jitter (60s) must be shorter"),
    ('name = "x"\nsources = ["alpha"]\ninterval = 60\nmax_interval = 30', "max_interval (30s) is shorter"),
    ('name = "x"\nsources = ["alpha"]\ninterval = 60\nexport_after = "yes"', "export_after must be true or false"),
    ('name = "x"\nsources = ["alpha"]\ncron = "* * * * *"\ntimezone = "Mars/Base"', "unknown timezone"),
    ('name = "x"\nsources = ["alpha"]\ninterval = 60\nevery = 5', "unknown key(s) ['every']"),
])
def test_bad_schedules_are_one_clear_error(tmp_path: Path, table: str, message: str) -> None:
    app = config(tmp_path, "\n[[schedules]]\n" + table + "\n")
    with pytest.raises(ConfigError) as caught:
        load_schedules(app)
    assert message in str(caught.value)
    assert "feedarchiver.toml" in str(caught.value)  # says which file


def test_duplicate_names_and_malformed_table(tmp_path: Path) -> None:
    twice = '\n[[schedules]]\nname = "x"\nsources = ["alpha"]\ninterval = 60\n'
    with pytest.raises(ConfigError, match="two \\[\\[schedules\\]\\] are named 'x'"):
        load_schedules(config(tmp_path, twice * 2))
    path = tmp_path / "flat.toml"
    path.write_text("schedules = 3\n" + SOURCES, encoding="utf-8")
    with pytest.raises(ConfigError, match="must be \\[\\[schedules\\]\\] tables"):
        load_config(path, env={})


def test_fingerprint_follows_the_definition() -> None:
    base = ScheduleSpec(name="a", sources=("x",), interval=60)
    assert base.fingerprint == ScheduleSpec(name="a", sources=("x",), interval=60).fingerprint
    for changed in (ScheduleSpec(name="a", sources=("x", "y"), interval=60),
                    ScheduleSpec(name="a", sources=("x",), interval=61),
                    ScheduleSpec(name="a", sources=("x",), interval=60, timeout=5)):
        assert changed.fingerprint != base.fingerprint


# -- adaptive polling and back-off ------------------------------------------------------------------

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SLOT = timedelta(minutes=10)


def run(age_slots: int, status: str = "ok", items: int = 3, **details: Any) -> SourceRun:
    started = T0 - SLOT * age_slots
    return SourceRun(id=100 - age_slots, source="alpha", started_at=started, finished_at=started + timedelta(seconds=5),
                     status=status, items=items, errors=0, details=details, last_error=None)


def seen(age: int) -> SourceRun:
    return run(age, **{"stored/seen": 3})


def fresh(age: int) -> SourceRun:
    return run(age, **{"stored/new": 1, "stored/seen": 2})


def test_poll_state_never_running_and_fresh() -> None:
    assert poll_state([], SLOT).state == "never run"
    assert poll_state([run(0, "running"), fresh(1)], SLOT).state == "running"
    state = poll_state([fresh(0), seen(1), seen(2)], SLOT)
    assert (state.state, state.factor, state.not_before) == ("ok", 1, None)


def test_first_failure_is_retried_at_the_next_slot_then_backs_off() -> None:
    one = poll_state([run(0, "crashed"), fresh(1)], SLOT)
    assert (one.state, one.factor, one.not_before) == ("failing", 1, None)
    three = poll_state([run(0, "timeout"), run(1, "failed"), run(2, "crashed"), fresh(3)], SLOT)
    assert three.state == "backing off" and three.factor == 4 and three.backing_off
    assert three.not_before == T0 + SLOT * 3.5  # the 4th slot after the last run, with half a slot of slack
    capped = poll_state([run(i, "failed") for i in range(10)], SLOT, max_factor=8)
    assert capped.factor == 8


def test_blocked_runs_back_off_and_say_so() -> None:
    state = poll_state([run(0, "blocked", blocked="safeline"), run(1, "blocked", blocked="safeline")], SLOT)
    assert state.state == "blocked" and state.factor == 2 and state.backing_off
    # Runs in which the crawl held the source back (its WAF back-off) are no runs of it at all.
    held = poll_state([run(0, "backing_off"), run(1, "backing_off"), run(2, "blocked", blocked="safeline"),
                       fresh(3)], SLOT)
    assert (held.state, held.factor) == ("blocked", 1)


def test_quiet_sources_are_polled_less_only_when_adaptive() -> None:
    assert poll_state([seen(0), fresh(1)], SLOT).factor == 1  # one quiet run is not a pattern
    two = poll_state([seen(0), seen(1), fresh(2)], SLOT)
    assert (two.state, two.factor, two.not_before) == ("idle", 2, T0 + SLOT * 1.5)
    assert poll_state([seen(i) for i in range(6)], SLOT, max_factor=4).factor == 4
    assert poll_state([seen(i) for i in range(6)], SLOT, adaptive=False).factor == 1
    # An empty feed is quiet too; runs from before outcomes were counted per source are not judged.
    assert poll_state([run(0, items=0), run(1, items=0)], SLOT).state == "idle"
    assert poll_state([run(0), run(1)], SLOT).factor == 1


def test_an_interrupted_run_ends_a_streak() -> None:
    assert poll_state([run(0, "shutdown"), run(1, "failed"), run(2, "failed")], SLOT).factor == 1
    assert poll_state([seen(0), run(1, "interrupted"), seen(2), seen(3)], SLOT).factor == 1


def test_first_slot_skips_to_the_allowed_time() -> None:
    trigger = IntervalTrigger(minutes=10, start_date=T0, timezone=UTC)
    assert first_slot(trigger, T0, None) == T0
    assert first_slot(trigger, T0, T0 + SLOT * 1.5) == T0 + SLOT * 2
    assert first_slot(trigger, T0 + SLOT * 3, T0 + SLOT) == T0 + SLOT * 3


# -- health -----------------------------------------------------------------------------------------


def test_health_document_from_real_runs(tmp_path: Path) -> None:
    app = config(tmp_path, '\n[[schedules]]\nname = "agg"\ngroups = ["新媒体"]\ninterval = 600\n')
    specs = load_schedules(app)
    store = SqlIndexStore(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    try:
        for _ in range(3):
            run_id = store.start_run("alpha")
            store.finish_run(run_id, status="crashed", items=0, errors=1, details={"exit_code": -9},
                             last_error="crawl process failed (killed by SIGKILL)")
        run_id = store.start_run("beta")
        store.finish_run(run_id, status="ok", items=4, errors=0, details={"stored/new": 4}, last_error=None)
        run_id = store.start_run("gamma")
        store.finish_run(run_id, status="blocked", items=0, errors=1, details={"blocked": "safeline"},
                         last_error="blocked: a safeline WAF challenge")
        block = store.record_block("gamma", "safeline", 7200)
        now = datetime.now(UTC)
        job = JobInfo(id="agg", next_run_time=now + timedelta(seconds=30),
                      trigger=IntervalTrigger(seconds=600, start_date=now + timedelta(seconds=30), timezone=UTC))
        doc = health_document(app, specs, store, jobs={"agg": job}, now=now)
    finally:
        store.close()
    alpha, beta, gamma, off = (doc["sources"][n] for n in ("alpha", "beta", "gamma", "off"))
    assert alpha["state"] == "backing off" and alpha["backing_off"] and alpha["poll_every_slots"] == 4
    assert alpha["last_run"]["status"] == "crashed" and "SIGKILL" in alpha["last_run"]["last_error"]
    assert alpha["runs"] == 3
    # Backed off: its next run is the first slot after 3.5 intervals, not the schedule's next one.
    assert datetime.fromisoformat(alpha["next_run"]) >= now + timedelta(seconds=600 * 3)
    assert beta["state"] == "ok" and beta["next_run"] == (now + timedelta(seconds=30)).isoformat(timespec="seconds")
    assert beta["last_run"]["items"] == 4 and beta["schedules"] == ["agg"]
    # Not in a schedule, and held by its WAF back-off (SourceRunsExtension's source_state).
    assert gamma["state"] == "blocked" and gamma["blocked"] and gamma["backing_off"] and gamma["next_run"] is None
    assert gamma["block"]["waf"] == "safeline" and gamma["block"]["in_row"] == 1
    assert block.blocked_until is not None and gamma["block"]["until"] == block.blocked_until.isoformat(
        timespec="seconds")
    assert off["state"] == "disabled"
    assert doc["status"] == "degraded" and doc["problems"] == ["alpha", "gamma"]
    assert doc["schedules"]["agg"]["sources"] == ["alpha", "beta"]


def test_recent_runs(store: SqlIndexStore) -> None:
    for source, statuses in (("alpha", ["ok", "failed", "timeout"]), ("beta", ["ok"])):
        for status in statuses:
            store.finish_run(store.start_run(source), status=status, items=1, errors=0,
                             details={"blocked": 0}, last_error=None)
    runs = store.recent_runs(limit=2)
    assert [r.status for r in runs["alpha"]] == ["timeout", "failed"]  # newest first, two of three
    assert [r.status for r in runs["beta"]] == ["ok"] and runs["beta"][0].details == {"blocked": 0}
    assert runs["alpha"][0].started_at.tzinfo is not None


# -- job store -------------------------------------------------------------------------------------


def test_one_daemon_per_sqlite_job_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schedules.sqlite3'}"
    with SchedulerLock(url, "jobs"):
        with pytest.raises(SchedulerError, match="another daemon is running"):
            SchedulerLock(url, "jobs").acquire()
        SchedulerLock(url, "other_jobs").acquire().release()  # another table is another schedule
    SchedulerLock(url, "jobs").acquire().release()  # released on exit
    assert read_jobs(url, "jobs") == {}  # no job store yet: nothing, and nothing created
    assert not (tmp_path / "schedules.sqlite3").exists()


def test_one_daemon_per_postgresql_job_store() -> None:
    table = f"jobs_{uuid.uuid4().hex[:10]}"
    with SchedulerLock(POSTGRES_URL, table), pytest.raises(SchedulerError, match="another daemon is running"):
        SchedulerLock(POSTGRES_URL, table).acquire()
    SchedulerLock(POSTGRES_URL, table).acquire().release()
    assert read_jobs(POSTGRES_URL, table) == {}
    with pytest.raises(SchedulerError, match="cannot reach the job store"):
        SchedulerLock("postgresql://postgres@127.0.0.1:1/test", table).acquire()


# -- child processes --------------------------------------------------------------------------------


def child(tmp_path: Path, code: str, *, timeout: float = 30, grace: float = 5) -> ChildProcess:
    process = ChildProcess("test", [sys.executable, "-c", code], tmp_path / "logs" / "child.log",
                           timeout=timeout, grace=grace)
    process.start("a test child")
    return process


def test_a_child_past_its_timeout_gets_sigterm_then_sigkill(tmp_path: Path) -> None:
    polite = child(tmp_path, "import time; print('working', flush=True); time.sleep(30)", timeout=0.5)
    outcome = polite.wait()
    assert outcome.timed_out and outcome.returncode == -signal.SIGTERM and not outcome.killed
    assert outcome.describe() == "timed out, killed by SIGTERM"
    stubborn = child(tmp_path, "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                               "print('ready', flush=True); time.sleep(30)", timeout=0.8, grace=0.5)
    outcome = stubborn.wait()
    assert outcome.timed_out and outcome.killed and outcome.returncode == -signal.SIGKILL
    assert outcome.seconds < 10
    log = (tmp_path / "logs" / "child.log").read_text(encoding="utf-8")
    assert log.startswith("# ") and "a test child" in log and "working" in log
    assert "timed out, killed by SIGKILL" in log and last_line(tmp_path / "logs" / "child.log") == "ready"


def test_a_stop_later_lets_a_quick_child_finish(tmp_path: Path) -> None:
    quick = child(tmp_path, "import time; time.sleep(0.3); print('done')")
    quick.stop(after=5)
    outcome = quick.wait()
    assert outcome.returncode == 0 and outcome.stopped and not outcome.timed_out and outcome.ok
    slow = child(tmp_path, "import time; time.sleep(30)")
    slow.stop(after=0.3)
    outcome = slow.wait()
    assert outcome.returncode == -signal.SIGTERM and outcome.stopped and not outcome.timed_out
