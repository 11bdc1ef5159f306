"""The whole flow on the demo web: what lands in the index after one real crawl."""

from __future__ import annotations

from datetime import datetime

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.demoweb import STORIES, Story
from crawler.demoweb.catalog import BROKEN_LINKS
from tests.conftest import Crawl, bare

pytestmark = pytest.mark.crawl
# Every story: copies through the aggregators' feeds and APIs, originals through feeds and list pages.
REACHABLE = list(STORIES)


def test_every_reachable_story_is_stored_exactly_once(crawl: Crawl) -> None:
    everything = crawl.posts()
    # Entries whose page gave no post are kept as posts built from their feed, under the feed's URL:
    # the truncated feed's last entry lost its link in the cut (its guid is no permalink), and the
    # entries linking pages that are gone (BROKEN_LINKS).
    from_feed = [p for p in everything if all("#" in u.url for u in p.urls)]
    broken_feed = crawl.web.ref_url("qutoutiao:/rss/broken.xml")
    assert "新能源车冬季续航怎么保？专家支招：提前预热电池、合理使用空调" in {
        p.title for p in from_feed if p.urls[0].url.startswith(broken_feed + "#")}
    posts = [p for p in everything if p not in from_feed]
    # One post per distinct text: the story's own, and one per near-duplicate variant.
    assert len(posts) == len(REACHABLE) + sum(len(s.variants) for s in REACHABLE)
    assert len({p.content_hash for p in everything}) == len(everything)
    assert len({p.story_key for p in posts}) == len(REACHABLE)
    for story in REACHABLE:
        post = crawl.post_at(story.pages[0])
        assert post.title == story.title


@pytest.mark.parametrize("story", REACHABLE, ids=lambda s: s.key)
def test_story_is_linked_to_every_url_it_was_seen_at(crawl: Crawl, story: Story) -> None:
    post = crawl.post_at(story.pages[0])
    urls = {bare(u.url) for u in post.urls}
    assert {crawl.web.ref_url(ref) for ref in story.pages} <= urls
    roles = {bare(u.url): u.role for u in post.urls}
    for ref in story.copies:
        assert roles[crawl.web.ref_url(ref)] == "copy"
    if story.original and story.copies:
        assert roles[crawl.web.ref_url(story.original)] == "original"
    if story.original:
        assert post.original_url == crawl.web.ref_url(story.original)


@pytest.mark.parametrize("story", REACHABLE, ids=lambda s: s.key)
def test_metadata_dates_attribution_and_author(crawl: Crawl, story: Story) -> None:
    post = crawl.post_at(story.pages[0])
    assert post.published is not None and post.published.tzinfo is not None
    if story.published:
        assert post.published == datetime.fromisoformat(story.published)
    if story.source_name:
        assert post.source_name is not None and post.source_name.startswith(story.source_name)
        assert post.source_name != post.author
    if story.author:
        assert post.author == story.author
    assert post.categories, "categories come from the source config"
    assert "<script" not in post.body_html.lower()


def test_gbk_original_is_decoded(crawl: Crawl) -> None:
    story = next(s for s in REACHABLE if s.encoding == "gbk")
    post = crawl.post_at(story.pages[0])
    assert "\ufffd" not in post.text and "\ufffd" not in post.title
    assert story.title in post.title


def test_same_story_on_two_aggregators_and_origin_is_one_post(crawl: Crawl) -> None:
    story = next(s for s in STORIES if s.key == "same-story")
    post = crawl.post_at(story.original or "")
    # Each aggregator's copy is reached twice: through its feed and through its own spider.
    assert {u.source for u in post.urls} >= {"qutoutiao-tech", "zaker-news", "qutoutiao-api", "zaker-channel"}
    assert {u.source for u in post.urls if u.role == "copy"} == {"qutoutiao-tech", "zaker-news", "qutoutiao-api",
                                                                 "zaker-channel"}
    assert len({bare(u.url) for u in post.urls if u.role == "copy"}) == 2


def test_posts_point_at_readable_warc_records_of_their_url(crawl: Crawl) -> None:
    assert crawl.posts(), "the crawl stored no post"
    for post in crawl.posts():
        assert post.captures, post.url
        for ref in post.captures:
            with open(crawl.data / "warc" / ref["warc_file"], "rb") as fh:
                fh.seek(ref["offset"])
                record = next(iter(ArchiveIterator(fh)))
                # A page fetched twice in a crawl (two feeds list it) is a revisit the second time;
                # a page rendered by a browser is a DOM, kept as a resource record.
                assert record.rec_type in ("response", "revisit", "resource")
                assert record.rec_headers.get_header("WARC-Target-URI") == ref["url"]
                assert record.rec_headers.get_header("WARC-Record-ID") == ref["record_id"]


def test_redirect_hop_is_captured_with_the_post(crawl: Crawl) -> None:
    story = next(s for s in STORIES if s.key == "redirected")
    post = crawl.post_at(story.copies[0])
    urls = [bare(ref["url"]) for ref in post.captures]
    assert crawl.web.ref_url(BROKEN_LINKS["redirect"]) in urls
    assert crawl.web.ref_url(story.copies[0]) in urls


def test_broken_things_are_counted_per_source_and_the_rest_goes_on(crawl: Crawl) -> None:
    store = crawl.store()
    try:
        health = store.source_health()
    finally:
        store.close()
    tech = health["qutoutiao-tech"]
    assert tech.last_errors >= 1 and tech.last_items > 0 and tech.last_status == "errors"
    broken = health["qutoutiao-broken"]  # truncated mid-item: an error, and the entries before the cut kept
    assert broken.last_status == "errors" and broken.details.get("error/feed_malformed") == 1
    assert broken.last_error is not None and broken.last_error.startswith("feed_malformed")
    assert broken.last_items >= 1
    assert health["zaker-news"].last_status == "ok" and health["cyol"].last_status == "ok"
    assert "http_404" in crawl.output and "feed_malformed" in crawl.output


def test_recrawl_adds_no_duplicates(crawl: Crawl, recrawl: Crawl) -> None:
    first = {p.key: p for p in crawl.posts()}
    second = {p.key: p for p in recrawl.posts()}
    assert first.keys() == second.keys()
    for key, post in second.items():
        assert len(post.urls) == len(first[key].urls)
        assert len(post.captures) > len(first[key].captures)  # every fetch is archived again
