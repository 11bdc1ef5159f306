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


READING_COMMANDS = [
    ["export"], ["serve", "--port", "0"], ["verify"], ["sources"], ["daemon"],
]


@pytest.mark.parametrize("command", READING_COMMANDS, ids=lambda c: c[0])
def test_a_mistyped_data_directory_is_refused_not_created(command: list[str], demo_web: DemoWeb, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text(demo_web.sources_toml() + '\n[[schedules]]\nname = "a"\nsources = "*"\ninterval = 60\n',
                      encoding="utf-8")
    typo = tmp_path / "no-such-dir"
    assert main([*command, "--config", str(config), "--data", str(typo)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(typo) in err[0] and "feedarchiver crawl" in err[0], err
    assert not typo.exists()  # nothing made there: no index, no empty feeds to publish
    empty = tmp_path / "empty"
    empty.mkdir()
    if command[0] == "daemon":
        return  # an existing directory is the daemon's to fill (its first crawl makes the index)
    assert main([*command, "--config", str(config), "--data", str(empty)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"no index in {empty}" in err[0] and "feedarchiver crawl" in err[0], err
    assert list(empty.iterdir()) == []


def test_the_demo_web_alone_serves_a_config_that_crawls_it(tmp_path: Path) -> None:
    import signal
    import socket
    import subprocess
    import sys
    import time
    import tomllib

    from crawler.demoweb import HOSTS
    from tests.conftest import ROOT
    from tests.test_signals import free_port_range

    base = free_port_range(len(HOSTS))
    with subprocess.Popen([sys.executable, "-m", "crawler", "demo", "--web-only", "--port", str(base)], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as web:
        try:
            assert web.stdout is not None
            lines = []
            for line in web.stdout:
                lines.append(line)
                if line.startswith("# (end"):
                    break
            text = "".join(lines)
            config = tmp_path / "demo.toml"
            config.write_text(text, encoding="utf-8")
            declared = tomllib.loads(text)
            # On the fixed ports asked for, and allowed past the SSRF guard.
            assert declared["settings"]["allow_hosts"] == [f"127.0.0.1:{base + i}" for i in range(len(HOSTS))]
            crawl = run_cli("crawl", "--all", "--config", str(config), "--data", str(tmp_path / "data"))
            assert crawl.returncode == 0, crawl.stdout + crawl.stderr
            found = re.search(r"crawled (\d+) pages, (\d+) posts", crawl.stdout)
            assert found and int(found.group(2)) > 10, crawl.stdout
            sent = time.monotonic()
            web.send_signal(signal.SIGINT)  # Ctrl-C
            assert web.wait(timeout=30) == 0 and time.monotonic() - sent < 10
        finally:
            if web.poll() is None:
                web.kill()
    for port in range(base, base + len(HOSTS)):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_first_run_without_internet_prints_no_traceback(tmp_path: Path) -> None:
    """Everything but loopback refused (a network namespace with only `lo`, else proxies that refuse),
    and a fresh tldextract cache, as on a new machine: the demo runs, with no traceback."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT, free_port

    env = {**os.environ, "TLDEXTRACT_CACHE": str(tmp_path / "tldextract"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None)
    argv = [sys.executable, "-m", "crawler", "demo", "--once", "--data", str(tmp_path / "demo"), "--web-port", "0"]
    isolated = shutil.which("unshare") and subprocess.run(
        ["unshare", "-n", "true"], capture_output=True, check=False).returncode == 0
    if isolated:
        argv = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *argv]
    else:
        closed = f"http://127.0.0.1:{free_port()}"
        env.update({"HTTP_PROXY": closed, "HTTPS_PROXY": closed, "http_proxy": closed, "https_proxy": closed,
                    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output and "publicsuffix" not in output.lower(), output
    assert "exported " in result.stdout
