"""Picture handling without a crawl: identification from bytes, the media store, HTML rewriting,
the extractor's lazy-image forms and the pipeline's decisions (with a download function that answers
from memory instead of the network)."""

from __future__ import annotations

import asyncio
import hashlib
import struct
import zlib
from collections import Counter
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError
from scrapy.http import HtmlResponse, Response

from crawler.content.extract import extract_article
from crawler.content.images import image_urls, inspect_image, media_path, rewrite_images
from crawler.content.text import content_hash
from crawler.errors import MediaError
from crawler.index import SqlIndexStore
from crawler.items import MediaRef, PostItem
from crawler.pipelines.images import ImageArchiveConfig, ImageArchivePipeline, referer_for
from crawler.storage.objects import LocalStore, open_store, put_once


def picture(fmt: str, size: tuple[int, int] = (40, 30), colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


# --- identification -----------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "kind", "extension"), [
    ("PNG", "png", "png"), ("JPEG", "jpeg", "jpg"), ("GIF", "gif", "gif"), ("WEBP", "webp", "webp"),
    ("BMP", "bmp", "bmp"),
])
def test_type_and_size_come_from_the_bytes(fmt: str, kind: str, extension: str) -> None:
    facts = inspect_image(picture(fmt, (40, 30)))
    assert (facts.type, facts.extension, facts.width, facts.height) == (kind, extension, 40, 30)
    assert facts.media_type == f"image/{kind}" and not facts.is_pixel


def test_what_is_not_a_picture_is_refused() -> None:
    with pytest.raises(MediaError) as html:
        inspect_image(b"<!DOCTYPE html><html><title>404</title></html>")
    assert html.value.kind == "not_image" and "HTML" in str(html.value)
    with pytest.raises(MediaError) as svg:
        inspect_image(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    assert svg.value.kind == "not_image"
    png = picture("PNG")
    with pytest.raises(MediaError) as cut:
        inspect_image(png[: len(png) // 2])
    assert cut.value.kind == "not_image"


def test_a_pixel_bomb_is_refused_before_decoding() -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # 40000×40000 pixels claimed in a few hundred bytes.
    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))
    with pytest.raises(MediaError) as error:
        inspect_image(bomb)
    assert error.value.kind == "too_large"


def test_a_one_pixel_picture_is_a_beacon() -> None:
    assert inspect_image(picture("GIF", (1, 1))).is_pixel


# --- the store ------------------------------------------------------------------------------------


def test_store_writes_each_content_once_under_its_hash(tmp_path: Path) -> None:
    body = picture("PNG")
    sha = hashlib.sha256(body).hexdigest()
    path = media_path(sha, "png")
    assert path == f"{sha[:2]}/{sha[2:4]}/{sha}.png"
    store = LocalStore(tmp_path)
    assert put_once(store, path, body, "image/png") is True
    assert put_once(store, path, body, "image/png") is False
    assert (tmp_path / path).read_bytes() == body
    assert [p.name for p in (tmp_path / path).parent.iterdir()] == [f"{sha}.png"]  # no temporary left


def test_store_replaces_a_cut_file(tmp_path: Path) -> None:
    body = picture("PNG")
    path = media_path(hashlib.sha256(body).hexdigest(), "png")
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_bytes(body[:10])  # a crash of some other writer
    assert put_once(LocalStore(tmp_path), path, body, "image/png") is True
    assert (tmp_path / path).read_bytes() == body


# --- rewriting ------------------------------------------------------------------------------------


def ref(url: str, path: str = "ab/cd/abcd.png", width: int = 40, height: int = 30) -> MediaRef:
    return MediaRef(sha256="abcd", path=path, url=url, media_type="image/png", width=width, height=height, size=9)


def test_rewrite_points_at_archive_keeps_original_and_alt() -> None:
    html = ('<p>前文<img src="https://a.example/1.png" alt="图一" title="说明">后文</p>'
            '<p><img src="https://b.example/2.jpg"></p><p><img src="https://t.example/b.gif">尾</p>')
    out = rewrite_images(html, {"https://a.example/1.png": ref("https://a.example/1.png")},
                         {"https://t.example/b.gif"}, "https://feeds.example.org/media/")
    assert out == (
        '<p>前文<img src="https://feeds.example.org/media/ab/cd/abcd.png" data-original-src="https://a.example/1.png"'
        ' width="40" height="30" alt="图一" title="说明" loading="lazy">后文</p>'
        '<p><img src="https://b.example/2.jpg" referrerpolicy="no-referrer" alt="" loading="lazy"></p>'
        '<p>尾</p>'
    )
    assert image_urls(html) == ["https://a.example/1.png", "https://b.example/2.jpg", "https://t.example/b.gif"]
    assert rewrite_images("<p>无图</p>", {}, set(), "/media/") == "<p>无图</p>"


# --- extraction of lazy pictures -------------------------------------------------------------------

PARAGRAPH = "<p>" + "这是一段足够长的正文，用来让抽取器认出文章主体。" * 12 + "</p>"


def extract(images: str, head: str = "") -> Any:
    html = (f"<html><head><title>标题</title>{head}</head><body><article><h1>标题</h1>{PARAGRAPH}"
            f"{images}{PARAGRAPH}</article></body></html>")
    return extract_article(html, "https://news.example.com/a/b/page.html")


def test_every_lazy_form_resolves_to_an_absolute_url() -> None:
    article = extract(
        '<p><img src="data:image/gif;base64,R0lGOD" data-gif-url="//cdn.example.com/anim.gif"'
        ' data-original="//cdn.example.com/still.jpg"></p>'
        '<p><img data-lazy-src="../img/rel.png"></p>'
        '<p><img src="/spacer.gif" data-srcset="/s-320.jpg 320w, /s-1024.jpg 1024w, /s-640.jpg 640w"></p>'
        '<p><img srcset="/x1.jpg 1x, /x2.jpg 2x"></p>'
        '<p><img class="lazy" src="/static/loading.png"><noscript><img src="/ns.jpg" alt="后备"></noscript></p>'
        '<p><img data-src="https://mmbiz.qpic.cn/mmbiz_png/abc/640?wx_fmt=png" src="data:,"></p>'
    )
    assert article.images == [
        "https://cdn.example.com/anim.gif", "https://news.example.com/a/img/rel.png",
        "https://news.example.com/s-1024.jpg", "https://news.example.com/x2.jpg", "https://news.example.com/ns.jpg",
        "https://mmbiz.qpic.cn/mmbiz_png/abc/640?wx_fmt=png",
    ]
    assert article.lead_image == article.images[0]
    assert 'alt="后备"' in article.body_html and "loading.png" not in article.body_html


def test_noscript_duplicate_of_a_lazy_picture_is_kept_once() -> None:
    article = extract('<p><img data-src="/real.jpg" src="data:,"><noscript><img src="/real.jpg"></noscript></p>')
    assert article.images == ["https://news.example.com/real.jpg"]
    assert article.body_html.count("<img") == 1


def test_beacons_and_placeholders_are_dropped_before_extraction() -> None:
    article = extract('<p><img src="https://t.example.com/c.gif?u=1" width="1" height="1">'
                      '<img src="/images/blank.gif"><img src="/real.png"></p>')
    assert article.images == ["https://news.example.com/real.png"]
    assert sorted(reason for _, reason in article.skipped_images) == ["placeholder", "tracking_pixel"]


def test_og_image_leads_a_post_without_pictures() -> None:
    article = extract("", head='<meta property="og:image" content="/cover.jpg">')
    assert article.images == [] and article.lead_image == "https://news.example.com/cover.jpg"


# --- the pipeline's decisions ------------------------------------------------------------------------


class Stats(Counter[str]):
    def inc_value(self, key: str, count: int = 1) -> None:
        self[key] += count


class FakeWeb:
    """Answers picture requests from a dict: URL -> (status, body) or an exception to raise."""

    def __init__(self, answers: dict[str, tuple[int, bytes] | Exception]) -> None:
        self.answers = answers
        self.requests: list[Request] = []

    async def download(self, request: Request) -> Response:
        self.requests.append(request)
        await asyncio.sleep(0)
        answer = self.answers[request.url]
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return Response(request.url, status=status, body=body, request=request)


def pipeline(tmp_path: Path, web: FakeWeb, **overrides: Any) -> tuple[ImageArchivePipeline, Stats]:
    values: dict[str, Any] = dict(store=str(tmp_path), base_url="/media/", max_bytes=100_000, max_per_post=10,
                                  types=frozenset({"jpeg", "png", "gif"}), timeout=5.0, placeholders=frozenset())
    values.update(overrides)
    stats = Stats()
    policies = {"page-src": "page", "origin-src": "origin", "none-src": "none"}
    return ImageArchivePipeline(ImageArchiveConfig(**values), web.download, stats, policies), stats


def post(html: str, source: str = "page-src", lead: str | None = None) -> PostItem:
    return PostItem(source=source, url="https://agg.example.com/p/1.html", role="copy", title="t", text="x",
                    body_html=html, lead_image=lead)


def imgs(*urls: str) -> str:
    return "".join(f'<p><img src="{u}"></p>' for u in urls)


def test_pipeline_outcomes_per_picture(tmp_path: Path) -> None:
    png, stock = picture("PNG"), picture("PNG", (30, 10), (236, 236, 236))
    web = FakeWeb({
        "https://c/ok.png": (200, png), "https://c/copy.png": (200, png), "https://c/403.png": (403, b"no"),
        "https://c/404.png": (404, b""), "https://c/500.png": (500, b""), "https://c/html.jpg": (200, b"<html>"),
        "https://c/bmp.png": (200, picture("BMP")), "https://c/stock.png": (200, stock),
        "https://c/pixel.gif": (200, picture("GIF", (1, 1))), "https://c/slow.png": DownloadTimeoutError("slow"),
        "https://c/big.png": DownloadCancelledError("larger than download max size"),
    })
    archive, stats = pipeline(tmp_path, web, max_per_post=20,
                              placeholders=frozenset({hashlib.sha256(stock).hexdigest()}))
    item = post(imgs(*web.answers))
    asyncio.run(archive.process_item(item))
    assert [m["url"] for m in item.media] == ["https://c/ok.png", "https://c/copy.png"]
    assert len({m["path"] for m in item.media}) == 1 and len(list(tmp_path.rglob("*.png"))) == 1
    assert item.lead_image == "/media/" + item.media[0]["path"]
    assert "pixel.gif" not in item.body_html
    failed = {k.removeprefix("images/failed/"): v for k, v in stats.items() if k.startswith("images/failed/")}
    assert failed == {"hotlink_blocked": 1, "not_found": 1, "http_500": 1, "not_image": 1, "type_not_allowed": 1,
                      "hotlink_placeholder": 1, "timeout": 1, "too_large": 1}
    assert stats["images/stored"] == 1 and stats["images/deduplicated"] == 1
    assert stats["images/bytes_fetched"] > stats["images/bytes_stored"] == len(png)
    assert item.body_html.count('referrerpolicy="no-referrer"') == 8


def test_pipeline_fetches_each_url_once_and_limits_pictures_per_post(tmp_path: Path) -> None:
    web = FakeWeb({f"https://c/{n}.png": (200, picture("PNG", (10 + n, 10))) for n in range(4)})
    archive, stats = pipeline(tmp_path, web, max_per_post=2)

    async def two_posts() -> tuple[PostItem, PostItem]:
        first, second = post(imgs(*web.answers)), post(imgs("https://c/0.png"))
        await asyncio.gather(archive.process_item(first), archive.process_item(second))
        return first, second

    first, second = asyncio.run(two_posts())
    assert [r.url for r in web.requests] == ["https://c/0.png", "https://c/1.png"]
    assert len(first.media) == 2 and len(second.media) == 1 and stats["images/reused"] == 1
    assert stats["images/failed/too_many"] == 2 and first.body_html.count("referrerpolicy") == 2


def test_pipeline_sends_the_sources_referer(tmp_path: Path) -> None:
    web = FakeWeb({"https://c/a.png": (200, picture("PNG")), "https://c/b.png": (200, picture("PNG")),
                   "https://c/c.png": (200, picture("PNG"))})
    archive, _ = pipeline(tmp_path, web)

    async def crawl() -> None:
        await archive.process_item(post(imgs("https://c/a.png"), "page-src"))
        await archive.process_item(post(imgs("https://c/b.png"), "origin-src"))
        await archive.process_item(post(imgs("https://c/c.png"), "none-src"))

    asyncio.run(crawl())
    referers = [r.headers.get("Referer") for r in web.requests]
    assert referers == [b"https://agg.example.com/p/1.html", b"https://agg.example.com/", None]
    # A picture refused to one site's Referer is asked for again with another's (and with none).
    web.requests.clear()
    web.answers["https://c/d.png"] = (403, b"")
    refused = post(imgs("https://c/d.png"), "page-src")
    asyncio.run(archive.process_item(refused))
    web.answers["https://c/d.png"] = (200, picture("PNG"))
    allowed = post(imgs("https://c/d.png"), "none-src")
    asyncio.run(archive.process_item(allowed))
    assert len(web.requests) == 2 and refused.media == [] and len(allowed.media) == 1
    assert all(r.headers["Accept"].startswith(b"image/") for r in web.requests)
    assert referer_for("origin", "http://127.0.0.1:8000/a/b?c") == "http://127.0.0.1:8000/"


def test_pipeline_archives_the_og_image_of_a_post_without_pictures(tmp_path: Path) -> None:
    web = FakeWeb({"https://c/cover.jpg": (200, picture("JPEG"))})
    archive, _ = pipeline(tmp_path, web)
    item = post("<p>无图</p>", lead="https://c/cover.jpg")
    asyncio.run(archive.process_item(item))
    assert item.lead_image is not None and item.lead_image.startswith("/media/") and item.lead_image.endswith(".jpg")
    assert item.body_html == "<p>无图</p>"


def test_config_rejects_nonsense(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="IMAGE_ARCHIVE_TYPES"):
        pipeline(tmp_path, FakeWeb({}), types=frozenset({"png", "svg"}))
    with pytest.raises(ValueError, match="MAX_BYTES"):
        pipeline(tmp_path, FakeWeb({}), max_bytes=0)


def test_html_response_is_not_mistaken_for_a_picture(tmp_path: Path) -> None:
    web = FakeWeb({})

    async def html_answer(request: Request) -> Response:
        return HtmlResponse(request.url, body=b"<html><body>placeholder</body></html>", request=request)

    archive, stats = pipeline(tmp_path, web)
    archive.download = html_answer
    item = post(imgs("https://c/a.jpg"))
    asyncio.run(archive.process_item(item))
    assert item.media == [] and stats["images/failed/not_image"] == 1


def test_pipeline_skips_pictures_an_earlier_crawl_archived(tmp_path: Path) -> None:
    body = picture("PNG")
    web = FakeWeb({"https://c/a.png": (200, body), "https://c/b.png": (200, picture("PNG", (50, 50)))})
    first, _ = pipeline(tmp_path / "media", web)
    done = post(imgs("https://c/a.png"))
    asyncio.run(first.process_item(done))
    done.content_hash = content_hash(done.text)
    index = SqlIndexStore(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    try:
        index.upsert_post(done)
        web.requests.clear()
        archive, stats = pipeline(tmp_path / "media", web)
        archive.index = index
        again = post(imgs("https://c/a.png", "https://c/b.png"))
        asyncio.run(archive.process_item(again))
        assert [r.url for r in web.requests] == ["https://c/b.png"]
        assert stats["images/archived_before"] == 1 and len(again.media) == 2
        assert again.media[0] == done.media[0]
        (tmp_path / "media" / done.media[0]["path"]).unlink()  # gone from the store: fetched again
        web.requests.clear()
        archive, _ = pipeline(tmp_path / "media", web)
        archive.index = index
        asyncio.run(archive.process_item(post(imgs("https://c/a.png"))))
        assert [r.url for r in web.requests] == ["https://c/a.png"]
    finally:
        index.close()


# --- the S3 media store, against an S3-compatible server on loopback (moto in server mode) -----------


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    client.create_bucket(Bucket="feedarchiver-media")
    try:
        yield client
    finally:
        server.stop()


def test_pipeline_stores_pictures_once_in_s3(tmp_path: Path, s3: Any) -> None:
    body = picture("PNG")
    web = FakeWeb({"https://c/a.png": (200, body), "https://d/a.png": (200, body)})
    archive, stats = pipeline(tmp_path, web, store="s3://feedarchiver-media/archive/media")
    archive.store = open_store("s3://feedarchiver-media/archive/media", client=s3)
    item = post(imgs("https://c/a.png", "https://d/a.png"))
    asyncio.run(archive.process_item(item))
    path = item.media[0]["path"]
    assert [m["path"] for m in item.media] == [path, path] and stats["images/stored"] == 1
    listed = s3.list_objects_v2(Bucket="feedarchiver-media", Prefix="archive/media/")["Contents"]
    assert [o["Key"] for o in listed] == [f"archive/media/{path}"]
    stored = s3.get_object(Bucket="feedarchiver-media", Key=f"archive/media/{path}")
    assert stored["Body"].read() == body and stored["ContentType"] == "image/png"
    assert put_once(open_store("s3://feedarchiver-media/archive/media", client=s3), path, body, "image/png") is False
    assert not list(tmp_path.rglob("*.png"))


def test_a_store_that_fails_leaves_the_original_url(tmp_path: Path, s3: Any) -> None:
    web = FakeWeb({"https://c/a.png": (200, picture("PNG"))})
    archive, stats = pipeline(tmp_path, web)
    archive.store = open_store("s3://no-such-bucket/media", client=s3)
    item = post(imgs("https://c/a.png"))
    asyncio.run(archive.process_item(item))
    assert item.media == [] and stats["images/failed/store_failed"] == 1
    assert 'referrerpolicy="no-referrer"' in item.body_html
