"""SSRF guard: URLs found in other people's content never reach loopback, private or reserved addresses.

Every address is judged twice over: an IP-literal URL by ``SsrfGuardMiddleware`` before anything is
sent (redirect hops come back through downloader middlewares, so each hop is judged), and a host name
by ``GuardedResolver`` on the address the name resolved to, the one actually connected to (no
check-then-resolve race). Rendered pages are resolved and judged before Chromium is sent there, and
every request Chromium makes is judged again (``BrowserDownloadHandler``).

The operator opens holes explicitly: ``allow_networks`` (CIDR) and ``allow_hosts`` (``host:port``).
A host named in ``allow_hosts`` is fetched on the listed ports only.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence
from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from crawler.errors import ForbiddenAddress
from crawler.exceptions import BlockedAddress
from crawler.net.policy import AddressPolicy

logger = logging.getLogger(__name__)

async def browser_request_forbidden(policy: AddressPolicy, stats: Any, browser_request: Any) -> bool:
    """scrapy-playwright's abort_request: True aborts a request Chromium is about to make.

    Chromium resolves names itself, so the name is resolved and judged here first; a DNS
    rebinding between the two lookups is the remaining gap (see README, "SSRF guard").
    """
    url = str(browser_request.url)
    try:
        host = policy.judge_url(url)
        if host is not None:
            addresses = await asyncio.get_running_loop().run_in_executor(None, resolve, host)
            policy.judge_resolved(host, addresses)
    except ForbiddenAddress as forbidden:
        blocked = BlockedAddress(forbidden)
        stats.inc_value("ssrf/blocked")
        stats.inc_value(f"ssrf/blocked/{blocked.reason}")
        logger.warning("Blocked the browser's request to %s: %s", url, blocked)
        return True
    except OSError:
        return False  # unresolvable: Chromium fails it the ordinary way
    return False


def resolve(host: str) -> list[str]:
    """All addresses of a name (blocking; run it in a thread)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)})


# Names GuardedResolver refused, with why. Twisted turns any resolver failure into a bare
# DNSLookupError ("no results") on its way to the connection, so SsrfGuardMiddleware looks the name up
# here to tell a refusal from a name that does not exist. One resolver serves the whole process.
REFUSED: dict[str, BlockedAddress] = {}


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that refuses names resolving to forbidden addresses.

    Built by Scrapy from the CrawlerProcess settings (TWISTED_DNS_RESOLVER), so the allow-list comes
    from SSRF_ALLOW_NETWORKS / SSRF_ALLOW_HOSTS. A refusal fails the lookup with DNSLookupError (the
    only failure Twisted passes on quietly) and is noted in REFUSED for SsrfGuardMiddleware to count.
    """

    policy = AddressPolicy()
    enabled = True

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        settings = crawler.settings
        resolver.enabled = settings.getbool("SSRF_GUARD_ENABLED", True)
        resolver.policy = AddressPolicy.parse(settings.getlist("SSRF_ALLOW_NETWORKS"),
                                              settings.getlist("SSRF_ALLOW_HOSTS"))
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        resolved: Deferred[str] = super().getHostByName(name, timeout)
        if not self.enabled:
            return resolved

        def judge(address: str) -> str:
            try:
                self.policy.judge_resolved(name, [address])
            except ForbiddenAddress as forbidden:
                blocked = REFUSED[name.lower()] = BlockedAddress(forbidden)
                raise DNSLookupError(str(blocked)) from None
            REFUSED.pop(name.lower(), None)
            return address

        resolved.addCallback(judge)
        return resolved
