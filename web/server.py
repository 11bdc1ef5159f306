"""The web app (web/app.py) on uvicorn, behind the small server object the commands already drive:
``server_address``, ``serve_forever()``, ``shutdown()`` and ``server_close()``, as http.server's.

The socket is bound when the server is made, so port 0 gives a known port at once; ``serve_forever``
runs uvicorn's loop in the calling thread (the daemon gives it a thread of its own), and in the main
thread uvicorn's own SIGINT/SIGTERM handling stops it gracefully and then re-raises the signal, so a
Ctrl-C still ends in KeyboardInterrupt for the caller.
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from web.app import create_app
from web.context import HealthProvider, SnapshotProvider, WebContext, snapshot_provider

if TYPE_CHECKING:
    from crawler.config import AppConfig

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5  # seconds open requests get to finish when the server stops


class WebServer:
    def __init__(self, context: WebContext, host: str, port: int) -> None:
        self.context = context
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
            self.socket.listen(128)
        except OSError:
            self.socket.close()
            raise
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        # log_config=None: the command's logging stays as it set it up; uvicorn logs through it.
        config = uvicorn.Config(create_app(context), log_config=None, lifespan="on", server_header=False,
                                timeout_graceful_shutdown=SHUTDOWN_GRACE, access_log=True)
        self.server = uvicorn.Server(config)
        self._running = threading.Event()
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        self._running.set()
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop serve_forever (from another thread) and wait until it has returned."""
        self.server.should_exit = True
        if self._running.is_set():
            self._stopped.wait(SHUTDOWN_GRACE + 5)

    def server_close(self) -> None:
        self.socket.close()
        self.context.close()


def make_server(data_dir: Path, host: str, port: int, health: HealthProvider | None = None,
                snapshots: SnapshotProvider | None = None, app: AppConfig | None = None) -> WebServer:
    """The app over DATA; /health and /web/ when their providers are given. With a configuration,
    snapshots come from its archive (web/service.py) unless given, and the pages know its sources."""
    if app is not None and snapshots is None:
        snapshots = snapshot_provider(app, data_dir)
    return WebServer(WebContext(data_dir.resolve(), app=app, health=health, snapshots=snapshots), host, port)
