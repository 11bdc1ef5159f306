"""Feeds any reader and the W3C Feed Validation Service accept: hrefs are RFC 3986 URIs (no raw
Chinese), every document names itself (rel="self"), per-source entries have ids of their own (a reader
following all.atom and a source's feed shows every entry), and Hexo posts keep the seed's three
category levels."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote

import feedparser
from lxml import etree

from tests.conftest import Crawl
from tests.test_serve import get, served  # noqa: F401 - the module's served crawl

ATOM = "{http://www.w3.org/2005/Atom}"
# RFC 3986: unreserved, reserved and percent-escapes; nothing else (no space, no non-ASCII).
URI_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")


def documents(crawl: Crawl) -> list[Path]:
    found = sorted((crawl.data / "feeds").rglob("*.atom"))
    assert found, "the export wrote no Atom document"
    return found


def test_every_href_is_a_uri_and_every_document_names_itself(crawl: Crawl) -> None:
    non_ascii_paths = [p for p in documents(crawl) if not p.relative_to(crawl.data).as_posix().isascii()]
    assert non_ascii_paths, "the demo's category feeds have Chinese names: the case that needs escaping"
    for path in documents(crawl):
        root = etree.parse(str(path)).getroot()
        hrefs = [link.get("href") or "" for link in root.iter(f"{ATOM}link")]
        assert hrefs and all(set(href) <= URI_CHARS for href in hrefs), (path, [h for h in hrefs
                                                                              if not set(h) <= URI_CHARS])
        selves = [link.get("href") for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
        assert selves == [quote(path.name)], (path, selves)  # relative: no public_base_url in this crawl


def test_each_source_entry_has_its_own_id_and_names_its_story(crawl: Crawl) -> None:
    feeds = crawl.data / "feeds"
    story_ids = {e.id for e in feedparser.parse((feeds / "all.atom").read_bytes()).entries}
    source_feeds = sorted((feeds / "sources").glob("*.atom"))
    assert story_ids and source_feeds
    for path in source_feeds:
        root = etree.parse(str(path)).getroot()
        for entry in root.findall(f"{ATOM}entry"):
            assert entry.findtext(f"{ATOM}id") not in story_ids
            assert (entry.findtext("{https://github.com/feedarchiver/feedarchiver/ns/atom}story") or "").startswith(
                "tag:")


def test_a_reader_following_all_and_a_source_shows_every_entry(served: str, crawl: Crawl,  # noqa: F811
                                                                tmp_path: Path) -> None:
    newsboat = shutil.which("newsboat")
    assert newsboat, "newsboat is installed by deploy/test.sh"
    feeds = [f"{served}/feeds/all.atom", f"{served}/feeds/sources/qutoutiao-tech.atom"]
    (tmp_path / "urls").write_text("\n".join(feeds) + "\n", encoding="utf-8")
    (tmp_path / "config").write_text("", encoding="utf-8")
    run = subprocess.run([newsboat, "-u", str(tmp_path / "urls"), "-c", str(tmp_path / "cache.db"),
                          "-C", str(tmp_path / "config"), "-x", "reload"], capture_output=True, text=True,
                         timeout=60, check=False, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout + run.stderr
    expected = sum(len(feedparser.parse(get(url)[2]).entries) for url in feeds)
    with sqlite3.connect(tmp_path / "cache.db") as db:
        shown = db.execute("SELECT COUNT(*) FROM rss_item").fetchone()[0]
    assert expected > 0 and shown == expected


def test_hexo_posts_keep_three_category_levels_and_tag_the_rest(crawl: Crawl) -> None:
    posts = sorted((crawl.data / "hexo" / "_posts").glob("*.md"))
    assert posts
    tagged = 0
    for path in posts:
        front = path.read_text(encoding="utf-8").split("\n---\n", 2)[1]
        lists: dict[str, list[str]] = {}
        key = ""
        for line in front.splitlines():
            if line.startswith(" - "):
                lists[key].append(line[3:])
            else:
                key = line.split(":", 1)[0]
                lists[key] = []
        assert 1 <= len(lists["categories"]) <= 3, (path, front)
        tagged += bool(lists.get("tags"))
    assert tagged, "a story seen at several sources files the others' categories under tags"
