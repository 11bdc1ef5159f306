"""The demo web: one loopback HTTP server per demo host, each in a daemon thread.

Hosts differ only by port (all on 127.0.0.1), so origins differ but the hostname is shared.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from .catalog import HOSTS, split_ref
from .images import wechat_placeholder_sha256
from .responses import SERVER_NAMES, Site

logger = logging.getLogger(__name__)

SOURCES_TOML = Path(__file__).parent / "sources.toml"
_PLACEHOLDER = re.compile(r"\{\{(host|netloc):([a-z]+)\}\}")
_CHUNK = 1024


@dataclass(frozen=True)
class RequestLogEntry:
    """One request as the demo web saw it."""

    host: str
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    status: int  # the status sent
    at: float = 0.0  # time.monotonic() when it was answered


class _HostServer(ThreadingHTTPServer):
    daemon_threads = True  # a client stuck on /slow must not hold up stop()

    def __init__(self, port: int, web: DemoWeb, host: str) -> None:
        self.web = web
        self.host_name = host
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Crawlers drop connections (timeouts on /slow): not worth a traceback on stderr.
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            logger.debug("demo web %s: client %s went away: %s", self.host_name, client_address, error)
        else:
            logger.error("demo web %s: error answering %s", self.host_name, client_address, exc_info=error)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked bodies, like the real sites
    server: _HostServer

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        web = self.server.web
        response = web.site.respond(self.server.host_name, self.path, _lower(self))
        delay = web.latency + response.delay
        if delay > 0:
            time.sleep(delay)
        chunked = response.chunked and self.request_version == "HTTP/1.1"
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif response.status != 304:  # a 304 has no body to measure
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not send_body:
            return
        if response.cut_after is not None:
            self.wfile.write(response.body[: response.cut_after])
            self.close_connection = True  # the rest never comes: the client sees a dropped connection
            return
        if chunked and response.endless:
            sent = 0
            try:  # until the client gives up (a crawler's size limit); 1 GiB at most
                while sent < 1 << 30:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(response.body), response.body))
                    sent += len(response.body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return
        if chunked:
            for start in range(0, len(response.body), _CHUNK):
                piece = response.body[start : start + _CHUNK]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(response.body)

    def send_response(self, code: int, message: str | None = None) -> None:
        # Recorded here, before the body goes out, so a client never sees a response the log lacks.
        self.server.web._record(
            RequestLogEntry(
                host=self.server.host_name,
                method=self.command or "",
                path=self.path or "",
                headers=_lower(self),
                status=code,
                at=time.monotonic(),
            )
        )
        super().send_response(code, message)

    def version_string(self) -> str:
        return SERVER_NAMES.get(self.server.host_name, "demoweb")

    def log_message(self, format: str, *args: Any) -> None:
        # The base class writes every request to stderr; keep that noise at DEBUG.
        logger.debug("demo web %s: %s - %s", self.server.host_name, self.address_string(), format % args)


def _lower(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    # `headers` is missing when the request line itself was malformed.
    message = getattr(handler, "headers", None)
    return {name.lower(): value for name, value in message.items()} if message is not None else {}


def sources_template() -> str:
    """The demo's sources.toml with its fixed values filled in; the hosts still ``{{host:NAME}}``."""
    text = SOURCES_TOML.read_text(encoding="utf-8")
    return text.replace("{{wechat_placeholder_sha256}}", wechat_placeholder_sha256())


class DemoWeb:
    """Loopback servers imitating the demo hosts (``HOSTS``); see ``catalog`` for what they serve."""

    def __init__(self, base_port: int = 0, latency: float = 0.0) -> None:
        self.base_port = base_port  # 0: ephemeral ports; N: host i tries N + i first
        self.latency = latency  # seconds of sleep before every response
        self.site = Site(self.render, self.base_url)
        self._servers: dict[str, _HostServer] = {}
        self._threads: list[threading.Thread] = []
        self._log: list[RequestLogEntry] = []
        self._lock = threading.Lock()

    def start(self) -> DemoWeb:
        """Bind every host and serve in background threads; calling it again does nothing."""
        if self._servers:
            return self
        servers: dict[str, _HostServer] = {}
        try:
            for index, host in enumerate(HOSTS):
                servers[host] = self._bind(host, index)
        except BaseException:
            for server in servers.values():
                server.server_close()
            raise
        self._servers = servers
        for host, server in servers.items():
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},  # bounds how long stop() waits per host
                name=f"demoweb-{host}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        logger.info("demo web up: %s", ", ".join(f"{h}={self.base_url(h)}" for h in HOSTS))
        return self

    def _bind(self, host: str, index: int) -> _HostServer:
        if self.base_port:
            port = self.base_port + index
            try:
                return _HostServer(port, self, host)
            except OSError as error:
                logger.warning("demo web %s: port %d taken (%s), using an ephemeral one", host, port, error)
        return _HostServer(0, self, host)

    def stop(self) -> None:
        """Stop every server; connections still open are daemon threads and die with the process."""
        servers, self._servers = self._servers, {}
        threads, self._threads = self._threads, []
        for server in servers.values():
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=5)
        if servers:
            logger.info("demo web stopped")

    def __enter__(self) -> DemoWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def base_url(self, host: str) -> str:
        """``http://127.0.0.1:PORT`` of a running host (no trailing slash)."""
        if host not in HOSTS:
            raise ValueError(f"unknown demo host {host!r}; known: {', '.join(HOSTS)}")
        server = self._servers.get(host)
        if server is None:
            raise RuntimeError("the demo web is not running: call start() first")
        return f"http://127.0.0.1:{server.server_address[1]}"

    def url(self, host: str, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError(f"a demo web path starts with '/': {path!r}")
        return self.base_url(host) + path

    def ref_url(self, ref: str) -> str:
        """The URL of a ``"host:/path"`` reference as used in ``catalog``."""
        return self.url(*split_ref(ref))

    def render(self, text: str) -> str:
        """Replace every ``{{host:NAME}}`` with that host's base URL, ``{{netloc:NAME}}`` with its
        ``127.0.0.1:PORT`` (for protocol-relative links)."""

        def replace(match: re.Match[str]) -> str:
            base = self.base_url(match.group(2))
            return base if match.group(1) == "host" else base.removeprefix("http://")

        return _PLACEHOLDER.sub(replace, text)

    @property
    def allow_hosts(self) -> list[str]:
        """Every demo host as ``127.0.0.1:PORT``: what the SSRF guard must be told to allow."""
        return [self.base_url(host).removeprefix("http://") for host in HOSTS]

    def sources_toml(self, also_allow: tuple[str, ...] = ()) -> str:
        """The demo's source declarations (TOML) pointing at the running hosts.

        Its ``allow_hosts`` names exactly the demo's hosts (the SSRF guard blocks loopback otherwise);
        ``also_allow`` adds more ``host:port`` pairs (a test's own loopback server).
        """
        netlocs = ", ".join(f'"{netloc}"' for netloc in (*also_allow, *self.allow_hosts))
        return self.render(sources_template()).replace('"{{demo_netlocs}}"', netlocs, 1)

    @property
    def requests(self) -> list[RequestLogEntry]:
        """A copy of every request seen so far, in arrival order of their responses."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def _record(self, entry: RequestLogEntry) -> None:
        with self._lock:
            self._log.append(entry)
