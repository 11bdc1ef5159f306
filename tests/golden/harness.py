"""Run one golden case: a saved response through the WAF check and one spider callback, as JSON.

A case directory (``tests/golden/<spider>/<case>/``) holds ``case.json`` (the source, the request,
the response's URL, status and headers, the callback and its arguments, the clock) and ``body`` (the
saved bytes exactly as served). ``expected.json`` is what the spider makes of it: items, follow-up
requests, and the source's counters. ``regenerate.py`` writes all three; the test compares.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import tempfile
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.config import SourceConfig, load_config
from crawler.demoweb.server import sources_template
from crawler.exceptions import WafChallenge
from crawler.items import PostItem
from crawler.middlewares.waf_challenge import WafChallengeMiddleware
from crawler.spiders.base import EntryContext, SourceSpider

GOLDEN_DIR = Path(__file__).parent
# Stable origins for the demo hosts, so saved pages and expectations do not depend on ports.
ORIGINS = {host: f"http://{host}.demoweb.test" for host in
           ("qutoutiao", "zaker", "cyol", "gbknews", "img", "broken", "kuaixun")}
NOW = "2026-11-28T12:00:00+00:00"  # the fixed clock for year-less and relative dates


def render(text: str) -> str:
    for host, origin in ORIGINS.items():
        text = text.replace("{{host:" + host + "}}", origin)
    # The demo's allow_hosts list names every host:port; nothing is fetched here, any port will do.
    netlocs = ", ".join(f'"{origin.removeprefix("http://")}:80"' for origin in ORIGINS.values())
    return text.replace('"{{demo_netlocs}}"', netlocs)


def base_url(host: str) -> str:
    return ORIGINS[host]


def golden_sources() -> dict[str, SourceConfig]:
    """The demo web's sources, at the stable origins."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sources.toml"
        path.write_text(render(sources_template()), encoding="utf-8")
        return load_config(path, env={}).sources


def spider_classes() -> dict[str, type[SourceSpider]]:
    """Every registered source spider by name (what `scrapy list` shows)."""
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    return {name: loader.load(name) for name in loader.list()}


def _entry_from_json(data: dict[str, Any]) -> EntryContext:
    values = dict(data)
    for key in ("published", "updated"):
        if values.get(key):
            values[key] = datetime.fromisoformat(values[key])
    if values.get("categories") is not None:
        values["categories"] = tuple(values["categories"])
    return EntryContext(**values)


def _json_value(value: Any) -> Any:
    if isinstance(value, EntryContext):
        return {f.name: _json_value(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_json_value(v) for v in value]
    return value


def cb_kwargs_to_json(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: _json_value(v) for k, v in kwargs.items() if k != "source"}


def cb_kwargs_from_json(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: _entry_from_json(v) if k == "entry" else v for k, v in kwargs.items()}


def _output(obj: Any) -> dict[str, Any]:
    if isinstance(obj, PostItem):
        item = asdict(obj)
        item.pop("captures")
        return {"item": {k: _json_value(v) for k, v in item.items()}}
    if isinstance(obj, Request):
        callback = getattr(obj.callback, "__name__", str(obj.callback))
        return {"request": obj.url, "callback": callback, "render": bool(obj.meta.get("playwright")),
                "cb_kwargs": cb_kwargs_to_json(obj.cb_kwargs)}
    raise TypeError(f"unexpected spider output {obj!r}")


def run_case(case_dir: Path) -> dict[str, Any]:
    """What the spider makes of the saved response: {"outputs": [...], "stats": {...}}."""
    case = json.loads((case_dir / "case.json").read_text("utf-8"))
    spider_cls = spider_classes()[case_dir.parent.name]
    source = golden_sources()[case["source"]]
    crawler = get_crawler(spider_cls, {"FEEDARCHIVER_CONFIG": "", "LOG_LEVEL": "WARNING", "EXTRACT_WORKERS": 0})
    spider = spider_cls.from_crawler(crawler, sources=[source])
    crawler.spider = spider
    now = datetime.fromisoformat(case.get("now", NOW))
    spider.clock = lambda: now
    callback = getattr(spider, case["callback"])
    kwargs = {"source": source, **cb_kwargs_from_json(case.get("cb_kwargs", {}))}
    request = Request(case["request"], callback=callback, errback=spider.on_error, cb_kwargs=kwargs,
                      meta={"playwright": True} if case.get("rendered") else {})
    body = (case_dir / "body").read_bytes()
    headers = Headers(case.get("headers", {}))
    response_cls = responsetypes.from_args(headers=headers, url=case["url"], body=body)
    response: Response = response_cls(url=case["url"], status=case.get("status", 200), headers=headers,
                                      body=body, request=request)
    if case.get("rendered"):
        response.meta["rendered"] = True
    outputs: list[Any] = []
    try:
        response = WafChallengeMiddleware(crawler.stats).process_response(request, response)
    except WafChallenge as challenge:
        failure = Failure(challenge)
        failure.request = request  # type: ignore[attr-defined]  # as Scrapy sets it for errbacks
        outputs = list(spider.on_error(failure) or [])
    else:
        outputs = _collect(callback(response, **kwargs))
    prefix = f"source/{source.name}/"
    stats = {k.removeprefix(prefix): v for k, v in sorted(crawler.stats.get_stats().items()) if k.startswith(prefix)}
    return {"outputs": [_output(o) for o in outputs], "stats": stats}


def _collect(result: Any) -> list[Any]:
    """A callback's outputs, whether it is a plain or an async generator (as Scrapy accepts both)."""
    if inspect.isasyncgen(result):
        async def drain() -> list[Any]:
            return [output async for output in result]

        return asyncio.run(drain())
    return list(result or [])
