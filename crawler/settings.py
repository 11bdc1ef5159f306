"""Scrapy settings for feedarchiver. Every custom setting has a one-line comment.

The configuration itself (the TOML file's [settings]) reaches a crawl through the add-on in
crawler/addon.py, for `feedarchiver crawl` and `scrapy crawl` alike; the settings it applies are
listed (not set) below, since a value set here would win over the add-on's.
"""

from __future__ import annotations

import os

BOT_NAME = "feedarchiver"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Data directory (WARCs, index, feeds); the CLI's --data, else $FEEDARCHIVER_DATA, else ./data.
FEEDARCHIVER_DATA = os.environ.get("FEEDARCHIVER_DATA", "data")
# Sources TOML; empty means $FEEDARCHIVER_CONFIG or ./feedarchiver.toml (packaged defaults always apply).
FEEDARCHIVER_CONFIG = os.environ.get("FEEDARCHIVER_CONFIG", "")
# Applies the configuration (crawler/addon.py). It sets, from [settings] and the data directory:
# INDEX_URL (the index store), STORY_THRESHOLD, WARC_DIR, WARC_PREFIX, WARC_MAX_SIZE, WARC_OPERATOR,
# WARC_IDLE_TIMEOUT, WACZ_ENABLED, ARCHIVE_UPLOAD_URL, ARCHIVE_DELETE_LOCAL, ARCHIVE_MULTIPART_THRESHOLD,
# S3_ENDPOINT_URL, USER_AGENT, PLAYWRIGHT_LAUNCH_OPTIONS, SOURCE_BLOCK_BACKOFF, IMAGE_ARCHIVE_STORE,
# IMAGE_ARCHIVE_BASE_URL, IMAGE_ARCHIVE_MAX_BYTES, IMAGE_ARCHIVE_MAX_PER_POST, IMAGE_ARCHIVE_TYPES,
# IMAGE_ARCHIVE_TIMEOUT, IMAGE_ARCHIVE_PLACEHOLDERS, SSRF_ALLOW_NETWORKS, SSRF_ALLOW_HOSTS, REDIS_URL,
# FRONTIER_TTL; and, when FRONTIER_JOB is set, scrapy-redis's scheduler (crawler/net/frontier.py).
ADDONS = {"crawler.addon.FeedArchiverAddon": 0}

# Capture every exchange to WARC at the wire (WarcCaptureExtension).
WARC_ENABLED = True
# zlib level of each record's gzip member (warcio's own is 9: slower for little gain).
WARC_GZIP_LEVEL = 6
# Write a payload archived before (any URL, any run) as an identical-payload-digest revisit.
WARC_DEDUPE = True
# Payloads smaller than this many bytes are always stored in full.
WARC_DEDUPE_MIN_SIZE = 1

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

# SSRF guard (crawler/net/ssrf.py): nothing is fetched from loopback, private, link-local, multicast or
# reserved addresses, judged on the resolved address and on every redirect hop, except these.
SSRF_GUARD_ENABLED = True
# Judges every resolved address (Scrapy's caching resolver plus the guard).
TWISTED_DNS_RESOLVER = "crawler.net.ssrf.GuardedResolver"
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
    # Below HttpCompressionMiddleware (590): a 304 is handed on as the archived (decoded) answer it stands for.
    "crawler.middlewares.not_modified.NotModifiedMiddleware": 585,
    # Above HttpCompressionMiddleware (590): the first to see a response, before anything decodes it.
    "crawler.middlewares.incomplete_response.IncompleteResponseMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    # An exception in a callback is counted as an error of its source (then dropped, as Scrapy would).
    "crawler.middlewares.spider_errors.SourceErrorsMiddleware": 50,
}

# Rendering for browser sources (crawler/net/browser.py): plain requests still go through Scrapy's handler.
DOWNLOAD_HANDLERS = {
    "http": "crawler.net.browser.BrowserDownloadHandler",
    "https": "crawler.net.browser.BrowserDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# Chromium's launch options (Debian's Chromium: Playwright's own download cannot work offline) come
# from browser_executable through the add-on.
# Milliseconds a rendered page may take to load.
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
# Pages rendered at once per browser context: Chromium is heavy on a 2-core box.
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4

# Holds every host to CONCURRENT_REQUESTS_PER_DOMAIN, pictures included (crawler/net/downloader.py).
DOWNLOADER = "crawler.net.downloader.Downloader"
EXTENSIONS = {
    "crawler.extensions.warc_capture.WarcCaptureExtension": 100,
    "crawler.extensions.source_runs.SourceRunsExtension": 200,
    "crawler.extensions.progress.ProgressExtension": 300,
    "crawler.extensions.reactor_lag.ReactorLagExtension": 400,
    "crawler.extensions.shared_frontier.SharedFrontierExtension": 500,
}
ITEM_PIPELINES = {
    "crawler.pipelines.sanitize.SanitizeHtmlPipeline": 100,
    "crawler.pipelines.content_hash.ContentHashPipeline": 200,
    "crawler.pipelines.images.ImageArchivePipeline": 300,
    "crawler.pipelines.index_store.IndexStorePipeline": 900,
}
# Archive each post's pictures into the media store and rewrite its <img> (ImageArchivePipeline).
IMAGE_ARCHIVE_ENABLED = True
# Worker processes for article extraction ("auto": one per core beyond the reactor's; 0: in-process).
EXTRACT_WORKERS = "auto"
# Share the frontier with other crawler processes under this job name (scrapy-redis; empty: alone).
FRONTIER_JOB = ""
# Measure how long CPU work keeps the reactor from its event loop (ReactorLagExtension; cheap).
REACTOR_LAG_ENABLED = True
# Seconds between progress lines on a terminal (ProgressExtension); 0 turns them off.
PROGRESS_INTERVAL = 2.0
# Per-source counts (posts, errors) under the progress line (`crawl --progress-sources`).
PROGRESS_SOURCES = False

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# Scrapy's own periodic "Crawled N pages" line is replaced by ProgressExtension on terminals.
LOGSTATS_INTERVAL = 60.0

