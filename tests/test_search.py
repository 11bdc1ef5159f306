"""Search over the archive, Chinese and English, on SQLite and PostgreSQL alike: one-, two- and
three-character Chinese queries, phrases, width- and case-folded words, OR, exclusion, field and
source filters; one hit per story; bad queries refused with a clear message."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.content.search import QueryError, parse_query, snippet, tokenize
from crawler.content.text import content_hash
from crawler.index import SqlIndexStore
from crawler.index.search import Filters
from crawler.items import PostItem
from tests.conftest import Crawl, run_cli

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

POSTS = {
    "http://a.example/1": ("职业教育走向产教融合", "各地推进产教融合，校企共建实训基地。学生在车间里学习数控机床。",
                           ["教育"], 0),
    "http://a.example/2": ("新一代 AI 芯片发布", "这款芯片面向人工智能推理，功耗降低三成。GPU 与ＮＰＵ协同。",
                           ["科技"], 1),
    "http://b.example/3": ("城市马拉松周末开跑", "三万名跑者参赛，赛道经过江边。志愿者在补给站服务。",
                           ["体育"], 2),
    "http://b.example/4": ("Battery recycling plant opens", "The plant recycles lithium batteries; 电池回收 grows.",
                           ["科技"], 3),
    "http://b.example/5": ("暖冬里的芯片工厂", "工厂扩建，芯片产能提升，工人三班倒。", ["科技"], 4),
}


def post(url: str, title: str, body: str, categories: list[str], hours: int) -> PostItem:
    return PostItem(source=url.split("/")[2].split(".")[0], url=url, role="original", title=title, text=body,
                    body_html=f"<p>{body}</p>", categories=categories, published=T0 + timedelta(hours=hours),
                    content_hash=content_hash(title + body))


@pytest.fixture
def filled(store: SqlIndexStore) -> SqlIndexStore:
    for url, fields in POSTS.items():
        store.upsert_post(post(url, *fields))
    return store


def urls(store: SqlIndexStore, text: str, **filters: object) -> list[str]:
    hits = store.search(parse_query(text), Filters(**filters))  # type: ignore[arg-type]
    posts = {p.id: p.url for p in store.load_posts([h.post_id for h in hits])}
    return [posts[h.post_id] for h in hits]


def test_tokens_are_words_cjk_bigrams_and_characters() -> None:
    tokens = tokenize("新一代ＡＩ芯片 A股")
    assert tokens.main == ["新一", "一代", "ai", "芯片", "a", "股"]
    assert tokens.chars == ["新", "一", "代", "芯", "片", "股"]


@pytest.mark.parametrize(("query", "expected"), [
    ("芯", ["http://b.example/5", "http://a.example/2"]),  # one character
    ("芯片", ["http://b.example/5", "http://a.example/2"]),  # two
    ("马拉松", ["http://b.example/3"]),  # three: a phrase of two bigrams
    ('"产教融合"', ["http://a.example/1"]),
    ("产教 基地", ["http://a.example/1"]),  # AND
    ("马拉松 OR 产教融合", ["http://b.example/3", "http://a.example/1"]),
    ("芯片 -工厂", ["http://a.example/2"]),
    ("title:芯片 功耗", ["http://a.example/2"]),
    ("npu", ["http://a.example/2"]),  # width- and case-folded: ＮＰＵ
    ("BATTERY", ["http://b.example/4"]),
    ("电池回收", ["http://b.example/4"]),
    ("芯片 source:a", ["http://a.example/2"]),
    ("教融合", ["http://a.example/1"]),
    ("融教", []),  # characters present, not in this order
])
def test_queries_answer_the_same_on_both_backends(filled: SqlIndexStore, query: str, expected: list[str]) -> None:
    found = urls(filled, query)
    assert sorted(found) == sorted(expected) and len(set(found)) == len(found)


def test_a_title_match_ranks_above_a_match_in_the_text_then_the_newer_first(filled: SqlIndexStore) -> None:
    filled.upsert_post(post("http://c.example/6", "周末去哪儿", "城里的马拉松让几条路封闭，出行请绕行。", [], 9))
    assert urls(filled, "马拉松") == ["http://b.example/3", "http://c.example/6"]
    assert urls(filled, "芯片") == ["http://b.example/5", "http://a.example/2"]  # both in the title: newest first


def test_filters_by_source_category_and_date(filled: SqlIndexStore) -> None:
    assert urls(filled, "芯片", sources=("b",)) == ["http://b.example/5"]
    assert set(urls(filled, "芯片", category="科技")) == {"http://b.example/5", "http://a.example/2"}
    assert urls(filled, "芯片", category="教育") == []
    assert urls(filled, "芯片", until=T0 + timedelta(hours=2)) == ["http://a.example/2"]
    assert urls(filled, "芯片", since=T0 + timedelta(hours=2)) == ["http://b.example/5"]


def test_an_edit_is_found_by_its_new_text_only(filled: SqlIndexStore) -> None:
    edited = post("http://b.example/3", "城市马拉松改期", "因寒潮，马拉松推迟到下月举行。", ["体育"], 2)
    assert filled.upsert_post(edited).outcome == "changed"
    assert urls(filled, "寒潮") == ["http://b.example/3"]
    assert urls(filled, "补给站") == []


def test_copies_of_one_story_are_one_hit(store: SqlIndexStore) -> None:
    text = "各地推进产教融合，校企共建实训基地。" * 6
    store.upsert_post(post("http://a.example/x", "产教融合走深走实", text, [], 0))
    store.upsert_post(post("http://c.example/y", "产教融合走深走实（转载）", text + "来源：某报", [], 1))
    hits = store.search(parse_query("产教融合"))
    assert len(hits) == 1


@pytest.mark.parametrize("query", ["", "   ", "，。！", "-广告", "source:a", "x" * 10_000])
def test_queries_with_nothing_to_search_are_refused_clearly(query: str) -> None:
    with pytest.raises(QueryError):
        parse_query(query)


@pytest.mark.parametrize("query", ['"', '芯片"', "NEAR(芯片", "芯片 *", 'title:"', "a:b:c", "'; DROP TABLE posts; --",
                                   "芯片 AND", "OR 芯片", "{title} : x", "^芯片"])
def test_syntax_characters_are_searched_as_text_never_an_error(filled: SqlIndexStore, query: str) -> None:
    try:
        parsed = parse_query(query)
    except QueryError:
        return
    filled.search(parsed)  # no FTS5 or tsquery syntax error: every token is quoted


def test_snippets_mark_the_words_found() -> None:
    text, marks = snippet("去年以来，各地推进产教融合，校企共建实训基地。", ["产教融合", "基地"])
    assert [text[s:e] for s, e in marks] == ["产教融合", "基地"]


def test_search_command_answers_stories_as_json(crawl: Crawl, tmp_path: Path) -> None:
    found = run_cli("search", "青年", "--json", "--data", str(crawl.data), "--config", str(crawl.config))
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits and all(hit["copies"] and "story" in hit for hit in hits)
    assert any("青年" in hit["snippet"] for hit in hits)
    refused = run_cli("search", "，。", "--data", str(crawl.data), "--config", str(crawl.config))
    assert refused.returncode == 2 and "nothing to search for" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_http_api_answers_json_and_refuses_bad_queries(crawl: Crawl) -> None:
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request

    from crawler.config import load_config
    from web.service import published_server

    server = published_server(crawl.data, "127.0.0.1", 0, load_config(crawl.config))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/api/search?"
    try:
        with urllib.request.urlopen(base + urllib.parse.urlencode({"q": "青年", "limit": "5"})) as answer:
            document = json.loads(answer.read())
        assert answer.headers["Content-Type"].startswith("application/json")
        assert 0 < len(document["results"]) <= 5 and all(r["copies"] for r in document["results"])
        for bad in ({"q": ""}, {"q": "x" * 10_000}, {"q": "青年", "limit": "many"}, {"q": "青年", "since": "someday"}):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + urllib.parse.urlencode(bad))
            assert refused.value.code == 400 and json.loads(refused.value.read())["error"]
    finally:
        server.shutdown()
        server.server_close()
