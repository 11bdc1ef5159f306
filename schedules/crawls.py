"""One crawl (or export) in a subprocess of its own, with its own log file, a timeout and a clean stop.

Twisted's reactor runs once per process, and a crawl that leaks or hangs must not take the daemon
with it. Each child gets its own session, so a Ctrl-C on the daemon's terminal does not reach it:
Scrapy reads a second SIGINT/SIGTERM as "stop now, uncleanly", so the daemon sends exactly one.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2


@dataclass(frozen=True)
class ProcessOutcome:
    returncode: int
    timed_out: bool  # ran past its timeout and was stopped
    stopped: bool  # stopped because the daemon is stopping
    killed: bool  # did not stop within the grace time after SIGTERM: SIGKILL
    seconds: float
    log: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def describe(self) -> str:
        if self.returncode < 0:
            try:
                how = f"killed by {signal.Signals(-self.returncode).name}"
            except ValueError:
                how = f"killed by signal {-self.returncode}"
        else:
            how = f"exit code {self.returncode}"
        if self.timed_out:
            how = "timed out, " + how
        return how


def feedarchiver_argv(*args: str) -> list[str]:
    """The CLI in a fresh interpreter (the same one the daemon runs on)."""
    return [sys.executable, "-m", "crawler", *args]


class ChildProcess:
    """A subprocess writing to ``log``, stopped with SIGTERM at ``timeout`` and SIGKILL ``grace`` later."""

    def __init__(self, label: str, argv: list[str], log: Path, *, timeout: float, grace: float) -> None:
        self.label = label
        self.argv = argv
        self.log = log
        self.timeout = timeout
        self.grace = grace
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._term_at: float | None = None
        self._stop_at: float | None = None  # a SIGTERM asked for later (see stop)
        self._stopped = False
        self._timed_out = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, header: str) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "ab") as fh:
            fh.write(f"# {datetime.now(UTC).isoformat(timespec='seconds')} {header}\n# {' '.join(self.argv)}\n"
                     .encode())
            fh.flush()
            self._proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                          env=env, start_new_session=True)
        self._started = time.monotonic()

    def stop(self, after: float = 0.0) -> None:
        """Ask the child to finish cleanly: one SIGTERM now (or ``after`` seconds from now, if it has not
        exited by then); it is killed if it has not exited ``grace`` seconds after the SIGTERM."""
        with self._lock:
            self._stopped = True
            if after <= 0:
                self._terminate()
            else:
                self._stop_at = min(self._stop_at or math.inf, time.monotonic() + after)

    def kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()

    def _terminate(self) -> None:
        if self._term_at is not None or self._proc is None or self._proc.poll() is not None:
            return
        self._term_at = time.monotonic()
        self._proc.send_signal(signal.SIGTERM)

    def wait(self) -> ProcessOutcome:
        assert self._proc is not None, "start() first"
        killed = False
        while True:
            try:
                returncode = self._proc.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            with self._lock:
                if self._term_at is None and now - self._started >= self.timeout:
                    self._timed_out = True
                    logger.warning("%s ran past its timeout of %gs: stopping it (log: %s)",
                                   self.label, self.timeout, self.log)
                    self._terminate()
                elif self._term_at is None and self._stop_at is not None and now >= self._stop_at:
                    self._terminate()
                elif self._term_at is not None and now - self._term_at >= self.grace and not killed:
                    logger.error("%s (pid %d) did not stop within %gs of SIGTERM: SIGKILL (log: %s)",
                                 self.label, self._proc.pid, self.grace, self.log)
                    self._proc.kill()
                    killed = True
        outcome = ProcessOutcome(returncode=returncode, timed_out=self._timed_out, stopped=self._stopped,
                                 killed=killed, seconds=time.monotonic() - self._started, log=self.log)
        with open(self.log, "ab") as fh:
            fh.write(f"# {datetime.now(UTC).isoformat(timespec='seconds')} {outcome.describe()} "
                     f"after {outcome.seconds:.1f}s\n".encode())
        return outcome


def last_line(log: Path, limit: int = 64 * 1024) -> str:
    """The last non-comment line of a log, for a one-line error (the CLI's own error line is last)."""
    try:
        with open(log, "rb") as fh:
            fh.seek(max(0, log.stat().st_size - limit))
            tail = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.splitlines() if line.strip() and not line.startswith("# ")]
    return lines[-1][:300] if lines else ""
