"""Exporters: turn the index into published documents — Atom, JSON Feed, RSS, and Hexo posts."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from crawler.config import AppConfig
from crawler.index import ChangedScopes, IndexStore
from exporters.publish import write_atomic

logger = logging.getLogger(__name__)


@dataclass
class ExportSummary:
    stories: int = 0
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    published: list[str] = field(default_factory=list)  # keys sent to feeds_store
    unpublished: list[str] = field(default_factory=list)  # keys deleted from feeds_store (gone locally)
    up_to_date: bool = False  # the index had not changed since the last export: nothing was read


def _config_fingerprint(app: AppConfig) -> str:
    return hashlib.sha256(f"{app.settings!r}|{sorted(app.sources.items())!r}".encode()).hexdigest()


def export_all(store: IndexStore, app: AppConfig, data_dir: Path) -> ExportSummary:
    """Every configured format. Nothing is read past the index's revision counter when it has not moved
    since the last export (with the same configuration); else only what changed is rendered."""
    summary = ExportSummary()
    feeds_dir = data_dir / "feeds"
    marker_path = feeds_dir / ".export-state-index.json"
    # Read before the heads: what commits while this export runs is picked up by the next one.
    revision = store.revision()
    marker = {"revision": revision, "config": _config_fingerprint(app)}
    try:
        previous = json.loads(marker_path.read_text("utf-8"))
    except (OSError, ValueError):
        previous = None
    if previous == marker and (feeds_dir / "all.atom").exists():
        summary.stories, summary.up_to_date = store.count_stories(), True
        logger.info("Index unchanged since the last export (revision %d): nothing to render", revision)
    else:
        # With the same configuration, only feeds with entries stamped past the last export's revision.
        changed = (store.changed_since(previous["revision"]) if isinstance(previous, dict)
                   and previous.get("config") == marker["config"] and isinstance(previous.get("revision"), int)
                   else None)
        _export_documents(store, app, data_dir, summary, revision, changed)
        write_atomic(marker_path, json.dumps(marker).encode("utf-8"))
    if app.settings.feeds_store:
        from exporters import s3publish

        sent = s3publish.publish(data_dir, app.settings.feeds_store, endpoint_url=app.settings.s3_endpoint_url)
        summary.published, summary.unpublished = sent.uploaded, sent.deleted
    return summary


def _export_documents(store: IndexStore, app: AppConfig, data_dir: Path, summary: ExportSummary,
                      revision: int, changed: ChangedScopes | None) -> None:
    from exporters import hexo, jsonfeed, rss
    from exporters.atom import AtomExporter
    from exporters.feedset import feed_plans, tag_prefix

    atom = AtomExporter.from_app_config(store, app, data_dir).export(changed)
    summary.stories = atom.entries
    summary.written += atom.written
    summary.unchanged += atom.unchanged
    feeds_dir = data_dir / "feeds"
    # JSON Feed and RSS mirror the subscription documents; one whose heads did not change is not loaded.
    state_path = feeds_dir / ".export-state-formats.json"
    try:
        previous: dict[str, str] = json.loads(state_path.read_text("utf-8"))
    except (OSError, ValueError):
        previous = {}
    state: dict[str, str] = {}
    specs = []
    plans, kept = feed_plans(store, app, changed if previous else None)
    if any(stem not in previous for stem in kept):  # its state lost: lay every feed out
        plans, kept = feed_plans(store, app)
    for stem in kept:
        if stem in previous:
            state[stem] = previous[stem]
            summary.unchanged += [feeds_dir / f"{stem}.{ext}" for ext in ("json", "rss")]
    for plan in plans:
        state[plan.stem] = plan.fingerprint(app)
        paths = [feeds_dir / f"{plan.stem}.{ext}" for ext in ("json", "rss")]
        if previous.get(plan.stem) == state[plan.stem] and all(path.exists() for path in paths):
            summary.unchanged += paths
        else:
            specs.append(plan.spec(store, app))
    for path, wrote in jsonfeed.export(specs, app, feeds_dir) + rss.export(specs, app, feeds_dir):
        (summary.written if wrote else summary.unchanged).append(path)
    write_atomic(state_path, json.dumps(state, sort_keys=True, indent=0).encode("utf-8"))
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
        titles = {name: source.title for name, source in app.sources.items()}
        for path, wrote in exporter.export_index(store, revision, tag_prefix(app), titles):
            (summary.written if wrote else summary.unchanged).append(path)
