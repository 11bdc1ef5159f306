"""The SSRF guard's rules and its allow-list configuration; Retry-After parsing (no network here:
tests/test_hostile.py proves both on a real crawl)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.utils.test import get_crawler

from crawler.config import load_config
from crawler.errors import ConfigError, ForbiddenAddress
from crawler.middlewares.retry_after import retry_after_seconds
from crawler.net.policy import AddressPolicy
from crawler.net.ssrf import browser_request_forbidden

NONE = AddressPolicy()


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.8.9.10:8080/x", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link_local"),
    ("http://[fe80::1]/", "link_local"),
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://[fd00::1]/", "private"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://0.0.0.0/", "private"),  # "this network": private in Python's table, unspecified too
    ("http://240.0.0.1/", "private"),  # 240/4 is "reserved" in RFC 1112, listed as private by Python
    ("http://100.64.0.1/", "not_global"),  # carrier-grade NAT
])
def test_forbidden_literals_are_blocked(url: str, reason: str) -> None:
    with pytest.raises(ForbiddenAddress) as blocked:
        NONE.judge_url(url)
    assert blocked.value.reason == reason
    assert "allow_networks or allow_hosts" in str(blocked.value)


def test_public_literals_pass_and_names_are_left_to_the_resolver() -> None:
    assert NONE.judge_url("http://93.184.216.34/") is None
    assert NONE.judge_url("https://[2606:4700::1111]/") is None
    assert NONE.judge_url("https://Example.COM/a") == "example.com"
    assert NONE.judge_url("ftp://127.0.0.1/") is None  # not fetched over HTTP at all
    with pytest.raises(ForbiddenAddress):
        NONE.judge_resolved("evil.example", ["93.184.216.34", "127.0.0.1"])  # any forbidden address is enough


def test_allow_lists_open_exactly_what_they_name() -> None:
    policy = AddressPolicy.parse(["10.1.0.0/16"], ["127.0.0.1:18700", "intranet.local:8080"])
    assert policy.judge_url("http://10.1.200.3/") is None
    with pytest.raises(ForbiddenAddress):
        policy.judge_url("http://10.2.0.1/")
    assert policy.judge_url("http://127.0.0.1:18700/feed.xml") is None
    with pytest.raises(ForbiddenAddress) as other_port:
        policy.judge_url("http://127.0.0.1:22/")
    assert other_port.value.reason == "port_not_allowed"
    with pytest.raises(ForbiddenAddress) as named:
        policy.judge_url("http://intranet.local:9090/")  # a named host on a port not listed
    assert named.value.reason == "port_not_allowed"
    assert policy.judge_url("http://intranet.local:8080/") is None
    policy.judge_resolved("intranet.local", ["10.9.9.9"])  # named by the operator: any address
    with pytest.raises(ForbiddenAddress):
        policy.judge_resolved("elsewhere.local", ["10.9.9.9"])
    policy.judge_resolved("elsewhere.local", ["10.1.0.5"])  # inside an allowed network


@pytest.mark.parametrize(("settings", "message"), [
    ('allow_networks = ["10.1.0.0/33"]', "allow_networks: '10.1.0.0/33' is not a network"),
    ('allow_networks = ["10.1.0.1/16"]', "has host bits set"),
    ('allow_hosts = ["127.0.0.1"]', "must be host:port"),
    ('allow_hosts = ["http://127.0.0.1:80/"]', "must be host:port"),
    ('allow_hosts = ["127.0.0.1:0"]', "must be host:port"),
    ('allow_hosts = ["127.0.0.1:99999"]', "must be host:port"),
    ('allow_hosts = "127.0.0.1:80"', "must be a list of strings"),
])
def test_bad_allow_lists_are_config_errors(tmp_path: Path, settings: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[settings]\n{settings}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_config(path, env={})


def test_allow_lists_load_from_config_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[settings]\nallow_hosts = ["[::1]:8080", "127.0.0.1:80"]\n', encoding="utf-8")
    settings = load_config(path, env={"FEEDARCHIVER_ALLOW_NETWORKS": "10.0.0.0/8, 192.168.0.0/16"}).settings
    assert settings.allow_hosts == ("[::1]:8080", "127.0.0.1:80")
    assert settings.allow_networks == ("10.0.0.0/8", "192.168.0.0/16")
    policy = AddressPolicy.parse(settings.allow_networks, settings.allow_hosts)
    assert policy.judge_url("http://[::1]:8080/") is None and policy.judge_url("http://192.168.3.4/") is None


def test_the_browser_is_never_sent_to_a_forbidden_address() -> None:
    # What BrowserDownloadHandler installs as scrapy-playwright's abort_request predicate.
    crawler = get_crawler()
    crawler.stats.open_spider()
    policy = AddressPolicy.parse([], ["127.0.0.1:8000"])

    def asks(url: str) -> bool:
        return asyncio.run(browser_request_forbidden(policy, crawler.stats, SimpleNamespace(url=url)))

    assert asks("http://169.254.169.254/latest/meta-data/") is True
    assert asks("http://localhost:8000/") is True  # resolved first: loopback, and not the listed host
    assert asks("http://127.0.0.1:8000/page") is False
    assert asks("http://93.184.216.34/") is False
    assert crawler.stats.get_value("ssrf/blocked") == 2


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    assert retry_after_seconds("120") == 120.0
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(later, now=now.timestamp()) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(days=1), usegmt=True), now=now.timestamp()) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds("-5") is None
