"""One demo web and one crawl per test session, shared by every test that reads their results."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from psycopg import sql

from crawler.demoweb import DemoWeb
from crawler.index import SqlIndexStore, StoredPost

ROOT = Path(__file__).resolve().parent.parent
# CI machines are shared and noisy: a slow example is not a failure (timings stay out of pass/fail).
hypothesis_settings.register_profile("feedarchiver", deadline=None)
hypothesis_settings.load_profile("feedarchiver")
# pywb and py-wacz live in a virtualenv of their own (deploy/test.sh makes it): their pins clash with ours.
REPLAY_BIN = Path(os.environ.get("REPLAY_VENV", ROOT / ".venv-pywb")) / "bin"
# The machine's PostgreSQL (deploy/test.sh starts it); every test gets a schema of its own in it.
# The one setting of the tests' PostgreSQL (deploy/test.sh starts the machine's).
POSTGRES_URL = os.environ.get("FEEDARCHIVER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def sqlite_index(data: Path) -> str:
    """The index store URL of a data directory with the default (SQLite) index."""
    return f"sqlite:///{data.resolve() / 'index.sqlite3'}"


def run_cli(*args: str, timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line in a subprocess (Twisted's reactor runs once per process)."""
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, check=False, env={**os.environ, **(env or {})})


class CliProcess:
    """`python -m crawler ARGS` running in a subprocess, its output collected as it comes (a daemon, a
    server, a crawl to signal). ``session``: in a session of its own, so close() ends its children too."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, session: bool = False) -> None:
        self.session = session
        self.proc = subprocess.Popen([sys.executable, "-m", "crawler", *args], cwd=ROOT, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})}, start_new_session=session)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, condition: Callable[[], Any], what: str, timeout: float = 45, poll: float = 0.2) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            if self.proc.poll() is not None:
                raise AssertionError(f"exited ({self.proc.returncode}) waiting for {what}:\n{self.output}")
            time.sleep(poll)
        raise AssertionError(f"timed out waiting for {what}:\n{self.output}")

    def close(self) -> None:
        """Kill it (and its session) if it still runs, and release the pipe."""
        if self.proc.poll() is None:
            if self.session:
                os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def replay_tool(name: str) -> str:
    path = REPLAY_BIN / name
    assert path.exists(), f"{path} is missing: ./deploy/test.sh installs pywb and wacz into {REPLAY_BIN.parent}"
    return str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server on port {port} exited with {process.returncode}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def with_settings(toml_text: str, **values: str | int) -> str:
    """A sources TOML with ``values`` added to its [settings] table (the demo's already has one)."""
    lines = "".join(f"{key} = {json.dumps(value, ensure_ascii=False)}\n" for key, value in values.items())
    if "\n[settings]\n" in "\n" + toml_text:
        return ("\n" + toml_text).replace("\n[settings]\n", "\n[settings]\n" + lines, 1)[1:]
    return toml_text + "\n[settings]\n" + lines


def bare(url: str) -> str:
    return url.split("?", 1)[0]


@dataclass
class Crawl:
    data: Path
    config: Path
    output: str
    web: DemoWeb

    def posts(self, source: str | None = None) -> list[StoredPost]:
        store = SqlIndexStore(sqlite_index(self.data))
        try:
            return store.posts(source=source)
        finally:
            store.close()

    def store(self) -> SqlIndexStore:
        return SqlIndexStore(sqlite_index(self.data))

    def warcs(self) -> list[Path]:
        return sorted((self.data / "warc").glob("*.warc.gz"))

    def post_at(self, ref: str) -> StoredPost:
        """The one post seen at a demo page (aggregator feeds add tracking queries to their links)."""
        url = self.web.ref_url(ref)
        matches = [p for p in self.posts() if url in {bare(u.url) for u in p.urls}]
        assert len(matches) == 1, f"{url} is in {len(matches)} posts"
        return matches[0]


def crawl_and_export(data: Path, config: Path, web: DemoWeb) -> Crawl:
    crawl = run_cli("crawl", "--all", "--config", str(config), "--data", str(data))
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    export = run_cli("export", "--config", str(config), "--data", str(data))
    assert export.returncode == 0, export.stdout + export.stderr
    return Crawl(data=data, config=config, output=crawl.stdout + crawl.stderr, web=web)


@pytest.fixture(scope="session")
def demo_web() -> Iterator[DemoWeb]:
    with DemoWeb(base_port=0) as web:
        yield web


@pytest.fixture(scope="session")
def crawl(demo_web: DemoWeb, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    data = tmp_path_factory.mktemp("crawl")
    config = data / "sources.toml"
    config.write_text(demo_web.sources_toml(), encoding="utf-8")
    return crawl_and_export(data, config, demo_web)


@pytest.fixture(scope="session")
def recrawl(crawl: Crawl, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    """A second crawl and export over a copy of the first one's data directory."""
    data = tmp_path_factory.mktemp("recrawl") / "data"
    shutil.copytree(crawl.data, data)
    return crawl_and_export(data, crawl.config, crawl.web)


@pytest.fixture(scope="module")
def site(crawl: Crawl) -> Iterator[str]:
    """The web app (`feedarchiver serve`) over the session's crawl, on a port of its own per module."""
    from crawler.config import load_config
    from web.service import published_server

    server = published_server(crawl.data, "127.0.0.1", 0, load_config(crawl.config))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    env: dict[str, str]  # fake credentials for the subprocesses that talk to it

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3-compatible server on a loopback port (a real HTTP server, not an in-process mock)."""
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server)
        env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_CONFIG_FILE": os.devnull}
        yield S3Server(f"http://127.0.0.1:{port}", env)
    finally:
        stop(server)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """The URL of a fresh schema in the machine's PostgreSQL (dropped after): tests running at once,
    here or in another checkout, never see each other's tables."""
    schema = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a fresh database (dropped after), for crawler processes sharing one index."""
    name = f"feedarchiver_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty index store URL: a SQLite file, or a fresh schema in the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index.sqlite3'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def store(index_url: str) -> Iterator[SqlIndexStore]:
    """An empty index store, on SQLite and on PostgreSQL."""
    opened = SqlIndexStore(index_url)
    try:
        yield opened
    finally:
        opened.close()
