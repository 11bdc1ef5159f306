"""Typed items that spiders yield and pipelines enrich."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypedDict

Role = Literal["copy", "original"]


class WarcRef(TypedDict):
    """Where one capture lives: enough for `verify` and replay links to find it."""

    warc_file: str
    offset: int
    length: int
    record_id: str
    url: str
    captured_at: str


@dataclass(frozen=True, kw_only=True)
class PayloadRecord:
    """A response record that holds a payload in full: what a revisit record refers to."""

    digest: str
    url: str
    captured_at: str  # its WARC-Date
    record_id: str
    warc_file: str
    offset: int
    length: int


class MediaRef(TypedDict):
    """One archived picture of a post: stored once by content under DATA/media."""

    sha256: str
    path: str  # under the media root: ab/cd/<sha256>.<ext>
    url: str  # the picture's URL in the post
    media_type: str  # from the bytes, not the Content-Type
    width: int
    height: int
    size: int


@dataclass(kw_only=True)
class PostItem:
    """One article page as seen at one URL: an aggregator's copy or the publisher's original."""

    source: str
    url: str
    role: Role
    title: str
    text: str
    body_html: str
    original_url: str | None = None  # for a copy: the original it names
    via_url: str | None = None  # for an original: the aggregator copy it was followed from
    author: str | None = None
    source_name: str | None = None  # the "来源" publisher, never the author
    published: datetime | None = None
    updated: datetime | None = None
    categories: list[str] = field(default_factory=list)
    feed_entry_id: str | None = None
    summary: str | None = None
    lead_image: str | None = None  # the first picture: its archived URL once ImageArchivePipeline ran
    content_hash: str = ""  # filled by ContentHashPipeline
    captures: list[WarcRef] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)  # filled by ImageArchivePipeline, in body order
    # The URL this post's feed entry was stored under while the feed gave it no page (spiders/feed.py):
    # the index store pipeline folds that post into this one.
    replaces: str | None = None
