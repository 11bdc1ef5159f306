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
import ipaddress
import logging
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from crawler.errors import ConfigError

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class BlockedAddress(IgnoreRequest):
    """A request would reach an address the SSRF guard forbids (never retried)."""

    def __init__(self, url_or_host: str, address: str, reason: str) -> None:
        super().__init__(f"SSRF guard: {url_or_host} is {address} ({reason}); "
                         "allow it with allow_networks or allow_hosts in [settings]")
        self.address = address
        self.reason = reason


def forbidden_reason(address: IPAddress) -> str | None:
    """Why an address is not public (None: it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return forbidden_reason(address.ipv4_mapped)
    for reason in ("loopback", "link_local", "multicast", "private", "reserved", "unspecified"):
        if getattr(address, f"is_{reason}"):
            return reason
    if not address.is_global:  # shared address space (100.64/10), 6to4 relays and friends
        return "not_global"
    return None


def _port(scheme: str, port: int | None) -> int:
    return port if port is not None else (443 if scheme == "https" else 80)


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public destinations the operator allows."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def parse(cls, networks: Iterable[str], hosts: Iterable[str]) -> AddressPolicy:
        """From ``allow_networks`` and ``allow_hosts``; a malformed entry is a ConfigError."""
        parsed_networks: list[IPNetwork] = []
        for text in networks:
            try:
                parsed_networks.append(ipaddress.ip_network(text.strip(), strict=True))
            except ValueError as exc:
                raise ConfigError(f"setting allow_networks: {text!r} is not a network in CIDR form "
                                  f"(e.g. 10.1.0.0/16): {exc}") from None
        parsed_hosts: set[tuple[str, int]] = set()
        for text in hosts:
            host, port = _split_host_port(text)
            parsed_hosts.add((host, port))
        return cls(tuple(parsed_networks), frozenset(parsed_hosts))

    @property
    def host_names(self) -> frozenset[str]:
        return frozenset(host for host, _ in self.hosts)

    def address_allowed(self, address: IPAddress) -> bool:
        return forbidden_reason(address) is None or any(address in network for network in self.networks)

    def judge_address(self, where: str, text: str) -> None:
        """Raise BlockedAddress unless ``text`` (an IP) is public or in an allowed network."""
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = forbidden_reason(address)
        if reason is not None and not any(address in network for network in self.networks):
            raise BlockedAddress(where, text, reason)

    def judge_url(self, url: str) -> str | None:
        """Raise BlockedAddress for a URL forbidden without DNS; return its host name when DNS must decide.

        None means the URL is allowed outright (listed host:port, public IP literal, not http(s)).
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        host = parts.hostname.lower()
        try:
            port = _port(parts.scheme, parts.port)
        except ValueError:
            raise BlockedAddress(url, parts.netloc, "bad_port") from None
        if (host, port) in self.hosts:
            return None
        if host in self.host_names:
            raise BlockedAddress(url, f"{host}:{port}", "port_not_allowed")
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return host  # a name: judged on what it resolves to
        self.judge_address(url, host)
        return None

    def judge_resolved(self, host: str, addresses: Sequence[str]) -> None:
        """A name's addresses: every one must be allowed (the connection may use any)."""
        if host.lower() in self.host_names:
            return  # named by the operator; SsrfGuardMiddleware held it to the listed ports
        for address in addresses:
            self.judge_address(host, address)


def _split_host_port(text: str) -> tuple[str, int]:
    where = f"setting allow_hosts: {text!r}"
    if not isinstance(text, str) or "://" in text or "/" in text:
        raise ConfigError(f"{where} must be host:port (e.g. 127.0.0.1:8080 or [::1]:8080)")
    parts = urlsplit("//" + text.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or port < 1:
        raise ConfigError(f"{where} must be host:port (e.g. 127.0.0.1:8080 or [::1]:8080)")
    return parts.hostname.lower(), port


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
    except BlockedAddress as blocked:
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
            except BlockedAddress as blocked:
                REFUSED[name.lower()] = blocked
                raise DNSLookupError(str(blocked)) from None
            REFUSED.pop(name.lower(), None)
            return address

        resolved.addCallback(judge)
        return resolved
