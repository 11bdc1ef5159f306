"""The Scrapy add-on that applies feedarchiver's configuration to a crawl.

`feedarchiver crawl` and the plain `FEEDARCHIVER_CONFIG=f.toml scrapy crawl KIND -a sources=NAME` get
the same crawl: both name the data directory and the config file (FEEDARCHIVER_DATA and
FEEDARCHIVER_CONFIG, from the CLI or the environment), and this add-on turns the TOML `[settings]`
into the component settings below (SSRF allow-list, User-Agent, WARC, picture limits, the index …).
It runs before the crawler process exists (``update_pre_crawler_settings``), because Scrapy builds
the DNS resolver, and so the SSRF guard's allow-list, from the process's settings, not a crawler's.

Priority "addon": above Scrapy's defaults, below the project's settings.py (which therefore does not
set these), a spider's custom_settings and `-s NAME=VALUE` on the command line.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings

from crawler.config import Workspace, load_config
from crawler.errors import ConfigError

# What settings.py launches Chromium with, besides the configured executable (browser_executable).
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def crawl_settings(workspace: Workspace) -> dict[str, Any]:
    """The Scrapy settings a crawl takes from a configuration and its data directory."""
    s = workspace.settings
    return {
        "FEEDARCHIVER_DATA": str(workspace.data),
        "FEEDARCHIVER_CONFIG": str(workspace.app.path) if workspace.app.path else "",
        "INDEX_URL": workspace.index_url,
        "STORY_THRESHOLD": s.story_threshold,
        "WARC_DIR": str(workspace.warc_dir),
        "WARC_PREFIX": s.warc_prefix,
        "WARC_MAX_SIZE": s.warc_max_size,
        "WARC_OPERATOR": s.operator,
        "WARC_IDLE_TIMEOUT": float(s.warc_idle_timeout),
        "WACZ_ENABLED": s.wacz,
        "ARCHIVE_UPLOAD_URL": s.archive_url,
        "ARCHIVE_DELETE_LOCAL": s.archive_delete_local,
        "ARCHIVE_MULTIPART_THRESHOLD": s.archive_multipart_threshold,
        "S3_ENDPOINT_URL": s.s3_endpoint_url,
        "USER_AGENT": s.user_agent,
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": s.browser_executable, "headless": True,
                                      "args": list(BROWSER_ARGS)},
        "SOURCE_BLOCK_BACKOFF": s.block_backoff,
        "IMAGE_ARCHIVE_STORE": workspace.media_store,
        "IMAGE_ARCHIVE_BASE_URL": s.media_url,
        "IMAGE_ARCHIVE_MAX_BYTES": s.image_max_bytes,
        "IMAGE_ARCHIVE_MAX_PER_POST": s.image_max_per_post,
        "IMAGE_ARCHIVE_TYPES": list(s.image_types),
        "IMAGE_ARCHIVE_TIMEOUT": float(s.image_timeout),
        "IMAGE_ARCHIVE_PLACEHOLDERS": list(s.image_placeholders),
        "SSRF_ALLOW_NETWORKS": list(s.allow_networks),
        "SSRF_ALLOW_HOSTS": list(s.allow_hosts),
        "REDIS_URL": s.redis_url,
        "FRONTIER_TTL": s.redis_job_ttl,
    }


def apply(settings: BaseSettings) -> None:
    """Load the configuration the settings name and apply it (at most once per settings object)."""
    if settings.getbool("FEEDARCHIVER_APPLIED"):
        return
    app = load_config(settings.get("FEEDARCHIVER_CONFIG") or None)
    workspace = Workspace.of(app, settings.get("FEEDARCHIVER_DATA") or None)
    values = crawl_settings(workspace)
    if job := settings.get("FRONTIER_JOB"):
        if not app.settings.redis_url:
            raise ConfigError("--job shares a crawl through Redis: set redis_url in [settings]")
        from crawler.net import frontier

        values.update(frontier.scrapy_settings(job))
    for name, value in values.items():
        settings.set(name, value, priority="addon")
    settings.set("FEEDARCHIVER_APPLIED", True, priority="addon")


class FeedArchiverAddon:
    @classmethod
    def update_pre_crawler_settings(cls, settings: BaseSettings) -> None:
        apply(settings)

    def update_settings(self, settings: BaseSettings) -> None:
        apply(settings)  # a crawler made without a CrawlerProcess (tests) has not seen the hook above


def required(settings: BaseSettings, name: str) -> str:
    """A setting the add-on provides; a component built without it is switched off with why."""
    value = settings.get(name)
    if not value:
        raise NotConfigured(f"{name} is not set: enable the add-on crawler.addon.FeedArchiverAddon (ADDONS)")
    return str(value)
