"""What every exporter publishes about a post, computed once from the index."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from crawler.archive.snapshots import snapshot_ref
from crawler.content.text import clean_xml_text
from crawler.index import StoredPost, StoredStory
from crawler.items import WarcRef

SUMMARY_CHARS = 200


@dataclass(frozen=True, kw_only=True)
class Entry:
    key: str
    id: str  # tag: URI, stable across exports
    title: str
    published: datetime
    updated: datetime
    author: str | None
    source_name: str | None
    content_html: str
    summary: str
    alternate: str  # the original when known, else the copy
    via: list[str] = field(default_factory=list)  # aggregator copies
    categories: list[str] = field(default_factory=list)
    lead_image: str | None = None
    sources: list[str] = field(default_factory=list)
    snapshot: WarcRef | None = None  # the archived page (crawler/archive/snapshots.py): the capture of `alternate`


def entry_for(post: StoredPost, tag_prefix: str) -> Entry:
    """``tag_prefix`` is e.g. ``tag:example.org,2026:``; the entry id is ``<prefix>story/<key>``."""
    published = post.published or post.first_seen
    alternate = post.original_url or post.url
    summary = post.summary or " ".join(post.text.split())[:SUMMARY_CHARS]
    return Entry(
        key=post.key,
        id=f"{tag_prefix}story/{post.key}",
        title=" ".join(clean_xml_text(post.title).split()) or "(untitled)",
        published=published,
        updated=max(post.updated, published),
        author=clean_xml_text(post.author) if post.author else None,
        source_name=clean_xml_text(post.source_name) if post.source_name else None,
        content_html=post.body_html,
        summary=clean_xml_text(summary),
        alternate=alternate,
        via=list(dict.fromkeys(u.url for u in post.urls if u.role == "copy" and u.url != alternate)),
        categories=[clean_xml_text(c) for c in post.categories],
        lead_image=post.lead_image,
        sources=list(dict.fromkeys(u.source for u in post.urls)),
        snapshot=snapshot_ref(post.captures, alternate),
    )


def entry_for_story(story: StoredStory, tag_prefix: str) -> Entry:
    """A story as one entry: its representative's text, its own id, every aggregator copy as via."""
    entry = entry_for(story.representative, tag_prefix)
    copies = (u.url for post in story.posts for u in post.urls if u.role == "copy" and u.url != entry.alternate)
    return replace(entry, key=story.key, id=f"{tag_prefix}story/{story.key}", via=list(dict.fromkeys(copies)),
                   sources=list(dict.fromkeys(u.source for post in story.posts for u in post.urls)))
