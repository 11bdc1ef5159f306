"""Property tests: any input gives a sane answer or a clear error, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from crawler.content.dates import parse_date
from crawler.content.encoding import decode_html, detect_encoding
from crawler.content.extract import _ATTRIBUTION, extract_article
from crawler.content.sanitize import sanitise_html
from crawler.content.text import clean_xml_text, content_hash, normalise
from crawler.errors import ExtractionError
from exporters import atom

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=300)


@given(st.one_of(ANY_TEXT, st.integers(), st.floats(allow_nan=True), st.none(), st.binary(max_size=50)))
def test_parse_date_is_aware_and_plausible_or_none(value: object) -> None:
    parsed = parse_date(value, "Asia/Shanghai", now=NOW)
    assert parsed is None or (parsed.tzinfo is not None and 1990 <= parsed.year <= 2100)


@given(st.integers(2000, 2099), st.integers(1, 12), st.integers(1, 28), st.integers(0, 23), st.integers(0, 59))
def test_chinese_full_dates_round_trip_in_beijing_time(y: int, m: int, d: int, hh: int, mm: int) -> None:
    parsed = parse_date(f"{y}年{m}月{d}日 {hh:02d}:{mm:02d}", "Asia/Shanghai")
    assert parsed is not None
    assert (parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute) == (y, m, d, hh, mm)
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


# A name that itself contains a byline word (作者, 时间, 编辑, 责编) ends where that word starts, on
# purpose ("来源：新华社作者：张三"): such names are not publishers' names.
_PUBLISHER = st.text(CJK, min_size=2, max_size=12).filter(
    lambda name: not any(word in name for word in ("作者", "时间", "编辑", "责编")))


@given(_PUBLISHER, st.sampled_from(["：", ":", ": ", "： "]),
       st.sampled_from(["", " 作者：张三", "　编辑：李四", "&nbsp;", "，"]))
def test_attribution_names_the_publisher_only(name: str, colon: str, tail: str) -> None:
    match = _ATTRIBUTION.search(f"来源{colon}{name}{tail}")
    assert match is not None and match["name"] == name


@given(st.binary(max_size=2000), st.one_of(st.none(), st.sampled_from(
    ["text/html", "text/html; charset=gbk", "text/html; charset=utf-8", "text/html; charset=bogus-x"])))
def test_any_bytes_decode_without_raising(body: bytes, content_type: str | None) -> None:
    text, encoding = decode_html(body, content_type)
    assert isinstance(text, str) and encoding == detect_encoding(body, content_type)


@given(st.text(max_size=500))
def test_utf8_text_is_always_read_back_as_utf8(text: str) -> None:
    body = text.encode("utf-8", errors="ignore")
    decoded, _ = decode_html(body)
    assert decoded == body.decode("utf-8") or decoded == body.decode("utf-8-sig")


@given(ANY_TEXT)
def test_normalisation_is_idempotent_and_hash_stable_under_spacing(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)
    assert content_hash(text) == content_hash(" ".join(text.split(" ")) + "  ")


@given(st.text(max_size=300))
def test_sanitised_html_has_no_script_or_handlers(html: str) -> None:
    clean = sanitise_html(f"<p onclick='x'>{html}<script>alert(1)</script><a href='javascript:x'>y</a></p>")
    lowered = clean.lower()
    assert "<script" not in lowered and "onclick" not in lowered and "javascript:" not in lowered


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=60)
@given(st.text(max_size=2000))
def test_extractor_returns_an_article_or_a_clear_error(html: str) -> None:
    try:
        article = extract_article(html, "http://127.0.0.1/page.html")
    except ExtractionError:
        return
    assert article.text.strip() and article.url == "http://127.0.0.1/page.html"


@settings(deadline=None, max_examples=40)
@given(st.lists(st.tuples(ANY_TEXT, ANY_TEXT, ANY_TEXT), min_size=1, max_size=4))
def test_atom_writer_makes_well_formed_xml_from_anything(rows: list[tuple[str, str, str]]) -> None:
    from crawler.index import StoredPost

    posts = [
        StoredPost(id=i, key=f"{i:020d}", content_hash="0" * 64, source="s", url=f"http://127.0.0.1/{i}",
                   original_url=None, title=title, author=author or None, source_name=None,
                   published=NOW, updated=NOW, categories=[author] if author.strip() else [],
                   body_html=sanitise_html(body), text=body, summary=None, lead_image=None, first_seen=NOW)
        for i, (title, author, body) in enumerate(rows)
    ]
    from crawler.config import AppConfig, Settings
    from crawler.index import FeedScope
    from exporters.model import entry_for
    from exporters.plan import Feed, Page

    page = Page(feed=Feed("all", "t", "feeds/all", FeedScope(kind="story")), number=None, links=(), digest="",
                heads=list)
    app = AppConfig(settings=Settings(feed_title="t", tag_authority="example.org", tag_date="2026"))
    document = atom.render(page, [entry_for(post, "tag:example.org,2026:") for post in posts], app)
    root = etree.fromstring(document)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert [e.findtext("{http://www.w3.org/2005/Atom}id") for e in entries] == [
        f"tag:example.org,2026:post/{p.key}" for p in posts]
    for entry, post in zip(entries, posts, strict=True):
        # XML-illegal characters are dropped and whitespace folded (titles are one line); nothing else.
        expected = " ".join(clean_xml_text(post.title).split()) or "(untitled)"
        assert entry.findtext("{http://www.w3.org/2005/Atom}title") == expected


# -- image discovery -----------------------------------------------------------------------------------------

_SRC = st.one_of(
    st.builds(lambda host, path: f"http://{host}/{path}.png", st.sampled_from(["a.example", "127.0.0.1:8", "b.cn"]),
              st.text(st.characters(min_codepoint=0x30, max_codepoint=0x7A), max_size=12)),
    st.sampled_from(["javascript:alert(1)", "data:image/png;base64,AAAA", "//cdn.example/x.png", "", " ",
                     "/relative.png", "https://c.example/a b.jpg", "HTTP://UPPER.example/x.gif"]),
    ANY_TEXT,
)


@given(st.lists(st.tuples(_SRC, ANY_TEXT), max_size=8), ANY_TEXT)
def test_image_urls_are_http_in_order_once_and_never_crash(images: list[tuple[str, str]], filler: str) -> None:
    from html import escape

    from crawler.content.images import image_urls

    html = "".join(f'<p>{escape(text)}<img src="{escape(src, quote=True)}"></p>' for src, text in images)
    found = image_urls(html + escape(filler))
    assert len(found) == len(set(found))
    assert all(url.startswith(("http://", "https://")) for url in found)
    # Every http(s) picture is found, in document order (the parser keeps attributes as written, stripped).
    expected = list(dict.fromkeys(s.strip() for s, _ in images if clean_xml_text(s).strip() == s.strip()
                                  and s.strip().startswith(("http://", "https://"))))
    assert [u for u in found if u in expected] == [u for u in expected if u in found]


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(ANY_TEXT, st.sampled_from(['<img src="http://a.example/1.png">',
                                                     '<img data-src="http://a.example/lazy.png" src="x.gif">',
                                                     '<img src="javascript:alert(1)">', "<svg><image href='x'/></svg>",
                                                     '<img srcset="http://a.example/2.png 2x">'])), max_size=12))
def test_extracted_images_are_http_and_unique(parts: list[str]) -> None:
    html = "<html><body><article><p>" + "正文内容足够长。" * 20 + "</p>" + "".join(parts) + "</article></body></html>"
    try:
        article = extract_article(html, "http://127.0.0.1/page.html")
    except ExtractionError:
        return
    assert len(article.images) == len(set(article.images))
    assert all(u.startswith(("http://", "https://")) for u in article.images)
    assert article.lead_image is None or article.lead_image.startswith(("http://", "https://"))


# -- plain-text fields -----------------------------------------------------------------------------------------

@given(st.lists(st.one_of(ANY_TEXT, st.sampled_from(["<script>alert(1)</script>", "<b>", "</b>", "<", ">",
                                                     "<img src=x onerror=alert(1)>", "<scr", "ipt>", "<style>",
                                                     "a < b", "\n---\n", "&lt;script&gt;"])), max_size=10))
def test_sanitised_text_has_no_tags_and_is_idempotent(parts: list[str]) -> None:
    import re

    from crawler.content.sanitize import sanitise_text

    text = sanitise_text("".join(parts))
    assert not re.search(r"<\s*/?\s*[a-zA-Z!?][^<>]*>", text)
    assert "\n" not in text and clean_xml_text(text) == text
    assert sanitise_text(text) == text
