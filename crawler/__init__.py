"""feedarchiver: follow aggregators and publishers, archive to WARC, dedupe stories, republish Atom."""

from __future__ import annotations

__version__ = "0.1.0"
