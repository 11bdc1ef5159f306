"""Recognise WAF challenge pages (SafeLine, Cloudflare, Aliyun) before any spider parses them.

The exchange is still archived (WARC capture runs at the wire, before this); the request then fails
with WafChallenge, so the spider's errback counts it, marks the source blocked and stops asking.
Challenges are never solved.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.content.pagecheck import detect_challenge
from crawler.exceptions import WafChallenge
from crawler.meta import BLOCKED

logger = logging.getLogger(__name__)


class WafChallengeMiddleware:
    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WafChallengeMiddleware:
        if not crawler.settings.getbool("WAF_CHALLENGE_ENABLED", True):
            raise NotConfigured("WAF_CHALLENGE_ENABLED is off")
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs]
        waf = detect_challenge(headers, response.body)
        if waf is None:
            return response
        request.meta[BLOCKED] = waf
        self.stats.inc_value(f"waf/challenge/{waf}")
        logger.debug("WAF challenge (%s) at %s", waf, response.url)
        raise WafChallenge(waf, response.url, response.status)
