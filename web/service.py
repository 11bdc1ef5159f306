"""The published tree's server as the commands start it: feeds and media from DATA, /health from the
index and the daemon's job store, snapshots from the WARCs (crawler/archive/snapshots.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from crawler.config import AppConfig, Workspace
from web.server import make_server

logger = logging.getLogger(__name__)


def published_server(data: Path, host: str, port: int, app: AppConfig | None = None) -> ThreadingHTTPServer:
    """DATA/feeds and DATA/media; with a configuration, /health and /web/TIMESTAMP/URL too."""
    return make_server(data, host, port, health=health_provider(app, data) if app is not None else None,
                       snapshots=snapshot_provider(app, data) if app is not None else None,
                       search=search_provider(app, data) if app is not None else None)


def search_provider(app: AppConfig, data: Path) -> Callable[[dict[str, list[str]]], tuple[int, dict[str, Any]]]:
    """/api/search of `serve`: one index store, opened at the first request, shared by the server's threads."""
    from crawler.index import SqlIndexStore
    from web.search import api

    lock = threading.Lock()
    opened: list[SqlIndexStore] = []

    def answer(params: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        with lock:
            if not opened:
                workspace = Workspace(app, data)
                if not workspace.has_index:
                    return 404, {"error": "nothing archived yet"}
                opened.append(SqlIndexStore(workspace.index_url))
        return api(opened[0], params)

    return answer


def health_provider(app: AppConfig, data: Path) -> Callable[[], dict[str, Any]]:
    """/health of `serve`: the index's runs and the daemon's job store, read afresh on each request."""
    from schedules.health import health_document, open_existing_store, stored_jobs
    from schedules.spec import load_schedules

    schedules = load_schedules(app)

    def report() -> dict[str, Any]:
        store = open_existing_store(app, data)
        try:
            return health_document(app, schedules, store, jobs=stored_jobs(app, data) if schedules else {})
        finally:
            if store is not None:
                store.close()

    return report


def snapshot_provider(app: AppConfig, data: Path) -> Callable[[str, str], Any]:
    """/web/TIMESTAMP/URL of `serve`: one index store, opened at the first request and shared by the
    server's threads (an SQLAlchemy engine is thread-safe); WARCs from DATA/warc, else archive storage."""
    from crawler.archive.snapshots import Snapshot, SnapshotFinder, SnapshotNotFound
    from crawler.index import SqlIndexStore
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
