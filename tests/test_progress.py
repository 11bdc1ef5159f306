from __future__ import annotations

import io

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.extensions.progress import ProgressExtension


def test_progress_line_counts_items_pages_and_errors() -> None:
    stats = MemoryStatsCollector(get_crawler())
    stats.set_value("response_received_count", 30)
    stats.set_value("item_scraped_count", 12)
    stats.set_value("errors/total", 2)
    stream = io.StringIO()
    ext = ProgressExtension(stats, 1.0, stream)
    line = ext.line()
    assert line.startswith("12 items, 30 pages (") and line.endswith("pages/min), 2 errors")
    ext.show()
    assert stream.getvalue().startswith("\r\033[K12 items")
