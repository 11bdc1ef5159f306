"""feedarchiver against a bare Scrapy spider and GNU Wget on the same loopback site.

    .venv/bin/python bench/compare.py --articles 500 --latency 0.05 --rounds 1

Each round runs (a) the full feedarchiver pipeline (WARC capture, extraction, hashing, images,
index), (b) a bare Scrapy spider fetching the same pages and pictures, (c) `wget -r -p --warc-file`,
alternating in one run so machine noise hits all three alike. Wall and CPU time and peak memory
come from the children's own rusage (os.wait4); requests are counted by the site.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
# The same concurrency for feedarchiver and the bare spider: the comparison is about the work
# feedarchiver adds per page, not about politeness settings.
SAME_TUNING = ["CONCURRENT_REQUESTS=16", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "AUTOTHROTTLE_ENABLED=False",
               "DOWNLOAD_DELAY=0", "TELNETCONSOLE_ENABLED=False"]


@dataclass
class Run:
    tool: str
    wall_s: float
    cpu_s: float
    peak_mb: float
    requests: int

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s


def measure(tool: str, argv: list[str], site: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    urllib.request.urlopen(f"{site}/__count").read()  # reset
    started = time.monotonic()
    with open(cwd / f"{tool}.log", "wb") as log:
        process = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 8):  # wget exits 8 when some URL (e.g. a 404) failed
        raise SystemExit(f"{tool} failed ({process.returncode}); see {cwd / (tool + '.log')}")
    requests = int(urllib.request.urlopen(f"{site}/__count").read())
    return Run(tool, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, requests)


def run_feedarchiver(site: str, work: Path) -> Run:
    data = work / "fa-data"
    shutil.rmtree(data, ignore_errors=True)
    config = work / "bench.toml"
    config.write_text(
        f'[sources.bench]\nkind = "feed"\nurls = ["{site}/feed.xml"]\ncategories = ["bench", "bench", "bench"]\n'
        "follow_original = false\n"
        # The SSRF guard lets the crawl reach the loopback bench site, and nothing else private.
        f'[settings]\nallow_hosts = ["{urlsplit(site).netloc}"]\n', encoding="utf-8")
    argv = [sys.executable, "-m", "crawler", "crawl", "bench", "--config", str(config), "--data", str(data),
            # The bench feed lists every article (bench/scale.py: up to 20,000); a real feed that long is cut
            # at FEED_MAX_ENTRIES (1000), which would cap every size above 1000 at 1000 articles.
            "-s", "FEED_MAX_ENTRIES=1000000"]
    for item in SAME_TUNING:
        argv += ["-s", item]
    return measure("feedarchiver", argv, site, work)


def run_bare(site: str, work: Path) -> Run:
    argv = [sys.executable, "-m", "scrapy", "runspider", str(ROOT / "bench" / "bare_spider.py"),
            "-a", f"start={site}/index.html"] + [x for item in SAME_TUNING for x in ("-s", item)]
    return measure("scrapy", argv, site, work)


def run_wget(site: str, work: Path) -> Run:
    target = work / "wget"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    argv = ["wget", "-r", "-p", "-l", "inf", "-nv", "-e", "robots=on", "--warc-file", str(target / "bench"),
            "-P", str(target), f"{site}/index.html"]
    return measure("wget", argv, site, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--tools", default="feedarchiver,scrapy,wget")
    parser.add_argument("--json", type=Path, help="also write the runs here")
    args = parser.parse_args()
    runners = {"feedarchiver": run_feedarchiver, "scrapy": run_bare, "wget": run_wget}
    tools = [t for t in args.tools.split(",") if t]
    work = Path(tempfile.mkdtemp(prefix="fa-bench-"))
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "benchsite.py"), "--articles",
                               str(args.articles), "--latency", str(args.latency)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        site = line.split()[2].rsplit("/", 1)[0]
        runs: list[Run] = []
        for round_no in range(args.rounds):
            for tool in tools:
                run = runners[tool](site, work)
                runs.append(run)
                print(f"round {round_no + 1} {tool:13s} wall {run.wall_s:7.1f} s  cpu {run.cpu_s:6.1f} s  "
                      f"peak {run.peak_mb:6.0f} MB  {run.requests:6d} req  {run.rps:7.1f} req/s", flush=True)
        medians = {tool: Run(tool, *(statistics.median(getattr(r, f) for r in runs if r.tool == tool)
                                     for f in ("wall_s", "cpu_s", "peak_mb", "requests")))
                   for tool in tools}
        print(f"\nmedians over {args.rounds} round(s), {args.articles} articles, {args.latency * 1000:.0f} ms latency:")
        for run in medians.values():
            print(f"  {run.tool:13s} {run.rps:7.1f} req/s  wall {run.wall_s:7.1f} s  cpu {run.cpu_s:6.1f} s  "
                  f"peak {run.peak_mb:6.0f} MB")
        for other, label in (("scrapy", "bare Scrapy"), ("wget", "Wget")):
            if "feedarchiver" in medians and other in medians:
                ratio = medians["feedarchiver"].rps / medians[other].rps
                print(f"  feedarchiver / {label} throughput: {ratio:.2f}x")
        if args.json:
            args.json.write_text(json.dumps([asdict(r) | {"rps": r.rps} for r in runs], indent=2))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
