"""Sanitise republishable fields before anything stores them."""

from __future__ import annotations

import html
import logging
from typing import Any

import lxml.html
from scrapy.crawler import Crawler

from crawler.content.sanitize import sanitise_html, sanitise_text
from crawler.content.text import clean_xml_text
from crawler.items import PostItem
from crawler.spiders.base import count_source_error

logger = logging.getLogger(__name__)


def _plain(html_or_text: str) -> str:
    """Text of an HTML summary (feeds often put markup in <description>)."""
    if "<" not in html_or_text:
        return html_or_text.strip()
    try:
        fragment = lxml.html.fragment_fromstring(html_or_text, create_parent="div")
        return " ".join(str(fragment.text_content()).split())
    except Exception:
        return ""


class SanitizeHtmlPipeline:
    """Body HTML through the allow-list; titles, names and text stripped of XML-illegal characters.

    A body the sanitiser cannot read is replaced by the post's text in escaped paragraphs (counted
    as `sanitize`): the post is stored, and nothing unsanitised ever is."""

    def __init__(self, stats: Any = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SanitizeHtmlPipeline:
        return cls(crawler.stats)

    def process_item(self, item: PostItem) -> PostItem:
        try:
            item.body_html = sanitise_html(item.body_html)
        except Exception as exc:
            logger.exception("[%s] cannot sanitise the body of %s", item.source, item.url)
            if self.stats is not None:
                count_source_error(self.stats, item.source, "sanitize", "%s: %s at %s", type(exc).__name__, exc,
                                   item.url)
            item.body_html = "".join(f"<p>{html.escape(line)}</p>" for line in item.text.splitlines() if line.strip())
        item.title = sanitise_text(item.title)
        item.text = clean_xml_text(item.text)
        for name in ("author", "source_name"):
            value = getattr(item, name)
            if value is not None:
                setattr(item, name, sanitise_text(value) or None)
        item.categories = [clean for clean in (sanitise_text(c) for c in item.categories) if clean]
        if item.summary:
            item.summary = sanitise_text(_plain(item.summary))[:1000] or None
        return item
