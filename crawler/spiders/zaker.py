"""ZAKER: web channel pages (the list is inline JSON), then each article page.

Shapes (AGGREGATORS.md):
- ``{site}/channel/{id}`` carries ``window.WinPageData = {...}`` with ``data.article[] = {title, desc,
  url (protocol-relative), author_name, date ('MM月DD日': no year, Beijing time), tag: [{tag}],
  thumbnail_mpic}``.
- article pages: body in ``div.article_content``, images in ``div.img_box`` as lazy ``data-original``
  (GIFs add ``data-gif-url``), trailing ``#recommend_bottom`` / ``#article_bottom`` blocks (pruned by
  the extractor), and ``原文已被删除`` for removed posts (counted as `removed`, see SourceSpider.extract).
- the site sits behind Chaitin SafeLine's JavaScript challenge: WafChallengeMiddleware recognises it,
  the source is marked blocked and backs off. It is never solved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawler.config import SourceConfig
from crawler.content.dates import parse_date
from crawler.content.encoding import decode_html
from crawler.items import PostItem
from crawler.spiders.base import EntryContext, SourceSpider

_WIN_PAGE_DATA = re.compile(r"window\.WinPageData\s*=\s*")


def win_page_data(html: str) -> dict[str, Any] | None:
    """The object assigned to ``window.WinPageData`` in a page's scripts, or None."""
    match = _WIN_PAGE_DATA.search(html)
    if match is None:
        return None
    try:
        data, _ = json.JSONDecoder().raw_decode(html, match.end())
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


class ZakerSpider(SourceSpider):
    name = "zaker"
    kind = "zaker"

    def first_requests(self, source: SourceConfig) -> Iterator[Request | None]:
        for site in source.urls:
            for channel in source.channels:
                yield self.source_request(f"{site.rstrip('/')}/channel/{channel}", source, self.parse_channel,
                                          channel=channel)

    def parse_channel(self, response: Response, source: SourceConfig, channel: str) -> Iterator[PostItem | Request]:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        html, _ = decode_html(response.body, content_type)
        data = win_page_data(html)
        if data is None:
            self.count_error(source, "channel_malformed", "channel %s at %s has no window.WinPageData JSON",
                             channel, response.url)
            return
        inner: dict[str, Any] = data["data"] if isinstance(data.get("data"), dict) else data
        articles: list[Any] | None = inner["article"] if isinstance(inner.get("article"), list) else None
        if articles is None:
            self.count_error(source, "channel_malformed", "WinPageData at %s has no data.article list", response.url)
            return
        self.crawler.stats.inc_value("zaker/articles", len(articles))
        if not articles:
            self.crawler.stats.inc_value(f"source/{source.name}/feed_empty")
        yield from self.each_entry(source, response.url, [a for a in articles if isinstance(a, dict)],
                                   lambda article: self._article(article, response, source),
                                   lambda article: article.get("title"))

    def _article(self, article: dict[str, Any], response: Response, source: SourceConfig) -> Iterator[Request]:
        link = _text(article.get("url"))
        if link is None:
            self.count_error(source, "entry_without_link", "article %r at %s has no url", article.get("title"),
                             response.url)
            return
        url = response.urljoin(link)  # "//www.myzaker.com/article/…" takes the channel page's scheme
        categories = list(source.categories)
        tags = article.get("tag")
        first_tag = tags[0].get("tag") if isinstance(tags, list) and tags and isinstance(tags[0], dict) else None
        if len(categories) < 3 and _text(first_tag):
            categories.append(str(first_tag).strip())
        date = _text(article.get("date"))
        published = parse_date(date, source.timezone, self.now()) if date else None
        if date and published is None:
            self.crawler.stats.inc_value(f"source/{source.name}/unparsed_date")
        entry = EntryContext(
            entry_id=url, title=_text(article.get("title")), summary=_text(article.get("desc")),
            source_name=_text(article.get("author_name")), published=published, categories=tuple(categories),
        )
        request = self.source_request(url, source, self.parse_article, entry=entry)
        if request is not None:
            yield request
