"""feedarchiver: follow aggregators and publishers, archive to WARC, dedupe stories, republish Atom."""

from __future__ import annotations

import os

__version__ = "0.1.0"

# tldextract (Scrapy's cookie middleware, surt) would download the Public Suffix List at first use and
# log each failed fetch with its traceback on a machine without internet: use the snapshot bundled
# with it. Set here, before any of them builds its extractor; an operator's own value is kept.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
