"""Recognise pages that are not the article they claim to be: WAF challenges and soft 404s.

A challenge page answers 200 (or 403/468) with a script that must run to get a cookie; a soft 404
answers 200 with a "not found" or "deleted" notice. Both must be counted, never stored as posts, and
challenges are never solved (AGGREGATORS.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import lxml.html
from lxml import etree

# WAF name -> markers in the body (lower-cased) or in Set-Cookie / Server headers.
_CHALLENGE_BODY: dict[str, tuple[bytes, ...]] = {
    # Chaitin SafeLine: the challenge script comes from challenge.rivers.chaitin.cn and sets sl-session.
    "safeline": (b"challenge.rivers.chaitin.cn", b"safelinechallenge", b"safeline-challenge"),
    "cloudflare": (b"/cdn-cgi/challenge-platform/", b"cf-chl-", b"_cf_chl_opt"),
    "aliyun": (b"acw_sc__v2", b"aliyun_waf"),
}
_CHALLENGE_COOKIES: dict[str, tuple[str, ...]] = {
    "safeline": ("sl-session=", "sl_jwt_session="),
    "aliyun": ("acw_sc__v2=",),
}
_SAFELINE_SCRIPT = (b"window.captcha", b"sl-session")  # both in one small page: SafeLine's inline variant

# Notices a removed or missing page shows instead of the article.
REMOVED_MARKERS = ("原文已被删除", "该文章已被删除", "内容已被删除", "文章已删除", "该内容已删除", "已被作者删除")
NOT_FOUND_MARKERS = ("抱歉，你访问的内容不存在", "您访问的页面不存在", "你访问的页面不存在", "页面不存在",
                     "内容不存在", "文章不存在", "页面没有找到", "页面找不到了", "404 Not Found")
# A long page that merely mentions such words is an article; a notice page is short.
_NOTICE_MAX_CHARS = 3000


def detect_challenge(headers: Iterable[tuple[str, str]], body: bytes) -> str | None:
    """The WAF whose challenge this response is, or None."""
    lowered = body[:65536].lower()
    for waf, markers in _CHALLENGE_BODY.items():
        if any(marker in lowered for marker in markers):
            return waf
    if all(marker in lowered for marker in _SAFELINE_SCRIPT):
        return "safeline"
    for name, value in headers:
        name = name.lower()
        if name == "set-cookie":
            for waf, cookies in _CHALLENGE_COOKIES.items():
                # The cookie alone also comes with real pages once a challenge is passed: only a small
                # scripted page with hardly any text is the challenge.
                if value.lstrip().startswith(cookies) and _looks_like_interstitial(lowered):
                    return waf
        elif name == "cf-mitigated" and value.strip().lower() == "challenge":
            return "cloudflare"
    return None


def _looks_like_interstitial(lowered: bytes) -> bool:
    return len(lowered) < 16384 and b"<script" in lowered and lowered.count(b"<p") < 3


def soft_404(html: str) -> str | None:
    """"removed" or "not_found" when the page is a notice rather than an article, else None."""
    try:
        tree: Any = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    title = " ".join(str(tree.xpath("string(//title)")).split())
    body = tree.find("body")
    text = " ".join(str(body.text_content()).split()) if body is not None else ""
    for kind, markers in (("removed", REMOVED_MARKERS), ("not_found", NOT_FOUND_MARKERS)):
        if any(m in title for m in markers):
            return kind
        if len(text) <= _NOTICE_MAX_CHARS and any(m in text for m in markers):
            return kind
    return None


def strip_query(url: str) -> str:
    """A URL without its query string and fragment: aggregators add per-listing tokens there."""
    return re.split(r"[?#]", url, maxsplit=1)[0]
