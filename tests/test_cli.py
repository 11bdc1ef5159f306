"""The command line as a user types it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import feedparser
import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import main
from crawler.demoweb import STORIES, DemoWeb
from tests.conftest import Crawl, run_cli


def test_missing_config_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crawl", "--all", "--config", str(tmp_path / "missing.toml"), "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "config file not found" in err[0]


def test_unknown_source_and_nothing_selected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[sources.a]\nkind = "feed"\nurls = ["http://127.0.0.1:9/x"]\n', encoding="utf-8")
    assert main(["crawl", "nope", "--config", str(config), "--data", str(tmp_path)]) == 2
    assert "unknown source(s): nope" in capsys.readouterr().err
    assert main(["crawl", "--config", str(config), "--data", str(tmp_path)]) == 2
    assert "pass --all" in capsys.readouterr().err


def test_sources_shows_health(crawl: Crawl, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "--config", str(crawl.config), "--data", str(crawl.data)]) == 0
    out = capsys.readouterr().out
    for name in ("qutoutiao-tech", "zaker-news", "cyol", "qutoutiao-broken"):
        assert name in out
    assert "last error: feed_malformed" in out and "last run: errors" in out and "last run: ok" in out


def test_extract_a_saved_page(demo_web: DemoWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import urllib.request

    story = next(s for s in STORIES if s.key == "gbk-origin")
    url = demo_web.ref_url(story.original or "")
    page = tmp_path / "page.html"
    page.write_bytes(urllib.request.urlopen(url, timeout=10).read())
    assert main(["extract", str(page), "--url", url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["title"] == story.title
    assert data["published"] == story.published
    assert data["url"] == url and data["text"]
    assert main(["extract", str(tmp_path / "absent.html")]) == 2


def test_demo_once_twice_adds_no_duplicates(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    first = run_cli("demo", "--once", "--data", str(data))
    assert first.returncode == 0, first.stdout + first.stderr
    feed1 = feedparser.parse((data / "feeds" / "all.atom").read_bytes())
    assert list((data / "warc").glob("*.warc.gz")) and (data / "index.sqlite3").exists()
    second = run_cli("demo", "--once", "--data", str(data))
    assert second.returncode == 0, second.stdout + second.stderr
    # What the first run archived is not stored again: the second run writes revisit records.
    revisits = re.search(r"; (\d+) revisits", second.stdout)
    assert revisits is not None and int(revisits.group(1)) > 0, second.stdout
    types = set()
    for warc in (data / "warc").glob("*.warc.gz"):
        with open(warc, "rb") as fh:
            types |= {record.rec_type for record in ArchiveIterator(fh)}
    assert "revisit" in types
    feed2 = feedparser.parse((data / "feeds" / "all.atom").read_bytes())
    assert len(feed1.entries) > 0
    assert [e.id for e in feed1.entries] == [e.id for e in feed2.entries]
    assert os.path.getsize(data / "index.sqlite3") > 0
