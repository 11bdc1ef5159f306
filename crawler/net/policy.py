"""Which addresses may be fetched: the SSRF guard's policy, pure (no Scrapy, no Twisted), so config
validation can parse it. Nothing is fetched from loopback, private, link-local, multicast, reserved or
otherwise non-global addresses unless the operator opens a hole: ``allow_networks`` (CIDR) and
``allow_hosts`` (``host:port``; a named host is fetched on the listed ports only)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.errors import ConfigError, ForbiddenAddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
        """Raise ForbiddenAddress unless ``text`` (an IP) is public or in an allowed network."""
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = forbidden_reason(address)
        if reason is not None and not any(address in network for network in self.networks):
            raise ForbiddenAddress(where, text, reason)

    def judge_url(self, url: str) -> str | None:
        """Raise ForbiddenAddress for a URL forbidden without DNS; return its host name when DNS must decide.

        None means the URL is allowed outright (listed host:port, public IP literal, not http(s)).
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        host = parts.hostname.lower()
        try:
            port = _port(parts.scheme, parts.port)
        except ValueError:
            raise ForbiddenAddress(url, parts.netloc, "bad_port") from None
        if (host, port) in self.hosts:
            return None
        if host in self.host_names:
            raise ForbiddenAddress(url, f"{host}:{port}", "port_not_allowed")
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
