"""Capture every HTTP exchange to WARC at the wire.

`response_downloaded` fires right after the download handler and before any downloader middleware:
the body is still content-encoded as sent. HttpCompressionMiddleware later decodes it and drops
Content-Encoding (https://github.com/scrapy/scrapy/issues/1988), so capturing anywhere later would
archive something the server never sent. The handler has already removed chunking, so the headers
are repaired to describe the body as stored (ARCHIVE.md) and every repair is counted.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import dataclass
from http import HTTPStatus
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from warcio.statusandheaders import StatusAndHeaders

import crawler
from crawler.settings import data_dir
from crawler.warc import WarcFileWriter

logger = logging.getLogger(__name__)

Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class WarcConfig:
    directory: Path
    prefix: str
    max_size: int
    operator: str
    robots: str
    user_agent: str

    def __post_init__(self) -> None:
        if self.max_size < 1024:
            raise NotConfigured("WARC_MAX_SIZE must be at least 1024 bytes")


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _body_matches_encoding(encoding: str, body: bytes) -> bool:
    """Whether the bytes can be what Content-Encoding says (only checkable for gzip and zlib)."""
    coding = encoding.strip().lower()
    if not body or coding in ("identity", "br", "zstd", ""):
        return True
    if coding in ("gzip", "x-gzip"):
        return body[:2] == b"\x1f\x8b"
    if coding == "deflate":
        # zlib-wrapped deflate has a checkable header; raw deflate (seen from old IIS) has none.
        zlib_header = len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0
        return zlib_header or body[:2] != b"\x1f\x8b"
    return True


def repair_headers(headers: Headers, body: bytes) -> tuple[Headers, list[str]]:
    """Make the response headers describe the body as stored; returns the headers and the repairs made."""
    repaired: Headers = []
    repairs: list[str] = []
    content_length_seen = False
    for name, value in headers:
        lower = name.lower()
        if lower == "transfer-encoding":
            repaired.append(("X-Orig-Transfer-Encoding", value))
            repairs.append("transfer_encoding")
        elif lower == "content-length":
            if content_length_seen:
                repaired.append(("X-Orig-Content-Length", value))
                repairs.append("content_length")
            elif value.strip() != str(len(body)):
                repaired.append(("X-Orig-Content-Length", value))
                repaired.append(("Content-Length", str(len(body))))
                repairs.append("content_length")
            else:
                repaired.append((name, value))
            content_length_seen = True
        elif lower == "content-encoding" and not _body_matches_encoding(value, body):
            repaired.append(("X-Orig-Content-Encoding", value))
            repairs.append("content_encoding")
        else:
            repaired.append((name, value))
    if not content_length_seen:
        repaired.append(("Content-Length", str(len(body))))
    return repaired, repairs


def _headers(scrapy_headers: Any) -> Headers:
    """Every value of every header, repeated headers as separate lines."""
    result: Headers = []
    for name, values in scrapy_headers.items():
        for value in values:
            result.append((name.decode("latin-1"), value.decode("latin-1")))
    return result


def request_status_and_headers(request: Request) -> StatusAndHeaders:
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = _headers(request.headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    return StatusAndHeaders(f"{request.method} {target} HTTP/1.1", headers, is_http_request=True)


class WarcCaptureExtension:
    """Writes a request/response pair per downloaded response; appends its WarcRef to meta["warc_refs"]."""

    def __init__(self, config: WarcConfig, stats: Any) -> None:
        self.config = config
        self.stats = stats
        self.writer = WarcFileWriter(
            config.directory, prefix=config.prefix, max_size=config.max_size, info=self._warcinfo()
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureExtension:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        directory = settings.get("WARC_DIR") or data_dir(settings.get("FEEDARCHIVER_DATA")) / "warc"
        config = WarcConfig(
            directory=Path(directory),
            prefix=settings.get("WARC_PREFIX", "feedarchiver"),
            max_size=settings.getint("WARC_MAX_SIZE"),
            operator=settings.get("WARC_OPERATOR", ""),
            robots="obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            user_agent=settings.get("USER_AGENT", ""),
        )
        ext = cls(config, crawler.stats)
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _warcinfo(self) -> dict[str, str]:
        info = {
            "software": f"feedarchiver/{crawler.__version__} (Scrapy {scrapy.__version__}; "
            f"warcio {version('warcio')}; Python {platform.python_version()})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": platform.node(),
            "robots": self.config.robots,
            "http-header-user-agent": self.config.user_agent,
            "accept-encoding-policy": "gzip, deflate (bodies stored content-encoded, as sent)",
        }
        if self.config.operator:
            info["operator"] = self.config.operator
        return info

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        body = response.body
        headers, repairs = repair_headers(_headers(response.headers), body)
        for repair in repairs:
            self.stats.inc_value(f"warc/repaired/{repair}")
        protocol = response.protocol or "HTTP/1.1"
        if not protocol.startswith("HTTP/"):
            protocol = "HTTP/1.1"
        response_headers = StatusAndHeaders(
            f"{response.status} {reason_phrase(response.status)}", headers, protocol=protocol
        )
        extra: dict[str, str] = {}
        if response.ip_address is not None:
            extra["WARC-IP-Address"] = str(response.ip_address)
        if "dataloss" in response.flags:
            extra["WARC-Truncated"] = "disconnect"
            self.stats.inc_value("warc/truncated")
        ref = self.writer.write_exchange(
            url=request.url,
            request_headers=request_status_and_headers(request),
            request_body=request.body or b"",
            response_headers=response_headers,
            response_body=body,
            extra_headers=extra,
        )
        # Redirect hops share one list (Request.replace copies meta shallowly), so a post keeps every hop.
        request.meta.setdefault("warc_refs", []).append(ref)
        self.stats.inc_value("warc/records", 2)
        self.stats.inc_value("warc/payload_bytes", len(body))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.writer.close()
        self.stats.set_value("warc/files", len(self.writer.finished))
