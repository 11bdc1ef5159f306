"""Story clusters: in the index store (SQLite and the real PostgreSQL), after a real crawl of the demo
web, in the Atom feeds, from the command line, and on the labelled evaluation set."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import opencc
import pytest
from sqlalchemy import Column, MetaData, Table, create_engine, event, select

from crawler.cli import main
from crawler.content.neardup import line_key
from crawler.content.text import content_hash
from crawler.demoweb import STORIES, DemoWeb
from crawler.index import SqlIndexStore
from crawler.index.sql import posts, site_lines
from crawler.index.stories import TEMPLATE_STORIES
from crawler.items import PostItem
from tests.conftest import ROOT, Crawl, bare
from tests.test_neardup import (
    BATTERY,
    EDITED_COPY,
    MARATHON,
    ORIGINAL,
    OTHER_BATTERY,
    OTHER_NIGHT_SCHOOL,
    SNOW,
    text_of,
)

ATOM = "{http://www.w3.org/2005/Atom}"
FA = "{https://github.com/feedarchiver/feedarchiver/ns/atom}"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def item(url: str, text: str, *, role: str = "copy", published: datetime | None = T0,
         source: str | None = None, original_url: str | None = None) -> PostItem:
    return PostItem(source=source or urlsplit(url).hostname or "test", url=url, role=role,  # type: ignore[arg-type]
                    title=text.splitlines()[0][:30], text=text, body_html=f"<p>{text}</p>",
                    published=published, original_url=original_url, content_hash=content_hash(text))


@contextmanager
def open_store(url: str) -> Iterator[SqlIndexStore]:
    store = SqlIndexStore(url)
    try:
        yield store
    finally:
        store.close()


# -- the index store, on both backends -------------------------------------------------------------------


def test_a_near_duplicate_joins_the_story_whose_key_never_changes(index_url: str) -> None:
    with open_store(index_url) as store:
        first = store.upsert_post(item("http://kuaixun.example/1.shtml", text_of(EDITED_COPY)))
        assert (first.outcome, first.story_outcome) == ("new", "new")
        key = store.posts()[0].key
        copy = store.upsert_post(item("http://qutoutiao.example/2.html", text_of(ORIGINAL),
                                      original_url="http://cyol.example/3.htm"))
        assert (copy.outcome, copy.story_outcome, copy.story_id) == ("new", "joined", first.story_id)
        original = store.upsert_post(item("http://cyol.example/3.htm", text_of(ORIGINAL), role="original",
                                          published=T0 - timedelta(hours=6)))
        assert (original.outcome, original.story_outcome) == ("duplicate", "same")
        other = store.upsert_post(item("http://kuaixun.example/4.shtml", text_of(OTHER_BATTERY)))
        assert other.story_outcome == "new" and other.story_id != first.story_id

        stories = {s.key: s for s in store.stories()}
        assert len(stories) == store.count_stories() == 2 and store.count_posts() == 3
        story = stories[key]  # the first post's key, although an original joined later
        assert story.representative.has_original
        assert story.representative.alternate == "http://cyol.example/3.htm"
        assert [p.id for p in story.posts] == [copy.post_id, first.post_id]
        assert {p.story_key for p in story.posts} == {key}


def test_without_an_original_the_earliest_post_represents_the_story(index_url: str) -> None:
    with open_store(index_url) as store:
        store.upsert_post(item("http://a.example/late", text_of(ORIGINAL), published=T0 + timedelta(days=1)))
        store.upsert_post(item("http://b.example/early", text_of(EDITED_COPY), published=T0))
        (story,) = store.stories()
        assert story.representative.url == "http://b.example/early"
        assert story.key == next(p.key for p in story.posts if p.url == "http://a.example/late")


def test_stories_on_one_template_stay_apart_and_the_template_is_learnt(index_url: str) -> None:
    site = "kuaixun.example"
    with open_store(index_url) as store:
        results = [store.upsert_post(item(f"http://{site}/{n}.shtml", text_of(page)))
                   for n, page in enumerate((SNOW, MARATHON, OTHER_BATTERY, OTHER_NIGHT_SCHOOL))]
        assert [r.story_outcome for r in results] == ["new"] * 4
        with store.engine.connect() as conn:
            learnt = conn.execute(select(site_lines.c.stories).where(
                site_lines.c.site == site, site_lines.c.stories >= TEMPLATE_STORIES)).scalars().all()
        assert sorted(learnt) == [4, 4, 4]  # the lead line, the advert and the disclaimer
        # A copy elsewhere that kept the portal's template still finds its story, and only its story.
        extra = "气象部门提醒，本周后期气温将逐步回升，市民出行仍需注意防滑。\n"
        copy = store.upsert_post(item("http://other.example/snow", extra + text_of(SNOW)))
        assert (copy.story_outcome, copy.story_id) == ("joined", results[0].story_id)


def test_a_heavy_template_shared_by_the_first_two_posts_of_a_site_does_not_merge_them(index_url: str) -> None:
    template = ("本站讯｜关注本站公众号，每天早中晚三次推送全国热点资讯，第一时间掌握身边大事小情",
                "【广告】下载本站APP，新用户登录即领10元现金红包，邀请好友再得20元，金币可直接兑换话费和视频会员",
                "免责声明：本文系转载，版权归原作者所有，转载目的在于传递更多信息，并不代表本站赞同其观点和对其真实性负责。")
    texts = ["\n".join((*template[:2], *text_of(page).splitlines()[1:4], template[2])) for page in (SNOW, MARATHON)]
    with open_store(index_url) as store:
        a = store.upsert_post(item("http://portal.example/a", texts[0]))
        b = store.upsert_post(item("http://portal.example/b", texts[1]))
        assert a.story_id != b.story_id and b.story_outcome == "new"


def test_a_post_that_matches_two_stories_merges_them_into_the_oldest(index_url: str) -> None:
    paragraphs = text_of(ORIGINAL).splitlines()
    head, tail = "\n".join(paragraphs[:4]), "\n".join(paragraphs[3:])
    with open_store(index_url) as store:
        a = store.upsert_post(item("http://a.example/head", head))
        b = store.upsert_post(item("http://b.example/tail", tail))
        assert a.story_id != b.story_id  # too little in common
        bridge = store.upsert_post(item("http://c.example/whole", text_of(ORIGINAL)))
        assert (bridge.story_outcome, bridge.story_id) == ("merged", a.story_id)
        (story,) = store.stories()
        assert len(story.posts) == 3 and story.key == store.posts()[-1].key  # the head's, the oldest


def test_an_edited_post_keeps_its_story_and_is_found_by_its_new_text(index_url: str) -> None:
    with open_store(index_url) as store:
        first = store.upsert_post(item("http://a.example/1", text_of(BATTERY)))
        edited = store.upsert_post(item("http://a.example/1", text_of(OTHER_BATTERY)))  # same URL, new text
        assert (edited.outcome, edited.story_id) == ("changed", first.story_id)
        extra = "业内人士表示，产线满产后将带动上下游配套企业落户。\n"
        copy = store.upsert_post(item("http://b.example/2", extra + text_of(OTHER_BATTERY)))
        assert (copy.story_outcome, copy.story_id) == ("joined", first.story_id)


def test_texts_too_short_or_all_template_found_a_story_of_their_own(index_url: str) -> None:
    with open_store(index_url) as store:
        tiny = store.upsert_post(item("http://a.example/tiny", "好"))
        again = store.upsert_post(item("http://b.example/tiny2", "好！"))  # the same hash: the same post
        assert tiny.story_outcome == "new" and again.story_outcome == "same"
        for n, page in enumerate((SNOW, MARATHON, OTHER_BATTERY)):
            store.upsert_post(item(f"http://kx.example/{n}", text_of(page)))
        boilerplate = "\n".join(line for line in text_of(SNOW).splitlines() if "快讯网" in line or "免责" in line)
        only = store.upsert_post(item("http://kx.example/empty", boilerplate))
        assert only.story_outcome == "new"
        assert store.count_stories() == 5


def test_a_failed_story_assignment_keeps_the_post_and_is_retried(index_url: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler.index.stories import StoryClusterer
    from crawler.pipelines.index_store import IndexStorePipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("clustering bug")

    stats = Stats()
    with open_store(index_url) as store:
        store.upsert_post(item("http://a.example/1", text_of(ORIGINAL)))
        monkeypatch.setattr(StoryClusterer, "assign", broken)
        copy = item("http://b.example/2", text_of(EDITED_COPY))
        asyncio.run(IndexStorePipeline(store, stats).process_item(copy))
        assert stats.values["stories/error"] == 1 and stats.values["source/b.example/errors"] == 1
        assert stats.values["source/b.example/last_error"].startswith("story:")
        assert store.count_posts() == 2 and {p.url: p.story_key for p in store.posts()}["http://b.example/2"] is None
    monkeypatch.undo()
    with open_store(index_url) as store:  # opening the store changes nothing: the next crawl's start does
        assert {p.url: p.story_key for p in store.posts()}["http://b.example/2"] is None
        assert store.cluster_unassigned() == 1
        (story,) = store.stories()
        assert len(story.posts) == 2


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value


def test_stories_hold_across_processes(index_url: str) -> None:
    code = ("import sys; from crawler.index import SqlIndexStore; from tests.test_stories import item, text_of, "
            "ORIGINAL; s = SqlIndexStore(sys.argv[1]); "
            "print(s.upsert_post(item('http://cyol.example/1', text_of(ORIGINAL), role='original')).story_id)")
    other = subprocess.run([sys.executable, "-c", code, index_url], capture_output=True, text=True, cwd=ROOT,
                           timeout=120, check=False)
    assert other.returncode == 0, other.stderr
    with open_store(index_url) as store:
        joined = store.upsert_post(item("http://kuaixun.example/2", text_of(EDITED_COPY)))
        assert (joined.story_outcome, joined.story_id) == ("joined", int(other.stdout))


def _recorded_selects(store: SqlIndexStore, upserts: list[PostItem]) -> list[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not many:
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        for upsert in upserts:
            store.upsert_post(upsert)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    return statements


def _assert_no_scans(store: SqlIndexStore, statements: list[tuple[str, Any]]) -> None:
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            if store.engine.dialect.name == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plan = [row[-1] for row in cursor.fetchall()]
                scans = [line for line in plan if line.startswith("SCAN") and "CONSTANT ROW" not in line]
            else:
                cursor.execute("SET enable_seqscan = off")  # so a usable index is always chosen
                cursor.execute("EXPLAIN " + statement, parameters)
                plan = [row[0] for row in cursor.fetchall()]
                index_scans = sum(1 for line in plan if "Index Scan" in line or "Index Only Scan" in line)
                # A full-index walk (no condition) is a scan too.
                scans = [line for line in plan if "Seq Scan" in line]
                if index_scans > sum(1 for line in plan if "Index Cond" in line):
                    scans.append("an index scanned without a condition")
            assert not scans, (statement, plan)
    finally:
        raw.close()


def test_lookups_search_indexes_and_never_scan_all_posts(index_url: str) -> None:
    with open_store(index_url) as store:
        for n, page in enumerate((ORIGINAL, SNOW, MARATHON, BATTERY)):
            store.upsert_post(item(f"http://s{n}.example/{n}", text_of(page)))
        statements = _recorded_selects(store, [item("http://kuaixun.example/x", text_of(EDITED_COPY))])
        assert any("post_bands" in s for s, _ in statements)
        _assert_no_scans(store, statements)


def test_excerpt_and_bridging_lookups_never_scan_all_posts(index_url: str) -> None:
    lead = text_of(ORIGINAL).splitlines()[1]
    with open_store(index_url) as store:
        for n, page in enumerate((SNOW, MARATHON, BATTERY)):
            store.upsert_post(item(f"http://s{n}.example/{n}", text_of(page)))
        store.upsert_post(item("http://agg.example/excerpt", lead))
        store.upsert_post(item("http://cyol.example/original", text_of(ORIGINAL)))  # holds the excerpt
        # An excerpt held by a story; a copy that holds the excerpt's story and merges it (the longest
        # post of each story is looked up).
        statements = _recorded_selects(store, [item("http://agg2.example/excerpt", _taiwan(_lead(ORIGINAL, 0.4))),
                                               item("http://kuaixun.example/copy", text_of(EDITED_COPY))])
        assert any("ORDER BY post_signatures.shingles DESC" in s for s, _ in statements)
        assert store.count_stories() == 4
        _assert_no_scans(store, statements)


def test_an_index_from_before_story_clusters_is_clustered_keeping_entry_ids(index_url: str) -> None:
    old = MetaData()  # the foundation's posts table: no story_id, no revision
    Table("posts", old, *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, unique=c.unique)
                          for c in posts.columns if c.name not in ("story_id", "revision")))
    engine = create_engine(index_url.replace("postgresql://", "postgresql+psycopg://"))
    old.create_all(engine)
    rows = [("k-copy", EDITED_COPY, "http://kuaixun.example/1", 1), ("k-orig", ORIGINAL, "http://cyol.example/2", 2),
            ("k-other", BATTERY, "http://qutoutiao.example/3", 3)]
    with engine.begin() as conn:
        for key, page, url, day in rows:
            text = text_of(page)
            conn.execute(old.tables["posts"].insert().values(
                key=key, content_hash=content_hash(text), source="s", url=url, has_original=key == "k-orig",
                title=key, updated=T0, categories="[]", body_html="<p/>", text=text,
                first_seen=T0 + timedelta(days=day)))
    engine.dispose()
    with open_store(index_url) as store:
        stories = {s.key: s for s in store.stories()}
        assert set(stories) == {"k-copy", "k-other"}  # the earliest post of each story keeps its id
        assert stories["k-copy"].representative.key == "k-orig"  # the original represents it
        assert all(p.story_key for p in store.posts())
        # Revisions were added and every migrated story carries one, so the next export renders it.
        assert {h.key for h in store.story_heads() if h.revision > 0} == {"k-copy", "k-other"}


# -- scripts and excerpts -----------------------------------------------------------------------------------


def _taiwan(text: str) -> str:
    return str(opencc.OpenCC("s2twp").convert(text))


def _lead(page: str, share: float) -> str:
    """The first share of a page's text, cut at the next sentence end, as an aggregator's excerpt."""
    text = text_of(page)
    return text[:text.find("。", int(len(text) * share)) + 1]


def _followup(page: str) -> str:
    """Another story that repeats the page's lead paragraph, then goes on with text of its own."""
    own = [*text_of(OTHER_BATTERY).splitlines()[1:6], *text_of(OTHER_NIGHT_SCHOOL).splitlines()[2:5]]
    return "\n".join([text_of(page).splitlines()[1], *own])


def test_a_traditional_copy_is_the_same_post_and_keeps_its_own_text(index_url: str) -> None:
    taiwan = _taiwan(text_of(ORIGINAL))
    with open_store(index_url) as store:
        first = store.upsert_post(item("http://tw.example/1", taiwan))
        copy = store.upsert_post(item("http://qutoutiao.example/2", text_of(ORIGINAL)))
        assert (copy.outcome, copy.post_id, copy.story_id) == ("duplicate", first.post_id, first.story_id)
        (post,) = store.posts()
        assert post.text == taiwan  # the text shown and republished is what its source wrote
        # An edited copy in Hong Kong script is a near-duplicate of it, in the same story.
        edited = str(opencc.OpenCC("s2hk").convert(text_of(EDITED_COPY)))
        near = store.upsert_post(item("http://hk.example/3", edited))
        assert (near.outcome, near.story_outcome, near.story_id) == ("new", "joined", first.story_id)


@pytest.mark.parametrize("excerpt_first", [True, False], ids=["excerpt-first", "original-first"])
@pytest.mark.parametrize("script", [str, _taiwan], ids=["simplified", "taiwan"])
def test_an_excerpt_joins_its_story_and_a_followup_does_not(index_url: str, excerpt_first: bool,
                                                             script: Callable[[str], str]) -> None:
    lead = text_of(ORIGINAL).splitlines()[1]  # the lead paragraph alone: 133 characters
    excerpts = [script(lead) + "\n阅读全文", script(_lead(ORIGINAL, 0.4))]
    with open_store(index_url) as store:
        if excerpt_first:
            founded = store.upsert_post(item("http://agg.example/excerpt", excerpts[0]))
            store.upsert_post(item("http://cyol.example/original", text_of(ORIGINAL), role="original"))
            # The original only holds the excerpt; its next copy shows the two are one story.
            store.upsert_post(item("http://kuaixun.example/copy", text_of(EDITED_COPY)))
        else:
            founded = store.upsert_post(item("http://cyol.example/original", text_of(ORIGINAL), role="original"))
            joined = store.upsert_post(item("http://agg.example/excerpt", excerpts[0]))
            assert (joined.story_outcome, joined.story_id) == ("joined", founded.story_id)
        longer = store.upsert_post(item("http://agg2.example/excerpt", excerpts[1]))
        followup = store.upsert_post(item("http://other.example/followup", script(_followup(ORIGINAL))))
        assert followup.story_outcome == "new"
        stories = {s.key: s for s in store.stories()}
        story = next(s for s in stories.values() if any(p.id == founded.post_id for p in s.posts))
        assert len(story.posts) == (4 if excerpt_first else 3) and longer.story_id == founded.story_id
        assert story.representative.alternate == "http://cyol.example/original"
        assert len(stories) == 2  # the follow-up is a story of its own


@pytest.mark.parametrize("script", [str, _taiwan], ids=["simplified", "taiwan"])
def test_a_roundup_of_leads_is_a_story_of_its_own(index_url: str, script: Callable[[str], str]) -> None:
    pages = (ORIGINAL, BATTERY, OTHER_NIGHT_SCHOOL)
    with open_store(index_url) as store:
        founded = [store.upsert_post(item(f"http://s{n}.example/x", text_of(page))).story_id
                   for n, page in enumerate(pages)]
        leads = [next(line for line in text_of(page).splitlines() if len(line) >= 60) for page in pages]
        for n, lead in enumerate(leads):  # each story's excerpt, the lead alone: they join their stories
            assert store.upsert_post(item(f"http://agg.example/{n}", script(lead))).story_id == founded[n]
        roundup = store.upsert_post(item("http://digest.example/1", script("\n".join(leads))))
        assert roundup.story_outcome == "new" and store.count_stories() == 4
        # A copy of an original after the round-up still finds its story, and only that one.
        copy = store.upsert_post(item("http://kuaixun.example/copy", text_of(EDITED_COPY)))
        assert (copy.story_outcome, copy.story_id) == ("joined", founded[0])


def test_resign_all_refolds_an_index_written_without_folding(index_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import crawler.content.text
    from crawler.content.neardup import MinHasher, opening_shingles, shingles
    from crawler.content.text import normalise_lines
    from crawler.index.schema import post_bands, post_signatures
    from crawler.index.stories import resign_all

    original, taiwan = text_of(ORIGINAL), _taiwan(text_of(ORIGINAL))
    template = "本網訊｜關注本網公眾號，每天早中晚三次推送全國熱點資訊"  # a Taiwan site's template line
    monkeypatch.setattr(crawler.content.text, "fold_script", lambda text: text)  # as the index was written
    with open_store(index_url) as store:
        store.upsert_post(item("http://cyol.example/1", original, role="original"))
        unfolded_hash = content_hash(taiwan)
        store.upsert_post(item("http://tw.example/2", taiwan))
        for n, page in enumerate((BATTERY, OTHER_BATTERY, SNOW)):
            store.upsert_post(item(f"http://tw.example/t{n}", "\n".join([template, _taiwan(text_of(page))])))
        assert store.count_stories() == 5  # unfolded, the Taiwan copy is a story of its own
    monkeypatch.undo()

    with open_store(index_url) as store:
        with store.engine.begin() as conn:
            assert resign_all(conn, batch=2) == 5
        with store.engine.connect() as conn:
            by_url = {row.url: row for row in conn.execute(select(posts))}
            signatures = {row.post_id: row for row in conn.execute(select(post_signatures))}
            bands = {(row.post_id, row.bucket) for row in conn.execute(select(post_bands))}
            learnt = conn.execute(select(site_lines.c.stories).where(
                site_lines.c.site == "tw.example",
                site_lines.c.line_key == line_key(normalise_lines(template)[0]))).scalar()
        orig, copy = by_url["http://cyol.example/1"], by_url["http://tw.example/2"]
        # The hashes are the folded ones; the Traditional copy folds to its original's, which that
        # post keeps: the copy keeps its old hash, and its text, key and story, untouched.
        assert orig.content_hash == content_hash(original)
        assert copy.content_hash == unfolded_hash and copy.text == taiwan and copy.key == unfolded_hash[:20]
        assert copy.story_id != orig.story_id
        # Signatures and buckets, whole text and opening, are those of the folded text.
        hasher = MinHasher()
        lines = normalise_lines(original)
        expected = hasher.signature(shingles(lines))
        for post in (orig, copy):
            assert MinHasher.from_bytes(signatures[post.id].signature).tolist() == expected.tolist()
            assert {bucket for post_id, bucket in bands if post_id == post.id} == {
                *hasher.buckets(expected), *hasher.opening_buckets(hasher.signature(opening_shingles(lines)))}
        assert learnt == 3  # the template line, counted again under its folded key
        # A new copy in either script now finds both and bridges them into one story.
        bridge = store.upsert_post(item("http://kuaixun.example/3", text_of(EDITED_COPY)))
        assert bridge.story_outcome == "merged" and bridge.story_id == min(orig.story_id, copy.story_id)


# -- after a real crawl of the demo web ------------------------------------------------------------------

REACHABLE = list(STORIES)  # every story is reached by some demo source


@pytest.mark.crawl
def test_demo_stories_cluster_as_the_catalog_says(crawl: Crawl) -> None:
    stored = crawl.posts()
    story_of = {bare(u.url): p.story_key for p in stored for u in p.urls}
    keys = {}
    for story in REACHABLE:
        pages = {story_of[crawl.web.ref_url(ref)] for ref in (*story.pages, *story.variants)}
        assert len(pages) == 1, story.key  # every copy, exact or near, in one story
        keys[story.key] = pages.pop()
    assert len(set(keys.values())) == len(REACHABLE)  # same topic or same template: still apart
    store = crawl.store()
    try:
        by_key = {s.key: s for s in store.stories()}
        with store.engine.connect() as conn:
            kuaixun = urlsplit(crawl.web.base_url("kuaixun")).netloc
            template = conn.execute(select(site_lines).where(
                site_lines.c.site == kuaixun, site_lines.c.stories >= TEMPLATE_STORIES)).all()
    finally:
        store.close()
    for story in REACHABLE:
        if story.original:
            assert by_key[keys[story.key]].representative.alternate == crawl.web.ref_url(story.original)
    assert len(template) == 3  # the portal's lead line, advert and disclaimer


def _entries(path: Path) -> dict[str, Any]:
    """Every entry of a feed, across its RFC 5005 archive pages."""
    from tests.test_atom_export import history

    return {e.findtext(f"{ATOM}id"): e for e in history(path)}


@pytest.mark.crawl
def test_all_atom_story_entries_link_every_copy_and_carry_the_original_as_source(crawl: Crawl) -> None:
    entries = _entries(crawl.data / "feeds" / "all.atom")
    by_title = {e.findtext(f"{ATOM}title"): e for e in entries.values()}
    for story in (s for s in REACHABLE if s.variants):
        entry = by_title[story.title]
        links = {(link.get("rel"), bare(link.get("href"))) for link in entry.findall(f"{ATOM}link")}
        assert ("alternate", crawl.web.ref_url(story.original or "")) in links
        assert {("via", crawl.web.ref_url(ref)) for ref in (*story.copies, *story.variants)} <= links
        source = entry.find(f"{ATOM}source")
        assert source is not None and source.findtext(f"{ATOM}title") == story.source_name
        assert source.find(f"{ATOM}link").get("href") == crawl.web.base_url("cyol") + "/"
        assert source.findtext(f"{ATOM}id").startswith("tag:") and source.findtext(f"{ATOM}updated")
    no_original = by_title[next(s.title for s in REACHABLE if s.key == "no-link")]
    assert no_original.find(f"{ATOM}source") is None


@pytest.mark.crawl
def test_per_source_entries_point_to_their_story(crawl: Crawl) -> None:
    stories = _entries(crawl.data / "feeds" / "all.atom")
    edited_copy = crawl.web.ref_url(next(s for s in STORIES if s.key == "same-story").variants[0])
    found = False
    for path in (crawl.data / "feeds" / "sources").glob("*.atom"):
        for entry in _entries(path).values():
            story = entry.findtext(f"{FA}story")
            assert story in stories, (path.name, story)
            if edited_copy in {bare(link.get("href")) for link in entry.findall(f"{ATOM}link")}:
                found = True
                assert stories[story].findtext(f"{ATOM}title") == STORIES[0].title
                assert story != entry.findtext(f"{ATOM}id")  # its own post id, its story's id
    assert found


@pytest.mark.crawl
def test_recrawl_keeps_every_post_in_its_story(crawl: Crawl, recrawl: Crawl) -> None:
    first = {p.key: p.story_key for p in crawl.posts()}
    assert {p.key: p.story_key for p in recrawl.posts()} == first


# -- feedarchiver same-story ------------------------------------------------------------------------------


def _save(web: DemoWeb, ref: str, path: Path) -> str:
    with urllib.request.urlopen(web.ref_url(ref), timeout=10) as response:
        path.write_bytes(response.read())
    return str(path)


def test_same_story_command(demo_web: DemoWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    same = next(s for s in STORIES if s.key == "same-story")
    original = _save(demo_web, same.original or "", tmp_path / "original.html")
    edited = _save(demo_web, same.variants[0], tmp_path / "edited.html")
    snow = _save(demo_web, "kuaixun:/news/2026-11-22/doc-ikxsnow8820417.shtml", tmp_path / "snow.html")
    marathon = _save(demo_web, "kuaixun:/news/2026-11-21/doc-ikxmara8817093.shtml", tmp_path / "marathon.html")

    assert main(["same-story", original, edited]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["same"] is True and result["threshold"] == 0.5
    assert 0.5 <= result["similarity"] <= 1 and result["a"]["title"] == same.title

    assert result["containment"] == max(result["a_in_b"], result["b_in_a"]) and result["excerpt"] is False

    taiwan = tmp_path / "taiwan.html"  # the original as a Taiwan portal re-publishes it
    taiwan.write_text(_taiwan(Path(original).read_text(encoding="utf-8")), encoding="utf-8")
    assert main(["same-story", original, str(taiwan)]) == 0
    folded = json.loads(capsys.readouterr().out)
    assert folded["same"] is True and folded["similarity"] == folded["a_in_b"] == folded["b_in_a"] == 1.0
    assert folded["similarity_unfolded"] < 0.5  # what it would be without folding the script

    assert main(["same-story", snow, marathon]) == 0  # two briefs on one template
    result = json.loads(capsys.readouterr().out)
    assert result["same"] is False and result["same_site"] is True and 0 <= result["similarity"] < 0.5

    assert main(["same-story", original, edited, "--threshold", "0.95"]) == 0
    strict = json.loads(capsys.readouterr().out)
    assert (strict["same"], strict["threshold"]) == (False, 0.95)
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body></body></html>", encoding="utf-8")
    assert main(["same-story", original, str(empty)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "empty.html" in err[0]
    assert main(["same-story", original, str(tmp_path / "absent.html")]) == 2
    assert main(["same-story", original, edited, "--threshold", "1.5"]) == 2


# -- the labelled evaluation set ----------------------------------------------------------------------------


def test_labelled_evaluation_meets_the_targets() -> None:
    run = subprocess.run([sys.executable, "bench/story_eval.py", "--check"], capture_output=True, text=True,
                         cwd=ROOT, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "index store      precision" in run.stdout
