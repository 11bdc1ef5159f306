"""What a long crawl remembers stays bounded: picture outcomes (an LRU that never drops one in flight)
and the reactor's lag samples (a histogram)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from crawler.extensions.reactor_lag import MAX_BUCKET, ReactorLagExtension
from crawler.pipelines import images
from crawler.pipelines.images import ImageArchivePipeline


def test_picture_memo_forgets_the_oldest_finished_outcomes(monkeypatch: Any) -> None:
    monkeypatch.setattr(images, "MEMO_SIZE", 3)

    async def run() -> OrderedDict[str, asyncio.Future[int]]:
        loop = asyncio.get_running_loop()
        memo: OrderedDict[str, asyncio.Future[int]] = OrderedDict()
        pending = loop.create_future()
        memo["in-flight"] = pending
        for i in range(5):
            done = loop.create_future()
            done.set_result(i)
            memo[f"done-{i}"] = done
            ImageArchivePipeline._forget_oldest(memo)
        assert list(memo) == ["in-flight", "done-0", "done-1", "done-2", "done-3", "done-4"], "in flight: kept"
        pending.set_result(0)
        ImageArchivePipeline._forget_oldest(memo)
        return memo

    memo = asyncio.run(run())
    assert list(memo) == ["done-2", "done-3", "done-4"]


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value


def test_reactor_lag_percentiles_from_a_fixed_histogram() -> None:
    stats = _Stats()
    ext = ReactorLagExtension(stats)
    for lag in [0.0] * 90 + [0.0505] * 5 + [0.2005] * 4 + [3.0]:
        ext.record(lag)
    ext.spider_closed(None, "finished")  # type: ignore[arg-type]
    assert stats.values["reactor/lag_p95_ms"] == 200.0  # the 96th of 100, as sorted samples gave it
    assert stats.values["reactor/stalls_100ms"] == 5
    assert stats.values["reactor/lag_max_ms"] == 3000.0
    assert stats.values["reactor/lag_mean_ms"] == round((5 * 0.0505 + 4 * 0.2005 + 3.0) / 100 * 1000, 2)
    assert len(ext.buckets) == MAX_BUCKET + 1  # however many ticks
