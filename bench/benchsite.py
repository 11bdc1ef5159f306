"""A benchmark site on loopback: N article pages with images, list pages, an RSS feed, fixed latency.

Every fetcher under comparison (feedarchiver, a bare Scrapy spider, GNU Wget) can reach exactly the
same article pages and pictures from it: Wget and the bare spider walk index -> list pages ->
articles -> pictures; feedarchiver reads the feed and follows each entry to its article.
"""

from __future__ import annotations

import argparse
import random
import struct
import threading
import time
import zlib
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PER_LIST = 50
WORDS = ("城市", "科技", "教育", "青年", "乡村", "医院", "地铁", "学校", "企业", "市场", "天气", "工程",
         "记者", "调查", "发布", "社区", "居民", "农业", "文化", "体育", "旅游", "交通", "能源", "环境")


@lru_cache(maxsize=65536)
def _png(seed: int, width: int = 96, height: int = 64) -> bytes:
    """A distinct small PNG per seed (noisy rows, so it does not compress to nothing). Cached: the site
    must never be the bottleneck of what it measures."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@lru_cache(maxsize=4096)
def _paragraphs(i: int) -> tuple[str, ...]:
    rng = random.Random(i)
    return tuple("".join(rng.choice(WORDS) for _ in range(rng.randint(40, 70))) + "。" for _ in range(6))


class BenchSite:
    def __init__(self, articles: int, images: int = 3, latency: float = 0.05) -> None:
        self.articles = articles
        self.images = images
        self.latency = latency
        self.server: ThreadingHTTPServer | None = None
        self.lock = threading.Lock()
        self.count = 0

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self, port: int = 0) -> BenchSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path == "/__count":  # the harness reads and resets the request counter
                    with site.lock:
                        body, site.count = str(site.count).encode(), 0
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                with site.lock:
                    site.count += 1
                time.sleep(site.latency)
                status, ctype, body = site.answer(self.path.split("?", 1)[0])
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        server.request_queue_size = 256
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def urls(self) -> dict[str, int]:
        """How many of each kind of URL a complete crawl fetches."""
        lists = -(-self.articles // PER_LIST)
        return {"index": 1, "lists": lists, "articles": self.articles, "images": self.articles * self.images}

    def answer(self, path: str) -> tuple[int, str, bytes]:
        html = "text/html; charset=utf-8"
        if path in ("/", "/index.html"):
            links = "".join(f'<li><a href="/list/{k}.html">第{k}页</a></li>'
                            for k in range(1, self.urls()["lists"] + 1))
            return 200, html, f"<html><body><h1>新闻列表</h1><ul>{links}</ul></body></html>".encode()
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nAllow: /\n"
        if path == "/feed.xml":
            items = "".join(
                f"<item><title>第{i}条新闻</title><link>{self.base}/a/{i}.html</link><guid>{self.base}/a/{i}.html</guid>"
                f"<pubDate>Sat, 21 Nov 2026 {i % 24:02d}:{i % 60:02d}:00 +0800</pubDate></item>"
                for i in range(self.articles))
            return 200, "application/rss+xml; charset=utf-8", (
                f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>bench</title>'
                f"<link>{self.base}/</link><description>bench</description>{items}</channel></rss>").encode()
        if path.startswith("/list/") and path.endswith(".html"):
            k = int(path[6:-5])
            first = (k - 1) * PER_LIST
            links = "".join(f'<li><a href="/a/{i}.html">第{i}条新闻</a></li>'
                            for i in range(first, min(first + PER_LIST, self.articles)))
            return 200, html, f"<html><body><ul>{links}</ul></body></html>".encode()
        if path.startswith("/a/") and path.endswith(".html"):
            i = int(path[3:-5])
            if not 0 <= i < self.articles:
                return 404, html, b"<html><body>404</body></html>"
            paragraphs = _paragraphs(i)
            body = "".join(f"<p>{p}</p>" + (f'<p><img src="/img/{i}-{n}.png" alt="图{n}"></p>'
                                             if n < self.images else "") for n, p in enumerate(paragraphs))
            page = (f'<html><head><meta charset="utf-8"><title>第{i}条新闻</title>'
                    f'<meta property="article:published_time" content="2026-11-21T08:00:00+08:00"></head>'
                    f'<body><nav><a href="/index.html">首页</a></nav><article><h1>第{i}条新闻</h1>{body}</article>'
                    f"<footer>bench site</footer></body></html>")
            return 200, html, page.encode()
        if path.startswith("/img/") and path.endswith(".png"):
            i, n = (int(x) for x in path[5:-4].split("-"))
            return 200, "image/png", _png(i * 100 + n)
        return 404, html, b"<html><body>404</body></html>"


def main() -> None:
    parser = argparse.ArgumentParser(description="serve the benchmark site until Ctrl-C")
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    site = BenchSite(args.articles, latency=args.latency).start(args.port)
    print(f"bench site: {site.base}/index.html and {site.base}/feed.xml ({site.urls()})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        site.stop()


if __name__ == "__main__":
    main()
