"""Article extraction: trafilatura for the text and body, page metadata for everything around it.

trafilatura finds the article body well but dates only to the day and knows nothing of Chinese
attribution ("来源：…") or "阅读原文" links, so those come from the page itself. Each field is chosen
among candidates (JSON-LD, meta, htmldate, <time>, WeChat's script, the visible header, byline
patterns), scored on what they are and where they sit relative to the headline and the body, and
``Article.provenance`` says which signal won. Measured on real pages by bench/extract_eval.py.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree
from trafilatura.htmlprocessing import build_html_output
from trafilatura.settings import Document

from crawler.content.dates import DEFAULT_TZ, parse_date, zone
from crawler.content.text import SHORT_LINE, TRAILER_WINDOW, is_trailer
from crawler.errors import ExtractionError

logger = logging.getLogger(__name__)

# Lazy-loading attributes seen on aggregator pages, in order of preference (AGGREGATORS.md): ZAKER's
# data-gif-url is the animated picture and its data-original a still frame of it.
LAZY_IMAGE_ATTRS = ("data-gif-url", "data-original", "data-src", "data-lazy-src", "data-actualsrc", "data-url")
LAZY_SRCSET_ATTRS = ("data-srcset", "srcset")
# Lazy-loading stand-ins and spacers, known by their file names; never the picture itself.
_PLACEHOLDER_NAME = re.compile(
    r"(?:^|[/_.-])(?:blank|spacer|space|clear|pixel|transparent|placeholder|lazy|lazyload|loading|grey|gray|1x1)"
    r"\.(?:gif|png|jpe?g|svg|webp)$", re.IGNORECASE)
_SRCSET_CANDIDATE = re.compile(r"\s*(?P<url>[^\s,][^\s]*?),?(?:\s+(?P<size>[\d.]+)(?P<unit>[wx]))?\s*(?:,|$)")
# Blocks that aggregators append after an article (AGGREGATORS.md); removed before extraction.
DEFAULT_PRUNE = (
    "//*[@id='recommend_bottom']", "//*[@id='article_bottom']", "//*[@id='recommend']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' recommend ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' share ')]",
)
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "tr", "figcaption",
           "table", "ul", "ol", "section", "article", "br"}
_ORIGINAL_LINK_TEXT = re.compile(r"阅读原文|原文链接|查看原文|原文地址|点击查看原文")
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
    editor: str | None = None  # 责任编辑: who edited the page, never its author
    source_name: str | None = None  # the "来源" attribution: a publisher, not a person
    site_name: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    original_url: str | None = None
    canonical_url: str | None = None
    images: list[str] = field(default_factory=list)  # the body's pictures, in order
    lead_image: str | None = None  # the first body picture, else og:image
    skipped_images: list[tuple[str, str]] = field(default_factory=list)  # (url, why): pixels, placeholders
    # Which signal each field came from: "json-ld", "meta", "visible header", "byline", "title tag"…
    provenance: dict[str, str] = field(default_factory=dict)

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
    # Comments split text runs (React's <!-- --> between words) and trafilatura drops what follows them.
    for comment in list(tree.iter(etree.Comment)):
        if isinstance(comment, lxml.html.HtmlComment) and comment.getparent() is not None:
            comment.drop_tree()  # keeps its tail, the text after it
    meta = _meta(tree)
    ld = _json_ld(tree)
    original_url = _original_link(tree, url)
    page = _PageText.of(tree)
    structured_dates = _structured_dates(tree, meta, ld, html)
    skipped_images, image_tokens = _unlazy_images(tree, url)
    _prune(tree, DEFAULT_PRUNE + prune)
    doc = _bare_extraction(tree, url)
    if not isinstance(doc, Document) or not (doc.text or "").strip():
        raise ExtractionError("no article text found")
    site_name = _clean_site(meta.get("og:site_name")) or _clean_site(doc.sitename)
    publisher = _ld_name(ld.get("publisher"))
    site_names = {n for n in (site_name, publisher, meta.get("application-name")) if n}
    body = lxml.html.document_fromstring(build_html_output(doc)).find("body")
    if body is None:
        raise ExtractionError("no article body found")
    # Where the body sits in the page; doc.text is markdown, so picture and link lines never match there
    # and the plain text of the body finds its end.
    plain = _text_of(body)
    body_start = _body_start(page, doc.text or "")
    title, title_from = _choose_title(tree, meta, ld, doc.title, page, body_start, site_names)
    provenance: dict[str, str] = {"title": title_from}
    _restore_images(body, image_tokens)
    _drop_leading_title(body, title)
    _drop_trailing_furniture(body)
    body_html = "".join(lxml.html.tostring(child, encoding="unicode") for child in body).strip()
    text = _text_of(body)
    images = _images(body)
    if not text:
        raise ExtractionError("no article text found")
    header = page.header(title, body_start, _body_end(page, plain, body_start))
    published, date_from, date_at = _choose_date(structured_dates, page, header, tz, now)
    if date_from:
        provenance["published"] = date_from
    source_name, source_from = _choose_source(page, header, date_at, site_names)
    if source_from:
        provenance["source_name"] = source_from
    author, author_from = _choose_author(meta, ld, doc.author, page, header, site_names | (
        {source_name} if source_name else set()))
    if author_from:
        provenance["author"] = author_from
    editor = _choose_editor(page, header)
    canonical = _first(tree, "//link[@rel='canonical']/@href") or meta.get("og:url")
    canonical = urljoin(url, canonical) if canonical else None
    if original_url is None and canonical and urlsplit(canonical).netloc != urlsplit(url).netloc:
        # A copy whose canonical URL points to another host names its original that way.
        original_url = canonical
    if original_url is not None and urlsplit(original_url).scheme not in ("http", "https"):
        original_url = None  # javascript:, data:, mailto: — never an original to fetch
    updated = _first_date([meta.get(k) for k in _UPDATED_META] + [ld.get("dateModified")], tz, now)
    return Article(
        url=url, title=title, text=text, body_html=body_html,
        author=author, editor=editor, source_name=source_name, site_name=site_name, published=published,
        updated=updated, original_url=original_url, canonical_url=canonical, images=images,
        lead_image=images[0] if images else _og_image(meta, url), skipped_images=skipped_images,
        provenance=provenance,
    )


# Below this share of the text with tables, the text without them is the article and the rest was the
# page's layout tables (old portals lay out the whole page in <table>s, and trafilatura keeps them all).
_LAYOUT_TABLE_SHARE = 0.4
_MENU_LINE = 40  # characters: the median length of the lines layout tables add
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def _bare_extraction(tree: Any, url: str) -> Any:
    """trafilatura's extraction with tables, unless the tables were the page's layout."""
    with_tables = tree.find(".//table") is not None
    first = copy.deepcopy(tree) if with_tables else tree
    doc = trafilatura.bare_extraction(
        first, url=url, with_metadata=True, include_images=True, include_links=True,
        include_formatting=True, include_comments=False, include_tables=True,
    )
    if not with_tables or not isinstance(doc, Document) or not doc.text:
        return doc
    alt = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_images=True, include_links=True,
        include_formatting=True, include_comments=False, include_tables=False,
    )
    if not isinstance(alt, Document) or not alt.text or len(_squash(alt.text)) < 200 or (
            len(_squash(alt.text)) >= _LAYOUT_TABLE_SHARE * len(_squash(doc.text))):
        return doc
    # What the tables added: the menus and link lists of a layout are short lines.
    kept = {_squash(_MARKDOWN_LINK.sub(r"\1", line)) for line in alt.text.splitlines()}
    added = [len(line) for line in (_squash(_MARKDOWN_LINK.sub(r"\1", line)) for line in doc.text.splitlines())
             if line and line not in kept]
    return alt if added and sorted(added)[len(added) // 2] <= _MENU_LINE else doc


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


# --- The page's own words around the article: title, date, byline, 来源 --------------------------------
# Every text node is one line of the page text, so no pattern ever runs from one node into the next
# ("澎湃新闻网" + "1032人参与" stays two lines). Candidates are scored by what they are (structured data,
# a labelled header line, a byline pattern) and where they sit: between the headline and the body is
# the article's header; before it the site's template, inside the body its lead text.

_SKIP_TEXT = {"script", "style", "noscript", "template", "textarea", "select", "option", "title"}
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")


@dataclass(frozen=True)
class _PageText:
    """The visible text of a page, one text node a line, NFKC-normalised."""

    lines: tuple[str, ...]
    elements: tuple[Any, ...]  # the element each line's text sits in
    linked: tuple[bool, ...]  # the line is the text of a link

    @classmethod
    def of(cls, tree: Any) -> _PageText:
        lines: list[str] = []
        elements: list[Any] = []
        linked: list[bool] = []
        root = tree.find("body")
        if root is None:
            return cls((), (), ())

        def add(text: str | None, element: Any, in_link: bool) -> None:
            value = " ".join(_PRIVATE_USE.sub("", text or "").split())
            if value:
                lines.append(value)
                elements.append(element)
                linked.append(in_link)

        # Iterative: a hostile page nests elements far deeper than Python's recursion limit.
        in_link = skipping = 0
        for event, element in etree.iterwalk(root, events=("start", "end")):
            if not isinstance(element.tag, str):
                if event == "end" and not skipping:
                    add(element.tail, element.getparent(), in_link > 0)
                continue
            if event == "start":
                if skipping or element.tag in _SKIP_TEXT:
                    skipping += 1
                    continue
                in_link += element.tag == "a"
                add(element.text, element, in_link > 0)
                continue
            if skipping:
                skipping -= 1
                if skipping:
                    continue
            else:
                in_link -= element.tag == "a"
            if element is not root:
                add(element.tail, element.getparent(), in_link > 0)
        return cls(tuple(lines), tuple(elements), tuple(linked))

    def first_lines(self) -> dict[Any, int]:
        """Each element holding text, and its first line (its own or a descendant's)."""
        found: dict[Any, int] = {}
        for index, element in enumerate(self.elements):
            while element is not None and element not in found:
                found[element] = index
                element = element.getparent()
        return found

    def find_line(self, text: str, start: int = 0) -> int | None:
        """The first line at or after ``start`` where ``text`` (the body's first line) begins."""
        probe = _squash(text)[:12]
        if len(probe) < 4:
            return None
        for index in range(start, len(self.lines)):
            if probe in _squash(self.lines[index]) or _squash("".join(self.lines[index:index + 4])).startswith(probe):
                return index
        return None

    def header(self, title: str, body_start: int | None, body_end: int | None = None) -> _Header:
        """Where the headline is, and the lines from it to the body: the article's header."""
        wanted = _squash(title)
        title_at = None
        if wanted:
            # The occurrence nearest above the body; the first one when the body was not found.
            order = (range(min(body_start + 1, len(self.lines)) - 1, -1, -1) if body_start is not None
                     else range(len(self.lines)))
            for index in order:
                line = _squash(self.lines[index])
                if line and (line == wanted or (len(line) >= 4 and wanted.startswith(line))
                             or (len(wanted) >= 4 and line.startswith(wanted))):
                    title_at = index
                    break
        return _Header(title_at, body_start, body_end)


@dataclass(frozen=True)
class _Header:
    title_at: int | None
    body_start: int | None
    body_end: int | None = None  # the line of the body's last long line

    def place(self, line: int) -> str:
        """"header", "before", "lead" (the body's first lines), "tail" (its last), "body" or "unknown"."""
        start, body = self.title_at, self.body_start
        if self.body_end is not None and self.body_end - 1 <= line <= self.body_end + 4 and (
                start is None or line > start) and (body is None or line >= body):
            return "tail"
        if start is not None and body is not None and body < start:
            body = None  # the headline sits below the text trafilatura starts at: trust the headline
        if start is not None and line < start:
            return "before"
        if body is not None and line >= body:
            return "lead" if line < body + 3 else "body"
        if start is not None:
            return "header" if body is not None or line <= start + 25 else "body"
        return "unknown" if body is None else "header" if line >= body - 25 else "before"


def _body_end(page: _PageText, text: str, body_start: int | None) -> int | None:
    """The line of the body's last line of some length."""
    lines = [line.strip() for line in text.splitlines() if len(line.strip()) >= 6 and " | " not in line]
    for line in reversed(lines[-8:]):
        probe = _squash(line)[-12:]
        for index in range(len(page.lines) - 1, (body_start or 0) - 1, -1):
            if probe and probe in _squash(page.lines[index]):
                return index
    return None


def _body_start(page: _PageText, text: str) -> int | None:
    """The line where the extracted body begins: the first of its long lines that the next one follows
    closely (trafilatura sometimes puts a copyright or a menu line first)."""
    lines = [line.strip() for line in text.splitlines() if len(line.strip()) >= 15][:6]
    found = [at for line in lines if (at := page.find_line(line)) is not None]
    for index, at in enumerate(found):
        if any(0 < other - at <= 80 for other in found[index + 1:]):
            return at
    return found[0] if found else page.find_line(text.strip().splitlines()[0] if text.strip() else "")


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


# ---- title

_TITLE_SEPARATOR = re.compile(
    r"\s+[|\-–—»·:/>]{1,2}\s+|_{1,2}|\s*--\s*|\s*\|\s*|\s*»\s*|\s*::\s*|\s*[<>]\s*|-(?=[^-]*$)")
# What the end (or start) of a <title> looks like when it names the site, not the story.
_SITE_WORDS = re.compile(
    r"(?:网|网站|门户网站|在线|频道|报|日报|晚报|社区|论坛|博客|新闻|资讯|中心|百科全书|百科|官网|官方网站|平台|"
    r"出版社|期刊|杂志社|集团|publishers?|press|"
    r"tv|news|online|blog|\.com|\.cn|\.net|\.org|archiver|powered by.*)$|^(?:www\.|https?://)", re.IGNORECASE)
_ORIGINAL_MARK = re.compile(r"^原创(?:\s+|(?=[\u4e00-\u9fff“]{6}))")


def _clean_site(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    if not value or re.fullmatch(r"(?:https?://)?[a-z0-9.-]+\.[a-z]{2,6}/?", value):
        return None  # a hostname says where the page is, not who published it ("Factorio.com" is a name)
    return value


def _site_like(part: str, site_names: set[str]) -> bool:
    part = part.strip(" -_|[]【】()")
    if not part:
        return True
    squashed = _squash(part)
    if any(squashed and (squashed == _squash(n) or squashed in _squash(n) or _squash(n) in squashed)
           for n in site_names if len(_squash(n)) >= 2):
        return True
    return len(part) <= (16 if re.search(r"[\u4e00-\u9fff]", part) else 30) and bool(_SITE_WORDS.search(part))


def _strip_site(title: str, site_names: set[str]) -> str:
    """<title> without the site's name and channel ("…_读书频道_新浪网", "多维博客 » …", "… - 新华网")."""
    title = " ".join(_PRIVATE_USE.sub("", title).split())
    seps = list(_TITLE_SEPARATOR.finditer(title))
    if not seps:
        return title
    parts: list[str] = []
    last = 0
    for sep in seps:
        parts.append(title[last:sep.start()])
        last = sep.end()
    parts.append(title[last:])
    keep = list(range(len(parts)))

    def underscored_tail(index: int) -> bool:
        # "…_网易订阅": an underscore in a Chinese <title> ends the headline; what follows is the site's.
        return (seps[index - 1].group(0).strip() in ("_", "__") and len(parts[index].strip()) <= 10
                and len(parts[index]) < len(parts[0]))

    while len(keep) > 1 and (_site_like(parts[keep[-1]], site_names) or underscored_tail(keep[-1])):
        keep.pop()
        # "headline_channel_site": once the site closed it, what stands between is the channel.
        while len(keep) > 1 and len(parts[keep[-1]]) <= 10 and len(parts[keep[-1]]) < len(parts[keep[0]]):
            keep.pop()
    while len(keep) > 1 and _site_like(parts[keep[0]], site_names):
        keep.pop(0)
    if len(keep) == len(parts):
        return title
    start, end = keep[0], keep[-1]
    return title[(seps[start - 1].end() if start else 0):(seps[end].start() if end < len(seps) else len(title))].strip()


_TITLE_LABEL = re.compile(r"^(?:主题|标题|题目|subject)\s*[:：]\s*|^(?:re|回复)\s*[:：]\s*", re.IGNORECASE)
_TITLE_TAIL = re.compile(r"[\s\-_|]*-\s*-[\s\-_|]*$|\s*[|_]+\s*$|\s*[(（](?:页\s*\d+|第\s*\d+\s*页)[)）]\s*$")


def _tidy_title(text: str) -> str:
    text = " ".join(_PRIVATE_USE.sub("", text).split())
    return _ORIGINAL_MARK.sub("", _TITLE_TAIL.sub("", _TITLE_LABEL.sub("", text))).strip()


def _heading_candidates(tree: Any, page: _PageText, body_start: int | None) -> list[tuple[str, int]]:
    """(text, score) of elements styled or named as a headline, scored on what they are and where they sit."""
    found: list[tuple[str, int]] = []
    body = tree.find("body")
    if body is None:
        return found
    first_lines = page.first_lines()
    for element in body.iter():
        if not isinstance(element.tag, str) or element.tag in _SKIP_TEXT or element not in first_lines:
            continue
        names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
        weight = {"h1": 3, "h2": 2, "h3": 1}.get(element.tag, 0)
        if re.search(r"title|headline|heading|biaoti|subject", names) and not re.search(
                r"sub|side|list|nav|foot|small|date|time|sitetitle|logo", names):
            weight += 2
        if element.tag in ("strong", "b", "big") or (element.tag == "font" and (element.get("size") or "0") >= "3"):
            weight += 1
        raw = " ".join(element.text_content().split())
        if _TITLE_LABEL.match(raw) and len(raw) > 8:
            weight += 2  # "主题：…" / "标题：…": a forum's or a document's own label for its title
        if weight == 0:
            continue
        text = _tidy_title(raw)
        if not 4 <= len(text) <= 120:
            continue
        line = first_lines[element]
        if page.linked[line] and "title" not in names:
            weight -= 3  # a link to another story: a recommendation, not this page's headline
        if body_start is not None:
            if body_start - 12 <= line <= body_start:
                weight += 3
            elif body_start - 40 <= line < body_start:
                weight += 1
            elif line > body_start + 1:
                weight -= 3  # a subheading of the text, or the next story's headline
        found.append((text, weight))
    return found


def _choose_title(tree: Any, meta: dict[str, str], ld: dict[str, Any], fallback: str | None, page: _PageText,
                  body_start: int | None, site_names: set[str]) -> tuple[str, str]:
    tag_title = " ".join(_PRIVATE_USE.sub("", _first(tree, "//title/text()") or "").split())
    og = " ".join((meta.get("og:title") or "").split())
    if og and tag_title and len(og) < len(tag_title) and tag_title.startswith(og):
        og = ""  # cut at an unescaped quote: <title> has the whole of it
    headline = ld.get("headline") if isinstance(ld.get("headline"), str) else ""
    stripped = _strip_site(tag_title, site_names) if tag_title else ""
    references: list[tuple[str, int]] = [(value, bonus) for value, bonus in (
        (og and _strip_site(og, site_names), 5), (headline, 5), (stripped, 4), (tag_title, 3)) if value]
    references += [(part, 3) for part in _TITLE_SEPARATOR.split(tag_title) if len(part) >= 6]
    matched: tuple[int, str] | None = None  # a heading that is (the start of) a title the page declares
    unmatched: tuple[int, str] | None = None  # the headline-looking element nearest the body
    for text, weight in _heading_candidates(tree, page, body_start):
        if _site_like(text, site_names) and len(text) <= 16:
            continue
        squashed = _squash(text)
        found: tuple[int, str] | None = None
        for reference, bonus in references:
            ref = _squash(reference)
            if squashed == ref:
                found = (weight + bonus + 2, reference if bonus >= 4 else text)
                break
            if len(squashed) >= max(4, len(ref) // 3) and ref.startswith(squashed):
                found = (weight + bonus, text)
                break
        if found is not None and (matched is None or found[0] > matched[0]):
            matched = found
        elif found is None and (unmatched is None or weight > unmatched[0]):
            unmatched = (weight, text)
    if matched is not None and matched[0] >= 6:
        return _tidy_title(matched[1]), "heading"
    declared: tuple[tuple[str, str], ...] = ((og and _strip_site(og, site_names), "og:title"),
                                             (str(headline or ""), "json-ld"), (stripped, "title tag"))
    for value, origin in declared:
        short = len(_squash(value)) < (3 if re.search(r"[\u4e00-\u9fff]", value) else 4)  # "金锺国" is a title
        generic = _site_like(value, site_names) or short or _squash(value) in ("null", "untitled")
        if value and not generic:
            return _tidy_title(value), origin
    if unmatched is not None and (unmatched[0] >= 2 or not (fallback or tag_title)):
        return _tidy_title(unmatched[1]), "heading"  # with nothing declared, the best-looking heading
    return _tidy_title(fallback or tag_title or ""), "trafilatura" if fallback else "title tag"


# ---- date

_VISIBLE_DATE = re.compile(
    r"(?<![\d.])(?P<y>(?:19|20)\d{2})[ \t]*(?:年|/|-|\.)[ \t]*(?P<m>\d{1,2})[ \t]*(?:月|/|-|\.)[ \t]*(?P<d>\d{1,2})"
    r"(?!\d)[ \t]*日?(?:[ \t]*(?:星期|周)[一二三四五六日天])?"
    r"(?:[ \t]*(?:T|-)?[ \t]*(?P<ap>上午|下午|晚上|凌晨|早上)?(?P<H>\d{1,2})[ \t]*[:时][ \t]*(?P<M>\d{2})"
    r"(?:[ \t]*[:分][ \t]*(?P<S>\d{2}))?(?:[ \t]*(?P<pm>[AaPp][Mm]))?)?")
# "9/17/2004 5:54:13 AM": month first, as a 12-hour clock says (US templates of old CMSes).
_US_DATE = re.compile(r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)\d{2})[ \t]+(?P<H>\d{1,2}):(?P<M>\d{2})"
                      r"(?::(?P<S>\d{2}))?[ \t]*(?P<pm>[AaPp][Mm])")
# "——《北京之春》1998年3月号": a periodical's issue, to the month; only when nothing better is shown.
_ISSUE_DATE = re.compile(r"《[^》]{1,20}》[ \t]*(?P<y>(?:19|20)\d{2})[ \t]*年[ \t]*(?P<m>\d{1,2})[ \t]*月")
_YEARLESS_DATE = re.compile(
    r"(?:发布|发表|更新|时间|日期)[^\n\d]{0,3}[:：][ \t]*(?P<v>\d{1,2}-\d{1,2}[ \t]+\d{1,2}:\d{2})")
_DATE_LABEL = re.compile(r"(?:发布|发表|更新|时间|日期|发布于|发表于|posted|published|date)[^\n\d]{0,4}$",
                         re.IGNORECASE)
_NOT_PUBLICATION = re.compile(r"©|版权|copyright|备案|ICP|访问量|注册|成立于|建立于|今天是|农历", re.IGNORECASE)
_WECHAT_CT = re.compile(r"""\bvar\s+ct\s*=\s*["']?(\d{10})["']?""")


@dataclass(frozen=True)
class _DateCandidate:
    value: datetime
    timed: bool
    score: int
    origin: str
    line: int | None = None


def _structured_dates(tree: Any, meta: dict[str, str], ld: dict[str, Any], html: str) -> list[tuple[str, Any]]:
    """Dates the page declares for machines: JSON-LD, meta, <time>, WeChat's script, htmldate's reading."""
    found: list[tuple[str, Any]] = [("json-ld", ld.get("datePublished"))]
    found += [("meta", meta.get(key)) for key in _PUBLISHED_META]
    found.append(("time element", _first(tree, "//time/@datetime")))
    if match := _WECHAT_CT.search(html):
        found.append(("script", match.group(1)))
    try:
        found.append(("htmldate", find_date(tree, extensive_search=False, original_date=True,
                                            outputformat="%Y-%m-%dT%H:%M:%S%z")))
    except (ValueError, TypeError) as exc:  # htmldate's own parse failures; the other signals remain
        logger.debug("htmldate failed: %s", exc)
    return [(origin, value) for origin, value in found if value]


def _visible_dates(page: _PageText, header: _Header, tz: str | None, now: datetime | None) -> list[_DateCandidate]:
    found: list[_DateCandidate] = []
    for index, raw in enumerate(page.lines):
        line = unicodedata.normalize("NFKC", raw)
        context = page.lines[index - 1] if index else ""
        if _NOT_PUBLICATION.search(line) or _NOT_PUBLICATION.search(context[-20:]):
            continue
        for match in [*_VISIBLE_DATE.finditer(line), *_US_DATE.finditer(line)]:
            if match.re is _VISIBLE_DATE and _US_DATE.search(line[max(0, match.start() - 6):match.end() + 12]):
                continue
            hour = int(match["H"]) if match["H"] else 0
            groups = match.groupdict()
            if (groups.get("ap") in ("下午", "晚上") or (groups.get("pm") or "").lower() == "pm") and hour < 12:
                hour += 12
            elif (groups.get("pm") or "").lower() == "am" and hour == 12:
                hour = 0
            try:
                value = datetime(int(match["y"]), int(match["m"]), int(match["d"]), hour, int(match["M"] or 0),
                                 int(match["S"] or 0), tzinfo=zone(tz))
            except ValueError:
                continue
            found.append(_score_visible(value, bool(match["H"]), line[:match.start()] or context, index, header))
        for match in _ISSUE_DATE.finditer(line):
            if 1 <= int(match["m"]) <= 12:
                found.append(_DateCandidate(datetime(int(match["y"]), int(match["m"]), 1, tzinfo=zone(tz)), False, 1,
                                            "periodical issue", index))
        for match in _YEARLESS_DATE.finditer(line):
            if (yearless := parse_date(match["v"], tz, now)) is not None:
                found.append(_score_visible(yearless, True, "发布", index, header))
    return found


def _score_visible(value: datetime, timed: bool, before: str, line: int, header: _Header) -> _DateCandidate:
    place = header.place(line)
    score = {"header": 4, "unknown": 1, "lead": 0, "body": -2, "tail": -2, "before": -1}[place]
    if place == "before" and header.title_at is not None and header.title_at - line <= 3:
        score = 2  # the date printed just above the headline (newspaper pages)
    score += 2 if timed else 0
    score += 2 if _DATE_LABEL.search(before) else 0
    return _DateCandidate(value, timed, score, "visible header", line)


def _choose_date(structured: list[tuple[str, Any]], page: _PageText, header: _Header, tz: str | None,
                 now: datetime | None) -> tuple[datetime | None, str | None, int | None]:
    """The publication time: the header's when the page shows one, structured data to confirm or fill in."""
    machine: list[_DateCandidate] = []
    for origin, raw in structured:
        if (value := parse_date(raw, tz, now)) is not None:
            timed = not (isinstance(raw, str) and re.fullmatch(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*", raw))
            if origin == "htmldate":
                timed = value.strftime("%H%M%S") != "000000"
            machine.append(_DateCandidate(value, timed, 3, origin))
    visible = sorted(_visible_dates(page, header, tz, now), key=lambda c: (-c.score, c.line or 0))
    best_visible = visible[0] if visible and visible[0].score >= 4 else None
    local = zone(tz)
    if best_visible is not None:
        for candidate in machine:
            same_day = candidate.value.astimezone(local).date() == best_visible.value.date()
            if same_day and candidate.timed and not best_visible.timed:
                return candidate.value, candidate.origin, best_visible.line
        return best_visible.value, best_visible.origin, best_visible.line
    if machine:
        with_time = [c for c in machine if c.timed]
        chosen = with_time[0] if with_time else machine[0]
        if not chosen.timed:
            # The machine-readable date gives the day; the page's own text of that day gives the time.
            for candidate in visible:
                if candidate.timed and candidate.value.date() == chosen.value.astimezone(local).date():
                    return candidate.value, f"{chosen.origin} + visible time", candidate.line
        shown = next((c.line for c in visible if c.value.date() == chosen.value.astimezone(local).date()), None)
        return chosen.value, chosen.origin, shown
    if visible and visible[0].score >= 1:
        return visible[0].value, visible[0].origin, visible[0].line
    return None, None, None


# ---- 来源 and bylines

# Credits of a picture or of figures ("图片来源：摄图网", "资料来源：…") name no publisher of the story.
_NOT_CREDIT = r"(?<!资料)(?<!图片)(?<!素材)(?<!数据)(?<!照片)(?<!视频)(?<!图)(?<!图文)"
# "来源：新华社" in one node; the name stops at the next byline word ("来源：新华社作者：张三").
_ATTRIBUTION = re.compile(
    _NOT_CREDIT + r"(?:文章|稿件|新闻|信息)?(?:来源|稿源)[ \t\u3000]*[:：][ \t\u3000]*[\[【(（]?[ \t\u3000]*"
    r"(?P<name>(?:(?!作者|时间|编辑|责编)[^\s\]】)）|，,。;；:：“”\"&/]){2,30})")
# "来源：" ending its node: the name is the next node's text.
_ATTRIBUTION_LABEL = re.compile(
    _NOT_CREDIT + r"(?:文章|稿件|新闻|信息)?(?:来源|稿源|来自)[ \t\u3000]*[:：]?[ \t\u3000]*[\[【(（]?[ \t\u3000]*$")
_PLACEHOLDER_SOURCE = re.compile(r"^(?:转载|转载文章|转帖|互联网|网络|网络整理|本站|本网|原创|佚名|未知|综合|网友|"
                                 r"null|none|其他|其它|整理|编辑部|管理员|admin)$", re.IGNORECASE)
_PUBLISHER_SHAPE = re.compile(
    r"^《.{2,15}》$|^[\w·—\-]{2,15}(?:报|网|社|刊|台|新闻|周刊|客户端|日报|晚报|杂志|通讯|在线)$")
_NOT_A_SOURCE = re.compile(r"注明|转载请|版权|凡本网|违反|http|www\.|\.com|\.cn|size=|\d{4}|[<>=@]", re.IGNORECASE)


def _source_value(value: str) -> str | None:
    value = value.strip(" []【】()（）《》:：")
    if len(value) < 2 or _PLACEHOLDER_SOURCE.match(value) or _NOT_A_SOURCE.search(value):
        return None
    return value


def _choose_source(page: _PageText, header: _Header, date_at: int | None,
                   site_names: set[str]) -> tuple[str | None, str | None]:
    """The 来源 a page names: a labelled line (header first), else the publisher printed after the date."""
    best: tuple[int, str] | None = None
    lines = page.lines
    for index, line in enumerate(lines):
        found: list[tuple[re.Match[str], str | None]] = [
            (match, _source_value(match["name"])) for match in _ATTRIBUTION.finditer(line)]
        if (label := _ATTRIBUTION_LABEL.search(line)) is not None:
            nxt = index + 1
            while nxt < len(lines) and lines[nxt] in ("[", "【", "(", "（"):
                nxt += 1
            if nxt < len(lines):
                found.append((label, _source_value(re.split(r"[\s|，,。;；]", lines[nxt])[0])))
        for match, value in found:
            at = index
            if value is None or (line[:match.start()].rstrip().endswith(("“", '"'))):
                continue  # "凡本网注明“来源：…”的作品": the site's copyright notice, not this page's source
            place = header.place(at)
            score = {"header": 3, "unknown": 2, "tail": 2, "lead": 1, "body": 1, "before": 0}[place]
            if best is None or score > best[0]:
                best = (score, value)
    if best is not None:
        return best[1], "来源 line"
    if date_at is not None:
        # Portals print the publisher right after the header's date: "2005年03月31日03:18 北京娱乐信报".
        shown = _VISIBLE_DATE.search(lines[date_at])
        rest = lines[date_at][shown.end():].strip() if shown else ""
        for text in (rest.split()[-1] if rest.split() else "", *(lines[date_at + 1:date_at + 2])):
            text = text.strip()
            if text and _PUBLISHER_SHAPE.match(text) and not _NOT_A_SOURCE.search(text) and not any(
                    _squash(text) == _squash(n) for n in site_names):
                return text.strip("《》"), "after date"
    return None, None


_NAME = r"[\u4e00-\u9fff·]{2,4}"
_NAMES = _NAME + r"(?:(?:[ \t\u3000、，,和]|&)+" + _NAME + r")*"
_AFTER_NAMES = r"(?=[ \t\u3000]*(?:$|[）)\]】，,。/|]|发自|摄|通讯员|[ \t\u3000][\u4e00-\u9fff]{2,8}报道))"
# Byline forms, each with its label; the value may be the next node's text when the label ends its node.
_LABELLED_BYLINE = re.compile(
    r"(?:作[ \t\u3000]*者|撰[ \t]*文|撰稿人?|发布者|发表者|楼主|^文)[ \t\u3000]*[:：/][ \t\u3000]*(?P<v>[^\n|]{0,40})$")
# "本报记者 X", "新京报记者 X", "（总台记者 X）": what stands before 记者 names an outlet or a rank, so
# "据记者采访了解" is no byline.
_REPORTER = (r"(?:[\w·]{0,8}?(?:报|社|台|网|刊|新闻|实习|特约|首席|驻地|本报|本刊)"
             r"|\w{1,8}·\w{1,8})?记者")
_REPORTER_BYLINE = re.compile(r"(?:^|(?<=[（(\[【□\s·]))" + _REPORTER + r"[ \t\u3000]*[:：]?[ \t\u3000]*"
                              r"(?P<v>" + _NAMES + r")" + _AFTER_NAMES)
_SLASH_BYLINE = re.compile(r"(?:^|(?<=[（(\s]))文[ \t]*/[ \t]*(?P<v>" + _NAMES + r")" + _AFTER_NAMES
                           + r"|(?P<w>" + _NAME + r")[ \t]*/[ \t]*文")
# "（姚峰 上海报道）", "（袁源）": the reporter in brackets closing the text (or opening it).
_BRACKET_BYLINE = re.compile(r"(?:^|(?<=[。！？!?”\"」]))[（(][ \t\u3000]*(?:" + _REPORTER + r"[ \t\u3000]*)?(?P<v>"
                             + _NAMES
                             + r")(?:[ \t\u3000]+[\u4e00-\u9fff]{2,8}报道)?[ \t\u3000]*[）)]$")
# The same closing the text anywhere, when it says it is a reporter's: "（姚峰 上海报道）", "（记者 X）".
_REPORTED_BYLINE = re.compile(r"[（(][ \t\u3000]*(?:" + _REPORTER + r"[ \t\u3000]*(?P<v>" + _NAMES + r")|(?P<w>"
                              + _NAMES + r")[ \t\u3000]+[\u4e00-\u9fff]{2,8}报道)[ \t\u3000]*[）)]$")
# "[ 黄宇 ] 来源：…": a bracketed name opening the header's source line.
_BRACKETED_NAME = re.compile(r"^\[\s*(?P<v>" + _NAMES + r")\s*\](?=\s*(?:来源|$))")
_NAME_LINE = re.compile(r"^\[?[ \t\u3000]*(?P<v>" + _NAMES + r")[ \t\u3000]*\]?$")
_EDITOR = re.compile(r"(?:责任编辑|责编|编辑)[ \t]*[:：][ \t]*(?P<v>[^\n|）)]{0,20})")
_NOT_A_NAME = re.compile(r"转载|注明|授权|版权|实时|播报|来源|出处|网站|网络|公司|团队|team|http|www\.|@|\.com|"
                         r"\d{3,}|^\d+$|[<>={}]|该作者|文章|欢迎|点击|关注|评论|阅读|分享|资料|图片|组图|附图|"
                         r"待续|完$|^图$|原标题|新华社|本报|本刊|通讯员|报道|编辑|责编|记者|^(?:原创|楼主|博客|目录|返回|学习目的)$",
                         re.IGNORECASE)


def _person(value: str | None, site_names: set[str]) -> str | None:
    """A person's name, or None for what is no name: a site, an id, an e-mail, a URL, a template."""
    if not value:
        return None
    value = re.sub(r"^(?:作者|记者|文|撰文|by)\s*[:：|/]?\s*", "", " ".join(str(value).split()), flags=re.IGNORECASE)
    value = re.sub(r"\s*[(（]\s*https?://[^)）]*[)）]", "", value)  # "Bradley M. Kuhn (http://ebb.org/bkuhn/)"
    value = re.split(r"\s*(?:发布|时间|日期|来源|出自|编辑|责编|摄影|摄|发自|报道|\d{4}[-年/])",
                     value)[0].strip(" ,，:：")
    while value and value[0] in "[【(（" and not any(c in value for c in "]】)）"):
        value = value[1:].strip()
    while value and value[-1] in "]】)）" and not any(c in value for c in "[【(（"):
        value = value[:-1].strip()
    value = re.sub(r"^\[\s*(.*?)\s*\]$", r"\1", value)
    if re.fullmatch(r"[\u4e00-\u9fff](?:\s+[\u4e00-\u9fff])+", value):
        value = "".join(value.split())  # "赵  培": a two-character name padded to the width of three
    if not value or len(value) > 40 or _NOT_A_NAME.search(value) or re.fullmatch(r"[\W\d_]+", value):
        return None
    if "," in value and any(_SITE_WORDS.search(p.strip()) for p in value.split(",")):
        return None  # "云南网,云南日报报业集团": a list of site names, not of authors
    if any(_squash(value) == _squash(name) for name in site_names):
        return None
    # "网易" beside "网易新闻" is the site; "Bradley M. Kuhn" beside his blog's longer name is a person.
    if _site_like(value, site_names) and not re.fullmatch(_NAMES, value) and (
            re.search(r"[\u4e00-\u9fff]", value) or " " not in value):
        return None
    return value


def _choose_author(meta: dict[str, str], ld: dict[str, Any], fallback: str | None, page: _PageText,
                   header: _Header, site_names: set[str]) -> tuple[str | None, str | None]:
    """Structured data when it names a person; else the byline in the header, then the one closing the
    text ("（记者 胡晓蓉）"), then a line of names under the headline."""
    declared = False
    for origin, raw in (("json-ld", _ld_name(ld.get("author"))), ("meta", meta.get("author")),
                        ("meta", meta.get("article:author"))):
        declared = declared or bool(raw)
        if (value := _person(raw, site_names)) is not None:
            return value, origin
    lines = page.lines
    places = [header.place(i) for i in range(len(lines))]

    def scan(wanted: tuple[str, ...], patterns: tuple[re.Pattern[str], ...], short: bool = False) -> str | None:
        for index, line in enumerate(lines):
            if places[index] not in wanted or (short and len(line) > 30):
                continue
            for pattern in patterns:
                if page.linked[index] and pattern is not _LABELLED_BYLINE:
                    continue  # a menu item ("记者江湖") or another story's link
                for match in pattern.finditer(line):
                    raw = match.groupdict().get("v") or match.groupdict().get("w")
                    if not raw and pattern is _LABELLED_BYLINE and index + 1 < len(lines):
                        raw = lines[index + 1]
                    if (value := _person(raw, site_names)) is not None:
                        return value
        return None

    bylines = (_LABELLED_BYLINE, _REPORTER_BYLINE, _SLASH_BYLINE)
    if value := scan(("header", "unknown"), (*bylines, _BRACKET_BYLINE, _BRACKETED_NAME)):
        return value, "byline"
    if value := scan(("lead", "tail"), (*bylines, _BRACKET_BYLINE)):
        return value, "byline"
    # A byline standing alone in the text ("□ 本报记者 X"), or a reporter's closing its last line.
    anywhere = ("header", "unknown", "lead", "tail", "body")
    if (value := scan(anywhere, (_LABELLED_BYLINE, _REPORTER_BYLINE, _SLASH_BYLINE), short=True)) or (
            value := scan(anywhere, (_REPORTED_BYLINE,))):
        return value, "byline"
    if header.title_at is not None:
        for index in range(header.title_at + 1, min(header.title_at + 3, len(lines))):
            if page.linked[index] or places[index] != "header":
                continue
            if (match := _NAME_LINE.match(lines[index])) and (value := _person(match["v"], site_names)):
                return value, "name under the headline"
    # trafilatura reads the same meta tags: what was no name there is no name from it either.
    if not declared and (value := _person(fallback, site_names)) is not None:
        return value, "trafilatura"
    return None, None


def _choose_editor(page: _PageText, header: _Header) -> str | None:
    for index, line in enumerate(page.lines):
        if header.place(index) == "before":
            continue
        if match := _EDITOR.search(line):
            raw = match["v"].strip() or (page.lines[index + 1] if index + 1 < len(page.lines) else "")
            if (value := _person(raw, set())) is not None:
                return value
    return None


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
        elif element.tag in ("td", "th"):
            parts.append(" ")  # table cells are separate values: "1 Kyle Busch 5040", never "1Kyle Busch5040"
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
