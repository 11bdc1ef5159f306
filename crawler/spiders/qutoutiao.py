"""趣头条 / Qutoutiao: the unsigned web list API, each post's detail JSON, then its article page.

Shapes (AGGREGATORS.md):
- list ``{api}?cid=…&tn=1&page=…&limit=…&user=temporary{ms}&show_time=&min_time={ms}&content_type=1&dtu=200``
  answers ``{code, message, data: {min_time, max_time, data: [post, …]}}``. Paging is by ``min_time``
  from the previous answer; ``page`` is ignored by the server.
- a post's ``detail_url`` answers ``{id, title, url, createTime, detail, sourceSite, sourceName, isOrigin,
  …}`` (perhaps wrapped in ``{code, data}``): the attribution, and the original when it names one.
- the article page (``html2.qktoutiao.com/detail/…``) has its body in ``div.content`` with lazy
  ``data-src`` images and often ends ``来源：<publisher>``.
A post's stable guid is its article URL without the query (``content_id``, ``key`` change per listing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.config import SourceConfig
from crawler.content.dates import parse_date
from crawler.content.pagecheck import strip_query
from crawler.items import PostItem
from crawler.spiders.base import EntryContext, SourceSpider

# Category ids of the list API and their channel names (as the site's tabs name them).
CIDS: dict[int, str] = {
    255: "推荐", 1: "热点", 6: "娱乐", 42: "健康", 5: "养生", 7: "科技", 8: "生活", 10: "财经", 9: "汽车",
    12: "美食", 13: "体育", 15: "军事", 23: "历史", 28: "国际", 50: "房产",
}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _http_url(value: Any) -> str | None:
    text = _text(value)
    if text and urlsplit(text).scheme in ("http", "https") and urlsplit(text).netloc:
        return text
    return None


class QutoutiaoSpider(SourceSpider):
    name = "qutoutiao"
    kind = "qutoutiao"

    def first_requests(self, source: SourceConfig) -> Iterator[Request | None]:
        for api in source.urls:
            for cid in source.cids:
                yield self.list_request(api, source, cid, min_time=None, page=1)

    def list_request(self, api: str, source: SourceConfig, cid: int, min_time: int | None,
                     page: int) -> Request | None:
        ms = int(self.now().timestamp() * 1000)
        query = {"cid": cid, "tn": 1, "page": page, "limit": source.page_size, "user": f"temporary{ms}",
                 "show_time": "", "min_time": min_time if min_time is not None else ms, "content_type": 1,
                 "dtu": 200}
        # The URL carries the clock (user, min_time): the page of the list is what must be asked once.
        return self.source_request(f"{api}?{urlencode(query)}", source, self.parse_list, api=api, cid=cid,
                                   min_time=min_time, page=page, render=False, claim=f"{api}#cid={cid}&page={page}")

    def _json(self, response: Response, source: SourceConfig, what: str) -> dict[str, Any] | None:
        try:
            data = json.loads(response.body)
        except ValueError as exc:
            self.count_error(source, "api_malformed", "%s at %s is not JSON: %s", what, response.url, exc)
            return None
        if not isinstance(data, dict):
            self.count_error(source, "api_malformed", "%s at %s is not a JSON object", what, response.url)
            return None
        code = data.get("code", 0)
        if code not in (0, "0", 200, None):
            self.count_error(source, "api_error", "%s at %s answered code %s: %s", what, response.url, code,
                             data.get("message") or data.get("msg") or "no message")
            return None
        return data

    def parse_list(self, response: Response, source: SourceConfig, api: str, cid: int, min_time: int | None,
                   page: int) -> Iterator[PostItem | Request]:
        data = self._json(response, source, "list")
        if data is None:
            return
        body: dict[str, Any] = data["data"] if isinstance(data.get("data"), dict) else {}
        posts: list[Any] | None = body["data"] if isinstance(body.get("data"), list) else None
        if posts is None:
            self.count_error(source, "api_malformed", "list at %s has no data.data array", response.url)
            return
        self.crawler.stats.inc_value("qutoutiao/posts", len(posts))
        if not posts and page == 1:
            self.crawler.stats.inc_value(f"source/{source.name}/feed_empty")
        yield from self.each_entry(source, response.url, [p for p in posts if isinstance(p, dict)],
                                   lambda post: self._post(post, response, source, cid),
                                   lambda post: post.get("id") or post.get("title"))
        next_min = body.get("min_time")
        try:
            next_min = int(next_min) if next_min not in (None, "") else None
        except (TypeError, ValueError):
            next_min = None
        # The next page is what lies before this one's oldest post; stop when that does not move back.
        if posts and next_min and page < source.max_pages and (min_time is None or next_min < min_time):
            request = self.list_request(api, source, cid, min_time=next_min, page=page + 1)
            if request is not None:
                yield request

    def _post(self, post: dict[str, Any], response: Response, source: SourceConfig,
              cid: int) -> Iterator[Request]:
        url = _http_url(post.get("url"))
        if url is None:
            self.count_error(source, "entry_without_link", "post %r in %s has no article URL",
                             post.get("id") or post.get("title"), response.url)
            return
        guid = strip_query(url)
        categories = list(source.categories)
        if len(categories) < 3 and cid in CIDS:
            categories.append(CIDS[cid])  # group, source, channel
        cover = post.get("cover")
        entry = EntryContext(
            entry_id=guid, stable_url=guid, title=_text(post.get("title")),
            summary=_text(post.get("introduction")),
            source_name=_text(post.get("source_name")) or _text(post.get("nickname")),
            published=(parse_date(post.get("publish_time"), source.timezone, self.now())
                       or parse_date(post.get("show_time"), source.timezone, self.now())),
            categories=tuple(categories),
        )
        if isinstance(cover, list) and cover:
            self.crawler.stats.inc_value("qutoutiao/covers", len(cover))
        detail = _http_url(post.get("detail_url"))
        if detail is not None:
            request = self.source_request(detail, source, self.parse_detail, render=False,
                                          errback=self.detail_failed, entry=entry, article_url=url)
        else:
            request = self.source_request(url, source, self.parse_article, entry=entry)
        if request is not None:
            yield request

    def parse_detail(self, response: Response, source: SourceConfig, entry: EntryContext,
                     article_url: str) -> Iterator[PostItem | Request]:
        """The detail JSON: attribution and the original; the article page is fetched either way."""
        data = self._json(response, source, "detail")
        detail: dict[str, Any] | None = data
        if data is not None and isinstance(data.get("data"), dict):
            detail = data["data"]  # {code, data: {...}} or the object itself
        if detail:
            site = _http_url(detail.get("sourceSite"))
            is_origin = str(detail.get("isOrigin", "0")).strip() in ("1", "true", "True")
            entry = replace(
                entry,
                title=entry.title or _text(detail.get("title")),
                source_name=_text(detail.get("sourceName")) or _text(detail.get("source")) or entry.source_name,
                published=entry.published or parse_date(detail.get("createTime"), source.timezone, self.now()),
                # isOrigin: the post is the author's own on Qutoutiao, so there is nothing to follow.
                original_url=None if is_origin else site,
            )
            article_url = _http_url(detail.get("url")) or article_url
        request = self.source_request(article_url, source, self.parse_article, entry=entry)
        if request is not None:
            yield request

    def detail_failed(self, failure: Failure) -> Iterator[Request]:
        """A detail JSON that cannot be fetched is counted; the article page is still read."""
        self.on_error(failure)
        kwargs = failure.request.cb_kwargs  # type: ignore[attr-defined]  # Scrapy sets it on errback failures
        request = self.source_request(kwargs["article_url"], kwargs["source"], self.parse_article,
                                      entry=kwargs["entry"])
        if request is not None:
            yield request
