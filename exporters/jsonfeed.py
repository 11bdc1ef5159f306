"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) beside the subscription documents of all and of each source."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import crawler
from crawler.archive.snapshots import snapshot_url
from crawler.config import AppConfig
from exporters.model import Entry, tag_prefix
from exporters.plan import Page
from exporters.publish import public_url

VERSION = "https://jsonfeed.org/version/1.1"


def _item(entry: Entry, replay_url: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.id,
        "url": entry.alternate,
        "title": entry.title,
        "content_html": entry.content_html,
        "summary": entry.summary,
        "date_published": entry.published.isoformat(),
        "date_modified": entry.updated.isoformat(),
    }
    if entry.via:
        item["external_url"] = entry.via[0]
    if entry.lead_image:
        item["image"] = entry.lead_image
    if entry.author:
        item["authors"] = [{"name": entry.author}]
    if entry.categories:
        item["tags"] = entry.categories
    # Extension members start with an underscore (JSON Feed 1.1, "Extensions").
    item["_feedarchiver"] = {"source_name": entry.source_name, "via": entry.via, "sources": entry.sources}
    if entry.snapshot and replay_url:
        item["_feedarchiver"]["snapshot"] = snapshot_url(replay_url, entry.snapshot)
    return item


def render(page: Page, entries: Sequence[Entry], app: AppConfig) -> bytes:
    feed = page.feed
    document: dict[str, Any] = {
        "version": VERSION,
        "title": feed.title,
        "description": f"{feed.title} (feedarchiver {crawler.__version__}, {tag_prefix(app)}{feed.id_suffix})",
        "language": "zh-CN",
        "authors": [{"name": app.settings.feed_title}],
        "items": [_item(e, app.settings.replay_url) for e in entries],
    }
    if url := public_url(app, page.relative("json")):
        document["feed_url"] = url
        if app.settings.websub_hub:
            document["hubs"] = [{"type": "WebSub", "url": app.settings.websub_hub}]
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

