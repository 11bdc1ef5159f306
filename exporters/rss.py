"""RSS 2.0 beside the subscription documents of all and of each source (feedgen's RSS writer)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

import crawler
from crawler.config import AppConfig
from exporters.model import Entry, tag_prefix
from exporters.plan import Page
from exporters.publish import public_url

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def render(page: Page, entries: Sequence[Entry], app: AppConfig) -> bytes:
    fg = FeedGenerator()
    fg.title(page.feed.title)
    fg.description(f"{page.feed.title} — {tag_prefix(app)}{page.feed.id_suffix}")
    fg.language("zh-CN")
    fg.generator("feedarchiver", version=crawler.__version__)
    fg.load_extension("dc")  # dc:creator carries an author's plain name; RSS <author> wants an e-mail
    self_url = public_url(app, page.relative("rss"))
    # RSS requires a channel link; the feed's own URL when published, else the newest story.
    fg.link(href=self_url or (entries[0].alternate if entries else "http://localhost/"))
    if self_url:
        fg.link(href=self_url, rel="self", type="application/rss+xml")
    fg.lastBuildDate(max((e.updated for e in entries), default=EPOCH))
    for entry in entries:
        fe = fg.add_entry(order="append")
        fe.guid(entry.id, permalink=False)
        fe.title(entry.title)
        fe.link(href=entry.alternate)
        fe.description(entry.summary or entry.title)
        fe.content(entry.content_html, type="CDATA")
        fe.pubDate(entry.published)
        if entry.author:
            fe.dc.dc_creator(entry.author)
        for category in entry.categories:
            fe.category(term=category)
    data: bytes = fg.rss_str(pretty=True)
    return data

