"""The published tree's server as the commands start it: feeds and media from DATA, /health from the
index and the daemon's job store, snapshots from the WARCs (crawler/archive/snapshots.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.config import AppConfig
from web.context import snapshot_provider
from web.server import WebServer, make_server

logger = logging.getLogger(__name__)

__all__ = ["health_provider", "published_server", "snapshot_provider"]


def published_server(data: Path, host: str, port: int, app: AppConfig | None = None) -> WebServer:
    """DATA/feeds, DATA/media and the pages; with a configuration, /health and /web/TIMESTAMP/URL too."""
    return make_server(data, host, port, health=health_provider(app, data) if app is not None else None,
                       snapshots=snapshot_provider(app, data) if app is not None else None, app=app)


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
