"""Scrapy's downloader, holding each slot to its concurrency.

Scrapy 2.19's `Downloader._process_queue` starts each queued request as an asyncio task and counts it
as transferring only once that task runs, so one call drains the whole slot queue: every queued
request goes out at once. A spider's own requests never queue up past the limit (the engine stops
taking them from the scheduler), but the pictures ImageArchivePipeline fetches through
`engine.download_async` do, and then a site got 50+ parallel requests with
CONCURRENT_REQUESTS_PER_DOMAIN at 16: impolite, and more connections than the pool keeps open,
each a new TCP handshake (bench/README.md measured the stalls). Here a request counts from the moment
it leaves the queue.
"""

from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.core.downloader import Slot
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro


class Downloader(ScrapyDownloader):
    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return  # a download delay is pending; its call processes the queue
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            # Counted now, not when its task starts (`_download` adds it again and removes it when done).
            slot.transferring.add(request)
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:
                self._process_queue(slot)
                break
