"""`feedarchiver daemon`: APScheduler 3 runs the declared schedules; every crawl is a subprocess.

- One BackgroundScheduler per job store (SQLite in DATA by default, PostgreSQL by URL), held with a
  lock so a second daemon on the same store refuses to start.
- Jobs coalesce, run one instance at a time and have a misfire grace time: a restart runs a late
  schedule once, not once per missed slot. A source in two schedules is never crawled twice at once.
- Each run checks each source's recent runs first (schedules.polling): quiet sources are polled
  less, failing or blocked ones back off.
- A crawl runs as `python -m crawler crawl NAMES…` with its own log under DATA/logs/<schedule>/; past
  its timeout it gets SIGTERM (Scrapy then closes the spider, so the WARC files are finished), and
  SIGKILL if it has not stopped `daemon_stop_timeout` seconds later. A crash or timeout is recorded
  in the index as that source's run, so `feedarchiver sources` and /health show it.
- SIGTERM or SIGINT: no new runs; running crawls get one SIGTERM and finish their current records;
  the daemon exits when they have. A second signal kills them at once.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from crawler.config import AppConfig, Workspace
from crawler.errors import ConfigError, SchedulerError
from crawler.index import IndexStore, open_index_store
from schedules.crawls import ChildProcess, ProcessOutcome, feedarchiver_argv, last_line
from schedules.health import RUNS_LOOKED_AT, health_document, held_until
from schedules.polling import poll_state
from schedules.spec import ScheduleSpec, load_schedules
from schedules.store import JobInfo, SchedulerLock, db_error, engine_url, safe_url

logger = logging.getLogger(__name__)

LOGS_KEPT = 200  # crawl logs kept per schedule; older ones are deleted
_current: Daemon | None = None


def run_schedule(schedule: str, fingerprint: str) -> None:
    """What every stored job calls. Importable, with plain arguments, so the job store can pickle it;
    the fingerprint makes a job whose schedule was redefined a different job."""
    daemon = _current
    if daemon is None:
        raise SchedulerError(f"schedule {schedule} fired outside a running daemon")
    daemon.run_schedule(schedule)


class Daemon:
    def __init__(self, app: AppConfig, data_dir: Path, schedules: list[ScheduleSpec] | None = None) -> None:
        if app.path is None:
            raise ConfigError("the daemon needs a config file (--config, $FEEDARCHIVER_CONFIG or ./feedarchiver.toml)")
        self.app = app
        self.config_path = app.path.resolve()
        self.data_dir = data_dir
        self.specs = {spec.name: spec for spec in (schedules if schedules is not None else load_schedules(app))}
        if not self.specs:
            raise ConfigError(f"no [[schedules]] in {app.path}: nothing for the daemon to run (see README, Daemon)")
        self.workspace = Workspace(app, data_dir)
        self.store_url = self.workspace.schedule_store_url
        self.table = app.settings.schedule_store_table
        self.stop_timeout = float(app.settings.daemon_stop_timeout)
        self._lock = threading.Lock()
        self._export_lock = threading.Lock()
        self._stop = threading.Event()
        self._stopping = False
        self._busy: dict[str, str] = {}  # source -> the schedule crawling it
        self._children: dict[str, ChildProcess] = {}  # schedule (or "schedule:export") -> its process
        self._child_since: dict[str, datetime] = {}
        self._last_export: dict[str, Any] | None = None
        self._started: datetime | None = None
        self._lock_held: SchedulerLock | None = None
        self._store: IndexStore | None = None
        self._server: Any = None
        self._server_thread: threading.Thread | None = None
        self.scheduler: BackgroundScheduler | None = None

    # -- life cycle ------------------------------------------------------------------------------

    def start(self, serve: tuple[str, int] | None = None) -> None:
        """Take the job store, resume or add the jobs, and start running them (and serving, if asked)."""
        global _current
        if _current is not None:
            raise SchedulerError("a daemon is already running in this process")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_held = SchedulerLock(self.store_url, self.table).acquire()
        try:
            self._store = open_index_store(self.workspace.index_url)
            self.scheduler = BackgroundScheduler(
                jobstores={"default": SQLAlchemyJobStore(url=engine_url(self.store_url), tablename=self.table)},
                executors={"default": ThreadPoolExecutor(max_workers=self.app.settings.daemon_max_crawls)},
                job_defaults={"coalesce": True, "max_instances": 1},
                timezone=UTC,
            )
            _current = self
            try:
                self.scheduler.start(paused=True)
                self._sync_jobs()
            except SQLAlchemyError as exc:
                raise SchedulerError(f"cannot use the job store {safe_url(self.store_url)}: {db_error(exc)}") from None
            if serve is not None:
                from web.server import make_server

                self._server = make_server(self.data_dir, serve[0], serve[1], health=self.health, app=self.app)
                self._server_thread = threading.Thread(target=self._server.serve_forever, name="daemon-http",
                                                       daemon=True)
                self._server_thread.start()
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, self._on_signal)
                signal.signal(signal.SIGINT, self._on_signal)
            self._started = datetime.now(UTC)
            self.scheduler.resume()
        except BaseException:
            self._close()
            raise
        logger.info("daemon running %d schedule(s) from %s; job store %s (table %s)", len(self.specs),
                    self.config_path, safe_url(self.store_url), self.table)

    @property
    def server_address(self) -> tuple[str, int] | None:
        if self._server is None:
            return None
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only flags and kill(2) here: logging from a signal handler can deadlock on the stream lock.
        if self._stop.is_set():
            for child in list(self._children.values()):
                child.kill()
        self._stop.set()

    def request_stop(self) -> None:
        self._stop.set()

    def wait(self) -> int:
        """Run until SIGTERM/SIGINT (or request_stop), then stop cleanly; returns the exit status.

        APScheduler's thread dies on an error it does not expect (the job store's database gone while
        it saves a job): then the daemon stops with status 1, for systemd or Docker to restart it.
        """
        status = 0
        while not self._stop.wait(0.5):
            thread = getattr(self.scheduler, "_thread", None)
            if thread is not None and not thread.is_alive():
                logger.error("the scheduler thread died (see the traceback above): stopping, exit status 1")
                status = 1
                break
        self.shutdown()
        return status

    def shutdown(self) -> None:
        with self._lock:
            self._stopping = True
            children = list(self._children.items())
        if children:
            logger.info("stopping: %d running crawl(s) finish their current records first (%s)",
                        len(children), ", ".join(name for name, _ in children))
        else:
            logger.info("stopping")
        for name, child in children:
            # An export writes each file atomically and is soon done: it may finish within the grace time.
            child.stop(after=self.stop_timeout / 2 if name.endswith(":export") else 0.0)
        self._close()
        logger.info("daemon stopped")

    def _close(self) -> None:
        global _current
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)  # waits for running jobs, hence for their crawls
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._lock_held is not None:
            self._lock_held.release()
            self._lock_held = None
        if _current is self:
            _current = None

    def _sync_jobs(self) -> None:
        """Keep stored jobs whose definition is unchanged (a restart resumes them), replace the rest."""
        assert self.scheduler is not None
        existing = {job.id: job for job in self.scheduler.get_jobs()}
        for spec in self.specs.values():
            kwargs = {"schedule": spec.name, "fingerprint": spec.fingerprint}
            job = existing.pop(spec.name, None)
            if job is not None and dict(job.kwargs) == kwargs:
                logger.info("[%s] resumed: %s, next run %s", spec.name, spec.describe(),
                            job.next_run_time.isoformat(timespec="seconds") if job.next_run_time else "never")
                continue
            if job is not None:
                logger.info("[%s] definition changed: scheduling it anew", spec.name)
                self.scheduler.remove_job(job.id)
            options: dict[str, Any] = {}
            if spec.interval is not None:
                options["next_run_time"] = datetime.now(UTC)  # a new interval schedule runs right away
            self.scheduler.add_job(run_schedule, spec.trigger(), id=spec.name, name=spec.name, kwargs=kwargs,
                                   misfire_grace_time=spec.grace_seconds(), **options)
            logger.info("[%s] scheduled: %s: %s", spec.name, spec.describe(), ", ".join(spec.sources))
        for job in existing.values():
            logger.info("[%s] no longer in the config: removed from the job store", job.id)
            self.scheduler.remove_job(job.id)

    # -- one run ---------------------------------------------------------------------------------

    def run_schedule(self, name: str) -> None:
        spec = self.specs.get(name)
        if spec is None:
            logger.warning("[%s] fired but is not in the config any more", name)
            return
        store = self._store
        if store is None:
            return
        now = datetime.now(UTC)
        runs = store.recent_runs(RUNS_LOOKED_AT)
        states = store.source_states()
        interval, max_factor = spec.nominal_interval(now), spec.max_factor(now)
        due: list[str] = []
        notes: list[str] = []
        with self._lock:
            if self._stopping:
                return
            for source in spec.sources:
                if source in self._busy:
                    notes.append(f"{source} (still crawling in schedule {self._busy[source]})")
                    continue
                if (hold := held_until(states.get(source), now)) is not None:
                    notes.append(f"{source} (blocked by a {states[source].blocked_by} WAF challenge; backing off "
                                 f"until {hold.isoformat(timespec='seconds')})")
                    continue
                state = poll_state(runs.get(source, []), interval, adaptive=spec.adaptive, max_factor=max_factor)
                if state.not_before is not None and now < state.not_before:
                    notes.append(f"{source} ({state.state}: {state.reason}; next at or after "
                                 f"{state.not_before.isoformat(timespec='seconds')})")
                    continue
                due.append(source)
            if due:
                log = self._log_path(name, now)
                child = ChildProcess(f"[{name}] crawl", feedarchiver_argv(
                    "crawl", *due, "--data", str(self.data_dir), "--config", str(self.config_path), "-v"),
                    log, timeout=spec.timeout, grace=self.stop_timeout)
                child.start(f"schedule {name}: crawl {' '.join(due)}")
                self._busy.update((source, name) for source in due)
                self._children[name] = child
                self._child_since[name] = now
        for note in notes:
            logger.info("[%s] skipping %s", name, note)
        if not due:
            return
        logger.info("[%s] crawling %s (pid %s, log %s)", name, ", ".join(due), child.pid, self._rel(log))
        try:
            try:
                outcome = child.wait()
                self._record(name, due, now, outcome)
            finally:
                # The crawl process is gone: its sources are no longer "running" (in /health), even
                # while the export after it runs.
                with self._lock:
                    for source in due:
                        self._busy.pop(source, None)
                    self._children.pop(name, None)
                    self._child_since.pop(name, None)
            if spec.export_after and not self._stopping:
                self._export(spec, log)
        finally:
            self._prune_logs(log.parent)

    def _record(self, name: str, sources: list[str], started: datetime, outcome: ProcessOutcome) -> None:
        """Log what the crawl did, and record what it could not: a crash, a kill, a timeout."""
        assert self._store is not None
        since = started - timedelta(seconds=1)
        runs = {source: [r for r in history if r.started_at >= since]
                for source, history in self._store.recent_runs(5).items() if source in sources}
        if outcome.ok:
            for source in sources:
                for run in runs.get(source, [])[:1]:
                    logger.info("[%s] %s: %s, %d posts, %d errors%s", name, source, run.status, run.items,
                                run.errors, f" (last: {run.last_error})" if run.last_error else "")
            logger.info("[%s] crawl finished in %.1fs", name, outcome.seconds)
            return
        if outcome.timed_out:
            status, message = "timeout", f"crawl ran past its timeout and was stopped ({outcome.describe()})"
        elif outcome.stopped:
            status, message = "interrupted", f"the daemon stopped the crawl ({outcome.describe()})"
        else:
            status, message = "crashed", f"crawl process failed ({outcome.describe()})"
            if reason := last_line(outcome.log):
                message += f": {reason}"
        message += f"; log {self._rel(outcome.log)}"
        extra = {"exit_code": outcome.returncode, "log": self._rel(outcome.log)}
        failed = int(status != "interrupted")  # stopping a crawl is no error of the source's
        for source in sources:
            mine = runs.get(source, [])
            if not mine:  # died before its spider opened: nothing recorded it
                run_id = self._store.start_run(source)
                self._store.finish_run(run_id, status=status, items=0, errors=failed, details=extra,
                                       last_error=message)
            for run in mine:
                # A graceful stop after the timeout is recorded by the spider as "shutdown": it was a timeout.
                if run.status == "running" or (outcome.timed_out and run.status == "shutdown"):
                    self._store.finish_run(run.id, status=status, items=run.items, errors=run.errors + failed,
                                           details={**run.details, **extra}, last_error=message)
        level = logging.INFO if outcome.stopped and not outcome.timed_out else logging.WARNING
        logger.log(level, "[%s] %s: %s", name, ", ".join(sources), message)

    def _export(self, spec: ScheduleSpec, log: Path) -> None:
        with self._export_lock:  # two schedules finishing together must not write the feeds at once
            with self._lock:
                if self._stopping:
                    return
                child = ChildProcess(f"[{spec.name}] export", feedarchiver_argv(
                    "export", "--data", str(self.data_dir), "--config", str(self.config_path)),
                    log, timeout=spec.timeout, grace=self.stop_timeout)
                child.start(f"schedule {spec.name}: export")
                key = f"{spec.name}:export"
                self._children[key] = child
                self._child_since[key] = datetime.now(UTC)
            try:
                outcome = child.wait()
            finally:
                with self._lock:
                    self._children.pop(key, None)
                    self._child_since.pop(key, None)
            self._last_export = {"schedule": spec.name, "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                                 "ok": outcome.ok, "result": last_line(log) if outcome.ok else outcome.describe(),
                                 "log": self._rel(log)}
            if outcome.ok:
                logger.info("[%s] %s", spec.name, last_line(log))
            else:
                logger.error("[%s] export failed (%s); log %s", spec.name, outcome.describe(), self._rel(log))

    # -- files -----------------------------------------------------------------------------------

    def _log_path(self, name: str, now: datetime) -> Path:
        stamp = now.strftime("%Y%m%dT%H%M%S") + f".{now.microsecond // 1000:03d}Z"
        return self.data_dir / "logs" / name / f"{stamp}.log"

    def _rel(self, path: Path) -> str:
        return str(path.relative_to(self.data_dir)) if path.is_relative_to(self.data_dir) else str(path)

    @staticmethod
    def _prune_logs(directory: Path) -> None:
        logs = sorted(directory.glob("*.log"))
        for old in logs[:-LOGS_KEPT]:
            try:
                old.unlink()
            except OSError as exc:
                logger.warning("cannot delete old log %s: %s", old, exc)

    # -- health ----------------------------------------------------------------------------------

    def jobs(self) -> dict[str, JobInfo]:
        if self.scheduler is None:
            return {}
        try:
            return {job.id: JobInfo(id=job.id, next_run_time=job.next_run_time, trigger=job.trigger,
                                    kwargs=dict(job.kwargs)) for job in self.scheduler.get_jobs()}
        except SQLAlchemyError as exc:
            logger.warning("cannot read the job store: %s", db_error(exc))
            return {}

    def health(self) -> dict[str, Any]:
        with self._lock:
            running = dict(self._busy)
            children: dict[str, dict[str, Any]] = {}
            for name, child in self._children.items():
                since = self._child_since.get(name)
                children[name] = {"pid": child.pid, "since": since.isoformat(timespec="seconds") if since else None,
                                  "log": self._rel(child.log)}
            stopping = self._stopping
        daemon = {
            "pid": os.getpid(),
            "started": self._started.isoformat(timespec="seconds") if self._started else None,
            "stopping": stopping,
            "job_store": safe_url(self.store_url),
            "job_table": self.table,
            "running": children,
            "last_export": self._last_export,
        }
        return health_document(self.app, list(self.specs.values()), self._store, jobs=self.jobs(),
                               running=running, daemon=daemon)
