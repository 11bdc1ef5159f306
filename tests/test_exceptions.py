"""One mapping from a failed fetch to its error kind, whichever layer raised it: Scrapy 2.19's own
classes and Twisted's alike, and what they wrap."""

from __future__ import annotations

import ssl

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from crawler.errors import BrowserUnavailable, ForbiddenAddress
from crawler.exceptions import BlockedAddress, IncompleteResponse, WafChallenge, fetch_error_kind


def wrapped(cause: BaseException) -> BaseException:
    try:
        raise DownloadFailedError("download failed") from cause
    except DownloadFailedError as exc:
        return exc


URL = "http://127.0.0.1:9/x"


@pytest.mark.parametrize(("error", "kind"), [
    (CannotResolveHostError("no such host"), "dns"),
    (DNSLookupError("no results"), "dns"),
    (DownloadTimeoutError("took too long"), "timeout"),
    (TimeoutError(), "timeout"),
    (TCPTimedOutError(), "timeout"),
    (DownloadConnectionRefusedError("refused"), "connection_refused"),
    (ConnectionRefusedError(), "connection_refused"),
    (wrapped(ConnectionRefusedError()), "connection_refused"),
    (ResponseNeverReceived([Failure(ssl.SSLError("certificate verify failed"))]), "tls"),
    (wrapped(ssl.SSLError("handshake")), "tls"),
    (HttpError(Response(URL, status=404), "Ignoring non-200 response"), "http_404"),
    (HttpError(Response(URL, status=503), "Ignoring non-200 response"), "http_503"),
    (IncompleteResponse(Response(URL, body=b"abc"), "length"), "truncated_length"),
    (BlockedAddress(ForbiddenAddress(URL, "127.0.0.1", "loopback")), "ssrf_blocked"),
    (WafChallenge("safeline", URL, 468), "blocked"),
    (BrowserUnavailable("no chromium"), "no_browser"),
    (IgnoreRequest("robots.txt"), "filtered"),
    (ValueError("something else"), "fetch"),
])
def test_each_failure_has_its_kind(error: BaseException, kind: str) -> None:
    assert fetch_error_kind(error)[0] == kind
    assert fetch_error_kind(error)[1]  # and a message to log

