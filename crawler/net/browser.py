"""Browser rendering for sources with ``browser = true``, through scrapy-playwright and Debian's Chromium.

Installed as the http/https download handler, it hands every request without ``meta["playwright"]`` to
Scrapy's own HTTP/1.1 handler untouched, and starts Playwright (its Node driver, then Chromium) only
when the first rendered request arrives: a crawl without browser sources never starts either.
Playwright's own browser download cannot work offline, so Chromium comes from the system
(PLAYWRIGHT_LAUNCH_OPTIONS["executable_path"]); a missing one is a clear BrowserUnavailable error.

A rendered page is a DOM, not an HTTP payload: its response is marked ``meta["rendered"] = True`` (and
carries the "playwright" flag) so WARC capture can store it as a ``resource`` record (urn:dom:<url>).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.errors import BrowserUnavailable
from crawler.meta import RENDERED
from crawler.net.policy import AddressPolicy
from crawler.net.ssrf import browser_request_forbidden

logger = logging.getLogger(__name__)


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]  # untyped base
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._start_lock = asyncio.Lock()
        self._started = False
        self.executable = str(self.config.launch_options.get("executable_path") or "")
        settings = crawler.settings
        if settings.getbool("SSRF_GUARD_ENABLED", True):
            # Chromium resolves names itself: every request it makes (subresources, redirects the
            # route sees) is judged by the SSRF guard first, as Scrapy's requests are.
            self.policy = AddressPolicy.parse(settings.getlist("SSRF_ALLOW_NETWORKS"),
                                              settings.getlist("SSRF_ALLOW_HOSTS"))
            self.abort_request = functools.partial(browser_request_forbidden, self.policy, self.stats)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserDownloadHandler:
        return cls(crawler)

    async def _maybe_launch_in_thread(self) -> None:
        """Connected to engine_started upstream; starting is deferred to the first rendered request."""

    def _engine_started(self) -> Any:  # Scrapy < 2.14 path of the same hook
        return None

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        if not (self.executable and os.access(self.executable, os.X_OK)):
            self.stats.inc_value("browser/unavailable")
            raise BrowserUnavailable(
                f"no browser at {self.executable or '(no executable_path)'}: install Chromium "
                "(apt-get install chromium) or set browser_executable in [settings]")
        async with self._start_lock:
            if not self._started:
                logger.info("Starting Playwright with %s for rendered pages", self.executable)
                await self._launch()
                self._started = True
        response: Response = await super()._download_request(request, spider)
        request.meta[RENDERED] = True
        self.stats.inc_value("browser/rendered")
        return response
