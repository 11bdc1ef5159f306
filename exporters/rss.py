"""RSS 2.0 beside every Atom document, for readers that want it (feedgen's RSS writer)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from feedgen.feed import FeedGenerator

import crawler
from crawler.config import AppConfig
from exporters.feedset import FeedSpec, feed_path, public_url, tag_prefix
from exporters.publish import write_atomic

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def render(spec: FeedSpec, app: AppConfig) -> bytes:
    fg = FeedGenerator()
    fg.title(spec.title)
    fg.description(f"{spec.title} — {tag_prefix(app)}{spec.id_suffix}")
    fg.language("zh-CN")
    fg.generator("feedarchiver", version=crawler.__version__)
    fg.load_extension("dc")  # dc:creator carries an author's plain name; RSS <author> wants an e-mail
    self_url = public_url(app, f"{spec.stem}.rss")
    # RSS requires a channel link; the feed's own URL when published, else the newest story.
    fg.link(href=self_url or (spec.entries[0].alternate if spec.entries else "http://localhost/"))
    if self_url:
        fg.link(href=self_url, rel="self", type="application/rss+xml")
    fg.lastBuildDate(max((e.updated for e in spec.entries), default=EPOCH))
    for entry in spec.entries:
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


def export(specs: list[FeedSpec], app: AppConfig, feeds_dir: Path) -> list[tuple[Path, bool]]:
    return [(path, write_atomic(path, render(spec, app)))
            for spec in specs for path in [feed_path(feeds_dir, spec, "rss")]]
