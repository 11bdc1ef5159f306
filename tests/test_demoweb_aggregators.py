"""The demo web imitates the aggregators' APIs, channel pages, WAF and encoding traps faithfully."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime

import pytest

from crawler.content.encoding import decode_html
from crawler.content.pagecheck import detect_challenge, soft_404
from crawler.demoweb import BROKEN_LINKS, START_PAGES, DemoWeb
from crawler.demoweb.aggregators import QUTOUTIAO_POSTS, ZAKER_CHANNEL_ARTICLES
from crawler.spiders.zaker import win_page_data
from tests.test_demoweb import fetch


@pytest.fixture(scope="module")
def web() -> Iterator[DemoWeb]:
    with DemoWeb(base_port=0) as demo:
        yield demo


def out_list(web: DemoWeb, **query: object) -> dict:  # type: ignore[type-arg]
    params = "&".join(f"{k}={v}" for k, v in query.items())
    status, headers, body = fetch(web.ref_url(START_PAGES["qutoutiao-api"]) + "?" + params)
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(body)  # type: ignore[no-any-return]


def test_list_api_pages_by_min_time_and_ignores_page(web: DemoWeb) -> None:
    now = int(datetime(2026, 11, 28).timestamp() * 1000)
    seen: list[str] = []
    min_time = now
    for _ in range(4):
        answer = out_list(web, cid=7, tn=1, page=1, limit=2, user=f"temporary{now}", show_time="",
                          min_time=min_time, content_type=1, dtu=200)
        assert answer["code"] == 0
        posts = answer["data"]["data"]
        if not posts:
            break
        assert all(p["publish_time"] < min_time for p in posts)
        assert answer["data"]["min_time"] == min(p["publish_time"] for p in posts)
        seen += [p["id"] for p in posts]
        min_time = answer["data"]["min_time"]
    assert seen == [str(p.id) for p in QUTOUTIAO_POSTS]  # newest first, each once
    # `page` is ignored: the same min_time gives the same posts whatever the page number.
    assert out_list(web, cid=7, page=9, limit=2, min_time=now)["data"]["data"] == \
        out_list(web, cid=7, page=1, limit=2, min_time=now)["data"]["data"]
    assert out_list(web, cid=6, limit=2, min_time=now)["data"]["data"] == []
    assert out_list(web, cid="x")["code"] != 0


def test_list_api_post_fields(web: DemoWeb) -> None:
    post = out_list(web, cid=7, limit=1, min_time=int(datetime(2027, 1, 1).timestamp() * 1000))["data"]["data"][0]
    for key in ("id", "title", "url", "detail_url", "introduction", "cover", "source_name", "nickname",
                "publish_time", "show_time", "read_count", "share_count", "comment_count", "member_id"):
        assert key in post, key
    assert re.search(r"\?content_id=\d+&key=[0-9a-f]+&cid=7$", post["url"])
    assert post["show_time"] == post["publish_time"] // 1000


def test_detail_json_names_the_original(web: DemoWeb) -> None:
    for post in QUTOUTIAO_POSTS:
        status, _, body = fetch(web.url("qutoutiao", f"/content/getDetail?id={post.id}"))
        detail = json.loads(body)["data"]
        assert status == 200 and detail["sourceName"] == post.source_name and detail["isOrigin"] == 0
        for key in ("id", "title", "source", "url", "createTime", "detail", "keywords", "description",
                    "sourceSite", "authorid"):
            assert key in detail
        assert detail["sourceSite"] == (web.ref_url(post.source_site) if post.source_site else "")
        assert "data-src=" in detail["detail"] and "{{" not in detail["detail"]
    assert json.loads(fetch(web.url("qutoutiao", "/content/getDetail?id=1"))[2])["code"] != 0


def test_zaker_channel_has_win_page_data(web: DemoWeb) -> None:
    status, headers, body = fetch(web.ref_url(START_PAGES["zaker-channel"]))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    data = win_page_data(body.decode())
    assert data is not None
    articles = data["data"]["article"]
    assert [a["pk"] for a in articles] == [a.pk for a in ZAKER_CHANNEL_ARTICLES]
    for article in articles:
        assert article["url"].startswith("//127.0.0.1:")  # protocol-relative, as ZAKER writes them
        assert re.fullmatch(r"\d{1,2}月\d{1,2}日", article["date"])  # no year
        assert article["tag"][0]["tag"] and article["author_name"] and article["thumbnail_mpic"]


def test_waf_challenge_looks_like_safeline(web: DemoWeb) -> None:
    status, headers, body = fetch(web.ref_url(BROKEN_LINKS["waf"]))
    assert status == 200
    assert headers["Set-Cookie"].startswith("sl-session=")
    assert b"challenge.rivers.chaitin.cn" in body and b"window.captcha" in body
    assert detect_challenge(list(headers.items()), body) == "safeline"
    assert detect_challenge([], fetch(web.ref_url(START_PAGES["zaker-channel"]))[2]) is None


def test_js_only_list_has_no_items_without_a_browser(web: DemoWeb) -> None:
    _, _, page = fetch(web.ref_url(START_PAGES["cyol-app"]))
    assert b"news-list" in page and b"<li" not in page  # the class is only in the script
    _, headers, data = fetch(web.url("cyol", "/app/list.json"))
    items = json.loads(data)["items"]
    assert headers["Content-Type"].startswith("application/json") and len(items) == 3


def test_mislabelled_and_gbk_list_pages(web: DemoWeb) -> None:
    _, headers, body = fetch(web.url("gbknews", "/news/118760.shtml"))
    assert headers["Content-Type"] == "text/html; charset=gb2312" and b'charset=gb2312"' in body
    text, encoding = decode_html(body, headers["Content-Type"])
    assert encoding == "utf-8" and "便民生活圈" in text  # the bytes, not the label, decide
    for path, meta in (("/list/", True), ("/list/index_2.shtml", False)):
        _, headers, body = fetch(web.url("gbknews", path))
        assert headers["Content-Type"] == "text/html" and (b"charset=gb2312" in body) == meta
        text, encoding = decode_html(body, headers["Content-Type"])
        assert encoding == "gb18030" and ("加装电梯" in text or "地铁5号线" in text)


def test_soft_404_and_removed_pages(web: DemoWeb) -> None:
    status, _, body = fetch(web.ref_url(BROKEN_LINKS["soft-404"]))
    assert status == 200 and soft_404(body.decode("gbk")) == "not_found"
    status, _, body = fetch(web.ref_url(BROKEN_LINKS["removed"]))
    assert status == 200 and soft_404(body.decode()) == "removed"
    _, _, article = fetch(web.url("zaker", "/article/c9aa49c7aae229be7a2f7b0b/"))
    assert soft_404(article.decode()) is None
