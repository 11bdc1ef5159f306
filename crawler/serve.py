"""Serve the data directory's published tree (/feeds/…, /media/…) over HTTP.

The standard library's handler already answers If-Modified-Since with 304 from the file's mtime,
and exports leave unchanged files untouched, so pollers get cheap 304s.
"""

from __future__ import annotations

import logging
import mimetypes
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PUBLISHED = ("/feeds/", "/media/")
mimetypes.add_type("application/atom+xml", ".atom")
mimetypes.add_type("application/feed+json", ".json")


class PublishedTreeHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".atom": "application/atom+xml; charset=utf-8"}

    def send_head(self) -> Any:
        path = self.path.split("?", 1)[0]
        if not path.startswith(PUBLISHED) or path.endswith("/"):
            self.send_error(404, "Not Found")
            return None
        return super().send_head()

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)


def make_server(data_dir: Path, host: str, port: int) -> ThreadingHTTPServer:
    handler = partial(PublishedTreeHandler, directory=str(data_dir))
    return ThreadingHTTPServer((host, port), handler)
