"""A bare spider for wire-level capture tests: fetch the given URLs and write how each one ended.

Run by tests with `scrapy runspider` from the project directory, so the project's settings (and
so WarcCaptureExtension and IncompleteResponseMiddleware) apply as in any crawl.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response
from twisted.python.failure import Failure


class ProbeSpider(Spider):
    name = "probe"

    def __init__(self, urls: str = "", out: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = [url for url in urls.split(",") if url]
        self.out = Path(out)
        self.outcomes: dict[str, dict[str, Any]] = {}

    async def start(self) -> AsyncIterator[Request]:
        for item in self.urls:
            url, _, referer = item.partition("|")  # "URL|REFERER": the page an image is shown on
            headers = {"Referer": referer} if referer else {}
            yield Request(url, callback=self.fetched, errback=self.failed, dont_filter=True, headers=headers)

    def fetched(self, response: Response) -> None:
        self.outcomes[response.request.url if response.request else response.url] = {
            "status": response.status, "bytes": len(response.body)}

    def failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        # Keyed by the URL asked for, not the redirect hop that failed.
        asked = request.meta.get("redirect_urls", [request.url])[0]
        self.outcomes[asked] = {"error": type(failure.value).__name__, "message": str(failure.value),
                                      "reason": getattr(failure.value, "reason", None)}

    def closed(self, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        numbers = {key: value for key, value in stats.items() if isinstance(value, int | float)}
        self.out.write_text(json.dumps({**self.outcomes, "__stats__": numbers}, indent=2), encoding="utf-8")
