"""Dynamic answers imitating the aggregators' APIs and defences (AGGREGATORS.md):

- qutoutiao ``/content/outList``: the list API, paged by ``min_time`` (``page`` is ignored, as there);
- qutoutiao ``/content/getDetail?id=…``: a post's detail JSON with ``sourceName``/``sourceSite``/``isOrigin``;
- zaker ``/channel/660``: a channel page whose list is inline ``window.WinPageData`` JSON with year-less
  ``MM月DD日`` dates and protocol-relative URLs;
- zaker ``/channel/13``: a Chaitin SafeLine-style JavaScript challenge instead of the page.

Static pages these lead to live under ``site/`` like every other page; ``EXTRA_ROUTES`` lists the
special static ones (encodings, a JavaScript-only list page and its data).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

_JSON = "application/json; charset=utf-8"
_HTML = "text/html; charset=utf-8"
SITE_DIR = Path(__file__).parent / "site"


@dataclass(frozen=True)
class ApiPost:
    """One post in Qutoutiao's list API and its detail JSON."""

    id: int
    title: str
    path: str  # article page on the qutoutiao host
    key: str  # per-listing token in the article URL's query
    published: str  # ISO 8601, Beijing time
    source_name: str
    introduction: str
    cover: str  # image path on the img host
    source_site: str = ""  # "host:/path" of the original the detail JSON names, or ""
    is_origin: int = 0  # 1: the author's own post on Qutoutiao


# Category 7 (科技), newest first: four posts the RSS feed has too, and one only the API lists.
QUTOUTIAO_POSTS: tuple[ApiPost, ...] = (
    ApiPost(1782061234, "江城启动“15分钟便民生活圈”建设 首批20个社区试点",
            "/detail/2026/11/23/1782061234.html", "5d0c3e9a71b2f864", "2026-11-23T09:12:00+08:00",
            "江城新闻网", "菜市场、社区食堂、养老服务站步行15分钟可达，首批20个社区明年6月底前建成。",
            "/qupost/img/2026/11/23/0f3b2a7c9e1d4c5b8a6f7e2d1c0b9a88.png", "gbknews:/news/118760.shtml"),
    ApiPost(1782050213, "新能源车冬季续航怎么保？专家支招：提前预热电池、合理使用空调",
            "/detail/2026/11/22/1782050213.html", "9f0c2e7b5a8d1346", "2026-11-22T08:00:00+08:00",
            "新华社", "气温下降，新能源车续航“缩水”。专家建议提前预热电池、优先使用座椅加热。",
            "/qupost/img/2026/11/22/7d5fecba42d35cf868103378ecff9841.png"),
    ApiPost(1782046690, "我国科研团队研制新型钠离子电池 零下30℃容量保持率超九成",
            "/detail/2026/11/21/1782046690.html", "0b5e7f2c9a1d3e64", "2026-11-21T15:02:00+08:00",
            "科技日报", "新型层状氧化物钠离子电池在零下30摄氏度时容量保持率达92.6%。",
            "/qupost/img/2026/11/21/4c16bfe78efee9cf773a0956bef1edbe.png"),
    ApiPost(1782041178, "老旧小区加装电梯按下“快进键” 今年已有126部投入使用",
            "/detail/2026/11/21/1782041178.html", "d2a94c70be13f58e", "2026-11-21T11:20:00+08:00",
            "江城晚报", "江城市今年已完成既有住宅加装电梯审批183部，其中126部投入使用。",
            "/qupost/img/2026/11/21/eb5fcfb7bfdb9f08f10d27ea1771a9cd.png", "gbknews:/news/118734.shtml"),
    ApiPost(1782034561, "县域职校开出“无人机植保班” 学生农忙时节下田实训",
            "/detail/2026/11/20/1782034561.html", "7c1e0f9a2b4d4e3f", "2026-11-20T10:40:00+08:00",
            "中国青年报客户端", "湖南益阳一所县域职校开设无人机植保专业，学生在秋冬种时节跟随合作社下田实训。",
            "/qupost/img/2026/11/20/b91b786fa3153ef0b95a7f925c6ed286.png",
            "cyol:/content/2026-11/20/content_38211457.htm"),
)
QUTOUTIAO_CID = 7


@dataclass(frozen=True)
class ChannelArticle:
    """One entry of a ZAKER channel's WinPageData."""

    pk: str
    title: str
    desc: str
    author_name: str
    date: str  # as ZAKER writes it: 'MM月DD日', no year
    tag: str
    thumbnail: str  # image path on the img host


ZAKER_CHANNEL = "660"
ZAKER_CHANNEL_ARTICLES: tuple[ChannelArticle, ...] = (
    ChannelArticle("a4b1110f167de3a84a2b651c", "今冬最值得期待的流星雨来了 双子座流星雨观测指南请收好",
                   "双子座流星雨极大预计出现在12月14日前后，理想条件下每小时天顶流量可达120颗左右。",
                   "澎湃新闻", "11月22日", "科学", "/202611/b13de6fbe661c479eb43bc99_1024.png"),
    # Listed, but the article page now says 原文已被删除.
    ChannelArticle("5f2e8c1b9d3a7e6f4b0c2d18", "多地发布寒潮预警 这些地方降温超10℃",
                   "中央气象台发布寒潮蓝色预警，多地气温将下降8至10℃。", "中国天气网", "11月21日", "天气",
                   "/202611/b13de6fbe661c479eb43bc99_1024.png"),
    ChannelArticle("c9aa49c7aae229be7a2f7b0b", "县域职校开出“无人机植保班” 学生农忙时节下田实训",
                   "湖南益阳一所县域职校开设无人机植保专业，学生在秋冬种时节跟随合作社下田实训。",
                   "中国青年报", "11月20日", "教育", "/202611/3c616863b17578517c782551_1024.png"),
    ChannelArticle("c2524d7dd895feccbc1b6676", "“青年夜校”火了：下班后学非遗、练口语的年轻人",
                   "书法、古琴、非遗手工、英语口语……价格亲民的“青年夜校”在多地走红。",
                   "中国青年报", "11月19日", "社会", "/202611/0e4eb5199dd31b3a7315b361_1024.png"),
)
ZAKER_WAF_CHANNEL = "13"
SAFELINE_COOKIE = "sl-session=ZkFjZWJvb2stZGVtby1jaGFsbGVuZ2U; Path=/; Max-Age=3600; HttpOnly"


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


Answer = tuple[int, list[tuple[str, str]], bytes]


class AggregatorRoutes:
    """Answers the dynamic paths above; ``render`` fills ``{{host:NAME}}``, ``base_url`` names a host."""

    def __init__(self, render: Callable[[str], str], base_url: Callable[[str], str]) -> None:
        self.render = render
        self.base_url = base_url

    def answer(self, host: str, target: str) -> Answer | None:
        """(status, headers, body) for a dynamic path, or None when the path is not one of them."""
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if host == "qutoutiao" and parts.path == "/content/outList":
            return self._json(self.out_list(query))
        if host == "qutoutiao" and parts.path == "/content/getDetail":
            return self._json(self.detail(query.get("id", "")))
        if host == "zaker" and parts.path == f"/channel/{ZAKER_CHANNEL}":
            return 200, [("Content-Type", _HTML)], self.channel_page().encode()
        if host == "zaker" and parts.path.startswith(f"/channel/{ZAKER_WAF_CHANNEL}"):
            page = self.render((SITE_DIR / "zaker" / "waf" / "challenge.html").read_text("utf-8"))
            return 200, [("Content-Type", _HTML), ("Set-Cookie", SAFELINE_COOKIE)], page.encode()
        return None

    @staticmethod
    def _json(data: object) -> Answer:
        return 200, [("Content-Type", _JSON)], json.dumps(data, ensure_ascii=False).encode()

    def _article_url(self, post: ApiPost, with_query: bool = True) -> str:
        url = self.base_url("qutoutiao") + post.path
        if with_query:
            url += f"?content_id={post.id}&key={post.key}&cid={QUTOUTIAO_CID}"
        return url

    def out_list(self, query: dict[str, str]) -> dict[str, object]:
        """Posts older than ``min_time`` (ms), newest first, ``limit`` of them; ``page`` is ignored."""
        try:
            cid = int(query.get("cid", ""))
            limit = max(1, min(int(query.get("limit") or 10), 50))
            min_time = int(query.get("min_time") or 0) or None
        except ValueError:
            return {"code": -1, "message": "参数错误", "data": {}}
        posts = [p for p in QUTOUTIAO_POSTS
                 if cid == QUTOUTIAO_CID and (min_time is None or _ms(p.published) < min_time)]
        page = posts[:limit]
        items = [{
            "id": str(p.id), "title": p.title, "url": self._article_url(p),
            "detail_url": f"{self.base_url('qutoutiao')}/content/getDetail?id={p.id}",
            "introduction": p.introduction, "cover": [self.base_url("img") + p.cover], "cover_show_type": 1,
            "source_name": p.source_name, "nickname": p.source_name, "member_id": str(900000 + p.id % 1000),
            "publish_time": _ms(p.published), "show_time": _ms(p.published) // 1000,
            "read_count": 1000 + p.id % 9000, "share_count": p.id % 300, "comment_count": p.id % 50,
            "type": "article", "tips": "", "is_hot": 0,
        } for p in page]
        oldest = min((_ms(p.published) for p in page), default=min_time or 0)
        newest = max((_ms(p.published) for p in page), default=min_time or 0)
        return {"code": 0, "message": "成功", "showErr": 0, "currentTime": 1795826400,
                "data": {"min_time": oldest, "max_time": newest, "data": items}}

    def detail(self, post_id: str) -> dict[str, object]:
        post = next((p for p in QUTOUTIAO_POSTS if str(p.id) == post_id), None)
        if post is None:
            return {"code": -3, "message": "内容不存在", "data": None}
        page = (SITE_DIR / "qutoutiao" / post.path.lstrip("/")).read_text("utf-8")
        body = page.split('<div class="content">', 1)[1].split("</div>", 1)[0]
        source_site = self._ref_url(post.source_site) if post.source_site else ""
        return {"code": 0, "message": "成功", "data": {
            "id": str(post.id), "title": post.title, "source": "趣头条", "url": self._article_url(post, False),
            "createTime": post.published.replace("T", " ")[:19], "detail": self.render(body).strip(),
            "keywords": "科技", "description": post.introduction, "sourceSite": source_site,
            "sourceName": post.source_name, "isOrigin": post.is_origin, "authorid": str(900000 + post.id % 1000),
        }}

    def _ref_url(self, ref: str) -> str:
        host, _, path = ref.partition(":")
        return self.base_url(host) + path

    def channel_page(self) -> str:
        zaker = self.base_url("zaker").removeprefix("http:")  # ZAKER lists protocol-relative URLs
        articles = [{
            "pk": a.pk, "title": a.title, "desc": a.desc, "url": f"{zaker}/article/{a.pk}/",
            "author_name": a.author_name, "date": a.date, "tag": [{"tag": a.tag}],
            "thumbnail_mpic": self.base_url("img") + a.thumbnail, "comment_count": 0,
        } for a in ZAKER_CHANNEL_ARTICLES]
        data = {"data": {"channel": {"id": ZAKER_CHANNEL, "title": "热点"}, "article": articles,
                         "next_url": f"{zaker}/channel/{ZAKER_CHANNEL}?p=2"}}
        items = "\n".join(f'    <li><a href="{escape(str(a["url"]))}">{escape(str(a["title"]))}</a></li>'
                          for a in articles)
        return (
            '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>热点_ZAKER新闻</title>\n'
            '<meta property="og:site_name" content="ZAKER新闻">\n</head>\n<body>\n'
            '<div id="top_nav"><a class="logo" href="/">ZAKER新闻</a></div>\n'
            '<div class="main_content">\n  <ul class="article_list" id="article_list"></ul>\n'
            f"  <noscript><ul>\n{items}\n  </ul></noscript>\n</div>\n"
            f"<script>window.WinPageData = {json.dumps(data, ensure_ascii=False)};</script>\n"
            '<script>/* the list is drawn from WinPageData.data.article by the page script */</script>\n'
            "</body>\n</html>\n"
        )
