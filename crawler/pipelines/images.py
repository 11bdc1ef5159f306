"""Archive every picture of a post at crawl time and point the published HTML at the archived copy.

Pictures are fetched through the Scrapy engine, so WarcCaptureExtension records each exchange, with
the Referer the source's CDN wants (the post page, its origin, or none). Each picture is checked from
its bytes, stored once per content (sha256) in DATA/media or S3, and the post's <img> rewritten; a
picture that cannot be archived keeps its original URL with referrerpolicy="no-referrer", counted and
logged. A URL is fetched once per crawl, and not at all once an earlier crawl archived it.

Why not Scrapy's ImagesPipeline or FilesPipeline: ImagesPipeline re-encodes every picture to JPEG
(GIF animation, transparency and the original bytes are lost) and both name files by a hash of the
URL, so the same picture from two CDNs is stored twice. Subclassing MediaPipeline does not fit either:
it logs every expected failure (a 404, a timeout) as an ERROR with a traceback and discards what
``media_failed`` returns, so the reason a picture failed cannot reach the item. What it does that we
need, fetching through the engine and each URL once, is the few lines below; its file stores
name files by URL and write in place, so they are not used either.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    NotConfigured,
)
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK

from crawler.addon import required
from crawler.content.images import IMAGE_TYPES, image_urls, inspect_image, media_path, media_url, rewrite_images
from crawler.content.images import sha256_hex as sha256_of
from crawler.errors import MediaError
from crawler.exceptions import fetch_error_kind
from crawler.index import PostWriter, open_index_store
from crawler.items import MediaRef, PostItem, WarcRef
from crawler.meta import WARC_REFS
from crawler.net.frontier import SharedOutcomes, job_prefix, redis_client
from crawler.spiders.base import count_source_error
from crawler.storage.objects import ObjectStore, open_store, put_once

logger = logging.getLogger(__name__)

# Picture outcomes and stored paths remembered per crawl (least recently used go first).
MEMO_SIZE = 4096
IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"  # what a browser sends for <img>


@dataclass(frozen=True, kw_only=True)
class ImageArchiveConfig:
    store: str  # a directory, or s3://bucket/prefix
    base_url: str  # the public URL of the media root: "/media/" or "https://host/media/"
    max_bytes: int
    max_per_post: int
    types: frozenset[str]
    timeout: float
    placeholders: frozenset[str]  # sha256 of stock "not allowed" pictures served to foreign Referers

    def __post_init__(self) -> None:
        if self.max_bytes < 1:
            raise ValueError("IMAGE_ARCHIVE_MAX_BYTES must be at least 1")
        if self.max_per_post < 0:
            raise ValueError("IMAGE_ARCHIVE_MAX_PER_POST must not be negative")
        if self.timeout <= 0:
            raise ValueError("IMAGE_ARCHIVE_TIMEOUT must be positive")
        if unknown := self.types - IMAGE_TYPES:
            raise ValueError(f"IMAGE_ARCHIVE_TYPES: unknown {sorted(unknown)}; known: {sorted(IMAGE_TYPES)}")


@dataclass(frozen=True)
class ImageOutcome:
    """What became of one picture URL (shared by every post that shows it during a crawl)."""

    url: str
    media: MediaRef | None = None
    failure: str | None = None  # why it was not archived
    message: str = ""
    pixel: bool = False  # a 1×1 beacon: removed from the post
    captures: tuple[WarcRef, ...] = field(default=())


def referer_for(policy: str, page_url: str) -> str | None:
    """The Referer a source's image CDN wants: the post page, its origin, or none at all."""
    if policy == "none":
        return None
    if policy == "origin":
        parts = urlsplit(page_url)
        return f"{parts.scheme}://{parts.netloc}/"
    return page_url.split("#", 1)[0]  # as browsers send it: never the fragment (a from-feed post's key)


class ImageArchivePipeline:
    def __init__(self, config: ImageArchiveConfig, download: Callable[[Request], Awaitable[Response]],
                 stats: Any, referer_policies: dict[str, str], index: PostWriter | None = None,
                 endpoint_url: str = "") -> None:
        self.config = config
        self.download = download
        self.stats = stats
        self.referer_policies = referer_policies
        self.index = index  # to skip pictures archived by an earlier crawl
        self.store: ObjectStore = open_store(config.store, endpoint_url=endpoint_url)
        self._fetches: OrderedDict[tuple[str, str], asyncio.Future[ImageOutcome]] = OrderedDict()
        self._writes: OrderedDict[str, asyncio.Future[bool]] = OrderedDict()
        self.shared: SharedOutcomes | None = None  # picture outcomes shared with other crawler processes

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ImageArchivePipeline:
        settings = crawler.settings
        if not settings.getbool("IMAGE_ARCHIVE_ENABLED"):
            raise NotConfigured("IMAGE_ARCHIVE_ENABLED is off")
        config = ImageArchiveConfig(
            store=required(settings, "IMAGE_ARCHIVE_STORE"),
            base_url=settings.get("IMAGE_ARCHIVE_BASE_URL") or "/media/",
            max_bytes=settings.getint("IMAGE_ARCHIVE_MAX_BYTES"),
            max_per_post=settings.getint("IMAGE_ARCHIVE_MAX_PER_POST"),
            types=frozenset(t.strip().lower() for t in settings.getlist("IMAGE_ARCHIVE_TYPES") if t.strip()),
            timeout=settings.getfloat("IMAGE_ARCHIVE_TIMEOUT"),
            placeholders=frozenset(d.strip().lower() for d in settings.getlist("IMAGE_ARCHIVE_PLACEHOLDERS")),
        )
        policies = {s.name: s.image_referer for s in getattr(crawler.spider, "sources", [])}

        async def download(request: Request) -> Response:
            assert crawler.engine is not None
            return await crawler.engine.download_async(request)

        pipeline = cls(config, download, crawler.stats, policies, open_index_store(required(settings, "INDEX_URL")),
                       endpoint_url=settings.get("S3_ENDPOINT_URL") or "")
        if job := settings.get("FRONTIER_JOB"):
            # A picture two boxes' posts show is fetched by one of them; the other waits for its outcome.
            pipeline.shared = SharedOutcomes(redis_client(settings.get("REDIS_URL")), f"{job_prefix(job)}images",
                                             wait=config.timeout * 4 + 30)  # its fetch, a retry, a busy box
        return pipeline

    def close_spider(self) -> None:
        if self.index is not None:
            self.index.close()

    # -- per post --------------------------------------------------------------------------------

    async def process_item(self, item: PostItem) -> PostItem:
        try:
            return await self._process(item)
        except Exception as exc:  # a bug or a body nobody foresaw: the post is stored without its pictures
            logger.exception("[%s] pictures of %s not archived", item.source, item.url)
            count_source_error(self.stats, item.source, "images", "%s: %s at %s", type(exc).__name__, exc, item.url)
            return item

    async def _process(self, item: PostItem) -> PostItem:
        urls = image_urls(item.body_html)
        if item.lead_image and item.lead_image not in urls:
            urls.append(item.lead_image)  # og:image of a post without pictures in its body
        wanted, over = urls[:self.config.max_per_post], urls[self.config.max_per_post:]
        referer = referer_for(self.referer_policies.get(item.source, "page"), item.url)
        outcomes = await asyncio.gather(*(self._archive(url, referer) for url in wanted))
        outcomes += [self._failed(url, "too_many", f"over {self.config.max_per_post} per post") for url in over]
        archived: dict[str, MediaRef] = {}
        drop: set[str] = set()
        for outcome in outcomes:
            item.captures.extend(ref for ref in outcome.captures if ref not in item.captures)
            if outcome.media is not None:
                archived[outcome.url] = outcome.media
                self.stats.inc_value(f"source/{item.source}/images/archived")
            elif outcome.pixel:
                drop.add(outcome.url)
            else:
                self.stats.inc_value(f"source/{item.source}/images/failed/{outcome.failure}")
                logger.warning("[%s] image %s of %s not archived (%s: %s); published at its original URL",
                               item.source, outcome.url, item.url, outcome.failure, outcome.message)
        item.body_html = rewrite_images(item.body_html, archived, drop, self.config.base_url)
        item.media = list(archived.values())
        item.lead_image = self._lead_image(item.lead_image, urls, archived, drop)
        return item

    def _lead_image(self, lead: str | None, urls: list[str], archived: dict[str, MediaRef],
                    drop: set[str]) -> str | None:
        """The first archived picture; else the first one at its original URL; else none."""
        ordered = [u for u in urls if u not in drop]
        for url in ordered:
            if url in archived:
                return media_url(self.config.base_url, archived[url]["path"])
        return ordered[0] if ordered else None

    # -- per picture -----------------------------------------------------------------------------

    async def _archive(self, url: str, referer: str | None) -> ImageOutcome:
        """One fetch per URL per crawl and Referer site (what a hotlink check looks at); every post
        showing the picture shares its outcome."""
        key = (url, urlsplit(referer).netloc if referer else "")
        future = self._fetches.get(key)
        if future is None:
            future = asyncio.ensure_future(self._archive_guarded(url, referer))
            self._fetches[key] = future
            self._forget_oldest(self._fetches)
        else:
            self._fetches.move_to_end(key)
            self.stats.inc_value("images/reused")
        return await asyncio.shield(future)

    @staticmethod
    def _forget_oldest(memo: OrderedDict[Any, asyncio.Future[Any]]) -> None:
        """Keep a long crawl's memory flat: outcomes of the least recently shown pictures are dropped
        (a finished one is in the index: a later post showing it finds it there without a fetch)."""
        while len(memo) > MEMO_SIZE:
            key, oldest = next(iter(memo.items()))
            if not oldest.done():
                break  # in flight: every memo entry after it is newer, so it goes once it is done
            del memo[key]

    async def _archive_guarded(self, url: str, referer: str | None) -> ImageOutcome:
        """Any exception archiving one picture is that picture's outcome (``error``), never its post's."""
        try:
            return await self._archive_once(url, referer)
        except Exception as exc:
            logger.exception("Archiving picture %s failed", url)
            return self._failed(url, "error", f"{type(exc).__name__}: {exc}")

    async def _archive_once(self, url: str, referer: str | None) -> ImageOutcome:
        if self.shared is None:
            return await self._archive_here(url, referer)
        name = f"{urlsplit(referer).netloc if referer else ''} {url}"
        if not self.shared.claim(name):
            shared = await self.shared.outcome(name)
            if shared is not None:
                self.stats.inc_value("images/fetched_elsewhere")
                return ImageOutcome(url=shared["url"], media=shared["media"], failure=shared["failure"],
                                    message=shared["message"], pixel=shared["pixel"],
                                    captures=tuple(shared["captures"]))
            self.stats.inc_value("images/waited_in_vain")
            return await self._archive_here(url, referer)
        try:
            outcome = await self._archive_here(url, referer)
        except BaseException:
            self.shared.release(name)
            raise
        self.shared.publish(name, asdict(outcome))
        return outcome

    async def _archive_here(self, url: str, referer: str | None) -> ImageOutcome:
        """A picture an earlier crawl archived from this URL (and the store still has) is not fetched again."""
        # A read in a thread: the index is a database file, and the reactor has downloads to move.
        stored = await asyncio.to_thread(self.index.media_at, url) if self.index is not None else None
        if stored is not None and await asyncio.to_thread(self.store.has, stored.path, stored.size):
            self.stats.inc_value("images/archived_before")
            return ImageOutcome(url, media=MediaRef(
                sha256=stored.sha256, path=stored.path, url=url, media_type=stored.media_type, width=stored.width,
                height=stored.height, size=stored.size))
        return await self._fetch(url, referer)

    async def _fetch(self, url: str, referer: str | None) -> ImageOutcome:
        headers = {"Accept": IMAGE_ACCEPT}
        if referer:
            headers["Referer"] = referer
        request = Request(url, headers=headers, callback=NO_CALLBACK, dont_filter=True, meta={
            "download_maxsize": self.config.max_bytes,
            "download_timeout": self.config.timeout,
            "max_retry_times": 1,
        })
        self.stats.inc_value("images/requested")
        try:
            response = await self.download(request)
        except Exception as exc:  # every way a download can fail is one counted outcome, never a crash
            return self._failed(url, *_classify(exc), captures=request.meta.get(WARC_REFS, []))
        captures = tuple(response.meta.get(WARC_REFS, []))
        try:
            return await self._keep(url, response, captures)
        except MediaError as exc:
            return self._failed(url, exc.kind, str(exc), captures=captures)

    async def _keep(self, url: str, response: Response, captures: tuple[WarcRef, ...]) -> ImageOutcome:
        status, body = response.status, response.body
        if status == 403:
            raise MediaError("hotlink_blocked", f"HTTP 403 at {response.url}")
        if status in (404, 410):
            raise MediaError("not_found", f"HTTP {status} at {response.url}")
        if status != 200:
            raise MediaError(f"http_{status}", f"HTTP {status} at {response.url}")
        if not body:
            raise MediaError("empty", "empty body")
        if len(body) > self.config.max_bytes:
            raise MediaError("too_large", f"{len(body)} bytes (limit {self.config.max_bytes})")
        self.stats.inc_value("images/bytes_fetched", len(body))
        sha256 = sha256_of(body)
        if sha256 in self.config.placeholders:
            raise MediaError("hotlink_placeholder", f"a stock 'not allowed' picture ({sha256[:12]})")
        facts = inspect_image(body)
        if facts.type not in self.config.types:
            raise MediaError("type_not_allowed", f"{facts.type} is not among {sorted(self.config.types)}")
        if facts.is_pixel:
            self.stats.inc_value("images/tracking_pixel")
            logger.debug("Dropped %dx%d tracking pixel %s", facts.width, facts.height, url)
            return ImageOutcome(url, pixel=True, captures=captures)
        path = media_path(sha256, facts.extension)
        if await self._put_once(url, path, body, facts.media_type):
            self.stats.inc_value("images/stored")
            self.stats.inc_value("images/bytes_stored", len(body))
        else:
            self.stats.inc_value("images/deduplicated")
        self.stats.inc_value("images/archived")
        media = MediaRef(sha256=sha256, path=path, url=url, media_type=facts.media_type, width=facts.width,
                         height=facts.height, size=len(body))
        return ImageOutcome(url, media=media, captures=captures)

    async def _put_once(self, url: str, path: str, body: bytes, media_type: str) -> bool:
        """Store a content once even when two URLs deliver it at the same moment; True if new."""
        writing = self._writes.get(path)
        if writing is not None:
            await asyncio.shield(writing)
            if path in self._writes:
                return False
            return await self._put_once(url, path, body, media_type)  # the other write failed: try ours
        self._writes[path] = writing = asyncio.get_running_loop().create_future()
        self._forget_oldest(self._writes)
        try:  # off the reactor thread: an S3 store answers over the network
            stored = await asyncio.to_thread(put_once, self.store, path, body, media_type)
        except Exception as exc:  # a full disk, a refused upload: the post goes on with the original URL
            self._writes.pop(path, None)
            writing.set_result(False)
            logger.exception("Cannot store picture %s as %s: %s", url, path, exc)
            raise MediaError("store_failed", f"{type(exc).__name__}: {exc}") from None
        writing.set_result(stored)
        return stored

    def _failed(self, url: str, kind: str, message: str, captures: Any = ()) -> ImageOutcome:
        self.stats.inc_value("images/failed")
        self.stats.inc_value(f"images/failed/{kind}")
        return ImageOutcome(url, failure=kind, message=message, captures=tuple(captures))


def _classify(exc: BaseException) -> tuple[str, str]:
    """(kind, message) for a picture download that raised instead of answering: the crawl's one mapping
    (crawler.exceptions), with a body cut at the picture size limit called what it is."""
    kind, message = fetch_error_kind(exc)
    if kind == "truncated_length" or (kind == "cancelled" and "max size" in message):
        return "too_large", message
    return kind, message
