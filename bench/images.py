"""Picture archiving throughput, and what content addressing saves.

A loopback site serves an RSS feed of POSTS articles, each showing PER_POST pictures drawn (seeded)
from a pool of POOL distinct JPEGs; every picture is reachable under two CDN paths (/a/ and /b/, as
when an aggregator re-uploads a publisher's picture). One real `feedarchiver crawl` archives it all.
Reported: pictures fetched per second of crawl, and bytes fetched (image payloads in the WARCs)
against bytes stored (DATA/media).

    .venv/bin/python bench/images.py [--posts 100] [--per-post 4] [--pool 150]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

from PIL import Image
from warcio.archiveiterator import ArchiveIterator

ROOT = Path(__file__).resolve().parent.parent
TEXT = "这是一段用于基准测试的新闻正文，记录某地发生的一件普通的事情，篇幅足够让抽取器认出正文。"


@cache
def jpeg(n: int) -> bytes:
    """A 480×320 photo-like JPEG (noise over a gradient: realistic size, about 40-60 KB)."""
    rng = random.Random(n)
    image = Image.effect_noise((480, 320), 40 + n % 30).convert("RGB")
    tint = Image.new("RGB", (480, 320), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = BytesIO()
    Image.blend(image, tint, 0.5).save(out, format="JPEG", quality=85)
    return out.getvalue()


def make_site(posts: int, per_post: int, pool: int) -> dict[str, tuple[str, bytes]]:
    rng = random.Random(42)
    pages: dict[str, tuple[str, bytes]] = {}
    items = []
    for n in range(posts):
        pictures = "".join(
            f'<p><img data-src="/{rng.choice("ab")}/{k}.jpg" src="data:,"></p><p>{TEXT}（图{k}）</p>'
            for k in rng.sample(range(pool), per_post))
        html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>第{n}条新闻</title>"
                f"<meta property='article:published_time' content='2026-11-20T08:{n % 60:02d}:00+08:00'></head>"
                f"<body><article><h1>第{n}条新闻</h1><p>{TEXT}编号{n}。</p>{pictures}<p>{TEXT * 3}</p>"
                f"</article></body></html>")
        pages[f"/post/{n}.html"] = ("text/html; charset=utf-8", html.encode())
        items.append(f"<item><title>第{n}条新闻</title><link>{{base}}/post/{n}.html</link>"
                     f"<guid>post-{n}</guid></item>")
    feed = (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>bench</title>"
            f"{''.join(items)}</channel></rss>")
    pages["/feed.xml"] = ("application/rss+xml; charset=utf-8", feed.encode())
    for k in range(pool):
        for cdn in "ab":
            pages[f"/{cdn}/{k}.jpg"] = ("image/jpeg", b"")  # filled lazily (generation is the slow part)
    return pages


def serve(pages: dict[str, tuple[str, bytes]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            entry = pages.get(self.path)
            if entry is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            content_type, body = entry
            if content_type == "image/jpeg":
                body = jpeg(int(self.path.rsplit("/", 1)[1].split(".")[0]))
            else:
                body = body.replace(b"{base}", f"http://127.0.0.1:{self.server.server_address[1]}".encode())
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--per-post", type=int, default=4)
    parser.add_argument("--pool", type=int, default=150)
    args = parser.parse_args()
    for k in range(args.pool):  # generate outside the timed crawl
        jpeg(k)
    server = serve(make_site(args.posts, args.per_post, args.pool))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory(prefix="bench-images-") as tmp:
        data, config = Path(tmp) / "data", Path(tmp) / "sources.toml"
        # The site is on loopback, which the SSRF guard refuses unless the operator names it.
        config.write_text(f'[settings]\nallow_hosts = ["{base.removeprefix("http://")}"]\n\n'
                          f'[sources.bench]\nkind = "feed"\nurls = ["{base}/feed.xml"]\nfollow_original = false\n')
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "crawler", "crawl", "--all", "--config", str(config),
                                 "--data", str(data)], cwd=ROOT, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - started
        if result.returncode != 0:
            print(result.stdout, result.stderr, file=sys.stderr)
            return 1
        fetched = images = 0
        for path in (data / "warc").glob("*.warc.gz"):
            with open(path, "rb") as fh:
                for record in ArchiveIterator(fh):
                    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                    if record.rec_type == "response" and uri.endswith(".jpg"):
                        images += 1
                        fetched += len(record.content_stream().read())
        stored_files = [p for p in (data / "media").rglob("*") if p.is_file()]
        stored = sum(p.stat().st_size for p in stored_files)
    server.shutdown()
    refs = args.posts * args.per_post
    print(f"{args.posts} posts, {refs} <img>, {images} picture URLs fetched, {len(stored_files)} files stored")
    print(f"whole crawl (process start, feed, pages, pictures): {elapsed:.1f} s, {images / elapsed:.1f} pictures/s")
    print(f"by content: {len(stored_files)} files, {stored:,} bytes stored; by URL (one file per URL fetched, "
          f"as FilesPipeline keeps them): {images} files, {fetched:,} bytes; stored/fetched = {stored / fetched:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
