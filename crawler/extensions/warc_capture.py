"""Capture every HTTP exchange to WARC at the wire.

`response_downloaded` fires right after the download handler and before any downloader middleware:
the body is still content-encoded as sent. HttpCompressionMiddleware later decodes it and drops
Content-Encoding (https://github.com/scrapy/scrapy/issues/1988), so capturing anywhere later would
archive something the server never sent. The handler has already removed chunking, so the headers
are repaired to describe the body as stored (ARCHIVE.md) and every repair is counted.

A payload archived before (at any URL, in any run: the digest index in the index store) is written
as an identical-payload revisit; a 304 answer to a conditional request as a server-not-modified
revisit of what was archived. A body cut at DOWNLOAD_MAXSIZE or by a dropped connection is kept
with WARC-Truncated (IncompleteResponseMiddleware then fails the request). A browser-rendered page
is a `resource` record, each post gets a `metadata` record, and finished files are indexed
(CDXJ), packaged (WACZ) and uploaded by ArchivePublisher.
"""

from __future__ import annotations

import logging
import platform
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured, StopDownload
from scrapy.http import Response, TextResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.task import LoopingCall
from twisted.internet.threads import deferToThread
from warcio.statusandheaders import StatusAndHeaders

import crawler
from crawler.addon import required
from crawler.archive.publisher import ArchivePublisher
from crawler.archive.wacz import WaczPage
from crawler.archive.warc import (
    REVISIT_IDENTICAL_PAYLOAD,
    REVISIT_NOT_MODIFIED,
    Revisit,
    WarcFileWriter,
    payload_digest,
    repair_open_files,
)
from crawler.index import DigestIndex, Validators
from crawler.index.writer import IndexWriter, release, shared_writer
from crawler.items import PayloadRecord, PostItem, WarcRef
from crawler.meta import CONDITIONAL, RENDERED, RENDERED_DOM, TRUNCATED, WARC_REFS
from crawler.storage.objects import ObjectStore, open_store

logger = logging.getLogger(__name__)

Headers = list[tuple[str, str]]



@dataclass(frozen=True)
class WarcConfig:
    directory: Path
    prefix: str
    max_size: int
    operator: str
    robots: str
    user_agent: str
    idle_timeout: float = 0.0
    gzip_level: int = 6
    dedupe: bool = True
    dedupe_min_size: int = 1
    max_download_size: int = 0  # DOWNLOAD_MAXSIZE: bodies past it are cut and kept as truncated
    wacz: bool = True

    def __post_init__(self) -> None:
        if self.max_size < 1024:
            raise NotConfigured("WARC_MAX_SIZE must be at least 1024 bytes")
        if not 0 <= self.gzip_level <= 9:
            raise NotConfigured("WARC_GZIP_LEVEL must be 0 to 9")
        if self.idle_timeout < 0:
            raise NotConfigured("WARC_IDLE_TIMEOUT must not be negative")


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _body_matches_encoding(encoding: str, body: bytes) -> bool:
    """Whether the bytes can be what Content-Encoding says (only checkable for gzip and zlib)."""
    coding = encoding.strip().lower()
    if not body or coding in ("identity", "br", "zstd", ""):
        return True
    if coding in ("gzip", "x-gzip"):
        return body[:2] == b"\x1f\x8b"
    if coding == "deflate":
        # zlib-wrapped deflate has a checkable header; raw deflate (seen from old IIS) has none.
        zlib_header = len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0
        return zlib_header or body[:2] != b"\x1f\x8b"
    return True


def repair_headers(headers: Headers, body: bytes, status: int = 200) -> tuple[Headers, list[str]]:
    """Make the response headers describe the body as stored; returns the headers and the repairs made."""
    repaired: Headers = []
    repairs: list[str] = []
    content_length_seen = False
    for name, value in headers:
        lower = name.lower()
        if lower == "transfer-encoding":
            repaired.append(("X-Orig-Transfer-Encoding", value))
            repairs.append("transfer_encoding")
        elif lower == "content-length":
            if content_length_seen:
                repaired.append(("X-Orig-Content-Length", value))
                repairs.append("content_length")
            elif value.strip() != str(len(body)):
                repaired.append(("X-Orig-Content-Length", value))
                repaired.append(("Content-Length", str(len(body))))
                repairs.append("content_length")
            else:
                repaired.append((name, value))
            content_length_seen = True
        elif lower == "content-encoding" and not _body_matches_encoding(value, body):
            repaired.append(("X-Orig-Content-Encoding", value))
            repairs.append("content_encoding")
        else:
            repaired.append((name, value))
    # 1xx, 204 and 304 answers have no body by definition: nothing to measure.
    if not content_length_seen and (body or not (status < 200 or status in (204, 304))):
        repaired.append(("Content-Length", str(len(body))))
    return repaired, repairs


def _headers(scrapy_headers: Any) -> Headers:
    """Every value of every header, repeated headers as separate lines."""
    result: Headers = []
    for name, values in scrapy_headers.items():
        for value in values:
            result.append((name.decode("latin-1"), value.decode("latin-1")))
    return result


def _was_chunked(request: Request, response: Response) -> bool:
    """Whether an HTTP/1.1 body came chunked. Twisted keeps Transfer-Encoding (a connection header) out
    of the headers it hands over and Scrapy only adds Content-Length when the length was known, so a
    body without either, not ended by the connection closing ("partial"), was chunked."""
    return (
        (response.protocol or "HTTP/1.1") == "HTTP/1.1"
        and request.method != "HEAD"
        and response.status >= 200 and response.status not in (204, 304)
        and b"Content-Length" not in response.headers
        and "partial" not in response.flags
    )


def request_status_and_headers(request: Request) -> StatusAndHeaders:
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = _headers(request.headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    return StatusAndHeaders(f"{request.method} {target} HTTP/1.1", headers, is_http_request=True)


def is_rendered(request: Request, response: Response) -> bool:
    """A browser's DOM, not the bytes a server sent: crawler.net.browser marks its pages meta["rendered"]
    (scrapy-playwright flags them "playwright"); any other renderer can flag "rendered_dom"."""
    return bool(
        {RENDERED_DOM, "playwright"} & set(response.flags)
        or request.meta.get(RENDERED) or request.meta.get(RENDERED_DOM) or request.meta.get("playwright")
    )


class WarcCaptureExtension:
    """Writes a request/response pair per downloaded response; appends its WarcRef to meta["warc_refs"]."""

    def __init__(self, config: WarcConfig, stats: Any, store: DigestIndex | None = None,
                 publisher: ArchivePublisher | None = None, index_writer: IndexWriter | None = None) -> None:
        self.config = config
        self.stats = stats
        self.store = store  # the digest index and conditional-request validators; None: no revisits
        # Writes them off the reactor thread (and answers for digests it has queued); None: written here.
        self.index_writer = index_writer
        self.publisher = publisher  # None: files are only written
        self.writer = WarcFileWriter(
            config.directory, prefix=config.prefix, max_size=config.max_size, info=self._warcinfo(),
            idle_timeout=config.idle_timeout, gzip_level=config.gzip_level, on_finish=self._file_finished,
        )
        self._received: dict[Request, int] = {}
        self._crawl_warcs: list[Path] = []
        self._pages: list[WaczPage] = []
        self._indexing: list[Deferred[Any]] = []
        self._idle_check: LoopingCall | None = None
        self._started = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureExtension:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        data = Path(required(settings, "FEEDARCHIVER_DATA"))
        directory = Path(required(settings, "WARC_DIR"))
        config = WarcConfig(
            directory=directory,
            prefix=settings.get("WARC_PREFIX", "feedarchiver"),
            max_size=settings.getint("WARC_MAX_SIZE"),
            operator=settings.get("WARC_OPERATOR", ""),
            robots="obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            user_agent=settings.get("USER_AGENT", ""),
            idle_timeout=settings.getfloat("WARC_IDLE_TIMEOUT"),
            gzip_level=settings.getint("WARC_GZIP_LEVEL", 6),
            dedupe=settings.getbool("WARC_DEDUPE", True),
            dedupe_min_size=settings.getint("WARC_DEDUPE_MIN_SIZE", 1),
            max_download_size=settings.getint("DOWNLOAD_MAXSIZE"),
            wacz=settings.getbool("WACZ_ENABLED", True),
        )
        index_writer = shared_writer(required(settings, "INDEX_URL"),
                                     story_threshold=settings.getfloat("STORY_THRESHOLD"))
        store = index_writer.store
        storage: ObjectStore | None = None
        if settings.get("ARCHIVE_UPLOAD_URL"):
            storage = open_store(settings.get("ARCHIVE_UPLOAD_URL"),
                                   endpoint_url=settings.get("S3_ENDPOINT_URL", ""),
                                   multipart_threshold=settings.getint("ARCHIVE_MULTIPART_THRESHOLD"))
        publisher = ArchivePublisher(data, store, warc_dir=directory, storage=storage,
                                     delete_local=settings.getbool("ARCHIVE_DELETE_LOCAL"), stats=crawler.stats)
        ext = cls(config, crawler.stats, store, publisher, index_writer)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.headers_received, signal=signals.headers_received)
        crawler.signals.connect(ext.bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(ext.request_left_downloader, signal=signals.request_left_downloader)
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _warcinfo(self) -> dict[str, str]:
        info = {
            "software": f"feedarchiver/{crawler.__version__} (Scrapy {scrapy.__version__}; "
            f"warcio {version('warcio')}; Python {platform.python_version()})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": platform.node(),
            "robots": self.config.robots,
            "http-header-user-agent": self.config.user_agent,
            "accept-encoding-policy": "gzip, deflate (bodies stored content-encoded, as sent)",
            "dedupe-policy": "identical-payload-digest revisits, URL-agnostic, across runs"
            if self.store is not None and self.config.dedupe else "none",
        }
        if self.config.operator:
            info["operator"] = self.config.operator
        return info

    # -- lifecycle ---------------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        if self.config.directory.exists():
            for result in repair_open_files(self.config.directory):
                self.stats.inc_value("warc/repaired_files")
                self.stats.inc_value("warc/repaired_cut_bytes", result.cut_bytes)
                if not result.damaged:
                    self._file_finished(result.path)
            if self.publisher is not None:
                for path in self.publisher.unindexed_warcs():
                    if path not in self._crawl_warcs and _claim(path):
                        self._file_finished(path)
                # A crawl killed after finishing its WARCs never packaged them: this crawl's WACZ does.
                for path in self.publisher.unpackaged_warcs() if self.config.wacz else []:
                    if path not in self._crawl_warcs and _claim(path):
                        self._crawl_warcs.append(path)
        if self.config.idle_timeout:
            self._idle_check = LoopingCall(self.writer.close_if_idle)
            self._idle_check.start(min(60.0, max(self.config.idle_timeout / 4, 0.05)), now=False)

    def _file_finished(self, path: Path) -> None:
        self._crawl_warcs.append(path)
        if self.publisher is not None:
            d = deferToThread(self.publisher.index_warc, path)
            d.addErrback(self._log_failure, f"indexing {path.name}")
            self._indexing.append(d)

    def _log_failure(self, failure: Any, what: str) -> None:
        self.stats.inc_value("archive/errors")
        logger.error("Archive: %s failed: %s", what, failure.getErrorMessage(),
                     exc_info=(failure.type, failure.value, failure.getTracebackObject()))

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._idle_check is not None and self._idle_check.running:
            self._idle_check.stop()
        self.writer.close()
        self.stats.set_value("warc/files", len(self.writer.finished))
        try:
            await maybe_deferred_to_future(DeferredList(self._indexing))
            if self.publisher is not None:
                await maybe_deferred_to_future(deferToThread(self._publish, spider.name))
        except Exception:
            self.stats.inc_value("archive/errors")
            logger.exception("Archive: publishing the crawl's files failed")
        finally:
            if self.index_writer is not None:
                await maybe_deferred_to_future(self.index_writer.drain())
                self.stats.set_value("index/digest_batches", self.index_writer.batches)
                self.stats.set_value("index/writer_cpu_s", round(self.index_writer.cpu_seconds, 2))
                release(self.index_writer)
            elif self.store is not None:
                self.store.close()

    def _publish(self, spider_name: str) -> None:
        assert self.publisher is not None
        if self.config.wacz and self._crawl_warcs:
            stamp = self._started.strftime("%Y%m%d%H%M%S")
            self.publisher.package(
                f"{self.config.prefix}-{spider_name}-{stamp}", self._crawl_warcs, self._pages,
                title=f"feedarchiver crawl {self._started.isoformat(timespec='seconds')}",
                software=self._warcinfo()["software"],
            )
        self.publisher.upload_pending()

    # -- the size limit: cut, keep, then fail (IncompleteResponseMiddleware) ---------------------------

    def _limit(self, request: Request) -> int:
        return int(request.meta.get("download_maxsize", self.config.max_download_size) or 0)

    def headers_received(self, headers: Any, body_length: Any, request: Request, spider: Spider) -> None:
        limit = self._limit(request)
        # Scrapy refuses a body announced too large before reading any of it: keep the headers at least.
        if limit and isinstance(body_length, int) and body_length > limit:
            request.meta[TRUNCATED] = "length"
            raise StopDownload(fail=False)

    def bytes_received(self, data: bytes, request: Request, spider: Spider) -> None:
        limit = self._limit(request)
        if not limit:
            return
        received = self._received.get(request, 0) + len(data)
        self._received[request] = received
        # Same test, same chunk as Scrapy's own cut, which would throw the bytes away: stop first.
        if received > limit:
            request.meta[TRUNCATED] = "length"
            raise StopDownload(fail=False)

    def request_left_downloader(self, request: Request, spider: Spider) -> None:
        self._received.pop(request, None)

    # -- records -------------------------------------------------------------------------------------

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        if is_rendered(request, response):
            self._write_dom(response, request)
            return
        body = response.body
        wire_headers = _headers(response.headers)
        if _was_chunked(request, response):
            wire_headers.append(("Transfer-Encoding", "chunked"))
        headers, repairs = repair_headers(wire_headers, body, response.status)
        for repair in repairs:
            self.stats.inc_value(f"warc/repaired/{repair}")
        protocol = response.protocol or "HTTP/1.1"
        if not protocol.startswith("HTTP/"):
            protocol = "HTTP/1.1"
        response_headers = StatusAndHeaders(
            f"{response.status} {reason_phrase(response.status)}", headers, protocol=protocol
        )
        extra: dict[str, str] = {}
        if response.ip_address is not None:
            extra["WARC-IP-Address"] = str(response.ip_address)
        truncated = request.meta.get(TRUNCATED) if "download_stopped" in response.flags else None
        if "dataloss" in response.flags:
            truncated = "disconnect"
        if truncated:
            extra["WARC-Truncated"] = truncated
            self.stats.inc_value(f"warc/truncated/{truncated}")
        digest = payload_digest(body)
        revisit = self._revisit_for(request, response, digest, truncated is not None)
        ref = self.writer.write_exchange(
            url=request.url,
            request_headers=request_status_and_headers(request),
            request_body=request.body or b"",
            response_headers=response_headers,
            response_body=body,
            extra_headers=extra,
            revisit=revisit,
        )
        # Redirect hops share one list (Request.replace copies meta shallowly), so a post keeps every hop.
        request.meta.setdefault(WARC_REFS, []).append(ref)
        self.stats.inc_value("warc/records", 2)
        if revisit is None:
            self.stats.inc_value("warc/payload_bytes", len(body))
        else:
            kind = "not_modified" if revisit.profile == REVISIT_NOT_MODIFIED else "identical_payload"
            self.stats.inc_value(f"warc/revisits/{kind}")
            self.stats.inc_value("warc/revisit_saved_bytes", len(body))
        if self.store is None or truncated:
            return
        stored = revisit.original if revisit is not None else None
        if revisit is None and self._dedupable(body):
            stored = PayloadRecord(digest=digest, url=request.url, captured_at=ref["captured_at"],
                                   record_id=ref["record_id"], warc_file=ref["warc_file"], offset=ref["offset"],
                                   length=ref["length"])
            # The record is in its WARC file already: the index row can only ever follow it.
            if self.index_writer is not None:
                self.index_writer.add_payload_record(stored)
            elif not self.store.add_payload_record(stored):
                stored = self.store.payload_record(digest)
        if stored is not None and request.meta.get(CONDITIONAL) and 200 <= response.status < 300:
            etag = response.headers.get("ETag")
            modified = response.headers.get("Last-Modified")
            if etag or modified:
                validators = Validators(
                    url=request.url, etag=etag.decode("latin-1") if etag else None,
                    last_modified=modified.decode("latin-1") if modified else None, digest=stored.digest)
                if self.index_writer is not None:
                    self.index_writer.set_validators(validators)
                else:
                    self.store.set_validators(validators)

    def _dedupable(self, body: bytes) -> bool:
        return self.config.dedupe and len(body) >= max(1, self.config.dedupe_min_size)

    def _revisit_for(self, request: Request, response: Response, digest: str, truncated: bool) -> Revisit | None:
        if self.store is None or truncated:
            return None
        if response.status == 304:
            validators = self.store.validators(request.url)
            original = self._payload_record(validators.digest) if validators is not None else None
            if original is None:
                self.stats.inc_value("warc/not_modified_unknown")  # a 304 we did not ask for: keep it as is
                return None
            return Revisit(REVISIT_NOT_MODIFIED, original)
        if not self._dedupable(response.body):
            return None
        original = self._payload_record(digest)
        return Revisit(REVISIT_IDENTICAL_PAYLOAD, original) if original is not None else None

    def _payload_record(self, digest: str) -> PayloadRecord | None:
        if self.index_writer is not None:
            return self.index_writer.payload_record(digest)
        assert self.store is not None
        return self.store.payload_record(digest)

    def _write_dom(self, response: Response, request: Request) -> None:
        """A rendered page as a `resource` record (urn:dom:URL): a DOM is not what any server sent."""
        encoding = response.encoding if isinstance(response, TextResponse) else "utf-8"
        ref = self.writer.write_resource(f"urn:dom:{response.url}", f"text/html; charset={encoding}",
                                         response.body)
        request.meta.setdefault(WARC_REFS, []).append(ref)
        self.stats.inc_value("warc/records")
        self.stats.inc_value("warc/resources/dom")

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        """A `metadata` record tying a post's capture to its source, feed entry and outlinks."""
        if not isinstance(item, PostItem) or not item.captures:
            return
        page = _page_capture(item.captures, item.url)
        fields = [("source", item.source), ("post-role", item.role), ("post-title", item.title)]
        if item.content_hash:
            fields.append(("post-content-hash", item.content_hash))
        if item.feed_entry_id:
            fields.append(("feed-entry-id", item.feed_entry_id))
        if item.via_url:
            fields.append(("via", item.via_url))
        for ref in item.captures:
            if ref["record_id"] != page["record_id"]:
                fields.append(("capture", f"{ref['record_id']} {ref['url']}"))
        for outlink in (item.original_url, item.lead_image):
            if outlink:
                fields.append(("outlink", outlink))
        self.writer.write_metadata(page["url"], fields, page["record_id"])
        self.stats.inc_value("warc/records")
        self.stats.inc_value("warc/metadata")
        self._pages.append(WaczPage(url=page["url"], ts=page["captured_at"], title=item.title))


_CLAIMED: set[Path] = set()
_CLAIMED_LOCK = threading.Lock()


def _claim(path: Path) -> bool:
    """One crawler per process (there is one per spider kind) takes over a file left unindexed."""
    with _CLAIMED_LOCK:
        if path in _CLAIMED:
            return False
        _CLAIMED.add(path)
        return True


def _page_capture(refs: list[WarcRef], url: str) -> WarcRef:
    """The capture of the page itself (the last hop at its URL), not a redirect on the way."""
    for ref in reversed(refs):
        if ref["url"] == url:
            return ref
    return refs[-1]
