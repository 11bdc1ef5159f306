"""The Atom documents an export writes: valid, stable, linked to originals and copies."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import feedparser
import pytest
from lxml import etree

from crawler.demoweb import STORIES
from tests.conftest import Crawl

pytestmark = pytest.mark.crawl
ATOM = "{http://www.w3.org/2005/Atom}"
SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).parent / "data" / "atom.rng")))


def documents(crawl: Crawl) -> list[Path]:
    return sorted((crawl.data / "feeds").rglob("*.atom"))


def entries(path: Path) -> list[Any]:
    return etree.parse(str(path)).getroot().findall(f"{ATOM}entry")


HISTORY = "{http://purl.org/syndication/history/1.0}"


def link(document: Any, rel: str) -> str | None:
    found = [e.get("href") for e in document.findall(f"{ATOM}link") if e.get("rel") == rel]
    assert len(found) <= 1, f"more than one {rel} link"
    return found[0] if found else None


def history(current: Path) -> list[Any]:
    """Every entry of a feed: the subscription document, then each archive page via prev-archive,
    checking the RFC 5005 links and markers on the way (duplicates across pages are allowed)."""
    root = etree.parse(str(current)).getroot()
    assert root.find(f"{HISTORY}archive") is None, "the subscription document is not an archive"
    found = list(root.findall(f"{ATOM}entry"))
    path, newer = current, None
    while (prev := link(root, "prev-archive")) is not None:
        page = (path.parent / unquote(prev)).resolve()  # an href is a URI: escaped UTF-8
        root = etree.parse(str(page)).getroot()
        assert root.find(f"{HISTORY}archive") is not None, page
        assert (page.parent / unquote(link(root, "current") or "")).resolve() == current.resolve()
        if newer is not None:
            assert (page.parent / unquote(link(root, "next-archive") or "")).resolve() == newer
        assert root.findtext(f"{ATOM}id") == etree.parse(str(current)).getroot().findtext(f"{ATOM}id")
        found += root.findall(f"{ATOM}entry")
        path, newer = page, page
    return found


def ids_in_history(current: Path) -> set[str]:
    return {e.findtext(f"{ATOM}id") for e in history(current)}


def test_every_document_parses_cleanly_and_validates(crawl: Crawl) -> None:
    paths = documents(crawl)
    names = {p.relative_to(crawl.data / "feeds").as_posix() for p in paths}
    assert {"all.atom", "sources/qutoutiao-tech.atom", "sources/zaker-news.atom", "sources/cyol.atom"} <= names
    for path in paths:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.version == "atom10"
        assert SCHEMA.validate(etree.parse(str(path))), (path, SCHEMA.error_log)
        ids = [e.findtext(f"{ATOM}id") for e in entries(path)]
        assert len(ids) == len(set(ids)) and all(i.startswith("tag:") for i in ids)
        for entry in entries(path):
            alternates = [link for link in entry.findall(f"{ATOM}link") if link.get("rel") == "alternate"]
            assert len(alternates) == 1


def test_all_feed_has_one_entry_per_story_newest_first(crawl: Crawl) -> None:
    stories = {p.story_key for p in crawl.posts()}
    assert len(stories) < len(crawl.posts())
    assert {i.rsplit("/", 1)[1] for i in ids_in_history(crawl.data / "feeds" / "all.atom")} == stories
    parsed = feedparser.parse((crawl.data / "feeds" / "all.atom").read_bytes())
    assert len(parsed.entries) == 6, "feed_length of the demo config"
    published = [e.published_parsed for e in parsed.entries]
    assert published == sorted(published, reverse=True)
    for entry in parsed.entries:
        assert entry.content[0].value and "<script" not in entry.content[0].value
        assert entry.get("tags"), "categories"


def test_same_story_links_original_and_copies(crawl: Crawl) -> None:
    story = next(s for s in STORIES if s.key == "same-story")
    entry = next(e for e in history(crawl.data / "feeds" / "all.atom") if e.findtext(f"{ATOM}title") == story.title)
    links = {(e.get("rel"), (e.get("href") or "").split("?", 1)[0]) for e in entry.findall(f"{ATOM}link")}
    assert ("alternate", crawl.web.ref_url(story.original or "")) in links
    for copy in (*story.copies, *story.variants):  # exact and near-duplicate copies alike
        assert ("via", crawl.web.ref_url(copy)) in links
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")][:1] in (["新媒体"], [])
    assert entry.findtext(f"{ATOM}author/{ATOM}name")


def test_per_source_feed_keeps_its_own_posts(crawl: Crawl) -> None:
    assert crawl.posts(), "the crawl stored no post"
    for source in ("qutoutiao-tech", "zaker-news", "cyol"):
        current = crawl.data / "feeds" / "sources" / f"{source}.atom"
        assert len(ids_in_history(current)) == len(crawl.posts(source=source)) > 0


def test_entry_ids_survive_reexport_and_recrawl(crawl: Crawl, recrawl: Crawl) -> None:
    assert ids_in_history(crawl.data / "feeds" / "all.atom") == ids_in_history(recrawl.data / "feeds" / "all.atom")


def test_archive_pages_hold_the_whole_history_in_first_seen_order(crawl: Crawl) -> None:
    feeds = crawl.data / "feeds"
    pages = sorted((feeds / "archive" / "all").glob("*.atom"), key=lambda p: int(p.stem))
    assert len(pages) >= 2, "the demo spills into archives"
    for page in pages:
        assert len(entries(page)) == 6
    stories = {p.story_key for p in crawl.posts()}
    archived = {e.findtext(f"{ATOM}id") for page in pages for e in entries(page)}
    current = {e.findtext(f"{ATOM}id") for e in entries(feeds / "all.atom")}
    assert {i.rsplit("/", 1)[1] for i in archived | current} == stories


def test_category_feeds_at_every_level(crawl: Crawl) -> None:
    categories = crawl.data / "feeds" / "categories"
    for levels in (("新媒体",), ("新媒体", "趣头条"), ("新媒体", "趣头条", "科技"), ("新媒体", "ZAKER", "热点")):
        current = categories.joinpath(*levels[:-1]) / f"{levels[-1]}.atom"
        ids = ids_in_history(current)
        assert ids, current
        titles = {e.findtext(f"{ATOM}title") for e in history(current)}
        assert titles
    # A group holds every story of its sources and channels.
    group = ids_in_history(categories / "新媒体.atom")
    assert ids_in_history(categories / "新媒体" / "趣头条" / "科技.atom") <= group


def test_an_export_with_nothing_new_rewrites_nothing(crawl: Crawl) -> None:
    from tests.conftest import run_cli

    before = {p: p.stat().st_mtime_ns for p in documents(crawl)}
    again = run_cli("export", "--config", str(crawl.config), "--data", str(crawl.data))
    assert again.returncode == 0, again.stderr
    assert "(nothing changed since the last export)" in again.stdout, again.stdout
    # Without the last export's revision every document is checked against its heads: still nothing to write.
    from tests.test_incremental_export import forget_revision

    forget_revision(crawl.data)
    checked = run_cli("export", "--config", str(crawl.config), "--data", str(crawl.data))
    assert checked.returncode == 0, checked.stderr
    assert "(0 files written," in checked.stdout, checked.stdout
    assert {p: p.stat().st_mtime_ns for p in documents(crawl)} == before
