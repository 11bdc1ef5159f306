"""Configuration in layers: packaged defaults, then the user's TOML file, then FEEDARCHIVER_* variables.

Sources are data (one ``[sources.NAME]`` table each); global knobs live in ``[settings]``.
Everything is read once into frozen dataclasses that reject contradictions with a clear message.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from lxml import etree

from crawler.content.dates import DEFAULT_TZ, zone
from crawler.content.neardup import DEFAULT_THRESHOLD
from crawler.errors import ConfigError

SOURCE_KINDS = ("feed", "list", "qutoutiao", "zaker")
ImageReferer = Literal["page", "origin", "none"]
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SOURCE_KEYS = {"kind", "urls", "categories", "timezone", "follow_original", "enabled", "browser",
                "image_referer", "title", "aggregator", "prune", "max_pages"}
# Keys only one kind understands: list selectors, Qutoutiao categories, ZAKER channels.
_KIND_KEYS: dict[str, set[str]] = {
    "list": {"item", "item_link", "item_title", "item_date", "item_summary", "next_page"},
    "qutoutiao": {"cids", "page_size"},
    "zaker": {"channels"},
}
_SELECTOR_KEYS = ("item", "item_link", "item_title", "item_date", "item_summary", "next_page")
ENV_PREFIX = "FEEDARCHIVER_"
_BOOLEANS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


@dataclass(frozen=True, kw_only=True)
class SourceConfig:
    """One declared source."""

    name: str
    kind: str
    urls: tuple[str, ...]
    title: str
    categories: tuple[str, ...] = ()
    timezone: str = DEFAULT_TZ
    follow_original: bool = True
    enabled: bool = True
    browser: bool = False
    image_referer: ImageReferer = "page"
    aggregator: bool = False  # its pages are copies of other publishers' stories, linked or not
    prune: tuple[str, ...] = ()  # XPath of page blocks to delete before extraction
    max_pages: int = 3  # list pages (next_page) or API pages (min_time) read per crawl
    selectors: ListSelectors | None = None  # kind "list" only
    cids: tuple[int, ...] = ()  # kind "qutoutiao": category ids (7 科技, 1 热点, ...)
    page_size: int = 20  # kind "qutoutiao": items per API page
    channels: tuple[str, ...] = ()  # kind "zaker": channel ids


@dataclass(frozen=True, kw_only=True)
class ListSelectors:
    """Where the posts are on a list page: CSS (``li.news``, ``a::attr(href)``) or XPath (``//li``).

    ``item`` selects each post's block; the others are evaluated inside it (``next_page`` on the page).
    An expression that starts with ``/``, ``./``, ``(`` or ``..`` is XPath, anything else CSS.
    """

    item: str
    item_link: str = "a"
    item_title: str | None = None  # default: the link's text
    item_date: str | None = None
    item_summary: str | None = None
    next_page: str | None = None


def is_xpath(expression: str) -> bool:
    return expression.lstrip().startswith(("/", "./", "(", ".."))


def _check_selector(where: str, key: str, expression: Any) -> str:
    from parsel.csstranslator import css2xpath  # parsel comes with Scrapy

    if not isinstance(expression, str) or not expression.strip():
        raise ConfigError(f"{where}: {key} must be a CSS selector or an XPath expression")
    try:
        etree.XPath(expression if is_xpath(expression) else css2xpath(expression))
    except etree.XPathSyntaxError as exc:
        raise ConfigError(f"{where}: {key} {expression!r} is not valid XPath: {exc}") from None
    except Exception as exc:  # cssselect raises its own SelectorSyntaxError / ExpressionError
        raise ConfigError(f"{where}: {key} {expression!r} is not a valid CSS selector: {exc}") from None
    return expression


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Global settings (the ``[settings]`` table, overridable as FEEDARCHIVER_<KEY>)."""

    index_url: str = ""  # empty: sqlite:///DATA/index.sqlite3
    story_threshold: float = DEFAULT_THRESHOLD  # similarity (0..1) from which two posts are one story
    feed_length: int = 50  # entries per Atom document
    feed_title: str = "feedarchiver"
    tag_authority: str = "feedarchiver.invalid"  # tag: URI authority (RFC 4151) of entry and feed ids
    tag_date: str = "2026"
    public_base_url: str = ""  # where `serve` or a web server publishes DATA/, for self links
    # Where entries' snapshot links point: a Wayback-style replay, BASE/TIMESTAMP/URL (a pywb collection,
    # say). Empty: `serve`'s own /web/ under public_base_url (relative to each feed without one).
    replay_base_url: str = ""
    user_agent: str = "feedarchiver/0.1 (+https://github.com/feedarchiver/feedarchiver)"
    warc_prefix: str = "feedarchiver"
    warc_max_size: int = 1_000_000_000  # bytes before a WARC file rolls over
    warc_idle_timeout: int = 600  # seconds without a record before the open WARC is finished
    operator: str = ""
    hexo: bool = True  # also write DATA/hexo/_posts/*.md in the seed blog's format
    hexo_image_proxy: str = ""  # e.g. "https://cors.example.workers.dev/?": Hexo images through a proxy
    websub_hub: str = ""  # a WebSub hub to announce changed feeds to (needs public_base_url)
    browser_executable: str = "/usr/bin/chromium"  # Chromium for sources with browser = true
    block_backoff: int = 3600  # seconds a source blocked by a WAF waits, doubled per block in a row
    media_store: str = ""  # where pictures are stored: empty = DATA/media; or s3://bucket/prefix
    # Where published HTML points archived pictures; empty: public_base_url + "/media/", else "/media/".
    media_base_url: str = ""
    image_max_bytes: int = 10 * 1024 * 1024  # bytes per picture
    image_max_per_post: int = 50  # pictures archived per post
    image_types: tuple[str, ...] = ("jpeg", "png", "gif", "webp")  # as identified from the bytes
    image_timeout: int = 20  # seconds per picture download
    image_placeholders: tuple[str, ...] = ()  # sha256 of stock "not allowed" pictures of hotlinked CDNs
    wacz: bool = True  # package each crawl into DATA/wacz/*.wacz
    archive_url: str = ""  # upload finished WARC/CDXJ/WACZ to s3://BUCKET/PREFIX (or file:///DIR)
    archive_delete_local: bool = False  # delete local copies once their upload is checked
    archive_multipart_threshold: int = 64 * 1024 * 1024  # bytes above which S3 uploads are multipart
    feeds_store: str = ""  # also publish DATA/feeds and DATA/hexo to s3://BUCKET/PREFIX after each export
    s3_endpoint_url: str = ""  # an S3-compatible store's endpoint; credentials only from AWS_* variables
    redis_url: str = ""  # redis://HOST:PORT/DB: crawls given a --job share one frontier there (scrapy-redis)
    redis_job_ttl: int = 86400  # seconds a shared crawl's Redis keys live after its last process ends
    schedule_store_url: str = ""  # the daemon's job store; empty: sqlite:///DATA/schedules.sqlite3
    schedule_store_table: str = "feedarchiver_jobs"  # its table (one daemon per job store and table)
    daemon_max_crawls: int = 2  # crawl subprocesses the daemon runs at once
    daemon_stop_timeout: int = 60  # seconds a crawl gets to stop cleanly after SIGTERM before SIGKILL
    crawl_timeout: int = 3600  # seconds before a scheduled crawl is stopped (a schedule's `timeout` wins)
    # SSRF guard holes: nothing is fetched from loopback/private/link-local/multicast/reserved addresses
    # except these networks (CIDR, e.g. "10.1.0.0/16") and host:port pairs (e.g. "127.0.0.1:8080").
    allow_networks: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()

    @property
    def media_url(self) -> str:
        """The public URL of DATA/media, ending in a slash."""
        if self.media_base_url:
            return self.media_base_url.rstrip("/") + "/"
        return f"{self.public_base_url.rstrip('/')}/media/" if self.public_base_url else "/media/"

    @property
    def replay_url(self) -> str:
        """Where snapshot links point, ending in a slash; empty when they are relative to each feed."""
        if self.replay_base_url:
            return self.replay_base_url.rstrip("/") + "/"
        return f"{self.public_base_url.rstrip('/')}/web/" if self.public_base_url else ""


@dataclass(frozen=True)
class AppConfig:
    settings: Settings
    sources: dict[str, SourceConfig] = field(default_factory=dict)
    path: Path | None = None
    schedules: tuple[dict[str, Any], ...] = ()  # raw [[schedules]] tables; schedules.spec checks them

    def select(self, names: list[str] | None = None, *, all_enabled: bool = False) -> list[SourceConfig]:
        """The sources to crawl: the named ones (unknown names are an error), or every enabled one."""
        if names:
            unknown = [n for n in names if n not in self.sources]
            if unknown:
                known = ", ".join(sorted(self.sources)) or "none"
                raise ConfigError(f"unknown source(s): {', '.join(unknown)} (configured: {known})")
            return [self.sources[n] for n in names]
        if all_enabled:
            return [s for s in self.sources.values() if s.enabled]
        raise ConfigError("name at least one source, or pass --all")


def data_dir(value: str | Path | None = None) -> Path:
    """The data directory: the value given (``--data``), else ``$FEEDARCHIVER_DATA``, else ``./data``; absolute."""
    return Path(value or os.environ.get(ENV_PREFIX + "DATA") or "data").expanduser().resolve()


@dataclass(frozen=True)
class Workspace:
    """A data directory under a configuration. Every location and URL that follows from the two is
    resolved here and nowhere else: the CLI, the crawl's Scrapy add-on, the exporters, the daemon and
    the web server all ask a Workspace."""

    app: AppConfig
    data: Path

    @classmethod
    def of(cls, app: AppConfig, data: str | Path | None = None) -> Workspace:
        return cls(app, data_dir(data))

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def index_url(self) -> str:
        """The configured index store, else DATA/index.sqlite3."""
        return self.settings.index_url or f"sqlite:///{self.data / 'index.sqlite3'}"

    @property
    def has_index(self) -> bool:
        """Whether there is an index to read (reading must not create one): a configured store, or the file."""
        return bool(self.settings.index_url) or (self.data / "index.sqlite3").exists()

    @property
    def schedule_store_url(self) -> str:
        """The daemon's job store: the configured one, else DATA/schedules.sqlite3."""
        return self.settings.schedule_store_url or f"sqlite:///{self.data / 'schedules.sqlite3'}"

    @property
    def media_store(self) -> str:
        """Where pictures are stored: the configured s3:// URL, else DATA/media."""
        return self.settings.media_store or str(self.data / "media")

    @property
    def warc_dir(self) -> Path:
        return self.data / "warc"

    @property
    def feeds_dir(self) -> Path:
        return self.data / "feeds"

    @property
    def logs_dir(self) -> Path:
        return self.data / "logs"


def default_config_path() -> Path | None:
    """``$FEEDARCHIVER_CONFIG``, else ``./feedarchiver.toml`` when it exists."""
    if env := os.environ.get(ENV_PREFIX + "CONFIG"):
        return Path(env)
    local = Path("feedarchiver.toml")
    return local if local.exists() else None


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> AppConfig:
    """Read the layers. An explicitly named file that does not exist is an error, not an empty config."""
    env = dict(os.environ) if env is None else env
    defaults = tomllib.loads(resources.files("crawler").joinpath("defaults.toml").read_text("utf-8"))
    chosen = Path(path) if path else default_config_path()
    user: dict[str, Any] = {}
    if chosen is not None:
        try:
            user = tomllib.loads(chosen.read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {chosen}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {chosen}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {chosen} is not valid TOML: {exc}") from None
    unknown_tables = set(user) - {"settings", "sources", "schedules"}
    if unknown_tables:
        raise ConfigError(f"{chosen}: unknown table(s) {sorted(unknown_tables)}; "
                          "expected [settings], [sources.NAME], [[schedules]]")
    schedules = user.get("schedules", [])
    if not isinstance(schedules, list) or not all(isinstance(t, dict) for t in schedules):
        raise ConfigError(f"{chosen}: schedules must be [[schedules]] tables")
    settings = _settings({**defaults.get("settings", {}), **user.get("settings", {})}, env)
    sources: dict[str, SourceConfig] = {}
    layers: list[tuple[dict[str, Any], str]] = [(defaults, "packaged defaults")]
    if chosen is None:
        # No config file: the packaged real-world sources, so a first crawl gets real feeds at once.
        layers.append((tomllib.loads(default_sources_path().read_text("utf-8")), "packaged sources.toml"))
    layers.append((user, str(chosen)))
    for layer, origin in layers:
        for name, table in layer.get("sources", {}).items():
            sources[name] = _source(name, table, origin)
    return AppConfig(settings=settings, sources=sources, path=chosen, schedules=tuple(schedules))


def default_sources_path() -> Path:
    """The packaged real-world sources (used when there is no config file; a template to copy)."""
    return Path(str(resources.files("crawler").joinpath("sources.toml")))


def _settings(table: dict[str, Any], env: dict[str, str]) -> Settings:
    known = {f.name: f for f in Settings.__dataclass_fields__.values()}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"unknown setting {key!r} in [settings]; known: {', '.join(sorted(known))}")
        values[key] = value
    for key in known:
        raw = env.get(ENV_PREFIX + key.upper())
        if raw is not None:
            # A list setting comes from the environment comma-separated.
            is_list = isinstance(getattr(Settings(), key), tuple)
            values[key] = [part.strip() for part in raw.split(",") if part.strip()] if is_list else raw
    for key, value in list(values.items()):
        expected = type(getattr(Settings(), key))
        if expected is bool and isinstance(value, str):
            if value.strip().lower() not in _BOOLEANS:
                raise ConfigError(f"setting {key} must be true or false, not {value!r}")
            values[key] = _BOOLEANS[value.strip().lower()]
        elif expected is int and isinstance(value, str):
            try:
                values[key] = int(value)
            except ValueError:
                raise ConfigError(f"setting {key} must be a whole number, not {value!r}") from None
        elif expected is tuple:
            if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
                raise ConfigError(f"setting {key} must be a list of strings, not {value!r}")
            values[key] = tuple(value)
        elif expected is float and isinstance(value, str | int) and not isinstance(value, bool):
            try:
                values[key] = float(value)
            except ValueError:
                raise ConfigError(f"setting {key} must be a number, not {value!r}") from None
        elif not isinstance(values[key], expected) or (expected is int and isinstance(values[key], bool)):
            raise ConfigError(f"setting {key} must be a {expected.__name__}, not {value!r}")
    settings = Settings(**values)
    from crawler.net.policy import AddressPolicy

    AddressPolicy.parse(settings.allow_networks, settings.allow_hosts)  # a malformed entry: ConfigError
    if settings.feed_length < 1:
        raise ConfigError("setting feed_length must be at least 1")
    if settings.replay_base_url and urlsplit(settings.replay_base_url).scheme not in ("http", "https"):
        raise ConfigError(f"setting replay_base_url must be an http(s) URL, not {settings.replay_base_url!r}")
    _check_image_settings(settings)
    if settings.warc_idle_timeout < 0:
        raise ConfigError("setting warc_idle_timeout must not be negative (0 turns it off)")
    if settings.archive_url and urlsplit(settings.archive_url).scheme not in ("s3", "file"):
        raise ConfigError(f"archive_url must be s3://BUCKET/PREFIX or file:///DIR, not {settings.archive_url!r}")
    if settings.archive_delete_local and not settings.archive_url:
        raise ConfigError("archive_delete_local needs archive_url: files are only deleted once uploaded")
    for key in ("daemon_max_crawls", "daemon_stop_timeout", "crawl_timeout"):
        if getattr(settings, key) < 1:
            raise ConfigError(f"setting {key} must be at least 1")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", settings.schedule_store_table):
        raise ConfigError(f"setting schedule_store_table must be a plain SQL table name, "
                          f"not {settings.schedule_store_table!r}")
    if settings.schedule_store_url and urlsplit(settings.schedule_store_url).scheme.split("+")[0] not in (
            "sqlite", "postgresql"):
        raise ConfigError(f"schedule_store_url must be sqlite:///… or postgresql://…, "
                          f"not {settings.schedule_store_url!r}")
    if not 0 < settings.story_threshold <= 1:
        raise ConfigError(f"setting story_threshold must be above 0 and at most 1, not {settings.story_threshold}")
    if settings.feeds_store and not (urlsplit(settings.feeds_store).scheme == "file" or (
            urlsplit(settings.feeds_store).scheme == "s3" and urlsplit(settings.feeds_store).netloc)):
        raise ConfigError(f"feeds_store must be s3://BUCKET/PREFIX or file:///DIR, not {settings.feeds_store!r}")
    if settings.redis_url and urlsplit(settings.redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"redis_url must be redis://HOST:PORT/DB, not {settings.redis_url!r}")
    if settings.redis_job_ttl < 1:
        raise ConfigError("setting redis_job_ttl must be at least 1")
    if settings.index_url and urlsplit(settings.index_url).scheme.split("+")[0] not in ("sqlite", "postgresql"):
        raise ConfigError(f"index_url must be sqlite:///… or postgresql://…, not {settings.index_url!r}")
    return settings


def _check_image_settings(settings: Settings) -> None:
    from crawler.content.images import IMAGE_TYPES

    for key in ("image_max_bytes", "image_timeout"):
        if getattr(settings, key) < 1:
            raise ConfigError(f"setting {key} must be at least 1")
    if settings.image_max_per_post < 0:
        raise ConfigError("setting image_max_per_post must not be negative")
    unknown = sorted(set(settings.image_types) - IMAGE_TYPES)
    if unknown:
        raise ConfigError(f"setting image_types: unknown {', '.join(unknown)}; known: {', '.join(sorted(IMAGE_TYPES))}")
    for digest in settings.image_placeholders:
        if not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
            raise ConfigError(f"setting image_placeholders: {digest!r} is not a sha256 in hex")
    base = settings.media_base_url
    if base and not base.startswith("/") and urlsplit(base).scheme not in ("http", "https"):
        raise ConfigError(f"setting media_base_url must be an http(s) URL or a path from /, not {base!r}")
    store = settings.media_store
    if store.startswith("s3://"):
        if not urlsplit(store).netloc:
            raise ConfigError(f"setting media_store must name a bucket: s3://BUCKET/PREFIX, not {store!r}")
        if not (base or settings.public_base_url):
            raise ConfigError("setting media_store is on S3: set media_base_url to where the bucket is published")
    elif "://" in store:
        raise ConfigError(f"setting media_store must be a directory or s3://BUCKET/PREFIX, not {store!r}")


def _source(name: str, table: Any, origin: str) -> SourceConfig:
    where = f"[sources.{name}] in {origin}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    if not _NAME.match(name):
        raise ConfigError(f"{where}: a source name is lower-case letters, digits, '-' and '_'")
    kind = table.get("kind")
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(SOURCE_KINDS)}, not {kind!r}")
    allowed = _SOURCE_KEYS | _KIND_KEYS.get(kind, set())
    unknown = set(table) - allowed
    if unknown:
        others = {k for other, keys in _KIND_KEYS.items() if other != kind for k in keys} & unknown
        hint = f" ({', '.join(sorted(others))} belong to another kind)" if others else ""
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)} for kind {kind}{hint}; "
                          f"known: {', '.join(sorted(allowed))}")
    urls = table.get("urls")
    if isinstance(urls, str):
        urls = [urls]
    if not urls or not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ConfigError(f"{where}: urls must be a non-empty list of URLs")
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ConfigError(f"{where}: {url!r} is not an http(s) URL")
    categories = table.get("categories", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ConfigError(f"{where}: categories must be a list of strings (group, source, channel)")
    from crawler.content.sanitize import sanitise_text

    # Categories name feed files and land in titles and Hexo front matter: plain text, one line.
    categories = [sanitise_text(c) for c in categories]
    if not all(categories):
        raise ConfigError(f"{where}: a category is empty once markup and control characters are removed")
    tz = table.get("timezone", DEFAULT_TZ)
    if not isinstance(tz, str) or zone(tz).__class__.__name__ != "ZoneInfo" or str(zone(tz)) != tz:
        raise ConfigError(f"{where}: unknown timezone {tz!r}")
    referer = table.get("image_referer", "page")
    if referer not in ("page", "origin", "none"):
        raise ConfigError(f"{where}: image_referer must be page, origin or none, not {referer!r}")
    flags = {key: table.get(key, default) for key, default in
             (("follow_original", True), ("enabled", True), ("browser", False), ("aggregator", False))}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {key} must be true or false")
    prune = table.get("prune", [])
    if not isinstance(prune, list) or not all(isinstance(x, str) for x in prune):
        raise ConfigError(f"{where}: prune must be a list of XPath expressions")
    for expression in prune:
        try:
            etree.XPath(expression)
        except etree.XPathSyntaxError as exc:
            raise ConfigError(f"{where}: prune {expression!r} is not valid XPath: {exc}") from None
    return SourceConfig(
        name=name, kind=kind, urls=tuple(urls), title=str(table.get("title") or name),
        categories=tuple(categories), timezone=tz, image_referer=referer, prune=tuple(prune),
        max_pages=_positive(where, table, "max_pages", 3), **flags, **_kind_fields(where, kind, table),
    )


def _positive(where: str, table: dict[str, Any], key: str, default: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{where}: {key} must be a whole number of at least 1, not {value!r}")
    return value


def _kind_fields(where: str, kind: str, table: dict[str, Any]) -> dict[str, Any]:
    if kind == "list":
        if "item" not in table:
            raise ConfigError(f"{where}: a list source needs `item`, the selector of each post on the page")
        values = {key: _check_selector(where, key, table[key]) for key in _SELECTOR_KEYS if key in table}
        return {"selectors": ListSelectors(**values)}
    if kind == "qutoutiao":
        cids = table.get("cids")
        if not isinstance(cids, list) or not cids or not all(isinstance(c, int) and c >= 0 for c in cids):
            raise ConfigError(f"{where}: cids must be a non-empty list of category ids, e.g. [7] for 科技")
        page_size = _positive(where, table, "page_size", 20)
        return {"cids": tuple(cids), "page_size": page_size}
    if kind == "zaker":
        channels = table.get("channels")
        if isinstance(channels, list):
            channels = [str(c) if isinstance(c, int) else c for c in channels]
        if (not isinstance(channels, list) or not channels
                or not all(isinstance(c, str) and re.fullmatch(r"[0-9A-Za-z_-]+", c) for c in channels)):
            raise ConfigError(f"{where}: channels must be a non-empty list of ZAKER channel ids, e.g. [\"660\"]")
        return {"channels": tuple(channels)}
    return {}
