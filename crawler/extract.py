"""Article extraction: trafilatura for the text and body, page metadata for everything around it.

trafilatura finds the article body well but dates only to the day and knows nothing of Chinese
attribution ("来源：…") or "阅读原文" links, so those come from the page itself: og:/article: meta,
JSON-LD, <time>, visible Chinese date text, and the links aggregators put under a copy.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.htmlprocessing import build_html_output
from trafilatura.settings import Document

from crawler.dates import DEFAULT_TZ, parse_date
from crawler.errors import ExtractionError
from crawler.text import SHORT_LINE, TRAILER_WINDOW, is_trailer

logger = logging.getLogger(__name__)

# Lazy-loading attributes seen on aggregator pages, in order of preference (AGGREGATORS.md).
# data-gif-url first: ZAKER puts a still frame in data-original and the animation there.
LAZY_IMAGE_ATTRS = ("data-gif-url", "data-original", "data-src", "data-lazy-src", "data-url")
_ATTRIBUTION = re.compile(
    r"(?:文章)?来源\s*[:：]\s*(?P<name>[^\s，,。;；|/&]{1,40}?)(?=\s|作者|时间|编辑|责编|$|[，,。;；|/&])"
)
_BYLINE_AUTHOR = re.compile(r"(?:作者|记者)\s*[:：]\s*(?P<name>[^\s，,。;；|/&:：]{2,20})")
# Blocks that aggregators append after an article (AGGREGATORS.md); removed before extraction.
DEFAULT_PRUNE = (
    "//*[@id='recommend_bottom']", "//*[@id='article_bottom']", "//*[@id='recommend']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' recommend ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' share ')]",
)
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "tr", "figcaption",
           "table", "ul", "ol", "section", "article", "br"}
_ORIGINAL_LINK_TEXT = re.compile(r"阅读原文|原文链接|查看原文|原文地址|点击查看原文")
_CN_DATE_IN_TEXT = re.compile(
    r"\d{4}\s*[年/-]\s*\d{1,2}\s*[月/-]\s*\d{1,2}\s*日?(?:\s+\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?"
)
_PUBLISHED_META = (
    "article:published_time", "og:published_time", "og:release_date", "pubdate", "publishdate",
    "publish_date", "datePublished", "dc.date", "dc.date.issued", "sailthru.date",
)
_UPDATED_META = ("article:modified_time", "og:updated_time", "dateModified", "last-modified")


@dataclass(kw_only=True)
class Article:
    """What the extractor gets from one page."""

    url: str
    title: str
    text: str
    body_html: str
    author: str | None = None
    source_name: str | None = None  # the "来源" attribution: a publisher, not a person
    site_name: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    original_url: str | None = None
    canonical_url: str | None = None
    images: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("published", "updated"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def extract_article(html: str, url: str, tz: str | None = DEFAULT_TZ, prune: tuple[str, ...] = (),
                    now: datetime | None = None) -> Article:
    """Extract one page. Raises ExtractionError when no article text can be found.

    ``prune`` lists XPath expressions of extra blocks to delete first (a source's own boilerplate);
    ``now`` anchors relative and year-less dates ("3小时前", "11月20日").
    """
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparseable HTML: {exc}") from None
    meta = _meta(tree)
    ld = _json_ld(tree)
    original_url = _original_link(tree, url)
    page_text = _page_text(tree)
    _unlazy_images(tree, url)
    _prune(tree, DEFAULT_PRUNE + prune)
    images = _images(tree, url)
    doc = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_images=True, include_links=True,
        include_formatting=True, include_comments=False, include_tables=True,
    )
    if not isinstance(doc, Document) or not (doc.text or "").strip():
        raise ExtractionError("no article text found")
    title = meta.get("og:title") or ld.get("headline") or doc.title or _first(tree, "//title/text()") or ""
    title = " ".join(title.split())
    body = lxml.html.document_fromstring(build_html_output(doc)).find("body")
    if body is None:
        raise ExtractionError("no article body found")
    _drop_leading_title(body, title)
    _drop_trailing_furniture(body)
    body_html = "".join(lxml.html.tostring(child, encoding="unicode") for child in body).strip()
    text = _text_of(body)
    if not text:
        raise ExtractionError("no article text found")
    attribution = _ATTRIBUTION.search(text) or _ATTRIBUTION.search(page_text)
    site_name = meta.get("og:site_name") or doc.sitename
    publisher = _ld_name(ld.get("publisher"))
    byline = _BYLINE_AUTHOR.search(page_text)
    author = (meta.get("author") or meta.get("article:author") or _ld_name(ld.get("author"))
              or (byline["name"] if byline else None) or doc.author)
    source_name = attribution["name"] if attribution else publisher or site_name
    if author and source_name and _clean_person(author) in (source_name, site_name, publisher):
        # Aggregators put the publisher where the author goes (ZAKER's auther_name): not a person.
        author = None
    canonical = _first(tree, "//link[@rel='canonical']/@href") or meta.get("og:url")
    canonical = urljoin(url, canonical) if canonical else None
    if original_url is None and canonical and urlsplit(canonical).netloc != urlsplit(url).netloc:
        # A copy whose canonical URL points to another host names its original that way.
        original_url = canonical
    published = _first_date(
        [meta.get(k) for k in _PUBLISHED_META] + [ld.get("datePublished"),
         _first(tree, "//time/@datetime"), _first(tree, "//time/text()"), _visible_date(tree),
         doc.date], tz, now)
    updated = _first_date([meta.get(k) for k in _UPDATED_META] + [ld.get("dateModified")], tz, now)
    return Article(
        url=url, title=title, text=text, body_html=body_html,
        author=_clean_person(author), source_name=source_name, site_name=site_name, published=published,
        updated=updated, original_url=original_url, canonical_url=canonical, images=images,
    )


def _meta(tree: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in tree.iterfind(".//meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip()
        value = (el.get("content") or "").strip()
        if key and value and key not in found:
            found[key] = value
            found.setdefault(key.lower(), value)
    return found


def _json_ld(tree: Any) -> dict[str, Any]:
    """The first JSON-LD object that describes an article (NewsArticle, Article, BlogPosting…)."""
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        candidates = data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []
        for obj in candidates:
            if (isinstance(obj, dict) and "Article" in str(obj.get("@type", ""))) or (
                isinstance(obj, dict) and "BlogPosting" in str(obj.get("@type", ""))):
                return obj
    return {}


def _ld_name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) and value.strip() else None


def _clean_person(value: str | None) -> str | None:
    if not value:
        return None
    value = re.sub(r"^(?:作者|记者|文)\s*[:：|]?\s*", "", value.strip())
    return value or None


def _first(tree: Any, xpath: str) -> str | None:
    for value in tree.xpath(xpath):
        if str(value).strip():
            return str(value).strip()
    return None


def _first_date(candidates: list[Any], tz: str | None, now: datetime | None = None) -> datetime | None:
    for candidate in candidates:
        if candidate and (parsed := parse_date(candidate, tz, now)) is not None:
            return parsed
    return None


def _page_text(tree: Any) -> str:
    body = tree.find("body")
    return str(body.text_content()) if body is not None else ""


def _visible_date(tree: Any) -> str | None:
    """A full date written in the page (bylines like "2026年11月21日 09:30"): the first with a time,
    else the first one (page headers often show today's date without one)."""
    matches = [m.group(0) for m in _CN_DATE_IN_TEXT.finditer(_page_text(tree))]
    return next((m for m in matches if ":" in m or "：" in m), matches[0] if matches else None)


def _prune(tree: Any, expressions: tuple[str, ...]) -> None:
    for expression in expressions:
        try:
            found = tree.xpath(expression)
        except etree.XPathError as exc:
            raise ExtractionError(f"bad prune XPath {expression!r}: {exc}") from None
        for element in found:
            if isinstance(element, lxml.html.HtmlElement) and element.getparent() is not None:
                element.drop_tree()


def _drop_leading_title(body: Any, title: str) -> None:
    """Copies often repeat the headline inside the body; the original does not. Drop it."""
    first = next(iter(body), None)
    if first is not None and first.tag in ("h1", "h2", "h3") and " ".join(first.text_content().split()) == title:
        first.drop_tree()


def _drop_trailing_furniture(body: Any) -> None:
    """Short blocks after the closing attribution ("来源：…", "原文链接") are the aggregator's template
    ("扫码下载…客户端", "推荐阅读"), not the article: drop them, keep the attribution."""
    blocks = list(body)
    for index in range(len(blocks) - 1, max(len(blocks) - TRAILER_WINDOW, 0) - 1, -1):
        text = " ".join(blocks[index].text_content().split())
        if is_trailer(text):
            followers = blocks[index + 1:]
            if all(len(" ".join(f.text_content().split())) <= SHORT_LINE and f.find(".//img") is None
                   for f in followers):
                for follower in followers:
                    body.remove(follower)
            return


def _text_of(body: Any) -> str:
    """Plain text, one line per block; no image or link markup, so copies with other image URLs agree."""
    parts: list[str] = []

    def walk(element: Any) -> None:
        if not isinstance(element.tag, str):
            parts.append(element.tail or "")
            return
        block = element.tag in _BLOCKS
        if block:
            parts.append("\n")
        parts.append(element.text or "")
        for child in element:
            walk(child)
        if block:
            parts.append("\n")
        parts.append(element.tail or "")

    for child in body:
        walk(child)
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def _unlazy_images(tree: Any, base: str) -> None:
    """Point each <img> at its real picture so the extractor keeps it (placeholders live in src)."""
    for img in tree.iter("img"):
        for attr in LAZY_IMAGE_ATTRS:
            value = (img.get(attr) or "").strip()
            if value and not value.startswith("data:"):
                img.set("src", urljoin(base, value))
                break
        else:
            if src := (img.get("src") or "").strip():
                img.set("src", urljoin(base, src))


def _images(tree: Any, base: str) -> list[str]:
    seen: list[str] = []
    for img in tree.iter("img"):
        src = img.get("src") or ""
        if src.startswith(("http://", "https://")) and src not in seen:
            seen.append(src)
    return seen


def _original_link(tree: Any, base: str) -> str | None:
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:")) and _ORIGINAL_LINK_TEXT.search(anchor.text_content()):
            return str(urljoin(base, href))
    return None
