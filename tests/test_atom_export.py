"""The Atom documents an export writes: valid, stable, linked to originals and copies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    parsed = feedparser.parse((crawl.data / "feeds" / "all.atom").read_bytes())
    assert len(parsed.entries) == len(stories) < len(crawl.posts())
    assert {e.id.rsplit("/", 1)[1] for e in parsed.entries} == stories
    published = [e.published_parsed for e in parsed.entries]
    assert published == sorted(published, reverse=True)
    for entry in parsed.entries:
        assert entry.content[0].value and "<script" not in entry.content[0].value
        assert entry.get("tags"), "categories"


def test_same_story_links_original_and_copies(crawl: Crawl) -> None:
    story = next(s for s in STORIES if s.key == "same-story")
    parsed = feedparser.parse((crawl.data / "feeds" / "all.atom").read_bytes())
    entry = next(e for e in parsed.entries if e.title == story.title)
    links = {(link.rel, link.href.split("?", 1)[0]) for link in entry.links}
    assert ("alternate", crawl.web.ref_url(story.original or "")) in links
    for copy in (*story.copies, *story.variants):  # exact and near-duplicate copies alike
        assert ("via", crawl.web.ref_url(copy)) in links
    assert [t.term for t in entry.tags][:1] in (["新媒体"], [])
    assert entry.author


def test_per_source_feed_keeps_its_own_posts(crawl: Crawl) -> None:
    for source in ("qutoutiao-tech", "zaker-news", "cyol"):
        parsed = feedparser.parse((crawl.data / "feeds" / "sources" / f"{source}.atom").read_bytes())
        assert len(parsed.entries) == len(crawl.posts(source=source)) > 0


def test_entry_ids_survive_reexport_and_recrawl(crawl: Crawl, recrawl: Crawl) -> None:
    def ids(c: Crawl) -> list[str]:
        return [e.findtext(f"{ATOM}id") for e in entries(c.data / "feeds" / "all.atom")]

    assert ids(crawl) == ids(recrawl)
