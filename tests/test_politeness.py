"""Politeness on the wire: a host never has more requests in flight than CONCURRENT_REQUESTS_PER_DOMAIN,
pictures (fetched by the images pipeline, outside the scheduler) included."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.crawl
PER_HOST = 4


def _bench_site() -> type:
    spec = importlib.util.spec_from_file_location("benchsite", ROOT / "bench" / "benchsite.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BenchSite  # type: ignore[no-any-return]


class CountingSite(_bench_site()):  # type: ignore[misc]
    """The benchmark site (a feed, articles with 3 pictures each), counting requests in flight."""

    def __init__(self, articles: int) -> None:
        super().__init__(articles, latency=0.0)
        self.in_flight = 0
        self.most_in_flight = 0
        self.guard = threading.Lock()

    def answer(self, path: str) -> tuple[int, str, bytes]:
        with self.guard:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.05)  # long enough for requests to overlap
            return super().answer(path)  # type: ignore[no-any-return]
        finally:
            with self.guard:
                self.in_flight -= 1


def test_pictures_do_not_push_a_host_past_its_concurrency(tmp_path: Path) -> None:
    site = CountingSite(articles=40).start()
    try:
        host = site.base.removeprefix("http://")
        config = tmp_path / "sources.toml"
        config.write_text(
            f'[sources.bench]\nkind = "feed"\nurls = ["{site.base}/feed.xml"]\nfollow_original = false\n'
            f'[settings]\nallow_hosts = ["{host}"]\n', encoding="utf-8")
        run = run_cli("crawl", "bench", "--config", str(config), "--data", str(tmp_path / "data"),
                      "-s", "CONCURRENT_REQUESTS=16", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={PER_HOST}",
                      "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0")
        assert run.returncode == 0, run.stdout + run.stderr
        assert "bench: 40 posts, 0 errors" in run.stdout + run.stderr
        assert site.count >= 1 + 40 + 120  # the feed, the articles and their pictures were all fetched
        assert site.most_in_flight <= PER_HOST
    finally:
        site.stop()
