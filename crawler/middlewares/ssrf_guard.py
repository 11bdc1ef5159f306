"""Judge every request's destination before it is sent (crawler/net/ssrf.py has the rules).

Redirect hops are new requests through the whole downloader middleware chain, so each hop is judged
here too. A host name is judged by GuardedResolver on the address actually connected to; a rendered
page's name is resolved and judged here, since Chromium resolves names itself.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, NotConfigured
from twisted.internet.error import DNSLookupError

from crawler.errors import ForbiddenAddress
from crawler.exceptions import BlockedAddress
from crawler.meta import SSRF_BLOCKED
from crawler.net.policy import AddressPolicy
from crawler.net.ssrf import REFUSED, resolve

logger = logging.getLogger(__name__)


class SsrfGuardMiddleware:
    def __init__(self, policy: AddressPolicy, stats: Any) -> None:
        self.policy = policy
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SsrfGuardMiddleware:
        settings = crawler.settings
        if not settings.getbool("SSRF_GUARD_ENABLED", True):
            raise NotConfigured("SSRF_GUARD_ENABLED is off")
        policy = AddressPolicy.parse(settings.getlist("SSRF_ALLOW_NETWORKS"), settings.getlist("SSRF_ALLOW_HOSTS"))
        return cls(policy, crawler.stats)

    async def process_request(self, request: Request) -> None:
        try:
            host = self.policy.judge_url(request.url)
            if host is not None and request.meta.get("playwright"):
                addresses = await asyncio.get_running_loop().run_in_executor(None, resolve, host)
                self.policy.judge_resolved(host, addresses)
        except ForbiddenAddress as forbidden:
            raise BlockedAddress(forbidden) from None
        except OSError:
            return None  # the name does not resolve: the download fails the ordinary way (DNS error)

    def process_exception(self, request: Request, exception: BaseException) -> None:
        # Raised above, or refused by GuardedResolver on the resolved address: counted once, here.
        if isinstance(exception, DNSLookupError | CannotResolveHostError):
            refused = REFUSED.get((urlsplit(request.url).hostname or "").lower())
            if refused is not None:
                self.count(request, refused)
                raise refused  # not DNSLookupError: RetryMiddleware (below us) must not retry it
        if isinstance(exception, BlockedAddress):
            self.count(request, exception)

    def count(self, request: Request, blocked: BlockedAddress) -> None:
        if request.meta.get(SSRF_BLOCKED):
            return  # the same failure passes process_exception more than once on some paths
        request.meta[SSRF_BLOCKED] = blocked.reason
        self.stats.inc_value("ssrf/blocked")
        self.stats.inc_value(f"ssrf/blocked/{blocked.reason}")
        logger.warning("Blocked %s: %s", request.url, blocked)
