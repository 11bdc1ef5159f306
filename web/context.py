"""What the web app reads: the data directory, the configuration, the index store and the providers
of /health and snapshots (web/service.py builds them as the commands do)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import Scope

from crawler.archive.snapshots import PREFIX as SNAPSHOT_PREFIX
from crawler.archive.snapshots import Snapshot
from crawler.config import AppConfig, Settings, Workspace
from crawler.index import SqlIndexStore

HealthProvider = Callable[[], dict[str, Any]]
SnapshotProvider = Callable[[str, str], Snapshot]  # (timestamp, url) -> the capture nearest that time

@dataclass
class WebContext:
    """What the app reads: the data directory, the configuration (sources' titles and categories), the
    index store (opened at the first request that needs it, shared by the server's threads: an
    SQLAlchemy engine is thread-safe), and the /health and snapshot providers of web/service.py."""

    data: Path
    app: AppConfig | None = None
    health: HealthProvider | None = None
    snapshots: SnapshotProvider | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._store: SqlIndexStore | None = None

    @property
    def config(self) -> AppConfig:
        return self.app if self.app is not None else AppConfig(settings=Settings())

    def store(self) -> SqlIndexStore | None:
        """The SqlIndexStore, or None when there is no index yet (reading must not create one)."""
        with self._lock:
            if self._store is None:
                workspace = Workspace(self.config, self.data)
                if not workspace.has_index:
                    return None
                self._store = SqlIndexStore(workspace.index_url)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def snapshot_target(scope: Scope) -> tuple[str, str]:
    """(timestamp with its modifier, URL) of /web/TIMESTAMP/URL: the URL keeps its own query string and
    escapes, so it is taken from the raw path."""
    raw = scope.get("raw_path") or scope["path"].encode("utf-8")
    path = raw.decode("utf-8", "replace")
    query = scope.get("query_string", b"").decode("utf-8", "replace")
    rest = path[len(SNAPSHOT_PREFIX) + 1:] + (f"?{query}" if query else "")
    timestamp, _, url = rest.partition("/")
    return timestamp, url


def snapshot_provider(app: AppConfig, data: Path) -> SnapshotProvider:
    """/web/TIMESTAMP/URL of `serve`: one index store, opened at the first request and shared by the
    server's threads (an SQLAlchemy engine is thread-safe); WARCs from DATA/warc, else archive storage."""
    from crawler.archive.snapshots import SnapshotFinder, SnapshotNotFound
    from crawler.storage.objects import open_store

    lock = threading.Lock()
    finder: list[SnapshotFinder] = []

    def find(timestamp: str, url: str) -> Snapshot:
        with lock:
            if not finder:
                workspace = Workspace(app, data)
                if not workspace.has_index:
                    raise SnapshotNotFound("nothing archived yet")
                store = SqlIndexStore(workspace.index_url)
                storage = (open_store(app.settings.archive_url, endpoint_url=app.settings.s3_endpoint_url)
                           if app.settings.archive_url else None)
                finder.append(SnapshotFinder(data / "warc", store, storage))
        return finder[0].find(timestamp, url)

    return find
