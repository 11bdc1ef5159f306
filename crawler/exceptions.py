"""The exceptions a crawl raises through Scrapy, and the one mapping from a failed fetch to the error
kind a source's run records.

These are Scrapy's ``IgnoreRequest`` kind: never retried, they reach the request's errback (a
spider's, or an ``engine.download_async`` caller such as the picture pipeline). Everything outside a
crawl raises the plain exceptions of ``crawler.errors``, which import nothing of Scrapy.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.web._newclient import ResponseNeverReceived

from crawler.errors import BrowserUnavailable, ForbiddenAddress

if TYPE_CHECKING:
    from scrapy.http import Response


class IncompleteResponse(IgnoreRequest):
    """The body did not arrive in full; the archive kept what did."""

    def __init__(self, response: Response, reason: str) -> None:
        super().__init__(f"{reason}: kept {len(response.body)} bytes of {response.url} in the archive")
        self.response = response
        self.reason = reason  # "length" (size limit) or "disconnect"


class WafChallenge(IgnoreRequest):
    """The response was a WAF's challenge page, not the page asked for."""

    def __init__(self, waf: str, url: str, status: int) -> None:
        super().__init__(f"{waf} WAF challenge (HTTP {status}) at {url}")
        self.waf = waf
        self.url = url
        self.status = status


class BlockedAddress(IgnoreRequest):
    """A request would reach an address the SSRF guard forbids (crawler.net.policy; never retried)."""

    def __init__(self, forbidden: ForbiddenAddress) -> None:
        super().__init__(str(forbidden))
        self.address = forbidden.address
        self.reason = forbidden.reason


# What a failure is called, by its class. Scrapy 2.19 raises its own classes for DNS failures, timeouts and
# refused connections; older Scrapy, Twisted and the browser handler raise Twisted's: both are named, so the
# kind does not depend on which layer failed. The network ones are looked for in what an error wraps too.
_OWN: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (BlockedAddress, "ssrf_blocked"), (WafChallenge, "blocked"), (BrowserUnavailable, "no_browser"))
_NETWORK: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((CannotResolveHostError, DNSLookupError), "dns"),
    ((DownloadTimeoutError, TimeoutError, TCPTimedOutError), "timeout"),
    ((DownloadConnectionRefusedError, ConnectionRefusedError), "connection_refused"),
)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps: chained causes and Twisted's ResponseNeverReceived reasons."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 16:
        current = todo.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [c for c in (current.__cause__, current.__context__) if c is not None]
        if isinstance(current, ResponseNeverReceived):
            todo += [r.value for r in current.reasons if isinstance(r.value, BaseException)]
    return seen


def _is_tls(exc: BaseException) -> bool:
    if isinstance(exc, ssl.SSLError):
        return True
    module = type(exc).__module__
    return module.startswith("OpenSSL") or type(exc).__name__ in ("SSLError", "CertificateError")


def fetch_error_kind(exc: BaseException) -> tuple[str, str]:
    """(kind, message) of a request that failed instead of answering, for a source's error counts and
    a picture's outcome: ``ssrf_blocked``, ``blocked`` (a WAF), ``no_browser``, ``http_NNN``,
    ``truncated_length`` / ``truncated_disconnect``, ``dns``, ``timeout``, ``connection_refused``,
    ``tls``, ``too_large`` (inflated past DOWNLOAD_MAXSIZE), ``cancelled``, ``filtered`` (another
    IgnoreRequest) or ``fetch``."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}", f"HTTP {exc.response.status} at {exc.response.url}"
    if isinstance(exc, IncompleteResponse):
        return f"truncated_{exc.reason}", message
    for classes, kind in _OWN:
        if isinstance(exc, classes):
            return kind, message
    causes = _causes(exc)
    # Scrapy cuts a body that inflates past DOWNLOAD_MAXSIZE (a decompression bomb) with an IgnoreRequest
    # raised from its private _DecompressionMaxSizeExceeded (checked against Scrapy 2.19).
    if any(type(cause).__name__ == "_DecompressionMaxSizeExceeded" for cause in causes):
        return "too_large", message
    for cause in causes:
        for classes, kind in _NETWORK:
            if isinstance(cause, classes):
                return kind, message
        if _is_tls(cause):
            return "tls", message
    if isinstance(exc, DownloadCancelledError | CancelledError):
        return "cancelled", message
    if isinstance(exc, IgnoreRequest):
        return "filtered", message
    return "fetch", message if isinstance(exc, DownloadFailedError) else f"{type(exc).__name__}: {message}"
