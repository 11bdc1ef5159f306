"""Exporters: turn the index into published documents — Atom, JSON Feed, RSS, and Hexo posts."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from crawler.config import AppConfig
from crawler.index import IndexStore

logger = logging.getLogger(__name__)


@dataclass
class ExportSummary:
    stories: int = 0
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    published: list[str] = field(default_factory=list)  # keys sent to feeds_store


def export_all(store: IndexStore, app: AppConfig, data_dir: Path) -> ExportSummary:
    """Every configured format from one read of the index."""
    from exporters import hexo, jsonfeed, rss
    from exporters.atom import AtomExporter
    from exporters.feedset import feed_specs, tag_prefix
    from exporters.model import entry_for_story

    summary = ExportSummary()
    atom = AtomExporter.from_app_config(store, app, data_dir).export()
    summary.stories = atom.entries
    summary.written += atom.written
    summary.unchanged += atom.unchanged
    specs = feed_specs(store, app)
    feeds_dir = data_dir / "feeds"
    for path, changed in jsonfeed.export(specs, app, feeds_dir) + rss.export(specs, app, feeds_dir):
        (summary.written if changed else summary.unchanged).append(path)
    if app.settings.websub_hub and app.settings.public_base_url:
        from exporters import websub
        from exporters.feedset import public_url

        topics = [url for path in summary.written if path.suffix in (".atom", ".rss", ".json")
                  and path.is_relative_to(feeds_dir)
                  and (url := public_url(app, path.relative_to(feeds_dir).as_posix()))]
        websub.ping(app.settings.websub_hub, topics, app.settings.user_agent)
    if app.settings.hexo:
        # The blog keeps every story (one post each, near-duplicates included), not just a feed's length.
        exporter = hexo.HexoExporter(hexo.HexoConfig(posts_dir=data_dir / "hexo" / "_posts",
                                                     image_proxy=app.settings.hexo_image_proxy,
                                                     media_url=app.settings.media_url))
        entries = [entry_for_story(story, tag_prefix(app)) for story in store.stories()]
        titles = {name: source.title for name, source in app.sources.items()}
        for path, changed in exporter.export(entries, titles):
            (summary.written if changed else summary.unchanged).append(path)
    if app.settings.feeds_store:
        from exporters import s3publish

        summary.published = s3publish.publish(data_dir, app.settings.feeds_store,
                                               endpoint_url=app.settings.s3_endpoint_url).uploaded
    return summary
