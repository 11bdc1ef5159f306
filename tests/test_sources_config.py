"""Source kinds in the config, the packaged real-world sources, page checks and the block back-off store."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.config import default_sources_path, is_xpath, load_config
from crawler.content.pagecheck import detect_challenge, soft_404, strip_query
from crawler.errors import ConfigError
from crawler.index import SqlIndexStore


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_kinds_and_their_own_keys(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
[sources.a]
kind = "list"
urls = ["http://127.0.0.1:1/list/"]
item = "ul.news li"
item_link = "a::attr(href)"
item_date = "./span[@class='date']"
next_page = "//a[.='下一页']/@href"
browser = true
max_pages = 2

[sources.q]
kind = "qutoutiao"
urls = ["http://127.0.0.1:1/content/outList"]
cids = [7, 255]
page_size = 10

[sources.z]
kind = "zaker"
urls = ["http://127.0.0.1:1"]
channels = [660, "13"]
"""), env={})
    a, q, z = config.sources["a"], config.sources["q"], config.sources["z"]
    assert a.selectors is not None and a.selectors.item == "ul.news li" and a.browser and a.max_pages == 2
    assert a.selectors.item_title is None and a.selectors.next_page == "//a[.='下一页']/@href"
    assert q.cids == (7, 255) and q.page_size == 10 and q.selectors is None
    assert z.channels == ("660", "13")
    assert is_xpath("./a/@href") and is_xpath("(//li)[1]") and not is_xpath("li > a")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('kind = "list"\nurls = ["http://a/"]', "needs `item`"),
        ('kind = "list"\nurls = ["http://a/"]\nitem = "li[[["', "not a valid CSS selector"),
        ('kind = "list"\nurls = ["http://a/"]\nitem = "//li[@"', "not valid XPath"),
        ('kind = "feed"\nurls = ["http://a/"]\nitem = "li"', "belong to another kind"),
        ('kind = "qutoutiao"\nurls = ["http://a/"]', "cids must be"),
        ('kind = "qutoutiao"\nurls = ["http://a/"]\ncids = ["tech"]', "cids must be"),
        ('kind = "qutoutiao"\nurls = ["http://a/"]\ncids = [7]\nchannels = ["1"]', "belong to another kind"),
        ('kind = "zaker"\nurls = ["http://a/"]\nchannels = []', "channels must be"),
        ('kind = "zaker"\nurls = ["http://a/"]\nchannels = ["../x"]', "channels must be"),
        ('kind = "feed"\nurls = ["http://a/"]\nmax_pages = 0', "max_pages must be"),
        ('kind = "feed"\nurls = ["http://a/"]\nbrowser = "yes"', "browser must be true or false"),
    ],
)
def test_bad_source_tables(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_config(write(tmp_path, "[sources.x]\n" + text), env={})


def test_packaged_sources_are_used_without_a_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./feedarchiver.toml here
    config = load_config(None, env={})
    assert config.path is None
    raw = tomllib.loads(default_sources_path().read_text("utf-8"))["sources"]
    assert set(config.sources) == set(raw) and len(raw) >= 10
    kinds = {s.kind for s in config.sources.values()}
    assert {"feed", "qutoutiao", "zaker"} <= kinds
    enabled = [s for s in config.sources.values() if s.enabled]
    assert len(enabled) >= 8
    for source in config.sources.values():
        assert source.categories, source.name
        assert all(url.startswith(("https://", "http://")) for url in source.urls)
    for source in enabled:
        # Enabled sources need nothing of the user: no placeholder host, no key.
        assert not any("example.org" in url or "key=" in url for url in source.urls), source.name
    assert any("rsshub.app/qutoutiao" in s.urls[0] for s in enabled)
    assert any("rsshub.app/zaker" in s.urls[0] for s in enabled)
    keyed = [s for s in config.sources.values() if any("key=" in u for u in s.urls)]
    assert keyed and not any(s.enabled for s in keyed)
    # A config file of one's own replaces the packaged list.
    mine = load_config(write(tmp_path, '[sources.mine]\nkind = "feed"\nurls = ["http://a/"]'), env={})
    assert set(mine.sources) == {"mine"}


SAFELINE = b"""<html><head><title>\xe8\xae\xbf\xe9\x97\xae\xe9\xaa\x8c\xe8\xaf\x81</title></head><body>
<script>window.captcha = {cookie: "sl-session"};</script>
<script src="https://challenge.rivers.chaitin.cn/challenge/v2/challenge.js"></script></body></html>"""


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ([], SAFELINE, "safeline"),
        ([("Set-Cookie", "sl-session=abc; Path=/")], b"<html><body><script>check()</script></body></html>", "safeline"),
        # The same cookie on a real page (after a passed challenge) is no challenge.
        ([("Set-Cookie", "sl-session=abc")], b"<html><body><p>a</p><p>b</p><p>c</p><script></script></body></html>",
         None),
        ([], b"<script>window.captcha={};document.cookie='sl-session='+x</script>", "safeline"),
        ([("cf-mitigated", "challenge")], b"<html>Just a moment...</html>", "cloudflare"),
        ([], b'<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1"></script>', "cloudflare"),
        ([("Set-Cookie", "acw_sc__v2=abc")], b"<html><script>var arg1='x';</script></html>", "aliyun"),
        ([("Set-Cookie", "zaker_uid=1; Path=/")], b"<html><body><p>an article</p></body></html>", None),
        # A long article that mentions the vendor is not a challenge page.
        ([], b"<html><body>" + "SafeLine 雷池是一款 WAF。".encode() * 10 + b"</body></html>", None),
    ],
)
def test_challenge_detection(headers: list[tuple[str, str]], body: bytes, expected: str | None) -> None:
    assert detect_challenge(headers, body) == expected


def test_soft_404_needs_a_short_page_or_the_title() -> None:
    assert soft_404("<html><title>页面不存在</title><body>" + "导航 " * 2000 + "</body></html>") == "not_found"
    assert soft_404("<html><body><p>原文已被删除</p></body></html>") == "removed"
    long_article = "<html><body><p>" + "记者调查发现，一些网站“页面不存在”的提示让人困惑。" * 200 + "</p></body>"
    assert soft_404(long_article) is None
    assert soft_404("") is None
    assert strip_query("http://a/b.html?content_id=1&key=2#x") == "http://a/b.html"


def test_blocks_back_off_exponentially_and_clear(store: SqlIndexStore) -> None:
    assert store.source_states() == {}
    before = datetime.now(UTC)
    first = store.record_block("z", "safeline", 3600)
    assert first.blocks_in_row == 1 and first.blocked_until is not None
    assert timedelta(seconds=3590) < first.blocked_until - before < timedelta(seconds=3700)
    second = store.record_block("z", "safeline", 3600)
    assert second.blocks_in_row == 2 and second.blocked_until is not None
    assert timedelta(seconds=7190) < second.blocked_until - before < timedelta(seconds=7300)
    for _ in range(30):
        last = store.record_block("z", "safeline", 3600)
    assert last.blocked_until is not None and last.blocked_until - before <= timedelta(days=7, seconds=60)
    state = store.source_states()["z"]
    assert state.blocked_by == "safeline" and state.blocks_total == 32 and state.backing_off(datetime.now(UTC))
    store.clear_block("z")
    cleared = store.source_states()["z"]
    assert cleared.blocked_by is None and cleared.blocks_in_row == 0 and cleared.blocks_total == 32
    assert not cleared.backing_off(datetime.now(UTC))
