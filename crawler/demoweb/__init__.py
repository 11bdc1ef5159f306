"""The demo web: loopback servers imitating aggregators, publishers, an image CDN and broken sites.

Tests, ``feedarchiver demo`` and the benchmarks crawl it instead of the internet.
"""

from __future__ import annotations

from .catalog import BROKEN_LINKS, FEEDS, HOSTS, IMAGE_CASES, START_PAGES, STORIES, Story
from .server import DemoWeb, RequestLogEntry

__all__ = ["BROKEN_LINKS", "FEEDS", "HOSTS", "IMAGE_CASES", "START_PAGES", "STORIES", "DemoWeb", "RequestLogEntry",
           "Story"]
