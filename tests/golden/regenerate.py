"""Regenerate the golden files: save each case's page, then record what the spider makes of it.

    python -m tests.golden.regenerate            # every case
    python -m tests.golden.regenerate zaker      # one spider's cases

This is the only code that would fetch a live site; here it fetches from the demo web, served in
process (no sockets) at stable origins (harness.ORIGINS), and renders the browser source's page in
Chromium through Playwright with every request answered by the demo web. Review the diff of
expected.json before committing it: a change there is a change in what the spiders produce.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from crawler.addon import BROWSER_ARGS
from crawler.config import Settings
from crawler.demoweb.aggregators import QUTOUTIAO_POSTS
from crawler.demoweb.responses import Site
from tests.golden.harness import GOLDEN_DIR, NOW, ORIGINS, base_url, render, run_case


@dataclass(frozen=True)
class Case:
    spider: str
    name: str
    source: str
    url: str  # the request URL; "host:/path?query" at a stable origin
    callback: str
    cb_kwargs: dict[str, Any] = field(default_factory=dict)
    chain: str = ""  # take cb_kwargs from this case's request for `url`
    rendered: bool = False


def _api_list_url(min_time: int | None, page: int) -> str:
    ms = int(datetime.fromisoformat(NOW).timestamp() * 1000)
    query = {"cid": 7, "tn": 1, "page": page, "limit": 2, "user": f"temporary{ms}", "show_time": "",
             "min_time": min_time if min_time is not None else ms, "content_type": 1, "dtu": 200}
    return f"qutoutiao:/content/outList?{urlencode(query)}"


def _published_ms(index: int) -> int:
    """Where a page of two ends: the publish time of the oldest post on it (the next min_time)."""
    return int(datetime.fromisoformat(QUTOUTIAO_POSTS[index].published).timestamp() * 1000)


API = ORIGINS["qutoutiao"] + "/content/outList"
CASES: tuple[Case, ...] = (
    # feed: RSS (gzip-capable), JSON Feed, a truncated feed, a copy, originals in UTF-8 and GBK
    Case("feed", "rss-qutoutiao", "qutoutiao-tech", "qutoutiao:/rss/tech.xml", "parse_feed"),
    Case("feed", "json-feed-cyol", "cyol", "cyol:/feed.json", "parse_feed"),
    Case("feed", "rss-truncated", "qutoutiao-broken", "qutoutiao:/rss/broken.xml", "parse_feed"),
    Case("feed", "copy-qutoutiao", "qutoutiao-tech",
         "qutoutiao:/detail/2026/11/20/1782034561.html?content_id=1782034561&key=7c1e0f9a2b4d4e3f&cid=7",
         "parse_article", chain="rss-qutoutiao"),
    Case("feed", "original-cyol", "qutoutiao-tech", "cyol:/content/2026-11/20/content_38211457.htm",
         "parse_article", chain="copy-qutoutiao"),
    Case("feed", "copy-qutoutiao-gbk", "qutoutiao-tech",
         "qutoutiao:/detail/2026/11/21/1782041178.html?content_id=1782041178&key=d2a94c70be13f58e&cid=7",
         "parse_article", chain="rss-qutoutiao"),
    Case("feed", "original-gbk", "qutoutiao-tech", "gbknews:/news/118734.shtml", "parse_article",
         chain="copy-qutoutiao-gbk"),
    # list: GBK list pages read with XPath, a UTF-8 page that claims gb2312, a soft 404, a JS-only list
    Case("list", "gbknews-page1", "gbknews-list", "gbknews:/list/", "parse_list", {"page": 1}),
    Case("list", "gbknews-page2", "gbknews-list", "gbknews:/list/index_2.shtml", "parse_list",
         chain="gbknews-page1"),
    Case("list", "mislabelled-original", "gbknews-list", "gbknews:/news/118760.shtml", "parse_article",
         chain="gbknews-page1"),
    Case("list", "soft-404", "gbknews-list", "gbknews:/news/118799.shtml", "parse_article", chain="gbknews-page1"),
    Case("list", "js-list-rendered", "cyol-app", "cyol:/app/", "parse_list", {"page": 1}, rendered=True),
    Case("list", "js-list-unrendered", "cyol-app", "cyol:/app/", "parse_list", {"page": 1}),
    # qutoutiao: the list API paged by min_time to its end, detail JSON, the article, a missing detail
    Case("qutoutiao", "list-page1", "qutoutiao-api", _api_list_url(None, 1), "parse_list",
         {"api": API, "cid": 7, "min_time": None, "page": 1}),
    Case("qutoutiao", "list-page2", "qutoutiao-api", _api_list_url(_published_ms(1), 2), "parse_list",
         chain="list-page1"),
    Case("qutoutiao", "list-page3", "qutoutiao-api", _api_list_url(_published_ms(3), 3), "parse_list",
         chain="list-page2"),
    Case("qutoutiao", "list-page4-empty", "qutoutiao-api", _api_list_url(_published_ms(4), 4), "parse_list",
         chain="list-page3"),
    Case("qutoutiao", "detail", "qutoutiao-api", "qutoutiao:/content/getDetail?id=1782061234", "parse_detail",
         chain="list-page1"),
    Case("qutoutiao", "article", "qutoutiao-api", "qutoutiao:/detail/2026/11/23/1782061234.html", "parse_article",
         chain="detail"),
    Case("qutoutiao", "detail-missing", "qutoutiao-api", "qutoutiao:/content/getDetail?id=1", "parse_detail",
         {"entry": {"entry_id": ORIGINS["qutoutiao"] + "/detail/2026/11/24/1.html", "title": "已下线的文章"},
          "article_url": ORIGINS["qutoutiao"] + "/detail/2026/11/24/1.html?content_id=1&key=0&cid=7"}),
    # zaker: the WinPageData channel, an article with a 原文链接, one with a GIF, a removed one, the WAF
    Case("zaker", "channel", "zaker-channel", "zaker:/channel/660", "parse_channel", {"channel": "660"}),
    Case("zaker", "article", "zaker-channel", "zaker:/article/c9aa49c7aae229be7a2f7b0b/", "parse_article",
         chain="channel"),
    Case("zaker", "article-gif", "zaker-channel", "zaker:/article/a4b1110f167de3a84a2b651c/", "parse_article",
         chain="channel"),
    Case("zaker", "removed", "zaker-channel", "zaker:/article/5f2e8c1b9d3a7e6f4b0c2d18/", "parse_article",
         chain="channel"),
    Case("zaker", "waf-challenge", "zaker-blocked", "zaker:/channel/13", "parse_channel", {"channel": "13"}),
)


def absolute(ref: str) -> str:
    host, _, rest = ref.partition(":")
    return ORIGINS[host] + rest


def _site() -> Site:
    return Site(render, base_url)


def fetch(url: str) -> tuple[int, dict[str, list[str]], bytes]:
    """The demo web's answer for an absolute URL at a stable origin (no Accept-Encoding: plain bodies)."""
    parts = urlsplit(url)
    host = next(h for h, origin in ORIGINS.items() if origin == f"{parts.scheme}://{parts.netloc}")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    response = _site().respond(host, target, {})
    headers: dict[str, list[str]] = {}
    for name, value in response.headers:
        headers.setdefault(name, []).append(value)
    return response.status, headers, response.body


async def _render(url: str) -> tuple[str, bytes]:
    """The DOM Chromium builds for a page, every request answered by the demo web in process."""
    from playwright.async_api import Route, async_playwright

    async def answer(route: Route) -> None:
        status, headers, body = fetch(route.request.url)
        await route.fulfill(status=status, headers={k: v[-1] for k, v in headers.items()}, body=body)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=Settings().browser_executable, headless=True,
                                                   args=BROWSER_ARGS)
        try:
            page = await browser.new_page()
            await page.route("**/*", answer)
            await page.goto(url, wait_until="networkidle")
            return page.url, (await page.content()).encode("utf-8")
        finally:
            await browser.close()


def chained_kwargs(case: Case, url: str) -> dict[str, Any]:
    expected = json.loads((GOLDEN_DIR / case.spider / case.chain / "expected.json").read_text("utf-8"))
    for output in expected["outputs"]:
        if output.get("request") == url:
            return dict(output["cb_kwargs"])
    raise SystemExit(f"{case.name}: case {case.chain} asks for no {url}")


def write_case(case: Case) -> None:
    url = absolute(case.url)
    directory = GOLDEN_DIR / case.spider / case.name
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    if case.rendered:
        final_url, body = asyncio.run(_render(url))
        status, headers = 200, {"Content-Type": ["text/html; charset=utf-8"]}
    else:
        final_url = url
        status, headers, body = fetch(url)
    kwargs = chained_kwargs(case, url) if case.chain else case.cb_kwargs
    meta = {"source": case.source, "request": url, "url": final_url, "status": status, "headers": headers,
            "callback": case.callback, "cb_kwargs": kwargs, "now": NOW, "rendered": case.rendered}
    (directory / "case.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (directory / "body").write_bytes(body)
    result = run_case(directory)
    (directory / "expected.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
    print(f"{case.spider}/{case.name}: {len(result['outputs'])} outputs, {len(result['stats'])} counters")


def main(argv: list[str]) -> int:
    wanted = set(argv)
    for case in CASES:  # in order: a chained case reads the expectations of the case before it
        if not wanted or case.spider in wanted or case.name in wanted:
            write_case(case)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
