"""The project's own exceptions, in one place."""

from __future__ import annotations


class FeedArchiverError(Exception):
    """Base class: anything the CLI reports as one clear line."""


class ConfigError(FeedArchiverError):
    """The configuration is missing, unreadable or contradictory."""


class ExtractionError(FeedArchiverError):
    """A page could not be turned into an article."""


class IndexStoreError(FeedArchiverError):
    """The index store could not be opened or written."""


class CrawlError(FeedArchiverError):
    """A crawl could not run at all (as opposed to per-item errors, which are counted)."""


class BrowserUnavailable(FeedArchiverError):
    """A source needs pages rendered, and the configured browser is not installed."""


class MediaError(FeedArchiverError):
    """A picture could not be archived; ``kind`` names why (not_found, hotlink_blocked, too_large…)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class StorageError(FeedArchiverError):
    """An archive file could not be uploaded to (or read from) remote storage."""


class SchedulerError(FeedArchiverError):
    """The daemon cannot run its schedules (job store unreachable, or held by another daemon)."""


class ForbiddenAddress(FeedArchiverError):
    """A destination the policy forbids; the crawl raises it as crawler.exceptions.BlockedAddress."""

    def __init__(self, url_or_host: str, address: str, reason: str) -> None:
        super().__init__(f"SSRF guard: {url_or_host} is {address} ({reason}); "
                         "allow it with allow_networks or allow_hosts in [settings]")
        self.where = url_or_host
        self.address = address
        self.reason = reason
