"""What the demo web serves: its hosts, every story, the feeds and the deliberately broken links.

Tests assert against these tables, so they must agree with the templates under ``site/``.
Pages are named ``"host:/path"`` because the demo web's ports are only known once it runs
(``DemoWeb.ref_url`` turns a name into a URL).
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOSTS: tuple[str, ...] = ("qutoutiao", "zaker", "cyol", "gbknews", "img", "mmbiz", "broken", "kuaixun")


@dataclass(frozen=True)
class Story:
    """One article and every page that carries it; all of them hash to the same story text."""

    key: str
    title: str
    original: str | None  # the publisher's page, "host:/path"; None when the copy links nowhere
    copies: tuple[str, ...]  # aggregator pages, "host:/path"; always UTF-8
    encoding: str = "utf-8"  # encoding of the original page's bytes
    # Extra facts for extractor tests; keyword-only so the positional signature stays as above.
    published: str = field(default="", kw_only=True)  # ISO 8601 with offset, as the original states it
    source_name: str = field(default="", kw_only=True)  # publisher named by the 来源 attribution
    author: str = field(default="", kw_only=True)  # reporter, where the page names one
    linked: bool = field(default=True, kw_only=True)  # the copies link the original (else only an API names it)
    # Near-duplicate copies, "host:/path": the story edited, trimmed, extended or re-wrapped. Their text
    # hashes differently from the story's, so each is a post of its own in the same story cluster.
    variants: tuple[str, ...] = field(default=(), kw_only=True)

    @property
    def pages(self) -> tuple[str, ...]:
        """The original (if any) followed by the copies."""
        return ((self.original,) if self.original else ()) + self.copies


STORIES: tuple[Story, ...] = (
    Story(
        "same-story",
        "县域职校开出“无人机植保班” 学生农忙时节下田实训",
        "cyol:/content/2026-11/20/content_38211457.htm",
        ("qutoutiao:/detail/2026/11/20/1782034561.html", "zaker:/article/c9aa49c7aae229be7a2f7b0b/"),
        published="2026-11-20T08:15:00+08:00",
        source_name="中国青年报",
        author="李晓晴",
        variants=("kuaixun:/news/2026-11-20/doc-ikxdron8810342.shtml",),  # edited, re-wrapped, extended
    ),
    Story(
        "gbk-origin",
        "老旧小区加装电梯按下“快进键” 今年已有126部投入使用",
        "gbknews:/news/118734.shtml",
        ("qutoutiao:/detail/2026/11/21/1782041178.html",),
        "gbk",
        published="2026-11-21T09:30:00+08:00",
        source_name="江城晚报",
        author="王喆",
    ),
    Story(
        "no-link",
        "我国科研团队研制新型钠离子电池 零下30℃容量保持率超九成",
        None,
        ("qutoutiao:/detail/2026/11/21/1782046690.html",),
        published="2026-11-21T15:02:00+08:00",
        source_name="科技日报",
    ),
    Story(
        "zaker-cyol",
        "“青年夜校”火了：下班后学非遗、练口语的年轻人",
        "cyol:/content/2026-11/19/content_38213302.htm",
        ("zaker:/article/c2524d7dd895feccbc1b6676/",),
        published="2026-11-19T19:30:00+08:00",
        source_name="中国青年报",
        author="王梦瑶",
        variants=("kuaixun:/news/2026-11-19/doc-ikxnigh8806518.shtml",),  # trimmed
    ),
    Story(
        "redirected",
        "新能源车冬季续航怎么保？专家支招：提前预热电池、合理使用空调",
        None,
        ("qutoutiao:/detail/2026/11/22/1782050213.html",),
        published="2026-11-22T08:00:00+08:00",
        source_name="新华社",
    ),
    Story(
        "cyol-canteen",
        "高校食堂推出“半份菜” 节约从餐盘开始",
        "cyol:/content/2026-11/21/content_38215520.htm",
        (),
        published="2026-11-21T16:45:00+08:00",
        source_name="中国青年报",
        author="张茜",
    ),
    Story(
        "cyol-volunteer",
        "在戈壁小学支教的第三年，他决定留下来",
        "cyol:/content/2026-11/22/content_38217048.htm",
        (),
        published="2026-11-22T07:50:00+08:00",
        source_name="中国青年报",
        author="陈卓",
    ),
    Story(
        "gbk-metro",
        "江城地铁5号线南段开通初期运营 早高峰行车间隔5分钟",
        "gbknews:/news/118752.shtml",
        (),
        "gbk",
        published="2026-11-22T18:05:00+08:00",
        source_name="江城新闻网",
        author="刘畅",
    ),
    Story(
        "zaker-meteor",
        "今冬最值得期待的流星雨来了 双子座流星雨观测指南请收好",
        None,
        ("zaker:/article/a4b1110f167de3a84a2b651c/",),
        published="2026-11-22T14:20:00+08:00",
        source_name="澎湃新闻",
    ),
    Story(
        # Only Qutoutiao's list API lists the copy, and only its detail JSON (sourceSite) names the
        # original, whose UTF-8 bytes claim gb2312 in the header and the <meta>.
        "qtt-api",
        "江城启动“15分钟便民生活圈”建设 首批20个社区试点",
        "gbknews:/news/118760.shtml",
        ("qutoutiao:/detail/2026/11/23/1782061234.html",),
        published="2026-11-23T07:40:00+08:00",
        source_name="江城新闻网",
        author="赵磊",
        linked=False,
    ),
    Story(
        "zaker-wechat",
        "鄱阳湖迎来今冬首批白鹤 观鸟爱好者记录到上千只越冬候鸟",
        None,
        ("zaker:/article/e0f3b5a2c7d94e1b8a6f2c10/",),
        published="2026-11-21T10:40:00+08:00",
        source_name="江西发布",
    ),
    # Portal copies (kuaixun) share one template whose advert and disclaimer survive extraction; each of
    # these is a different story although it shares a topic with another story or the template.
    Story(
        "kuaixun-night-school",  # same topic as "zaker-cyol"
        "成都“青年夜校”秋季班开课 非遗、咖啡拉花课程最抢手",
        None,
        ("kuaixun:/news/2026-11-18/doc-ikxcdny8801977.shtml",),
        published="2026-11-18T22:10:00+08:00",
        source_name="成都日报",
    ),
    Story(
        "kuaixun-battery",  # same topic as "no-link"
        "首条GWh级钠离子电池产线在皖投产 电芯成本较锂电低约三成",
        None,
        ("kuaixun:/news/2026-11-20/doc-ikxbatt8811256.shtml",),
        published="2026-11-20T16:30:00+08:00",
        source_name="新安晚报",
    ),
    Story(
        "kuaixun-snow",  # a short brief: the template is a large part of its text
        "江城今冬首场降雪到来 气象部门发布道路结冰黄色预警",
        None,
        ("kuaixun:/news/2026-11-22/doc-ikxsnow8820417.shtml",),
        published="2026-11-22T07:15:00+08:00",
        source_name="江城晚报",
    ),
    Story(
        "kuaixun-marathon",  # another short brief from the same local paper
        "2027江城马拉松12月1日开放报名 全程名额1.5万个",
        None,
        ("kuaixun:/news/2026-11-21/doc-ikxmara8817093.shtml",),
        published="2026-11-21T11:00:00+08:00",
        source_name="江城晚报",
    ),
)

# Source name (as in sources.toml) -> the feed it reads.
FEEDS: dict[str, str] = {
    "qutoutiao-tech": "qutoutiao:/rss/tech.xml",
    "zaker-news": "zaker:/feed.atom",
    "cyol": "cyol:/feed.json",
    "qutoutiao-broken": "qutoutiao:/rss/broken.xml",
    "kuaixun": "kuaixun:/rss.xml",
}

# Links that do not simply answer 200 with a page.
BROKEN_LINKS: dict[str, str] = {
    "not-found": "qutoutiao:/detail/2026/11/22/1782055847.html",  # listed in /rss/tech.xml, answers 404
    "redirect": "qutoutiao:/go/1782050213",  # listed in /rss/tech.xml, 301 to the "redirected" story
    "slow": "broken:/slow",  # answers after 3 s
    "loop": "broken:/loop",  # 302 /loop -> /loop2 -> /loop ...
    "empty": "broken:/empty",  # 200 with an empty body
    "not-feed": "broken:/notfeed.xml",  # an HTML page served as application/rss+xml
    "soft-404": "gbknews:/news/118799.shtml",  # listed in /list/, answers 200 with 抱歉，你访问的内容不存在
    "removed": "zaker:/article/5f2e8c1b9d3a7e6f4b0c2d18/",  # in the channel's WinPageData, says 原文已被删除
    "waf": "zaker:/channel/13",  # a SafeLine-style JavaScript challenge instead of the channel
    "huge": "broken:/huge",  # about 1 MiB, chunked (no length up front)
    "huge-declared": "broken:/huge-declared",  # about 1 MiB with its Content-Length
    "dropped": "broken:/dropped",  # the connection drops after 5,000 of 20,000 promised bytes
}

# Source name (as in sources.toml) -> the page or API it starts from, for the sources that are not feeds.
START_PAGES: dict[str, str] = {
    "qutoutiao-api": "qutoutiao:/content/outList",  # list API paged by min_time, then detail JSON
    "zaker-channel": "zaker:/channel/660",  # window.WinPageData channel
    "zaker-blocked": "zaker:/channel/13",  # the WAF challenge
    "gbknews-list": "gbknews:/list/",  # GBK list pages read with XPath, two pages
    "cyol-app": "cyol:/app/",  # a list only JavaScript draws: a browser source, read with CSS
}


# Every awkward picture case, in the zaker-wechat story's page (IMAGE_CASES[case] = "host:/path").
IMAGE_CASES: dict[str, str] = {
    "gif": "img:/202611/7b3e0c9d41a25f8e6c1d0b94.gif",  # data-gif-url, next to data-original's still frame
    "gif-still": "img:/202611/7b3e0c9d41a25f8e6c1d0b94_1024.png",  # never fetched: the GIF wins
    "srcset": "img:/202611/2c4e6a8b0d1f3a5c7e9b1d3f_1024.png",  # the largest of data-srcset
    "srcset-small": "img:/202611/2c4e6a8b0d1f3a5c7e9b1d3f_320.png",
    "noscript": "img:/202611/9a8b7c6d5e4f3a2b1c0d9e8f_1024.png",  # only in a <noscript> fallback
    "protocol-relative": "img:/202611/4f5e6d7c8b9a0f1e2d3c4b5a_1024.png",  # //127.0.0.1:PORT/...
    "relative": "zaker:/static/pic/202611/5d0e9a4c2b7f.png",  # ../../static/pic/... on the page's host
    "placeholder": "img:/static/zaker/loading.png",  # a lazy-loading stand-in: never fetched
    "beacon-declared": "img:/stat/pixel.gif",  # width=1 height=1: dropped before fetching
    "beacon": "img:/log/v.gif",  # no size given: a 1×1 GIF once fetched, dropped
    "wechat": "mmbiz:/mmbiz_png/Qx3kT9bWvLmZ2aEoPcR7yN1uJd/640",  # stock picture for foreign Referers
    "hotlinked": "img:/cyol/2026-11/21/0d9c8b7a6f5e4d3c.png",  # a cyol picture on a ZAKER page: 403
    "too-large": "img:/202611/f19a7c3e5b0d2468ace13579_raw.png",  # over the demo's image_max_bytes
    "not-image": "img:/202611/8e2d4f6a0c1b3e5d7f9a1c2e_1024.jpg",  # an HTML page as image/jpeg
    "missing": "img:/202611/0a1b2c3d4e5f60718293a4b5_1024.png",  # 404
    "slow": "broken:/slow.jpg",  # answers after the demo's image_timeout
}


def split_ref(ref: str) -> tuple[str, str]:
    """``"host:/path"`` -> ``("host", "/path")``; rejects unknown hosts and relative paths."""
    host, sep, path = ref.partition(":")
    if not sep or host not in HOSTS or not path.startswith("/"):
        raise ValueError(f"not a demo web page reference: {ref!r}")
    return host, path
