"""Bad input to the new spiders is a clear, counted error per source, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares.spider_errors import SourceErrorsMiddleware
from crawler.spiders.base import SourceSpider
from tests.golden.harness import golden_sources, spider_classes

SOURCES = golden_sources()


def make_spider(kind: str, source: str) -> SourceSpider:
    cls = spider_classes()[kind]
    crawler = get_crawler(cls, {"FEEDARCHIVER_CONFIG": "", "LOG_LEVEL": "WARNING"})
    spider = cls.from_crawler(crawler, sources=[SOURCES[source]])
    crawler.spider = spider
    spider.clock = lambda: datetime(2026, 11, 28, 12, tzinfo=UTC)
    return spider


def run(spider: SourceSpider, callback: str, body: bytes, url: str, html: bool = False,
        **kwargs: Any) -> tuple[list[Any], dict[str, Any]]:
    source = spider.sources[0]
    request = Request(url, cb_kwargs={"source": source, **kwargs})
    cls = HtmlResponse if html else TextResponse
    content_type = "text/html" if html else "application/json"
    response = cls(url, body=body, request=request, headers={"Content-Type": content_type})
    outputs = list(getattr(spider, callback)(response, source=source, **kwargs) or [])
    prefix = f"source/{source.name}/"
    stats = {k.removeprefix(prefix): v for k, v in spider.crawler.stats.get_stats().items() if k.startswith(prefix)}
    return outputs, stats


API = "http://qutoutiao.demoweb.test/content/outList"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<html>502 Bad Gateway</html>", "api_malformed"),
        (b"[1, 2]", "api_malformed"),
        (b'{"code": 0, "data": {"min_time": 1}}', "api_malformed"),
        (b'{"code": 401, "message": "\\u9700\\u8981\\u767b\\u5f55"}', "api_error"),
        (b'{"code": 0, "data": {"min_time": 1, "data": [{"id": 1, "title": "no url"}]}}', "entry_without_link"),
    ],
)
def test_qutoutiao_list_api_bad_answers(body: bytes, error: str) -> None:
    spider = make_spider("qutoutiao", "qutoutiao-api")
    outputs, stats = run(spider, "parse_list", body, API + "?cid=7", api=API, cid=7, min_time=None, page=1)
    assert [o for o in outputs if "/content/outList" not in o.url] == []  # paging may go on, nothing else
    assert stats[f"error/{error}"] == 1 and stats["errors"] == 1


def test_qutoutiao_paging_stops_when_min_time_does_not_move_back() -> None:
    spider = make_spider("qutoutiao", "qutoutiao-api")
    post = b'{"id": 1, "url": "http://qutoutiao.demoweb.test/detail/1.html?key=x", "publish_time": 1795800000000}'
    body = b'{"code": 0, "data": {"min_time": 1795800000000, "data": [' + post + b"]}}"
    outputs, _ = run(spider, "parse_list", body, API, api=API, cid=7, min_time=1795800000000, page=2)
    assert [o.url for o in outputs] == ["http://qutoutiao.demoweb.test/detail/1.html?key=x"]  # no next page


@pytest.mark.parametrize(
    "body",
    [b"<html><body>no data here</body></html>",
     b"<script>window.WinPageData = {\"data\": {\"article\": [</script>",
     b"<script>window.WinPageData = {\"data\": {\"article\": \"none\"}};</script>"],
)
def test_zaker_channel_without_usable_win_page_data(body: bytes) -> None:
    spider = make_spider("zaker", "zaker-channel")
    outputs, stats = run(spider, "parse_channel", body, "http://zaker.demoweb.test/channel/660", html=True,
                         channel="660")
    assert outputs == [] and stats["error/channel_malformed"] == 1


def test_zaker_article_without_url_and_unreadable_date() -> None:
    spider = make_spider("zaker", "zaker-channel")
    body = ('<script>window.WinPageData = {"data": {"article": [{"title": "a"}, '
            '{"title": "b", "url": "//zaker.demoweb.test/article/b/", "date": "某天"}]}};</script>').encode()
    outputs, stats = run(spider, "parse_channel", body, "https://zaker.demoweb.test/channel/660", html=True,
                         channel="660")
    assert [o.url for o in outputs] == ["https://zaker.demoweb.test/article/b/"]  # scheme of the channel page
    assert stats["error/entry_without_link"] == 1 and stats["unparsed_date"] == 1


def test_list_items_without_links_and_dates_nobody_reads() -> None:
    spider = make_spider("list", "gbknews-list")
    body = ('<ul class="newslist"><li><a>no href</a><span class="date">明天见</span></li>'
            '<li><a href="/news/1.shtml">ok</a><span class="date">去年</span></li></ul>').encode()
    outputs, stats = run(spider, "parse_list", body, "http://gbknews.demoweb.test/list/", html=True, page=1)
    assert [o.url for o in outputs] == ["http://gbknews.demoweb.test/news/1.shtml"]
    assert stats["error/item_without_link"] == 1 and stats["unparsed_date"] == 1


def test_a_callback_that_raises_is_counted_for_its_source() -> None:
    spider = make_spider("zaker", "zaker-channel")
    source = spider.sources[0]
    request = Request("http://zaker.demoweb.test/channel/660", cb_kwargs={"source": source})
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    middleware = SourceErrorsMiddleware(spider.crawler)
    assert middleware.process_spider_exception(response, KeyError("boom")) == []
    stats = spider.crawler.stats
    assert stats.get_value("source/zaker-channel/error/spider_exception") == 1
    assert "KeyError" in stats.get_value("source/zaker-channel/last_error")
    plain = Request("http://elsewhere.test/")
    assert middleware.process_spider_exception(HtmlResponse(plain.url, body=b"", request=plain), ValueError()) is None
