"""Pictures archived at crawl time, on the demo web: what lands in DATA/media, the index, the WARCs
and the published HTML for every awkward case (catalog.IMAGE_CASES)."""

from __future__ import annotations

import hashlib
import struct
import threading
import urllib.request

import lxml.html
import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.demoweb import IMAGE_CASES, STORIES, DemoWeb
from crawler.demoweb.catalog import split_ref
from crawler.demoweb.images import HUGE_SIDE, IMAGES, SITE_IMAGES, WECHAT_IMAGES, wechat_placeholder
from tests.conftest import Crawl, run_cli
from tests.test_crawl import REACHABLE
from web.server import make_server

pytestmark = pytest.mark.crawl
WECHAT_COPY = "zaker:/article/e0f3b5a2c7d94e1b8a6f2c10/"
ARCHIVED = ("gif", "srcset", "noscript", "protocol-relative", "relative")
NEVER_FETCHED = ("gif-still", "srcset-small", "placeholder", "beacon-declared")
FAILED = {"wechat": "hotlink_placeholder", "hotlinked": "hotlink_blocked", "too-large": "too_large",
          "not-image": "not_image", "missing": "not_found", "slow": "timeout"}


def images_of(html: str) -> list[dict[str, str]]:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return [dict(img.attrib) for img in root.iter("img")]


def case_url(web: DemoWeb, case: str) -> str:
    return web.ref_url(IMAGE_CASES[case])


Exchange = tuple[str, int, bytes, dict[str, str]]  # record type, status, payload, HTTP headers


def warc_exchanges(crawl: Crawl, skip: frozenset[str] = frozenset()) -> dict[str, list[Exchange]]:
    """Target URI (no query) -> its request and response records, over every WARC but those in ``skip``.

    A revisit (the same bytes archived before, at any URL) counts as a response with its original's body.
    """
    found: dict[str, list[Exchange]] = {}
    bodies: dict[str, bytes] = {}
    records: list[tuple[str, str, int, str | None, dict[str, str], bytes, str]] = []
    for path in crawl.warcs():
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type not in ("request", "response", "revisit"):
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI").split("?", 1)[0]
                status = int(record.http_headers.get_statuscode()) if record.rec_type != "request" else 0
                headers = {k.lower(): v for k, v in record.http_headers.headers}
                body = record.content_stream().read()
                if record.rec_type == "response":
                    bodies[record.rec_headers.get_header("WARC-Record-ID")] = body
                records.append((path.name, record.rec_type, status, record.rec_headers.get_header("WARC-Refers-To"),
                                headers, body, uri))
    for name, kind, status, refers_to, headers, body, uri in records:
        if name in skip:
            continue
        if kind == "revisit":
            kind, body = "response", bodies.get(refers_to or "", b"")
        found.setdefault(uri, []).append((kind, status, body, headers))
    return found


@pytest.fixture(scope="module")
def wechat_post_html(crawl: Crawl) -> str:
    return crawl.post_at(WECHAT_COPY).body_html


def test_every_lazy_form_is_archived_and_rewritten(crawl: Crawl, wechat_post_html: str) -> None:
    by_original = {img.get("data-original-src"): img for img in images_of(wechat_post_html)}
    for case in ARCHIVED:
        url = case_url(crawl.web, case)
        img = by_original.get(url)
        assert img is not None, (case, url, wechat_post_html)
        assert img["src"].startswith("/media/") and "referrerpolicy" not in img
        file = crawl.data / "media" / img["src"].removeprefix("/media/")
        body = file.read_bytes()
        assert file.name.split(".")[0] == hashlib.sha256(body).hexdigest()
        host, path = split_ref(IMAGE_CASES[case])
        spec = SITE_IMAGES.get((host, path)) or IMAGES.get(path)
        if case == "gif":
            assert file.suffix == ".gif" and body[:6] == b"GIF89a"
            assert (img["width"], img["height"]) == ("160", "90")
        else:
            assert spec is not None and file.suffix == ".png"
            assert (img["width"], img["height"]) == (str(spec.width), str(spec.height))
    alts = {img.get("alt") for img in by_original.values()}
    assert {"小天鹅群", "东方白鹳", "湖区航拍", "候鸟分布示意图"} <= alts


def test_placeholders_and_beacons_never_reach_the_post(crawl: Crawl, wechat_post_html: str) -> None:
    exchanges = warc_exchanges(crawl)
    for case in NEVER_FETCHED:
        assert case_url(crawl.web, case) not in exchanges, case
    beacon = case_url(crawl.web, "beacon")  # no size in its <img>: fetched, found 1×1, dropped
    assert [status for kind, status, _, _ in exchanges[beacon] if kind == "response"] == [200]
    for case in (*NEVER_FETCHED, "beacon"):
        assert case_url(crawl.web, case) not in wechat_post_html, case
    assert "loading.png" not in wechat_post_html


def test_pictures_that_cannot_be_archived_keep_their_url_and_are_counted(
        crawl: Crawl, wechat_post_html: str) -> None:
    by_src = {img["src"].split("?", 1)[0]: img for img in images_of(wechat_post_html)}
    for case in FAILED:
        img = by_src.get(case_url(crawl.web, case))
        assert img is not None, case
        assert img.get("referrerpolicy") == "no-referrer" and "data-original-src" not in img
    store = crawl.store()
    try:
        details = store.source_health()["zaker-news"].details
    finally:
        store.close()
    for kind in FAILED.values():
        assert details.get(f"images/failed/{kind}") == 1, (kind, details)
    assert details.get("images/archived", 0) >= len(ARCHIVED)
    assert "not archived (hotlink_blocked" in crawl.output and "not archived (timeout" in crawl.output


def test_hotlink_answers_are_archived_but_never_published(crawl: Crawl) -> None:
    exchanges = warc_exchanges(crawl)
    page = crawl.web.ref_url(WECHAT_COPY)
    blocked = exchanges[case_url(crawl.web, "hotlinked")]
    assert [s for kind, s, _, _ in blocked if kind == "response"] == [403]
    assert [h.get("referer") for kind, _, _, h in blocked if kind == "request"] == [page]
    stock = exchanges[case_url(crawl.web, "wechat")]
    assert [(s, body) for kind, s, body, _ in stock if kind == "response"] == [(200, wechat_placeholder())]
    placeholder_name = hashlib.sha256(wechat_placeholder()).hexdigest()
    assert not list((crawl.data / "media").rglob(f"{placeholder_name}.*"))
    store = crawl.store()
    try:
        assert all(m.sha256 != placeholder_name for m in store.media())
    finally:
        store.close()


def test_lead_image_is_the_first_archived_picture(crawl: Crawl, wechat_post_html: str) -> None:
    post = crawl.post_at(WECHAT_COPY)
    assert post.lead_image == images_of(wechat_post_html)[0]["src"]
    assert post.lead_image is not None and post.lead_image.endswith(".gif")
    for story in REACHABLE:
        other = crawl.post_at(story.pages[0])
        assert other.lead_image is not None and other.lead_image.startswith("/media/"), story.key


def test_same_bytes_from_different_urls_are_one_file(crawl: Crawl) -> None:
    story = next(s for s in STORIES if s.key == "same-story")
    store = crawl.store()
    try:
        post = crawl.post_at(story.original or "")
        linked = store.media(post.id)
        every = store.media()
    finally:
        store.close()
    # The drone pictures come from cyol, Qutoutiao's and ZAKER's CDNs: six URLs, two pictures.
    assert len(linked) == 2
    files = [p for p in (crawl.data / "media").rglob("*") if p.is_file()]
    assert len(files) == len(every) == len({m.sha256 for m in every})
    for media in every:
        body = (crawl.data / "media" / media.path).read_bytes()
        assert hashlib.sha256(body).hexdigest() == media.sha256 and len(body) == media.size
        assert media.path == f"{media.sha256[:2]}/{media.sha256[2:4]}/{media.sha256}.{media.path.rsplit('.', 1)[1]}"
        assert media.media_type in ("image/png", "image/gif") and media.width > 2 and media.height > 2


def test_each_archived_picture_has_its_exchange_in_the_warc(crawl: Crawl) -> None:
    exchanges = warc_exchanges(crawl)
    store = crawl.store()
    try:
        every = store.media()
    finally:
        store.close()
    assert every, "the crawl archived no picture"
    for media in every:
        responses = [body for kind, status, body, _ in exchanges[media.first_url.split("?", 1)[0]]
                     if kind == "response" and status == 200]
        assert any(hashlib.sha256(body).hexdigest() == media.sha256 for body in responses), media.first_url


def test_feeds_point_at_media_that_serve_answers(crawl: Crawl) -> None:
    atom = (crawl.data / "feeds" / "all.atom").read_text(encoding="utf-8")
    assert 'src="/media/' in atom.replace("&lt;", "<").replace("&quot;", '"')
    store = crawl.store()
    try:
        media = next(m for m in store.media() if m.media_type == "image/gif")
    finally:
        store.close()
    server = make_server(crawl.data, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/media/{media.path}"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.headers["Content-Type"] == "image/gif"
            assert hashlib.sha256(response.read()).hexdigest() == media.sha256
    finally:
        server.shutdown()
        server.server_close()


def test_no_post_hotlinks_without_no_referrer(crawl: Crawl) -> None:
    assert any(images_of(post.body_html) for post in crawl.posts()), "no post shows a picture"
    for post in crawl.posts():
        for img in images_of(post.body_html):
            assert img["src"].startswith("/media/") or img.get("referrerpolicy") == "no-referrer", img


def test_too_large_picture_was_never_read_to_the_end(crawl: Crawl) -> None:
    exchanges = warc_exchanges(crawl)
    huge = exchanges.get(case_url(crawl.web, "too-large"), [])
    assert all(len(body) < HUGE_SIDE * HUGE_SIDE for _, _, body, _ in huge)


def test_a_recrawl_fetches_only_the_pictures_not_archived_yet(crawl: Crawl, recrawl: Crawl) -> None:
    fetched_again = warc_exchanges(recrawl, skip=frozenset(p.name for p in crawl.warcs()))
    store = crawl.store()
    try:
        archived = {m.first_url.split("?", 1)[0] for m in store.media()}
    finally:
        store.close()
    assert archived and not archived & set(fetched_again)
    assert {case_url(crawl.web, case) for case in ("missing", "hotlinked", "wechat")} <= set(fetched_again)
    assert recrawl.post_at(WECHAT_COPY).body_html == crawl.post_at(WECHAT_COPY).body_html


# --- the per-source Referer policy: one more crawl of one source, sending no Referer ---------------


@pytest.fixture(scope="module")
def no_referer_crawl(demo_web: DemoWeb, crawl: Crawl, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    data = tmp_path_factory.mktemp("no-referer")
    config = data / "sources.toml"
    text = demo_web.sources_toml().replace("[sources.zaker-news]\n", '[sources.zaker-news]\nimage_referer = "none"\n')
    config.write_text(text, encoding="utf-8")
    result = run_cli("crawl", "zaker-news", "--config", str(config), "--data", str(data))
    assert result.returncode == 0, result.stdout + result.stderr
    return Crawl(data=data, config=config, output=result.stdout + result.stderr, web=demo_web)


def test_image_referer_none_gets_past_referer_checks(no_referer_crawl: Crawl) -> None:
    html = no_referer_crawl.post_at(WECHAT_COPY).body_html
    by_original = {img.get("data-original-src", "").split("?", 1)[0]: img for img in images_of(html)}
    wechat = by_original[case_url(no_referer_crawl.web, "wechat")]
    body = (no_referer_crawl.data / "media" / wechat["src"].removeprefix("/media/")).read_bytes()
    spec = WECHAT_IMAGES[split_ref(IMAGE_CASES["wechat"])[1]]
    assert struct.unpack(">II", body[16:24]) == (spec.width, spec.height) and body != wechat_placeholder()
    assert case_url(no_referer_crawl.web, "hotlinked") in by_original  # no Referer: the CDN lets it through
    for exchanges in warc_exchanges(no_referer_crawl).values():
        for kind, _, _, headers in exchanges:
            if kind == "request" and headers.get("accept", "").startswith("image/"):
                assert "referer" not in headers
