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

from crawler.content.dates import DEFAULT_TZ, parse_date
from crawler.content.text import SHORT_LINE, TRAILER_WINDOW, is_trailer
from crawler.errors import ExtractionError

logger = logging.getLogger(__name__)

# Lazy-loading attributes seen on aggregator pages, in order of preference (AGGREGATORS.md): ZAKER's
# data-gif-url is the animated picture and its data-original a still frame of it.
LAZY_IMAGE_ATTRS = ("data-gif-url", "data-original", "data-src", "data-lazy-src", "data-actualsrc", "data-url")
LAZY_SRCSET_ATTRS = ("data-srcset", "srcset")
# Lazy-loading stand-ins and spacers, known by their file names; never the picture itself.
_PLACEHOLDER_NAME = re.compile(
    r"(?:^|[/_.-])(?:blank|spacer|pixel|transparent|placeholder|lazy|lazyload|loading|grey|gray|1x1)"
    r"\.(?:gif|png|jpe?g|svg|webp)$", re.IGNORECASE)
_SRCSET_CANDIDATE = re.compile(r"\s*(?P<url>[^\s,][^\s]*?),?(?:\s+(?P<size>[\d.]+)(?P<unit>[wx]))?\s*(?:,|$)")
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
    images: list[str] = field(default_factory=list)  # the body's pictures, in order
    lead_image: str | None = None  # the first body picture, else og:image
    skipped_images: list[tuple[str, str]] = field(default_factory=list)  # (url, why): pixels, placeholders

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("published", "updated"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def extract_article(html: str, url: str, tz: str | None = DEFAULT_TZ, prune: tuple[str, ...] = (),
                    now: datetime | None = None) -> Article:
    """Extract one page. Raises ExtractionError when no article text can be found.

    ``prune`` lists XPath expressions of extra blocks to delete first (a source's own boilerplate);
    ``now`` anchors relative and year-less dates ("3小时前", "11月20日").
    """
    # NUL and C0 control characters are never text; libxml2 stops at a NUL and drops the rest of the page.
    html = _CONTROL_CHARS.sub("", html)
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparseable HTML: {exc}") from None
    meta = _meta(tree)
    ld = _json_ld(tree)
    original_url = _original_link(tree, url)
    page_text = _page_text(tree)
    skipped_images, image_tokens = _unlazy_images(tree, url)
    _prune(tree, DEFAULT_PRUNE + prune)
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
    _restore_images(body, image_tokens)
    _drop_leading_title(body, title)
    _drop_trailing_furniture(body)
    body_html = "".join(lxml.html.tostring(child, encoding="unicode") for child in body).strip()
    text = _text_of(body)
    images = _images(body)
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
    if original_url is not None and urlsplit(original_url).scheme not in ("http", "https"):
        original_url = None  # javascript:, data:, mailto: — never an original to fetch
    published = _first_date(
        [meta.get(k) for k in _PUBLISHED_META] + [ld.get("datePublished"),
         _first(tree, "//time/@datetime"), _first(tree, "//time/text()"), _visible_date(tree),
         doc.date], tz, now)
    updated = _first_date([meta.get(k) for k in _UPDATED_META] + [ld.get("dateModified")], tz, now)
    return Article(
        url=url, title=title, text=text, body_html=body_html,
        author=_clean_person(author), source_name=source_name, site_name=site_name, published=published,
        updated=updated, original_url=original_url, canonical_url=canonical, images=images,
        lead_image=images[0] if images else _og_image(meta, url), skipped_images=skipped_images,
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


# trafilatura keeps only pictures whose URL ends like an image file, which drops WeChat's
# ".../640?wx_fmt=png" and signed CDN URLs; each picture goes through it under a stand-in name instead.
_IMAGE_TOKEN = "https://images.feedarchiver.invalid/{}.png"


def _unlazy_images(tree: Any, base: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Point each <img> at its real picture, resolved to an absolute URL, so the extractor keeps it.

    Lazy-loading pages keep a placeholder in src and the picture in a data-* attribute, a srcset, or a
    <noscript> fallback. Tracking pixels and placeholders are removed. Returns what was removed, and
    the stand-in src each kept picture now has (see ``_restore_images``).
    """
    _unwrap_noscript_images(tree)
    skipped: list[tuple[str, str]] = []
    tokens: dict[str, str] = {}
    for img in list(tree.iter("img")):
        src = _real_source(img, base)
        reason = None
        if src is None:
            reason = "no_source"
        elif _is_tracking_pixel(img):
            reason = "tracking_pixel"
        elif _PLACEHOLDER_NAME.search(urlsplit(src).path):
            reason = "placeholder"
        if reason is not None:
            skipped.append((src or "", reason))
            img.drop_tree()  # keeps the text after it
            continue
        assert src is not None
        token = _IMAGE_TOKEN.format(len(tokens))
        tokens[token] = src
        img.set("src", token)
        for attr in (*LAZY_IMAGE_ATTRS, *LAZY_SRCSET_ATTRS):
            img.attrib.pop(attr, None)
    return skipped, tokens


def _restore_images(body: Any, tokens: dict[str, str]) -> None:
    for img in list(body.iter("img")):
        src = tokens.get(img.get("src") or "")
        if src is None:
            img.drop_tree()  # not a picture of the page (cannot happen unless trafilatura invents one)
        else:
            img.set("src", src)


def _unwrap_noscript_images(tree: Any) -> None:
    """Replace a <noscript> that holds the real <img> by that image (script-less readers see it).

    A placeholder <img> right before it goes; a lazy <img> right before it with its own source is the
    same picture, so then the fallback goes instead.
    """
    for noscript in tree.xpath("//body//noscript"):
        images = list(noscript.iter("img"))
        if not images and "<img" in (noscript.text or ""):
            try:
                images = list(lxml.html.fragment_fromstring(noscript.text, create_parent="div").iter("img"))
            except (etree.ParserError, ValueError):
                images = []
        if not images:
            continue
        previous = noscript.getprevious()
        if previous is not None and previous.tag == "img" and not (previous.tail or "").strip():
            if any((previous.get(a) or "").strip() for a in (*LAZY_IMAGE_ATTRS, *LAZY_SRCSET_ATTRS)):
                noscript.drop_tree()
                continue
            previous.drop_tree()
        for img in images:
            img.tail = None
            noscript.addprevious(img)
        noscript.drop_tree()


def _real_source(img: Any, base: str) -> str | None:
    """The picture an <img> shows once its lazy loader ran: a lazy attribute, the largest srcset
    candidate, else src; an absolute http(s) URL, or None."""
    candidates: list[str | None] = [img.get(attr) for attr in LAZY_IMAGE_ATTRS]
    candidates += [_largest_in_srcset(img.get(attr) or "") for attr in LAZY_SRCSET_ATTRS]
    candidates.append(img.get("src"))
    for candidate in candidates:
        value = (candidate or "").strip()
        if not value or value.startswith(("data:", "blob:", "javascript:", "about:")):
            continue
        url = urljoin(base, value)
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc:
            return str(url)
    return None


def _largest_in_srcset(srcset: str) -> str | None:
    """The candidate with the largest width (or density) descriptor; the last one when none has any."""
    best: tuple[float, str] | None = None
    for match in _SRCSET_CANDIDATE.finditer(srcset):
        url = match["url"]
        if not url or url.startswith("data:"):
            continue
        size = float(match["size"]) if match["size"] else 0.0
        if best is None or size >= best[0]:
            best = (size, str(url))
    return best[1] if best else None


def _is_tracking_pixel(img: Any) -> bool:
    """An <img> declared 1×1 (or 0×0): a web beacon, not a picture."""
    sizes = []
    for attr in ("width", "height"):
        value = re.sub(r"px$", "", (img.get(attr) or "").strip().lower())
        sizes.append(int(value) if value.isdigit() else None)
    return all(size is not None and size <= 1 for size in sizes)


def _images(body: Any) -> list[str]:
    """The pictures of the extracted body, in order, each once."""
    seen: list[str] = []
    for img in body.iter("img"):
        src = img.get("src") or ""
        if src.startswith(("http://", "https://")) and src not in seen:
            seen.append(src)
    return seen


def _og_image(meta: dict[str, str], base: str) -> str | None:
    value = meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image")
    if not value:
        return None
    url = urljoin(base, value.strip())
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and not _PLACEHOLDER_NAME.search(parts.path) else None


def _original_link(tree: Any, base: str) -> str | None:
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:")) and _ORIGINAL_LINK_TEXT.search(anchor.text_content()):
            return str(urljoin(base, href))
    return None
