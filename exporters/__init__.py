"""Exporters: turn the index into published documents — Atom, JSON Feed, RSS, and Hexo posts.

exporters/plan.py decides what to render and keeps the one state file; exporters/model.py makes the
entries; each format module renders entries and nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crawler.config import AppConfig
from crawler.index import FeedReader
from exporters.model import Entry, load_entries, tag_prefix
from exporters.plan import HEXO_POSTS, Page, State, config_fingerprint, hexo_post, plan
from exporters.publish import public_url, write_atomic

logger = logging.getLogger(__name__)

LOAD_BATCH = 500  # stories loaded from the index at a time for their Hexo posts


@dataclass
class ExportSummary:
    stories: int = 0
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    published: list[str] = field(default_factory=list)  # keys sent to feeds_store
    unpublished: list[str] = field(default_factory=list)  # keys deleted from feeds_store (gone locally)
    up_to_date: bool = False  # the index had not changed since the last export: nothing was read


def export_all(store: FeedReader, app: AppConfig, data_dir: Path) -> ExportSummary:
    """Every configured format. Nothing is read past the index's revision counter when it has not moved
    since the last export (with the same configuration); else only what changed is rendered."""
    summary = ExportSummary()
    # Read before the heads: what commits while this export runs is picked up by the next one.
    revision = store.revision()
    config = config_fingerprint(app)
    previous = State.load(data_dir)
    # The state vouches for what it recorded only while the outputs it describes are there.
    outputs = (data_dir / "feeds" / "all.atom").exists() and (
        not app.settings.hexo or (data_dir / HEXO_POSTS).is_dir())
    since = previous.revision if previous and previous.config == config and outputs else None
    if since == revision:
        summary.stories, summary.up_to_date = store.count_stories(), True
        logger.info("Index unchanged since the last export (revision %d): nothing to render", revision)
    else:
        documents = _export(store, app, data_dir, summary, previous, since)
        State(revision, config, documents).save(data_dir)
    if app.settings.feeds_store:
        from exporters import s3publish

        sent = s3publish.publish(data_dir, app.settings.feeds_store, endpoint_url=app.settings.s3_endpoint_url)
        summary.published, summary.unpublished = sent.uploaded, sent.deleted
    return summary


def _export(store: FeedReader, app: AppConfig, data_dir: Path, summary: ExportSummary, previous: State | None,
            since: int | None) -> dict[str, str]:
    """Render, write and delete what the plan says; returns the documents' fingerprints for the state."""
    from exporters import atom, hexo, jsonfeed, rss

    renderers: dict[str, Callable[[Page, Sequence[Entry], AppConfig], bytes]] = {
        "atom": atom.render, "json": jsonfeed.render, "rss": rss.render}
    todo = plan(store, app, data_dir, previous, since)
    prefix, feeds_dir = tag_prefix(app), data_dir / "feeds"

    def write(relative: str, data: bytes) -> None:
        path = data_dir / relative
        (summary.written if write_atomic(path, data) else summary.unchanged).append(path)

    while todo.pages:  # taken off the plan, so a feed's heads are freed once its pages are written
        page, formats = todo.pages.pop(0)
        # Loaded once for every format the page is published in.
        entries = load_entries(store, page.feed.scope.kind, [head.id for head in page.heads()], prefix)
        for extension in formats:
            write(f"feeds/{page.relative(extension)}", renderers[extension](page, entries, app))
    if todo.posts:
        blog = hexo.HexoExporter(hexo.HexoConfig(image_proxy=app.settings.hexo_image_proxy,
                                                 media_url=app.settings.media_url))
        for start in range(0, len(todo.posts), LOAD_BATCH):
            batch = [head.id for head in todo.posts[start:start + LOAD_BATCH]]
            for entry in load_entries(store, "story", batch, prefix):
                first = app.sources.get(entry.sources[0]) if entry.sources else None
                title = first.title if first is not None else None
                levels = first.categories if first is not None else ()
                write(hexo_post(entry.key), blog.render(entry, title, levels).encode("utf-8"))
    for gone in todo.gone:
        (data_dir / gone).unlink(missing_ok=True)
    summary.unchanged += [data_dir / path for path in todo.unchanged]
    summary.stories = store.count_stories() if todo.stories is None else todo.stories
    logger.info("Exported %d documents (%d written, %d deleted)", len(todo.documents), len(summary.written),
                len(todo.gone))
    if app.settings.websub_hub and app.settings.public_base_url:
        from exporters import websub

        topics = [url for path in summary.written if path.suffix in (".atom", ".rss", ".json")
                  and path.is_relative_to(feeds_dir)
                  and (url := public_url(app, path.relative_to(feeds_dir).as_posix()))]
        websub.ping(app.settings.websub_hub, topics, app.settings.user_agent)
    return todo.documents
