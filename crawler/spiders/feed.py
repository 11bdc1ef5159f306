"""The generic `feed` source kind: RSS, Atom and JSON Feed, parsed by feedparser.

Each entry is followed to its post page; a post that names its original (来源 + 阅读原文, a
canonical link to another host) is followed there too. Feeds are data in the sources TOML.

A feed fetched before is asked for conditionally (If-None-Match / If-Modified-Since, from the
archived answer). A 304 is not an error: the archived copy is still current, so it is read back from
the WARC and its entries are followed as usual; if it cannot be read, the feed is fetched in full.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import Response
from warcio.exceptions import ArchiveLoadFailed

from crawler.archive.reader import ArchiveReader
from crawler.config import SourceConfig
from crawler.content.dates import parse_date
from crawler.content.feeds import parse_feed
from crawler.errors import StorageError
from crawler.extensions.warc_capture import CONDITIONAL_META
from crawler.index import IndexStore, Validators, index_url_for, open_index_store
from crawler.items import PostItem
from crawler.settings import data_dir
from crawler.spiders.base import EntryContext, SourceSpider
from crawler.storage.remote import open_storage


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    async def start(self) -> AsyncIterator[Any]:
        store = self._index()
        try:
            sources = list(self.startable_sources())
            validators = {url: store.validators(url) for source in sources for url in source.urls}
        finally:
            store.close()
        for source in sources:
            for url in source.urls:
                request = self.source_request(url, source, self.parse_feed)
                if request is not None:
                    yield conditional(request, validators[url])

    def _index(self) -> IndexStore:
        settings = self.crawler.settings
        return open_index_store(index_url_for(data_dir(settings.get("FEEDARCHIVER_DATA")), settings.get("INDEX_URL")))

    def archived_answer(self, url: str) -> tuple[bytes, str] | None:
        """The body (decoded) and Content-Type of the answer last archived for ``url``, if readable."""
        settings = self.crawler.settings
        store = self._index()
        try:
            validators = store.validators(url)
            original = store.payload_record(validators.digest) if validators is not None else None
        finally:
            store.close()
        if original is None:
            return None
        warc_dir = Path(settings.get("WARC_DIR") or data_dir(settings.get("FEEDARCHIVER_DATA")) / "warc")
        try:
            storage = None
            if settings.get("ARCHIVE_UPLOAD_URL"):
                storage = open_storage(settings.get("ARCHIVE_UPLOAD_URL"), endpoint_url=settings.get("S3_ENDPOINT_URL"))
            record = ArchiveReader(warc_dir, storage).read(original.warc_file, original.offset, original.length)
            body = record.content()
        except (OSError, StorageError, ArchiveLoadFailed, ValueError) as exc:
            self.logger.warning("Cannot read the archived copy of %s (%s at %d): %s", url, original.warc_file,
                                original.offset, exc)
            return None
        content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
        return body, content_type or ""

    async def parse_feed(self, response: Response, source: SourceConfig) -> AsyncIterator[PostItem | Request]:
        body = response.body
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if response.status == 304:
            archived = self.archived_answer(response.url)
            if archived is None:
                self.crawler.stats.inc_value("feed/not_modified_unreadable")
                yield Request(response.url, callback=self.parse_feed, errback=self.on_error, dont_filter=True,
                              cb_kwargs={"source": source}, meta={CONDITIONAL_META: True})
                return
            self.crawler.stats.inc_value("feed/not_modified")
            self.logger.debug("[%s] feed %s not modified: reading the archived copy", source.name, response.url)
            body, content_type = archived
        # In the worker pool: a feed of thousands of entries takes seconds of CPU, and feedparser's whole
        # document tree (tens of MB) lives and dies there instead of in the crawler.
        parsed = await self.cpu.run(parse_feed, body, content_type)
        if parsed.error:
            # Recovered entries are still followed; the broken feed is still an error for the operator.
            self.count_error(source, "feed_malformed", "%s: %s (%d entries recovered)", response.url,
                             parsed.error, len(parsed.entries))
        elif not parsed.entries:
            self.crawler.stats.inc_value(f"source/{source.name}/feed_empty")
            self.logger.info("[%s] feed %s has no entries", source.name, response.url)
        self.crawler.stats.inc_value("feed/entries", len(parsed.entries))
        entries = parsed.entries
        limit = self.crawler.settings.getint("FEED_MAX_ENTRIES", 1000)
        if len(entries) > limit:
            # A feed of 10,000 entries is a trap or a dump, not news: read its first ones only.
            self.count_error(source, "too_many_entries", "%s lists %d entries; reading the first %d (FEED_MAX_ENTRIES)",
                             response.url, len(entries), limit)
            entries = entries[:limit]
        for entry in entries:
            if not entry.link:
                self.count_error(source, "entry_without_link", "entry %r in %s has no link",
                                 entry.entry_id or entry.title, response.url)
                continue
            for field_name in ("published", "updated"):
                raw = getattr(entry, field_name)
                if raw and parse_date(raw, source.timezone) is None:
                    self.count_error(source, "bad_date", "entry %s: %s date %r is not a plausible date; not used",
                                     entry.link, field_name, raw)
            context = EntryContext(
                entry_id=entry.entry_id or entry.link,
                title=entry.title,
                author=entry.author,
                summary=entry.summary,
                published=parse_date(entry.published, source.timezone),
                updated=parse_date(entry.updated, source.timezone),
            )
            request = self.source_request(response.urljoin(entry.link), source, self.parse_article, entry=context)
            if request is not None:
                yield request


def conditional(request: Request, validators: Validators | None) -> Request:
    """Ask only for a newer version than the one archived; remember this answer's validators."""
    request.meta[CONDITIONAL_META] = True
    if validators is not None:
        if validators.etag:
            request.headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            request.headers["If-Modified-Since"] = validators.last_modified
        request.meta["handle_httpstatus_list"] = [304]
    return request
