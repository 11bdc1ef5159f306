"""Golden pages for the failure classes seen on real news pages: small pages written here, each one
class (issue 15). The corpus figures come from bench/extract_eval.py, never from these tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.cli import main
from crawler.content.extract import extract_article

URL = "https://news.example.cn/a/1.html"
SENTENCE = "讲述这个城市的公交线路如何在一年之内重新规划并且让通勤时间缩短了许多分钟。"
PARAGRAPHS = "".join(f"<p>第{n}段正文，{SENTENCE}</p>" for n in range(1, 7))


def page(head: str = "", header: str = "", body: str = PARAGRAPHS, after: str = "", title: str = "") -> str:
    return (f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>"
            f"<div class='nav'><a href='/'>首页</a> <a href='/n'>新闻</a></div>"
            f"<div class='article'>{header}<div class='content'>{body}</div>{after}</div>"
            f"<div class='footer'>版权所有 © 2001-2024 示例网</div></body></html>")


def local(article_published: datetime | None) -> str | None:
    return article_published.isoformat() if article_published else None


# ---- date

def test_time_after_the_date_is_kept() -> None:
    html = page(header="<h1>公交线路重新规划</h1><div class='info'>2024-03-05 09:30 来源：江城日报</div>",
                title="公交线路重新规划_江城新闻网")
    article = extract_article(html, URL)
    assert local(article.published) == "2024-03-05T09:30:00+08:00"
    assert article.provenance["published"] == "visible header"


def test_yearless_labelled_date_is_read() -> None:
    html = page(header="<h1>公交线路重新规划</h1><span>发布时间：10-08 12:00</span>")
    article = extract_article(html, URL, now=datetime(2024, 11, 1, tzinfo=UTC))
    assert local(article.published) == "2024-10-08T12:00:00+08:00"


def test_header_date_beats_a_date_in_the_lead_text() -> None:
    body = "<p>2019年5月1日，这条线路第一次开通，当时只有三站。</p>" + PARAGRAPHS
    html = page(header="<h1>公交线路重新规划</h1><p class='time'>2024年03月05日 09:30</p>", body=body)
    assert local(extract_article(html, URL).published) == "2024-03-05T09:30:00+08:00"


def test_visible_header_beats_a_meta_date_of_another_day() -> None:
    head = "<meta property='article:published_time' content='2020-01-01T00:00:00+08:00'>"
    html = page(head=head, header="<h1>公交线路重新规划</h1><span>2024-03-05 09:30</span>")
    assert local(extract_article(html, URL).published) == "2024-03-05T09:30:00+08:00"


def test_meta_day_takes_the_visible_time() -> None:
    head = "<meta name='pubdate' content='2024-03-05'>"
    html = page(head=head, header="<h1>公交线路重新规划</h1>", after="<p>发表于 2024-03-05 21:15</p>")
    article = extract_article(html, URL)
    assert local(article.published) == "2024-03-05T21:15:00+08:00"


def test_wechat_script_time_is_read() -> None:
    html = page(header="<h1 id='activity-name'>公交线路重新规划</h1>").replace(
        "</body>", "<script>var ct = \"1709602200\";</script></body>")
    article = extract_article(html, URL)
    assert article.published == datetime(2024, 3, 5, 1, 30, tzinfo=UTC)
    assert article.provenance["published"] == "script"


def test_no_date_shown_is_none() -> None:
    assert extract_article(page(header="<h1>公交线路重新规划</h1>"), URL).published is None


# ---- title

def test_og_title_cut_at_a_quote_gives_way_to_the_title_tag() -> None:
    head = "<meta property='og:title' content='市民说'>"
    html = page(head=head, title="市民说\"等车不再心慌\"", header="<div>正文开始</div>")
    assert extract_article(html, URL).title == "市民说\"等车不再心慌\""


@pytest.mark.parametrize("suffix", ["_网易订阅", "-新华网", " - 要闻 - 江城日报网", "__读书频道_新浪网"])
def test_site_suffix_of_the_title_tag_is_dropped(suffix: str) -> None:
    html = page(title=f"公交线路在一年内重新规划{suffix}")
    assert extract_article(html, URL).title == "公交线路在一年内重新规划"


def test_site_name_from_og_site_name_is_dropped_at_either_end() -> None:
    head = "<meta property='og:site_name' content='江城晚报'>"
    html = page(head=head, title="江城晚报 | 公交线路在一年内重新规划")
    article = extract_article(html, URL)
    assert article.title == "公交线路在一年内重新规划" and article.site_name == "江城晚报"


def test_site_h1_and_recommended_headline_are_not_the_title() -> None:
    header = "<h1 class='logo'>江城新闻网</h1><h2 class='title'>公交线路在一年内重新规划</h2>"
    after = "<div class='recommend-list'><h2><a href='/b/2.html'>另一篇推荐阅读的新闻标题在这里</a></h2></div>"
    html = page(title="公交线路在一年内重新规划-江城新闻网", header=header, after=after)
    article = extract_article(html, URL)
    assert article.title == "公交线路在一年内重新规划"
    assert article.provenance["title"] == "heading"


def test_original_mark_is_not_part_of_the_title() -> None:
    html = page(header="<h1>原创 公交线路在一年内重新规划</h1>", title="")
    assert extract_article(html, URL).title == "公交线路在一年内重新规划"


# ---- 来源

def test_source_stops_at_the_node_boundary() -> None:
    header = ("<h1>公交线路重新规划</h1><div class='info'><span>来源：</span><a>澎湃新闻网</a>"
              "<span>1032人参与</span><span>308评论</span></div>")
    article = extract_article(page(header=header), URL)
    assert article.source_name == "澎湃新闻网"
    assert article.provenance["source_name"] == "来源 line"


def test_picture_and_reference_credits_are_no_source() -> None:
    body = PARAGRAPHS + "<p>图片来源：摄图网</p><p>资料来源：统计年鉴</p>"
    article = extract_article(page(header="<h1>公交线路重新规划</h1>", body=body), URL)
    assert article.source_name is None


def test_placeholder_source_gives_way_to_the_named_publisher() -> None:
    header = "<h1>公交线路重新规划</h1><div>2024-03-05 09:30更新 来源：转载文章</div>"
    article = extract_article(page(header=header, after="<p>来源：江城日报</p>"), URL)
    assert article.source_name == "江城日报"


def test_missing_source_is_none_never_the_hostname() -> None:
    head = "<meta property='og:site_name' content='news.example.cn'>"
    article = extract_article(page(head=head, header="<h1>公交线路重新规划</h1>"), URL)
    assert article.source_name is None and article.site_name is None


def test_publisher_printed_after_the_header_date() -> None:
    header = "<h1>公交线路重新规划</h1><div>http://news.example.cn 2005年03月31日03:18 <font>北京晨报</font></div>"
    article = extract_article(page(header=header), URL)
    assert article.source_name == "北京晨报" and article.provenance["source_name"] == "after date"


# ---- author

def test_site_name_in_meta_author_is_no_author() -> None:
    head = "<meta name='author' content='江城新闻网'><meta property='og:site_name' content='江城新闻网'>"
    assert extract_article(page(head=head, header="<h1>公交线路重新规划</h1>"), URL).author is None


@pytest.mark.parametrize("value", ["name, email@gmail.com", "L_104485", "20240305"])
def test_template_values_are_no_author(value: str) -> None:
    head = f"<meta name='author' content='{value}'>"
    assert extract_article(page(head=head, header="<h1>公交线路重新规划</h1>"), URL).author is None


@pytest.mark.parametrize(("byline", "author"), [
    ("<span>作者：</span><span>王小明</span>", "王小明"),
    ("<p>本报记者 王小明 李华</p>", "王小明 李华"),
    ("<p>文/王小明</p>", "王小明"),
    ("<p>作者：王小明</p>", "王小明"),
])
def test_bylines(byline: str, author: str) -> None:
    article = extract_article(page(header=f"<h1>公交线路重新规划</h1>{byline}"), URL)
    assert article.author == author and article.provenance["author"] == "byline"


def test_reporter_closing_the_text() -> None:
    body = PARAGRAPHS + "<p>这条线路下个月起全天运营。（记者 王小明）</p>"
    assert extract_article(page(header="<h1>公交线路重新规划</h1>", body=body), URL).author == "王小明"


def test_editor_is_kept_apart_from_the_author() -> None:
    after = "<p>（责任编辑：李华）</p>"
    article = extract_article(page(header="<h1>公交线路重新规划</h1><p>记者 王小明</p>", after=after), URL)
    assert article.author == "王小明" and article.editor == "李华"


def test_byline_pattern_does_not_take_a_sentence() -> None:
    body = "<p>记者从市交通局获悉，新线路将在下月开通。</p>" + PARAGRAPHS + "<p>转载请注明出处，作者：我已授权</p>"
    assert extract_article(page(header="<h1>公交线路重新规划</h1>", body=body), URL).author is None


# ---- body

def test_comments_between_text_runs_lose_nothing() -> None:
    run = "讲述这个城市的公交线路如何在一年之内重新规划"
    body = "".join(f"<p>第{n}段<!-- -->正文<!-- -->{run}<!-- -->并且缩短了通勤。</p>" for n in range(1, 7))
    text = extract_article(page(header="<h1>公交线路重新规划</h1>", body=body), URL).text
    assert "第6段正文讲述这个城市的公交线路如何在一年之内重新规划并且缩短了通勤。" in text


def test_table_cells_are_not_glued() -> None:
    table = ("<table><tr><th>名次</th><th>车手</th><th>积分</th></tr>"
             "<tr><td>1</td><td>Kyle Busch</td><td>5040</td></tr></table>")
    text = extract_article(page(header="<h1>公交线路重新规划</h1>", body=PARAGRAPHS + table), URL).text
    assert "1Kyle" not in text and "Busch5040" not in text and "Kyle Busch" in text


# ---- output

def test_provenance_is_in_the_json() -> None:
    header = "<h1>公交线路重新规划</h1><div>2024-03-05 09:30 来源：江城日报</div>"
    data = extract_article(page(header=header, title="公交线路重新规划_江城新闻网"), URL).to_json()
    assert data["provenance"] == {"title": "heading", "published": "visible header", "source_name": "来源 line"}
    json.dumps(data)


def test_extract_many_targets_prints_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = []
    for n in range(3):
        path = tmp_path / f"p{n}.html"
        path.write_text(page(header=f"<h1>第{n}条公交线路重新规划</h1>"), encoding="utf-8")
        files.append(str(path))
    assert main(["extract", *files]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["title"] for line in lines] == [f"第{n}条公交线路重新规划" for n in range(3)]
    assert main(["extract", files[0], str(tmp_path / "absent.html")]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["title"] == "第0条公交线路重新规划" and "cannot read" in out[1]["error"]
    assert main(["extract", files[0], files[1], "--url", URL]) == 2


def test_layout_tables_are_not_the_article() -> None:
    menu = "".join(f"<tr><td>栏目{n}今日推荐</td><td>频道{n}热点排行</td></tr>" for n in range(40))
    html = ("<html><head><meta charset='utf-8'><title>公交线路重新规划</title></head><body>"
            f"<table><tr><td><table>{menu}</table></td><td><h1>公交线路重新规划</h1>{PARAGRAPHS}</td></tr>"
            f"<tr><td colspan='2'><table>{menu}</table></td></tr></table></body></html>")
    text = extract_article(html, URL).text
    assert "第6段正文" in text and "栏目3" not in text


@pytest.mark.parametrize(("closing", "author"), [
    ("<p>完成了第一次检测工作。</p><p>□ 本报记者 王小明</p>", "王小明"),
    ("<p>所有的改革难道不都是利益再分配的过程吗？”（王小明 上海报道）</p>", "王小明"),
    ("<p>据记者采访了解，线路将延长。</p><p>遣臭指数：6（预测）</p>", None),
])
def test_bylines_closing_the_text(closing: str, author: str | None) -> None:
    body = PARAGRAPHS + closing + PARAGRAPHS
    assert extract_article(page(header="<h1>公交线路重新规划</h1>", body=body), URL).author == author


def test_padded_name_and_publisher_lists() -> None:
    head = "<meta name='author' content='中文学术期刊,汉斯出版社,Hans Publishers'>"
    header = "<h1>公交线路重新规划</h1><span>作者:</span><span>赵  培</span>"
    assert extract_article(page(head=head, header=header), URL).author == "赵培"


def test_short_chinese_title_is_kept_and_a_generic_one_gives_way() -> None:
    head = "<meta property='og:title' content='金锺国 - 维基百科，自由的百科全书'>"
    assert extract_article(page(head=head, title="金锺国 - 维基百科，自由的百科全书"), URL).title == "金锺国"
    html = page(title="显示", header="<p align='center'><strong>犬儒病(上)</strong></p>")
    assert extract_article(html, URL).title == "犬儒病(上)"


def test_publisher_after_the_date_when_meta_gives_the_date() -> None:
    head = "<meta name='pubdate' content='2003-07-24'>"
    html = page(head=head, header="<h1>公交线路重新规划</h1>", after="<p>2003-7-24 钱江晚报</p>")
    article = extract_article(html, URL)
    assert article.source_name == "钱江晚报" and article.provenance["published"] == "meta"


def test_a_personal_site_named_after_its_author_keeps_the_author() -> None:
    head = ("<meta name='author' content='Bradley M. Kuhn (http://ebb.org/bkuhn/)'>"
            "<meta property='og:site_name' content='Bradley M. Kuhn ( Brad ) ( bkuhn )'>")
    assert extract_article(page(head=head, header="<h1>公交线路重新规划</h1>"), URL).author == "Bradley M. Kuhn"
