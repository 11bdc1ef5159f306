"""Turn incomplete responses back into failures, after the archive has kept what arrived.

Scrapy throws a partial body away (DOWNLOAD_MAXSIZE cancels the download; a dropped connection
raises ResponseDataLossError), but an archive keeps it with WARC-Truncated (ARCHIVE.md). So the
download handler is told to hand partial bodies over (DOWNLOAD_FAIL_ON_DATALOSS = False; the size
limit is enforced by WarcCaptureExtension with StopDownload(fail=False)), `response_downloaded`
archives them, and this middleware, the first to see the response, restores Scrapy's outcome:
a dropped connection is retried like any network error, then fails; a cut body fails. Spiders,
pipelines and `engine.download` callers never mistake a partial body for a page.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response

from crawler.exceptions import IncompleteResponse
from crawler.meta import TRUNCATED

logger = logging.getLogger(__name__)



class IncompleteResponseMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncompleteResponseMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        stats = self.crawler.stats
        assert stats is not None
        if request.meta.get(TRUNCATED) == "length" and "download_stopped" in response.flags:
            stats.inc_value("downloader/incomplete/length")
            logger.warning("Cut %s at the download size limit (%d bytes kept in the archive)",
                           request.url, len(response.body))
            raise IncompleteResponse(response, "length")
        if "dataloss" in response.flags:
            stats.inc_value("downloader/incomplete/disconnect")
            assert self.crawler.spider is not None
            retry = None
            if not request.meta.get("dont_retry"):
                retry = get_retry_request(request, spider=self.crawler.spider, reason="dataloss")
            if retry is not None:
                return retry
            raise IncompleteResponse(response, "disconnect")
        return response
