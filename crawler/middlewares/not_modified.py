"""Conditional requests for what is polled again and again (feeds), and what a 304 answer means.

A request flagged ``meta[CONDITIONAL]`` is sent with If-None-Match / If-Modified-Since from the
answer last archived for its URL (the index's validators). A 304 to it is not an error: the archived
copy is still current, so it is read back from the WARC and handed on as the response (flagged
``archived``), and the spider parses it as it would a fresh one; if it cannot be read, the request
goes again unconditionally. The real 304 is what the archive keeps: WarcCaptureExtension captures at
``response_downloaded``, before any downloader middleware, as a server-not-modified revisit.

Spiders never open the store or the archive for this: they only flag the request.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from warcio.exceptions import ArchiveLoadFailed

from crawler.addon import required
from crawler.archive.reader import ArchiveReader
from crawler.errors import StorageError
from crawler.index import DigestIndex, open_index_store
from crawler.meta import ARCHIVED, CONDITIONAL
from crawler.storage.objects import open_store

logger = logging.getLogger(__name__)


class NotModifiedMiddleware:
    def __init__(self, store: DigestIndex, reader: ArchiveReader, stats: Any) -> None:
        self.store = store
        self.reader = reader
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NotModifiedMiddleware:
        settings = crawler.settings
        storage = None
        if settings.get("ARCHIVE_UPLOAD_URL"):
            storage = open_store(settings.get("ARCHIVE_UPLOAD_URL"), endpoint_url=settings.get("S3_ENDPOINT_URL"))
        middleware = cls(open_index_store(required(settings, "INDEX_URL")),
                         ArchiveReader(Path(required(settings, "WARC_DIR")), storage), crawler.stats)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_closed(self) -> None:
        self.store.close()

    def process_request(self, request: Request) -> None:
        if not request.meta.get(CONDITIONAL) or "handle_httpstatus_list" in request.meta:
            return
        validators = self.store.validators(request.url)
        if validators is None:
            return
        if validators.etag:
            request.headers.setdefault("If-None-Match", validators.etag)
        if validators.last_modified:
            request.headers.setdefault("If-Modified-Since", validators.last_modified)
        request.meta["handle_httpstatus_list"] = [304]

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status != 304 or not request.meta.get(CONDITIONAL):
            return response
        archived = self._archived(request.url)
        if archived is None:
            self.stats.inc_value("feed/not_modified_unreadable")
            # Ask again in full; this answer's validators are remembered as usual.
            retry = request.replace(dont_filter=True)
            for name in ("If-None-Match", "If-Modified-Since"):
                retry.headers.pop(name, None)
            retry.meta["handle_httpstatus_list"] = []
            return retry
        self.stats.inc_value("feed/not_modified")
        logger.debug("%s not modified: handing on the archived copy", request.url)
        body, content_type = archived
        headers = Headers({"Content-Type": content_type} if content_type else {})
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return cls(url=request.url, status=200, headers=headers, body=body, request=request,
                   flags=[*response.flags, ARCHIVED])

    def _archived(self, url: str) -> tuple[bytes, str] | None:
        """The body (decoded) and Content-Type of the answer last archived for ``url``, if readable."""
        validators = self.store.validators(url)
        original = self.store.payload_record(validators.digest) if validators is not None else None
        if original is None:
            return None
        try:
            record = self.reader.read(original.warc_file, original.offset, original.length)
            body = record.content()
        except (OSError, StorageError, ArchiveLoadFailed, ValueError) as exc:
            logger.warning("Cannot read the archived copy of %s (%s at %d): %s", url, original.warc_file,
                           original.offset, exc)
            return None
        content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
        return body, content_type or ""
