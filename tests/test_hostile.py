"""The web is hostile: one crawl of the demo web's hostile corner (crawler/demoweb/hostile.py), then
a probe of the fetch-level traps. Everything bad is blocked or cut, counted, and the crawl goes on.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from lxml import etree

from crawler.demoweb import DemoWeb
from crawler.demoweb.hostile import HOSTILE_FEED, HOSTILE_MANY, MANY_ENTRIES, METADATA_URL, PRIVATE_URL
from tests.conftest import ROOT, Crawl, run_cli

pytestmark = pytest.mark.crawl

CONTACT = "https://archive.example.org/contact"
MANY_LIMIT = 40
HOSTILE_SOURCES = r"""
[sources.hostile]
kind = "feed"
title = "Hostile"
urls = ["{feed}"]
categories = ["测试", "Hostile", "cat]\n- evil: [1 <script>alert('xss-category')</script>"]
follow_original = false

[sources.hostile-many]
kind = "feed"
title = "Many"
urls = ["{many}"]
follow_original = false
"""


@pytest.fixture(scope="module")
def hostile(demo_web: DemoWeb, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    data = tmp_path_factory.mktemp("hostile")
    config = data / "sources.toml"
    text = demo_web.sources_toml().replace(
        "[settings]\n", f'[settings]\nuser_agent = "feedarchiver-test/1.0 (+{CONTACT})"\n', 1)
    sources = HOSTILE_SOURCES.format(feed=demo_web.ref_url(HOSTILE_FEED), many=demo_web.ref_url(HOSTILE_MANY))
    # Sources after [settings] would be read as settings: put them before it.
    config.write_text(text.replace("[settings]\n", sources + "\n[settings]\n", 1), encoding="utf-8")
    crawl = run_cli("crawl", "hostile", "hostile-many", "--config", str(config), "--data", str(data / "data"),
                    "-s", f"FEED_MAX_ENTRIES={MANY_LIMIT}")
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    export = run_cli("export", "--config", str(config), "--data", str(data / "data"))
    assert export.returncode == 0, export.stdout + export.stderr
    return Crawl(data=data / "data", config=config, output=crawl.stdout + crawl.stderr, web=demo_web)


def hostile_paths(web: DemoWeb) -> list[str]:
    return [entry.path for entry in web.requests if entry.host == "broken" and entry.path.startswith("/hostile/")]


def test_crawl_never_reaches_private_addresses(hostile: Crawl) -> None:
    # The redirect to localhost resolves to loopback: GuardedResolver refuses it, the secret is never asked.
    assert "/hostile/secret" not in hostile_paths(hostile.web)
    assert "/hostile/to-localhost" in hostile_paths(hostile.web)
    output = hostile.output
    assert "fetches of private addresses blocked (SSRF guard)" in output, output
    blocked = int(re.search(r"(\d+) fetches of private addresses blocked", output).group(1))  # type: ignore[union-attr]
    # The metadata redirect, the localhost redirect, the private IP entry, the metadata picture.
    assert blocked >= 4, output
    assert "169.254.169.254" in output and "10.0.0.1" in output and "localhost" in output
    assert "ssrf_blocked" in output  # counted as an error of the source that linked there


def test_xss_corpus_leaves_no_trace_in_any_output(hostile: Crawl) -> None:
    # Everything published (the exporter's own .export-state.json is bookkeeping, not output).
    outputs = [p for p in (hostile.data / "feeds").rglob("*") if p.is_file() and not p.name.startswith(".")]
    outputs += [p for p in (hostile.data / "hexo").rglob("*.md")]
    assert any(p.suffix == ".json" for p in outputs) and any(p.suffix == ".md" for p in outputs)
    posts = {p.title: p for p in hostile.posts("hostile")}
    assert any(t.startswith('Title "quoted"') for t in posts), sorted(posts)  # the corpus page was archived
    forbidden = re.compile(r"<script|<svg|<iframe|<object|<embed|<style|<base|<meta http-equiv|<form|<math|"
                           r"javascript:|data:text/html|data:image/svg|vbscript:|\son[a-z]+\s*=|expression\(",
                           re.IGNORECASE)
    for path in outputs:
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".xml", ".atom", ".rss", ".json"):
            # Feeds carry HTML escaped once; a reader unescapes it, so judge what it would see.
            text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
            text = text.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"')
        found = forbidden.findall(text)
        assert not found, f"{path}: {found[:5]}"
    for post in posts.values():
        assert not forbidden.findall(post.body_html or ""), post.url


def test_feeds_stay_valid_xml_and_hexo_front_matter_stays_one_mapping(hostile: Crawl) -> None:
    documents = [p for p in (hostile.data / "feeds").rglob("*") if p.suffix in (".atom", ".rss", ".xml")]
    assert any(p.suffix == ".atom" for p in documents) and any(p.suffix == ".rss" for p in documents)
    for path in documents:
        etree.parse(str(path))  # raises on anything not well-formed (control characters included)
    for path in (hostile.data / "feeds").rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
    titles = []
    for path in (hostile.data / "hexo").rglob("*.md"):
        text = path.read_text(encoding="utf-8").lstrip("\n")  # the seed blog's files start with a blank line
        assert text.startswith("---\n")
        front, _, _ = text[4:].partition("\n---\n")
        meta = yaml.safe_load(front)
        assert isinstance(meta, dict) and "layout" not in meta and "evil" not in meta and "x" not in meta, front
        titles.append(str(meta.get("title", "")))
        for category in meta.get("categories") or []:
            assert isinstance(category, str)  # never a mapping or list smuggled in through a category
    assert any("quoted" in title for title in titles), titles  # the evil title survived as plain text


def test_bad_input_is_counted_while_the_crawl_goes_on(hostile: Crawl) -> None:
    output = hostile.output
    posts = {u.url.rsplit("/", 1)[-1]: p for p in hostile.posts("hostile") for u in p.urls}
    # Invalid UTF-8, NUL and control characters: decoded, cleaned, archived.
    bad = posts["bad-bytes.html"]
    assert "\x00" not in bad.text and not re.search(r"[\x01-\x08\x0b\x0c\x0e-\x1f]", bad.text + (bad.body_html or ""))
    assert "正文一段" in bad.text
    # A 5 MB single line and 20,000 nested elements: extracted (or counted), never a crash.
    assert "one-line.html" in posts or "one-line.html" in output
    assert "nested.html" in posts or "nested.html" in output
    # Years 9999 and 1900 are not dates: counted, and the post is still kept without them.
    assert len(re.findall(r"bad_date: entry \S+/y(9999|1900)\.html", output)) == 2, output
    for name in ("y9999.html", "y1900.html"):
        published = posts[name].published
        assert published is None or 1990 <= published.year <= 2100, published
    # 429 with Retry-After: 1, then the page: the retry waited at least that second.
    busy = [e for e in hostile.web.requests if e.path == "/hostile/busy?from=feed"]
    assert [e.status for e in busy] == [429, 200]
    assert busy[1].at - busy[0].at >= 1.0
    assert "busy?from=feed" in posts
    # A feed of 10,000 entries: the first MANY_LIMIT read, the rest skipped and counted.
    assert "too_many_entries" in output and str(MANY_ENTRIES) in output
    asked = [p for p in hostile_paths(hostile.web) if p.startswith("/hostile/entry/")]
    assert 0 < len(asked) <= MANY_LIMIT


def test_user_agent_names_the_contact_from_config(hostile: Crawl) -> None:
    agents = {e.headers.get("user-agent") for e in hostile.web.requests if e.path.startswith("/hostile/")}
    assert agents == {f"feedarchiver-test/1.0 (+{CONTACT})"}


def test_robots_txt_is_asked_first(hostile: Crawl) -> None:
    paths = [e.path for e in hostile.web.requests if e.host == "broken"]
    assert "/robots.txt" in paths


# -- fetch-level traps, through the project's real settings (tests/probe_spider.py) ----------------------------


@dataclass
class Probe:
    outcomes: dict[str, dict[str, Any]]
    output: str


@pytest.fixture(scope="module")
def probe(demo_web: DemoWeb, tmp_path_factory: pytest.TempPathFactory) -> Probe:
    data = tmp_path_factory.mktemp("hostile-probe")
    urls = [demo_web.url("broken", "/hostile/bomb"), demo_web.url("broken", "/hostile/unavailable"),
            demo_web.url("broken", "/hostile/to-private"), demo_web.url("broken", "/hostile/busy?from=probe"),
            demo_web.url("broken", "/loop"), demo_web.url("broken", "/slow"), METADATA_URL,
            demo_web.url("broken", "/hostile/secret").replace("127.0.0.1", "localhost"),
            demo_web.url("broken", "/hostile/secret").replace("127.0.0.1", "[::ffff:127.0.0.1]")]
    out = data / "outcomes.json"
    run = subprocess.run(
        [sys.executable, "-m", "scrapy", "runspider", str(ROOT / "tests" / "probe_spider.py"),
         "-a", "urls=" + ",".join(urls), "-a", f"out={out}", "-s", f"FEEDARCHIVER_DATA={data}",
         "-s", "SSRF_ALLOW_HOSTS=" + ",".join(demo_web.allow_hosts), "-s", "DOWNLOAD_MAXSIZE=1000000",
         "-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=2", "-s", "RETRY_BACKOFF_BASE=0.2",
         "-s", "REDIRECT_MAX_TIMES=5", "-s", "LOG_LEVEL=INFO"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return Probe(json.loads(out.read_text(encoding="utf-8")), run.stdout + run.stderr)


def outcome(probe: Probe, url: str) -> dict[str, Any]:
    return probe.outcomes[url]


def test_decompression_bomb_is_cut_at_the_size_limit(probe: Probe, demo_web: DemoWeb) -> None:
    bomb = outcome(probe, demo_web.url("broken", "/hostile/bomb"))
    assert "error" in bomb and "status" not in bomb, bomb  # 64 MiB inflated never reached the spider
    assert "exceeds DOWNLOAD_MAXSIZE" in probe.output or "IgnoreRequest" in bomb["error"], probe.output[-3000:]


def test_503_backs_off_then_fails_counted(probe: Probe, demo_web: DemoWeb) -> None:
    answer = outcome(probe, demo_web.url("broken", "/hostile/unavailable"))
    assert answer.get("error") == "HttpError" or answer.get("status") == 503, answer
    asked = [e for e in demo_web.requests if e.path == "/hostile/unavailable"]
    assert len(asked) == 3  # the first answer and RETRY_TIMES retries
    gaps = [b.at - a.at for a, b in itertools.pairwise(asked)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4, gaps  # doubled per 503 in a row
    assert probe.outcomes["__stats__"]["retry_after/backoff"] == 3


def test_retry_after_is_honoured(probe: Probe, demo_web: DemoWeb) -> None:
    assert outcome(probe, demo_web.url("broken", "/hostile/busy?from=probe")).get("status") == 200
    busy = [e for e in demo_web.requests if e.path == "/hostile/busy?from=probe"]
    assert [e.status for e in busy] == [429, 200] and busy[1].at - busy[0].at >= 1.0
    assert probe.outcomes["__stats__"]["retry_after/honoured"] == 1


def test_every_ssrf_route_is_blocked_and_counted(probe: Probe, demo_web: DemoWeb) -> None:
    secret_by_name = demo_web.url("broken", "/hostile/secret").replace("127.0.0.1", "localhost")
    mapped = demo_web.url("broken", "/hostile/secret").replace("127.0.0.1", "[::ffff:127.0.0.1]")
    for url in (METADATA_URL, secret_by_name, mapped, demo_web.url("broken", "/hostile/to-private")):
        assert outcome(probe, url).get("error") == "BlockedAddress", (url, outcome(probe, url))
    assert "/hostile/secret" not in [e.path for e in demo_web.requests]
    assert PRIVATE_URL in probe.output
    stats = probe.outcomes["__stats__"]
    # Each forbidden host is asked twice, robots.txt first (RobotsTxtMiddleware), and refused both times.
    assert stats["ssrf/blocked"] == 8, stats
    assert stats["ssrf/blocked/link_local"] == 2 and stats["ssrf/blocked/private"] == 2
    assert stats["ssrf/blocked/loopback"] == 4  # by name (resolved) and as an IPv4-mapped IPv6 literal


def test_redirect_loop_and_slow_page_end_in_clear_errors(probe: Probe, demo_web: DemoWeb) -> None:
    assert "error" in outcome(probe, demo_web.url("broken", "/loop"))
    assert "max redirections" in probe.output.lower() or "redirect" in probe.output.lower()
    assert outcome(probe, demo_web.url("broken", "/slow")).get("error") in ("DownloadTimeoutError", "TimeoutError")
