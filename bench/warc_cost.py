"""What archiving costs: the WARC writer's throughput, and its share of a demo crawl's CPU time.

    .venv/bin/python bench/warc_cost.py [--rounds 3] [--megabytes 40]

1. Writer: WarcFileWriter.write_exchange (plus the payload digest the capture extension computes
   for its revisit lookup) over the demo web's real bodies (pages, feeds, pictures), repeated to
   ``--megabytes`` of payload; CPU seconds by time.process_time, at gzip level 6 (ours) and 9 (warcio's).
2. Crawl: ``feedarchiver crawl --all`` on the demo web in a child process profiled with a CPU-time
   clock; the share is the cumulative time of WarcCaptureExtension's signal handlers (records,
   revisit lookups, metadata) over the whole profiled crawl. CDXJ + WACZ run after the crawl in a
   thread (not seen by the profiler): timed on their own.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.archive.warc import WarcFileWriter, payload_digest  # noqa: E402
from crawler.demoweb import FEEDS, STORIES, DemoWeb  # noqa: E402
from crawler.demoweb.images import IMAGES  # noqa: E402

HANDLERS = ("response_downloaded", "item_scraped", "headers_received", "bytes_received", "request_left_downloader")


def demo_bodies(web: DemoWeb) -> list[bytes]:
    refs = [page for story in STORIES for page in story.pages] + list(FEEDS.values())
    refs += [f"img:{path}" for path in IMAGES]
    bodies = []
    for ref in refs:
        request = urllib.request.Request(web.ref_url(ref), headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            bodies.append(answer.read())
    return bodies


def writer_throughput(bodies: list[bytes], megabytes: int, level: int) -> tuple[float, float, float]:
    """(payload MB per CPU second, exchanges per CPU second, file size / payload)"""
    with tempfile.TemporaryDirectory() as tmp:
        writer = WarcFileWriter(Path(tmp), prefix="bench", max_size=1 << 30, info={"software": "bench"},
                                gzip_level=level)
        request = StatusAndHeaders("GET /p HTTP/1.1", [("Host", "127.0.0.1")], is_http_request=True)
        written, n = 0, 0
        start = time.process_time()
        while written < megabytes * 1_000_000:
            body = bodies[n % len(bodies)]
            payload_digest(body)
            writer.write_exchange(
                url=f"http://127.0.0.1/p/{n}", request_headers=request, request_body=b"",
                response_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                                             ("Content-Length", str(len(body)))],
                                                  protocol="HTTP/1.1"),
                response_body=body)
            written += len(body)
            n += 1
        writer.close()
        cpu = time.process_time() - start
        size = sum(p.stat().st_size for p in writer.finished)
    return written / 1_000_000 / cpu, n / cpu, size / written


def child(args: list[str], profile: str) -> int:
    from crawler.cli import main

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    code = main(args)
    profiler.disable()
    profiler.dump_stats(profile)
    return code


def crawl_share(web: DemoWeb, rounds: int) -> dict[str, float]:
    shares, totals, handler_times, publish = [], [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "sources.toml"
            config.write_text(web.sources_toml(), encoding="utf-8")
            data, profile = Path(tmp) / "data", Path(tmp) / "crawl.prof"
            args = ["crawl", "--all", "--config", str(config), "--data", str(data)]
            subprocess.run([sys.executable, __file__, "--child", str(profile), json.dumps(args)], check=True,
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            stats = pstats.Stats(str(profile))
            total = stats.total_tt  # type: ignore[attr-defined]
            handlers = sum(
                timing[3] for (path, _line, name), timing in stats.stats.items()  # type: ignore[attr-defined]
                if path.endswith("extensions/warc_capture.py") and name in HANDLERS
            )
            shares.append(handlers / total)
            totals.append(total)
            handler_times.append(handlers)
            publish.append(time_publish(data))
    return {"share": sum(shares) / rounds, "crawl_cpu": sum(totals) / rounds,
            "handlers_cpu": sum(handler_times) / rounds, "publish_cpu": sum(publish) / rounds}


def time_publish(data: Path) -> float:
    """CPU seconds to index the crawl's WARCs (CDXJ) and package them (WACZ) again."""
    from crawler.archive.cdxj import write_cdxj
    from crawler.archive.wacz import write_wacz

    warcs = sorted((data / "warc").glob("*.warc.gz"))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.process_time()
        cdxj = [write_cdxj(warc, Path(tmp)) for warc in warcs]
        write_wacz(Path(tmp) / "bench.wacz", warcs, cdxj, [], title="bench", software="bench")
        return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="demo crawls to average over")
    parser.add_argument("--megabytes", type=int, default=40, help="payload to write per writer run")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child[1]), args.child[0])
    with DemoWeb() as web:
        bodies = demo_bodies(web)
        print(f"demo bodies: {len(bodies)}, {sum(map(len, bodies)) / len(bodies) / 1000:.1f} kB on average")
        for level in (6, 9):
            rate, exchanges, ratio = writer_throughput(bodies, args.megabytes, level)
            print(f"writer, gzip level {level}: {rate:.1f} MB/s of payload per CPU second, "
                  f"{exchanges:.0f} request/response pairs/s (files are {ratio:.0%} of the payload)")
        result = crawl_share(web, args.rounds)
    print(f"demo crawl: {result['crawl_cpu']:.2f} s CPU profiled, WARC capture handlers "
          f"{result['handlers_cpu']:.3f} s = {result['share']:.1%} of it; "
          f"CDXJ + WACZ afterwards {result['publish_cpu']:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
