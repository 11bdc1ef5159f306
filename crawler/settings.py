"""Scrapy settings for feedarchiver. Every custom setting has a one-line comment.

The CLI fills the per-run ones (data directory, config file, index URL) before starting a crawl;
`scrapy crawl` takes them from the FEEDARCHIVER_* environment the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from crawler.neardup import DEFAULT_THRESHOLD

BOT_NAME = "feedarchiver"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Data directory (WARCs, index, feeds); the CLI's --data, else $FEEDARCHIVER_DATA, else ./data.
FEEDARCHIVER_DATA = os.environ.get("FEEDARCHIVER_DATA", "data")
# Sources TOML; empty means $FEEDARCHIVER_CONFIG or ./feedarchiver.toml (packaged defaults always apply).
FEEDARCHIVER_CONFIG = os.environ.get("FEEDARCHIVER_CONFIG", "")
# Index store URL; empty means sqlite:///DATA/index.sqlite3.
INDEX_URL = os.environ.get("FEEDARCHIVER_INDEX_URL", "")
# Similarity score (0..1, crawler/neardup.py) from which two posts are the same story.
STORY_THRESHOLD = float(os.environ.get("FEEDARCHIVER_STORY_THRESHOLD", DEFAULT_THRESHOLD))

# Capture every exchange to WARC at the wire (WarcCaptureExtension).
WARC_ENABLED = True
# Where WARC files go; empty means DATA/warc.
WARC_DIR = ""
# File name prefix (PREFIX-TIMESTAMP-SERIAL-PID~HOST.warc.gz).
WARC_PREFIX = "feedarchiver"
# Roll over to a new file past this many bytes.
WARC_MAX_SIZE = 1_000_000_000
# Operator named in each warcinfo record.
WARC_OPERATOR = ""
# Finish the open file after this many seconds without a record (a daemon must not hold one for days).
WARC_IDLE_TIMEOUT = 600.0
# zlib level of each record's gzip member (warcio's own is 9: slower for little gain).
WARC_GZIP_LEVEL = 6
# Write a payload archived before (any URL, any run) as an identical-payload-digest revisit.
WARC_DEDUPE = True
# Payloads smaller than this many bytes are always stored in full.
WARC_DEDUPE_MIN_SIZE = 1
# Package each crawl's WARCs, CDXJ and pages into DATA/wacz/*.wacz.
WACZ_ENABLED = True
# Where finished WARCs, CDXJ and WACZ are uploaded: s3://BUCKET/PREFIX or file:///DIR; empty: nowhere.
ARCHIVE_UPLOAD_URL = ""
# Delete the local copy once its upload is checked.
ARCHIVE_DELETE_LOCAL = False
# Files above this many bytes go up as S3 multipart uploads.
ARCHIVE_MULTIPART_THRESHOLD = 64 * 1024 * 1024
# S3 endpoint of an S3-compatible store (MinIO, Ceph, moto); empty: AWS (or $AWS_ENDPOINT_URL_S3).
S3_ENDPOINT_URL = ""

# An honest User-Agent; the contact URL comes from config (settings.user_agent).
USER_AGENT = "feedarchiver/0.1 (+https://github.com/feedarchiver/feedarchiver)"
ROBOTSTXT_OBEY = True
# Only encodings warcio and pywb can read back (not zstd; ARCHIVE.md). DefaultHeadersMiddleware (400)
# sets this before HttpCompressionMiddleware (590), whose setdefault then leaves it alone.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.6",
    "Accept-Encoding": "gzip, deflate",
}
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 30
# Past this many bytes a body is cut; WarcCaptureExtension keeps what arrived (WARC-Truncated: length).
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
# The handler hands over a body cut by a dropped connection so the archive keeps it (WARC-Truncated:
# disconnect); IncompleteResponseMiddleware then retries or fails the request as Scrapy would.
DOWNLOAD_FAIL_ON_DATALOSS = False
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
RETRY_TIMES = 2
# Giving up retrying is an expected outcome: the spider's errback or the picture pipeline then logs
# it as one counted WARNING with its reason (http_503, timeout), so Scrapy's own line is only INFO.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
# 4xx/5xx reach the spider's errback as HttpError, so each failure is counted per source.
HTTPERROR_ALLOW_ALL = False

# SSRF guard (crawler/ssrf.py): nothing is fetched from loopback, private, link-local, multicast or
# reserved addresses, judged on the resolved address and on every redirect hop, except these.
SSRF_GUARD_ENABLED = True
# Networks (CIDR) the operator allows anyway (config: allow_networks).
SSRF_ALLOW_NETWORKS: list[str] = []
# host:port pairs the operator allows anyway, on those ports only (config: allow_hosts).
SSRF_ALLOW_HOSTS: list[str] = []
# Judges every resolved address (Scrapy's caching resolver plus the guard).
TWISTED_DNS_RESOLVER = "crawler.ssrf.GuardedResolver"
# Retry-After on 429/503 is honoured up to this many seconds (RetryAfterMiddleware).
RETRY_AFTER_MAX = 300.0
# Without Retry-After, a 429/503 holds its host back this many seconds, doubled per answer in a row.
RETRY_BACKOFF_BASE = 2.0
# Statuses that make a host wait (RetryMiddleware retries them; RETRY_HTTP_CODES has both).
RETRY_AFTER_STATUSES = [429, 503]

# Entries read from one feed document; past this the rest are skipped and counted (too_many_entries).
FEED_MAX_ENTRIES = 1000

# Recognise WAF challenge pages (SafeLine & co.): the source is marked blocked and backs off.
WAF_CHALLENGE_ENABLED = True
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's own fails the page on a refresh to javascript: (it builds the Request before checking).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.meta_refresh.SafeMetaRefreshMiddleware": 580,
    # Above RetryMiddleware (550): a refused address is never retried; every redirect hop passes here.
    "crawler.middlewares.ssrf_guard.SsrfGuardMiddleware": 555,
    # Just above RetryMiddleware (550): notes Retry-After before the retry is scheduled, delays it.
    "crawler.middlewares.retry_after.RetryAfterMiddleware": 560,
    # After HttpCompressionMiddleware (590) has decoded the body on its way back, before retries (550).
    "crawler.middlewares.waf_challenge.WafChallengeMiddleware": 580,
    # Above HttpCompressionMiddleware (590): the first to see a response, before anything decodes it.
    "crawler.middlewares.incomplete_response.IncompleteResponseMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    # An exception in a callback is counted as an error of its source (then dropped, as Scrapy would).
    "crawler.middlewares.spider_errors.SourceErrorsMiddleware": 50,
}
# Seconds a blocked source backs off; doubled for each block in a row (capped at a week).
SOURCE_BLOCK_BACKOFF = 3600

# Rendering for browser sources (crawler/browser.py): plain requests still go through Scrapy's handler.
DOWNLOAD_HANDLERS = {
    "http": "crawler.browser.BrowserDownloadHandler",
    "https": "crawler.browser.BrowserDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# Debian's Chromium (Playwright's own download cannot work offline); the CLI sets browser_executable.
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("FEEDARCHIVER_BROWSER_EXECUTABLE", "/usr/bin/chromium"),
    "headless": True,
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
}
# Milliseconds a rendered page may take to load.
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
# Pages rendered at once per browser context: Chromium is heavy on a 2-core box.
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4

# Holds every host to CONCURRENT_REQUESTS_PER_DOMAIN, pictures included (crawler/downloader.py).
DOWNLOADER = "crawler.downloader.Downloader"
EXTENSIONS = {
    "crawler.extensions.warc_capture.WarcCaptureExtension": 100,
    "crawler.extensions.source_runs.SourceRunsExtension": 200,
    "crawler.extensions.progress.ProgressExtension": 300,
    "crawler.extensions.reactor_lag.ReactorLagExtension": 400,
    "crawler.distributed.SharedFrontierExtension": 500,
}
ITEM_PIPELINES = {
    "crawler.pipelines.sanitize.SanitizeHtmlPipeline": 100,
    "crawler.pipelines.content_hash.ContentHashPipeline": 200,
    "crawler.pipelines.images.ImageArchivePipeline": 300,
    "crawler.pipelines.index_store.IndexStorePipeline": 900,
}
# Archive each post's pictures into the media store and rewrite its <img> (ImageArchivePipeline).
IMAGE_ARCHIVE_ENABLED = True
# Media root: a directory, or s3://bucket/prefix (boto3, AWS_* environment); empty means DATA/media.
IMAGE_ARCHIVE_STORE = ""
# Public URL of the media root in published HTML ("/media/" as `feedarchiver serve` serves it).
IMAGE_ARCHIVE_BASE_URL = "/media/"
# Bytes per picture; a bigger one is not fetched to the end and stays at its original URL.
IMAGE_ARCHIVE_MAX_BYTES = 10 * 1024 * 1024
# Pictures archived per post; the rest stay at their original URLs.
IMAGE_ARCHIVE_MAX_PER_POST = 50
# Picture types kept, as identified from the bytes (SVG is never kept: it can carry scripts).
IMAGE_ARCHIVE_TYPES = ["jpeg", "png", "gif", "webp"]
# Seconds before a picture download is abandoned.
IMAGE_ARCHIVE_TIMEOUT = 20.0
# sha256 of stock "not allowed" pictures that hotlink-protected CDNs send instead of the real one.
IMAGE_ARCHIVE_PLACEHOLDERS: list[str] = []
# Worker processes for article extraction ("auto": one per core beyond the reactor's; 0: in-process).
EXTRACT_WORKERS = "auto"
# Share the frontier with other crawler processes under this job name (scrapy-redis; empty: alone).
FRONTIER_JOB = ""
# Seconds a shared job's Redis keys live after a process of it finishes.
FRONTIER_TTL = 86400
# Measure how long CPU work keeps the reactor from its event loop (ReactorLagExtension; cheap).
REACTOR_LAG_ENABLED = True
# Seconds between progress lines on a terminal (ProgressExtension); 0 turns them off.
PROGRESS_INTERVAL = 2.0
# Per-source counts (posts, errors) under the progress line (`crawl --progress-sources`).
PROGRESS_SOURCES = False

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("FEEDARCHIVER_LOG_LEVEL", "INFO")
# Scrapy's own periodic "Crawled N pages" line is replaced by ProgressExtension on terminals.
LOGSTATS_INTERVAL = 60.0


def data_dir(settings_value: str) -> Path:
    """The data directory a setting names, made absolute."""
    return Path(settings_value or "data").expanduser().resolve()
