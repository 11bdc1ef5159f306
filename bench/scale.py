"""Throughput and peak memory of the full feedarchiver pipeline against crawl size, plotted to a PNG.

    .venv/bin/python bench/scale.py --sizes 500,2000,5000 --latency 0 --png bench/scale.png

Each size gets a fresh benchmark site (bench/benchsite.py: N articles, 3 pictures each) and a fresh
data directory; one `feedarchiver crawl` per size, measured as bench/compare.py measures it (the
child's rusage: wall, CPU, peak RSS; requests counted by the site). Latency 0 keeps big runs short.
Needs the `bench` extra (matplotlib).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import Run, run_feedarchiver  # a script beside this one

ROOT = Path(__file__).resolve().parent.parent


def measure_size(articles: int, latency: float, work: Path) -> Run:
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "benchsite.py"), "--articles", str(articles),
                               "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        site = server.stdout.readline().split()[2].rsplit("/", 1)[0]
        return run_feedarchiver(site, work)
    finally:
        server.terminate()
        server.wait()


def plot(rows: list[dict[str, float]], png: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    sizes = [r["articles"] for r in rows]
    fig, left = plt.subplots(figsize=(7, 4.2), dpi=110)
    left.plot(sizes, [r["rps"] for r in rows], "o-", color="tab:blue", label="throughput (requests/s)")
    left.set_xlabel("articles in the crawl (each: 1 page + 3 pictures)")
    left.set_ylabel("requests/s", color="tab:blue")
    left.set_ylim(bottom=0)
    right = left.twinx()
    right.plot(sizes, [r["peak_mb"] for r in rows], "s--", color="tab:red", label="peak memory (MB RSS)")
    right.set_ylabel("peak RSS, MB", color="tab:red")
    right.set_ylim(bottom=0)
    left.set_xscale("log")
    left.set_xticks(sizes, [str(s) for s in sizes])
    left.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    left.set_title(title, fontsize=10)
    lines = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = left.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    left.legend(lines, labels, loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(png)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="500,2000,5000", help="comma-separated article counts")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--png", type=Path, default=ROOT / "bench" / "scale.png")
    parser.add_argument("--json", type=Path, help="also write the runs here")
    parser.add_argument("--replot", type=Path, help="only draw the PNG from runs an earlier --json wrote")
    args = parser.parse_args()
    title = f"feedarchiver crawl, {args.latency * 1000:.0f} ms latency per response, 3 pictures per article"
    if args.replot:
        plot(json.loads(args.replot.read_text()), args.png, title)
        return
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="fa-scale-") as tmp:
        for articles in (int(s) for s in args.sizes.split(",") if s):
            run = measure_size(articles, args.latency, Path(tmp))
            rows.append({"articles": articles, **asdict(run), "rps": run.rps})
            print(f"{articles:6d} articles  wall {run.wall_s:7.1f} s  cpu {run.cpu_s:6.1f} s  "
                  f"peak {run.peak_mb:6.0f} MB  {run.requests:6d} req  {run.rps:7.1f} req/s", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    plot(rows, args.png, title)
    print(f"plot: {args.png}")


if __name__ == "__main__":
    main()
