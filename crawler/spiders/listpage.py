"""The generic `list` source kind: an HTML list page read with CSS or XPath selectors from the config.

Like RSS-Bridge's CSS bridge and FreshRSS's XPath scraping, it lets a user add a site without code:

    [sources.jiangcheng]
    kind = "list"
    urls = ["https://news.example.cn/list/"]
    item = "ul.news li"               # each post's block (CSS, or XPath when it starts with / ./ ( ..)
    item_link = "a"                   # inside it: the link (an element's href, or an attribute / text)
    item_title = "a"                  # default: the link's text
    item_date = "span.date"           # any form crawler.content.dates reads ("11-22 18:05", "3小时前", ...)
    next_page = "a.next"              # on the page: the next list page, followed up to max_pages
    browser = true                    # render the list with Chromium first (JavaScript-only pages)

The page is decoded from its bytes (crawler.content.encoding), never by the header alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urljoin

from parsel import Selector, SelectorList
from scrapy import Request
from scrapy.http import Response
from w3lib.html import get_base_url

from crawler.config import ListSelectors, SourceConfig, is_xpath
from crawler.content.dates import parse_date
from crawler.content.encoding import decode_html
from crawler.content.pagecheck import soft_404
from crawler.items import PostItem
from crawler.meta import RENDERED
from crawler.spiders.base import EntryContext, SourceSpider


def select(node: Selector, expression: str) -> SelectorList[Selector]:
    return node.xpath(expression) if is_xpath(expression) else node.css(expression)


def first_link(node: Selector, expression: str) -> str | None:
    """The href an expression names: an element's own href (or its first descendant's), or a string."""
    for found in select(node, expression):
        if isinstance(found.root, str):
            value = found.root.strip()
        else:
            value = (found.attrib.get("href") or found.xpath("string(.//a[@href][1]/@href)").get() or "").strip()
        if value and not value.startswith(("javascript:", "#")):
            return value
    return None


def first_text(node: Selector, expression: str, *, date: bool = False) -> str | None:
    """The text an expression names (whitespace folded); for dates a <time datetime> wins."""
    for found in select(node, expression):
        if isinstance(found.root, str):
            value = found.root
        else:
            value = (found.attrib.get("datetime") if date else None) or found.xpath("string(.)").get() or ""
        value = " ".join(value.split())
        if value:
            return value
    return None


class ListPageSpider(SourceSpider):
    name = "list"
    kind = "list"

    def first_requests(self, source: SourceConfig) -> Iterator[Request | None]:
        for url in source.urls:
            yield self.source_request(url, source, self.parse_list, page=1)

    def parse_list(self, response: Response, source: SourceConfig, page: int) -> Iterator[PostItem | Request]:
        selectors = source.selectors
        assert selectors is not None, "config validation gives every list source its selectors"
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        html, encoding = decode_html(response.body, content_type)
        if soft_404(html) is not None:
            self.count_error(source, "soft_404", "list page %s answers 200 with a not-found notice", response.url)
            return
        base = get_base_url(html, response.url)
        page_selector = Selector(text=html, base_url=base)
        items = select(page_selector, selectors.item)
        self.crawler.stats.inc_value("list/items", len(items))
        if not items:
            rendered = " (rendered)" if response.meta.get(RENDERED) else ""
            hint = "" if source.browser else "; if the page builds its list with JavaScript, set browser = true"
            self.count_error(source, "list_empty", "no item matches %r at %s%s%s", selectors.item, response.url,
                             rendered, hint)
        yield from self.each_entry(source, response.url, items,
                                   lambda node: self._item(node, response, source, selectors, base),
                                   lambda node: " ".join(node.xpath("string(.)").get("").split())[:60])
        if selectors.next_page and page < source.max_pages:
            next_url = first_link(page_selector, selectors.next_page)
            if next_url:
                request = self.source_request(urljoin(base, next_url), source, self.parse_list, page=page + 1)
                if request is not None:
                    yield request
        self.logger.debug("[%s] list page %d at %s (%s): %d items", source.name, page, response.url, encoding,
                          len(items))

    def _item(self, node: Selector, response: Response, source: SourceConfig, selectors: ListSelectors,
              base: str) -> Iterator[Request]:
        link = first_link(node, selectors.item_link)
        if not link:
            snippet = " ".join(node.xpath("string(.)").get("").split())[:60]
            self.count_error(source, "item_without_link", "list item %r at %s has no link (%r)", snippet,
                             response.url, selectors.item_link)
            return
        url = urljoin(base, link)
        title = first_text(node, selectors.item_title or selectors.item_link)
        date_text = first_text(node, selectors.item_date, date=True) if selectors.item_date else None
        published = parse_date(date_text, source.timezone, self.now()) if date_text else None
        if date_text and published is None:
            self.crawler.stats.inc_value(f"source/{source.name}/unparsed_date")
            self.logger.info("[%s] cannot read the date %r at %s", source.name, date_text, response.url)
        summary = first_text(node, selectors.item_summary) if selectors.item_summary else None
        entry = EntryContext(entry_id=url, title=title, published=published, summary=summary)
        request = self.source_request(url, source, self.parse_article, entry=entry)
        if request is not None:
            yield request
