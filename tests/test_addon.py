"""The TOML configuration reaches a crawl through the Scrapy add-on, so `scrapy crawl` and
`feedarchiver crawl` crawl the same way: same allow-list, User-Agent, picture limits, same posts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scrapy.settings import Settings

from crawler.addon import apply
from crawler.archive.warc import iter_records
from crawler.demoweb import DemoWeb
from crawler.index import SqlIndexStore
from tests.conftest import ROOT, run_cli, with_settings

SOURCES = ("qutoutiao-tech", "cyol")  # an aggregator followed to its originals, and a publisher's JSON Feed


def _posts(data: Path) -> set[tuple[str, str, frozenset[str]]]:
    """Each post's text and title and every URL it was seen at (which one came first is a race)."""
    store = SqlIndexStore(f"sqlite:///{data / 'index.sqlite3'}")
    try:
        return {(p.content_hash, p.title, frozenset(u.url for u in p.urls)) for p in store.posts()}
    finally:
        store.close()


def _pictures(data: Path) -> set[str]:
    store = SqlIndexStore(f"sqlite:///{data / 'index.sqlite3'}")
    try:
        return {m.sha256 for m in store.media()}
    finally:
        store.close()


def _user_agents(data: Path) -> set[str]:
    agents = set()
    for path in sorted((data / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for _offset, _length, record in iter_records(fh, check_digests=False):
                if record.rec_type == "request" and record.http_headers is not None:
                    agents.add(record.http_headers.get_header("User-Agent") or "")
    return agents


def test_scrapy_crawl_and_feedarchiver_crawl_get_the_same_posts(demo_web: DemoWeb, tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(with_settings(demo_web.sources_toml(), user_agent="addon-test/1.0 (+mailto:ops@example.org)"),
                      encoding="utf-8")
    by_cli = tmp_path / "cli"
    crawl = run_cli("crawl", *SOURCES, "--config", str(config), "--data", str(by_cli))
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr

    by_scrapy = tmp_path / "scrapy"
    env = {**os.environ, "FEEDARCHIVER_CONFIG": str(config), "FEEDARCHIVER_DATA": str(by_scrapy),
           "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    plain = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "feed", "-a", f"sources={','.join(SOURCES)}"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert plain.returncode == 0, plain.stdout + plain.stderr[-3000:]
    # The demo web is on loopback: without the file's allow_hosts the SSRF guard would refuse all of it.
    assert "SSRF guard" not in plain.stderr

    cli_posts = _posts(by_cli)
    assert len(cli_posts) >= 5 and _pictures(by_cli)
    assert _posts(by_scrapy) == cli_posts
    assert _pictures(by_scrapy) == _pictures(by_cli)
    assert _user_agents(by_scrapy) == _user_agents(by_cli) == {"addon-test/1.0 (+mailto:ops@example.org)"}


def test_command_line_settings_win_over_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "f.toml"
    config.write_text('[settings]\nimage_max_bytes = 1234\nallow_hosts = ["127.0.0.1:9"]\n', encoding="utf-8")
    settings = Settings({"FEEDARCHIVER_CONFIG": str(config), "FEEDARCHIVER_DATA": str(tmp_path)})
    settings.set("IMAGE_ARCHIVE_MAX_BYTES", 99, priority="cmdline")
    apply(settings)
    assert settings.getint("IMAGE_ARCHIVE_MAX_BYTES") == 99  # -s NAME=VALUE stays the last word
    assert settings.getlist("SSRF_ALLOW_HOSTS") == ["127.0.0.1:9"]
    assert settings.get("INDEX_URL") == f"sqlite:///{tmp_path.resolve() / 'index.sqlite3'}"
    assert settings.get("WARC_DIR") == str(tmp_path.resolve() / "warc")
