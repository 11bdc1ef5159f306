"""An export loads and writes only what changed since the last one: every change to a post or its story
stamps a new index revision on both, and documents are laid out from revisions alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import feedparser
import pytest

from crawler.config import AppConfig, load_config
from crawler.index import FeedScope, SqlIndexStore
from exporters import ExportSummary, export_all
from exporters.plan import STATE_FILE, State
from tests.test_neardup import BATTERY, MARATHON, NIGHT_SCHOOL, ORIGINAL, OTHER_BATTERY, text_of
from tests.test_stories import item

CONFIG = """
[settings]
feed_length = 2
hexo = true

[sources.alpha]
kind = "feed"
urls = ["http://alpha.example/feed"]
categories = ["新媒体", "甲", "科技"]

[sources.beta]
kind = "feed"
urls = ["http://beta.example/feed"]
categories = ["新媒体", "乙", "热点"]

[sources.gamma]
kind = "feed"
urls = ["http://gamma.example/feed"]
categories = ["新媒体", "丙", "其他"]
"""
PAGES = [ORIGINAL, NIGHT_SCHOOL, BATTERY, MARATHON, OTHER_BATTERY]  # five distinct stories, oldest first


@pytest.fixture
def app(tmp_path: Path) -> AppConfig:
    path = tmp_path / "sources.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_config(path, env={})


class CountingStore(SqlIndexStore):
    """Counts the stories and posts an export loads in full."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.loaded: list[int] = []
        self.laid_out: list[FeedScope] = []

    def feed_pages(self, scope: FeedScope, length: int) -> tuple[int, list[str]]:
        self.laid_out.append(scope)
        return super().feed_pages(scope, length)

    def load_stories(self, ids: list[int]) -> list[Any]:
        self.loaded += ids
        return super().load_stories(ids)

    def load_posts(self, ids: list[int]) -> list[Any]:
        self.loaded += ids
        return super().load_posts(ids)


@contextmanager
def counting_store(url: str) -> Iterator[CountingStore]:
    store = CountingStore(url)
    try:
        yield store
    finally:
        store.close()


def export(store: CountingStore, app: AppConfig, data: Path) -> ExportSummary:
    store.loaded.clear()
    store.laid_out.clear()
    return export_all(store, app, data)


def written(summary: ExportSummary, data: Path) -> set[str]:
    return {path.relative_to(data).as_posix() for path in summary.written}


def forget_revision(data: Path) -> None:
    """As if the last export's index revision were lost: every feed is laid out, every story's post checked."""
    state = State.load(data)
    assert state is not None
    replace(state, revision=None).save(data)


def hexo_posts(data: Path) -> set[str]:
    return {path.stem for path in (data / "hexo" / "_posts").glob("*.md")}


def test_an_export_writes_only_what_changed(index_url: str, app: AppConfig, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with counting_store(index_url) as store:
        results = [store.upsert_post(item(f"http://alpha.example/{n}", text_of(page), source="alpha"))
                   for n, page in enumerate(PAGES)]
        assert len({r.story_id for r in results}) == 5
        first = export(store, app, data)
        assert {"feeds/all.atom", "feeds/archive/all/1.atom", "feeds/archive/all/2.atom", "feeds/all.json",
                "feeds/all.rss", "feeds/sources/alpha.atom"} <= written(first, data)
        assert len(hexo_posts(data)) == 5

        # Nothing changed: nothing loaded, nothing written; the same URL seen again changes nothing either.
        store.upsert_post(item("http://alpha.example/0", text_of(ORIGINAL), source="alpha"))
        again = export(store, app, data)
        assert (again.written, store.loaded) == ([], [])

        # The oldest story is copied by another source: its archive page, beta's feeds, its category
        # levels and its Hexo post change; the subscription documents and the other archive page do not.
        copy = store.upsert_post(item("http://beta.example/9", text_of(ORIGINAL), source="beta"))
        assert (copy.outcome, copy.story_id) == ("duplicate", results[0].story_id)
        third = export(store, app, data)
        changed = written(third, data)
        assert "feeds/archive/all/1.atom" in changed
        assert not changed & {"feeds/all.atom", "feeds/archive/all/2.atom", "feeds/all.json", "feeds/all.rss",
                              "feeds/sources/alpha.atom", "feeds/archive/sources/alpha/2.atom"}
        assert {"feeds/sources/beta.atom", "feeds/sources/beta.json", "feeds/categories/新媒体/乙.atom"} <= changed
        oldest = {s.id: s.key for s in store.stories()}[results[0].story_id]
        # Its Hexo post is rendered again (and rewritten only if its bytes differ: Hexo shows no via links).
        assert results[0].story_id in store.loaded
        assert {p for p in changed if p.startswith("hexo/")} <= {f"hexo/_posts/{oldest[:16]}.md"}
        assert len(set(store.loaded)) <= 2 * app.settings.feed_length + 1, "only changed documents are loaded"
        page = feedparser.parse((data / "feeds" / "archive" / "all" / "1.atom").read_bytes())
        assert any(link.href == "http://beta.example/9" and link.rel == "via"
                   for entry in page.entries for link in entry.links)


def test_an_edit_rewrites_its_post_and_a_merge_deletes_the_absorbed_story(
        index_url: str, app: AppConfig, tmp_path: Path) -> None:
    data = tmp_path / "data"
    paragraphs = text_of(ORIGINAL).splitlines()
    head, tail = "\n".join(paragraphs[:4]), "\n".join(paragraphs[3:])
    with counting_store(index_url) as store:
        a = store.upsert_post(item("http://alpha.example/head", head, source="alpha"))
        b = store.upsert_post(item("http://alpha.example/tail", tail, source="alpha"))
        c = store.upsert_post(item("http://beta.example/other", text_of(BATTERY), source="beta"))
        assert len({a.story_id, b.story_id, c.story_id}) == 3
        export(store, app, data)
        keys = {s.id: s.key for s in store.stories()}
        assert hexo_posts(data) == {key[:16] for key in keys.values()}

        edited = store.upsert_post(item("http://beta.example/other", text_of(OTHER_BATTERY), source="beta"))
        assert edited.outcome == "changed"
        after_edit = export(store, app, data)
        edited_post = f"hexo/_posts/{keys[c.story_id][:16]}.md"
        assert [p for p in written(after_edit, data) if p.startswith("hexo/")] == [edited_post]
        hexo_text = (data / edited_post).read_text(encoding="utf-8")
        assert text_of(OTHER_BATTERY).splitlines()[0][:20] in hexo_text

        bridge = store.upsert_post(item("http://beta.example/whole", text_of(ORIGINAL), source="beta"))
        assert (bridge.story_outcome, bridge.story_id) == ("merged", a.story_id)
        export(store, app, data)
        assert hexo_posts(data) == {keys[a.story_id][:16], keys[c.story_id][:16]}, "the absorbed story's is gone"
        # Two stories left: the one archive page (the first two stories) is gone, all.atom holds both.
        assert not (data / "feeds" / "archive" / "all" / "1.atom").exists()
        entries = feedparser.parse((data / "feeds" / "all.atom").read_bytes()).entries
        assert {e.id.rsplit("/", 1)[1] for e in entries} == {keys[a.story_id], keys[c.story_id]}
        # Both of alpha's posts now point at the surviving story, the absorbed one's included.
        alpha = (data / "feeds" / "sources" / "alpha.atom").read_text(encoding="utf-8")
        assert alpha.count(f"story/{keys[a.story_id]}</fa:story>") == 2
        assert f"story/{keys[b.story_id]}</fa:story>" not in alpha


def history(data: Path, stem: str) -> list[str]:
    """Entry ids of a feed and all its archive pages, following prev-archive links (RFC 5005)."""
    ids: list[str] = []
    path: Path | None = data / "feeds" / f"{stem}.atom"
    while path is not None:
        feed = feedparser.parse(path.read_bytes())
        assert feed.bozo == 0, path
        ids += [e.id for e in feed.entries]
        prev = [link.href for link in feed.feed.get("links", []) if link.rel == "prev-archive"]
        path = (path.parent / unquote(prev[0])).resolve() if prev else None  # an href is a URI
    return ids


def test_archive_pages_follow_merges_and_new_stories(index_url: str, app: AppConfig, tmp_path: Path) -> None:
    """Pages laid out by the database stay a complete, duplicate-free history through every change."""
    data = tmp_path / "data"
    paragraphs = text_of(ORIGINAL).splitlines()
    head, tail = "\n".join(paragraphs[:4]), "\n".join(paragraphs[3:])
    with counting_store(index_url) as store:
        store.upsert_post(item("http://alpha.example/head", head, source="alpha"))
        for n, page in enumerate([NIGHT_SCHOOL, BATTERY]):
            store.upsert_post(item(f"http://alpha.example/{n}", text_of(page), source="alpha"))
        store.upsert_post(item("http://beta.example/tail", tail, source="beta"))
        store.upsert_post(item("http://alpha.example/3", text_of(MARATHON), source="alpha"))
        assert store.count_posts() == 5
        for step in ("five stories", "a merge of the first and fourth", "a new story"):
            if step == "a merge of the first and fourth":
                assert store.upsert_post(item("http://beta.example/whole", text_of(ORIGINAL),
                                              source="beta")).story_outcome == "merged"
            elif step == "a new story":
                store.upsert_post(item("http://beta.example/new", text_of(OTHER_BATTERY), source="beta"))
            export(store, app, data)
            every = sorted(f"tag:feedarchiver.invalid,2026:story/{s.key}" for s in store.stories())
            # The subscription document may repeat the newest archived entries (RFC 5005 readers merge by id).
            assert sorted(set(history(data, "all"))) == every, step
            for source in ("alpha", "beta"):
                shown = history(data, f"sources/{source}")
                assert len(set(shown)) == len(store.posts(source=source)), (step, source)


def test_feeds_without_changed_entries_are_not_laid_out(index_url: str, app: AppConfig, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with counting_store(index_url) as store:
        store.upsert_post(item("http://alpha.example/1", text_of(ORIGINAL), source="alpha"))
        store.upsert_post(item("http://gamma.example/1", text_of(BATTERY), source="gamma"))
        export(store, app, data)
        assert FeedScope(kind="post", sources=("gamma",)) in store.laid_out
        gamma = {p: p.stat().st_mtime_ns for p in (data / "feeds").rglob("*丙*")}
        assert gamma

        store.upsert_post(item("http://alpha.example/2", text_of(MARATHON), source="alpha"))
        summary = export(store, app, data)
        laid_out = {(scope.kind, scope.sources) for scope in store.laid_out}
        assert ("post", ("alpha",)) in laid_out and ("story", None) in laid_out
        assert ("post", ("gamma",)) not in laid_out and ("story", ("gamma",)) not in laid_out
        assert ("story", ("alpha", "beta", "gamma")) in laid_out, "the group holds every source"
        assert {p: p.stat().st_mtime_ns for p in (data / "feeds").rglob("*丙*")} == gamma
        assert data / "feeds" / "sources" / "gamma.atom" in summary.unchanged
        assert data / "feeds" / "sources" / "gamma.json" in summary.unchanged
        # The state of skipped feeds is kept: a later full check finds nothing to write there either.
        forget_revision(data)
        again = export(store, app, data)
        assert ("post", ("gamma",)) in {(scope.kind, scope.sources) for scope in store.laid_out}
        assert not [p for p in again.written if "gamma" in p.name or "丙" in str(p)]
        assert store.loaded == [], "every document's fingerprint held"


def test_damaged_export_state_means_a_full_check_not_a_failure(index_url: str, app: AppConfig,
                                                               tmp_path: Path) -> None:
    data = tmp_path / "data"
    with counting_store(index_url) as store:
        for n, page in enumerate(PAGES):
            store.upsert_post(item(f"http://alpha.example/{n}", text_of(page), source="alpha"))
        export(store, app, data)
        before = {p: p.read_bytes() for p in (data / "feeds").rglob("*.atom")}
        (data / STATE_FILE).write_bytes(b"\x00{not json")
        again = export(store, app, data)
        assert not again.up_to_date and again.written == [], "everything checked again, nothing differs"
        assert {p: p.read_bytes() for p in (data / "feeds").rglob("*.atom")} == before
        assert len(hexo_posts(data)) == 5
        assert export(store, app, data).up_to_date, "the state is whole again"


def test_an_export_after_the_old_state_files_rewrites_nothing_and_removes_them(
        index_url: str, app: AppConfig, tmp_path: Path) -> None:
    """Data directories of exports before the one state file: their files stand, their state goes."""
    data = tmp_path / "data"
    with counting_store(index_url) as store:
        for n, page in enumerate(PAGES):
            store.upsert_post(item(f"http://alpha.example/{n}", text_of(page), source="alpha"))
        export(store, app, data)
        before = {p: p.stat().st_mtime_ns for p in data.rglob("*") if p.is_file() and not p.name.startswith(".")}
        old = {"feeds/.export-state.json": '{"all.atom": "0123"}', "feeds/.export-state-index.json":
               '{"revision": 7, "config": "x"}', "feeds/.export-state-formats.json": '{"all": "0123"}',
               "hexo/.export-state.json": '{"settings": "x", "revision": 7}'}
        for relative, text in old.items():
            (data / relative).write_text(text, encoding="utf-8")
        again = export(store, app, data)
        assert not again.up_to_date and again.written == []
        assert {p: p.stat().st_mtime_ns for p in before} == before
        assert [relative for relative in old if (data / relative).exists()] == [STATE_FILE]
        assert State.load(data) is not None, "the old Atom state was replaced by the new one"
        assert export(store, app, data).up_to_date


def test_a_setting_no_document_shows_renders_nothing_again(index_url: str, app: AppConfig, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with counting_store(index_url) as store:
        for n, page in enumerate(PAGES):
            store.upsert_post(item(f"http://alpha.example/{n}", text_of(page), source="alpha"))
        export(store, app, data)
        crawl_only = replace(app, settings=replace(app.settings, user_agent="another/1.0"))
        again = export(store, crawl_only, data)
        assert not again.up_to_date and store.laid_out, "another configuration: every feed laid out again"
        assert (again.written, store.loaded) == ([], [])
        retitled = export(store, replace(app, settings=replace(app.settings, feed_title="新标题")), data)
        assert {"feeds/all.atom", "feeds/all.json", "feeds/archive/all/1.atom"} <= written(retitled, data)
        assert not [p for p in written(retitled, data) if p.startswith("hexo/")], "Hexo posts do not show it"
