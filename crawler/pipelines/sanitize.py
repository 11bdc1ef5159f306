"""Sanitise republishable fields before anything stores them."""

from __future__ import annotations

import lxml.html

from crawler.content.sanitize import sanitise_html, sanitise_text
from crawler.content.text import clean_xml_text
from crawler.items import PostItem


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
    """Body HTML through the allow-list; titles, names and text stripped of XML-illegal characters."""

    def process_item(self, item: PostItem) -> PostItem:
        item.body_html = sanitise_html(item.body_html)
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
