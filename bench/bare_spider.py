"""The bare Scrapy baseline: fetch exactly the benchmark site's pages and pictures, do nothing else.

Run as `scrapy runspider bench/bare_spider.py -a start=http://127.0.0.1:PORT/index.html`.
Same concurrency and compression settings as feedarchiver's crawler, so the comparison measures
what feedarchiver adds (capture, extraction, hashing, image checks, the index), not tuning.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response


class BareSpider(scrapy.Spider):
    name = "bare"
    custom_settings = {
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "DEFAULT_REQUEST_HEADERS": {"Accept-Encoding": "gzip, deflate"},
    }

    def __init__(self, start: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = start

    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request(self.start_url, callback=self.parse_index)

    def parse_index(self, response: Response) -> Iterator[scrapy.Request]:
        for href in response.css("li a::attr(href)").getall():
            yield response.follow(href, callback=self.parse_list)

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        for href in response.css("li a::attr(href)").getall():
            yield response.follow(href, callback=self.parse_article)

    def parse_article(self, response: Response) -> Iterator[scrapy.Request]:
        for src in response.css("article img::attr(src)").getall():
            yield response.follow(src, callback=self.parse_image)

    def parse_image(self, response: Response) -> None:
        return None
