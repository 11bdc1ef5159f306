"""Scrapy's MetaRefreshMiddleware, minus its crash on a refresh to a URL Scrapy cannot request.

``<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`` makes the upstream middleware
build a Request for ``javascript:…`` before it checks the scheme, and the ValueError fails the page
itself. Here such a refresh is ignored (and counted): the page is kept as it came.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import Response

logger = logging.getLogger(__name__)


class SafeMetaRefreshMiddleware(MetaRefreshMiddleware):
    stats: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SafeMetaRefreshMiddleware:
        middleware: SafeMetaRefreshMiddleware = super().from_crawler(crawler)
        middleware.stats = crawler.stats
        return middleware

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        try:
            return super().process_response(request, response)
        except ValueError as exc:  # "Missing scheme in request url" and friends
            if self.stats is not None:
                self.stats.inc_value("metarefresh/bad_url")
            logger.info("Ignored a meta refresh at %s: %s", response.url, exc)
            return response
