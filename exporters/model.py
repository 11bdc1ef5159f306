"""What every exporter publishes about a post or a story, computed once from the index: each format
(Atom, JSON Feed, RSS, Hexo) renders lists of these entries and reads nothing else of the store."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from crawler.archive.snapshots import snapshot_ref
from crawler.config import AppConfig
from crawler.content.text import clean_xml_text
from crawler.index import FeedReader, StoredPost, StoredStory
from crawler.items import WarcRef

SUMMARY_CHARS = 200


@dataclass(frozen=True)
class Publisher:
    """The original publisher of a story (Atom's atom:source): its site as a feed of its own."""

    id: str
    title: str
    link: str


@dataclass(frozen=True, kw_only=True)
class Entry:
    key: str
    id: str  # tag: URI, stable across exports
    title: str
    published: datetime
    updated: datetime  # never before `published`
    changed: datetime  # when its text last changed (a feed's and atom:source's updated)
    author: str | None
    source_name: str | None
    content_html: str
    summary: str
    alternate: str  # the original when known, else the copy
    # Every other page of it as (rel, href), first seen first: "via" an aggregator copy, "related"
    # another publisher's.
    links: list[tuple[str, str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    lead_image: str | None = None
    sources: list[str] = field(default_factory=list)
    snapshot: WarcRef | None = None  # the archived page (crawler/archive/snapshots.py): the capture of `alternate`
    publisher: Publisher | None = None  # a story whose original is known
    story: str | None = None  # a source's post: the entry id of its story

    @property
    def via(self) -> list[str]:
        """The aggregator copies."""
        return [href for rel, href in self.links if rel == "via"]


def tag_prefix(app: AppConfig) -> str:
    """e.g. ``tag:example.org,2026:`` (RFC 4151): a story's entry id is ``<prefix>story/<key>``, a source's
    post's ``<prefix>post/<key>`` (a reader following all.atom and a source's feed must see both)."""
    return f"tag:{app.settings.tag_authority},{app.settings.tag_date}:"


def entry_for(post: StoredPost, tag_prefix: str) -> Entry:
    """A source's post as one entry, pointing to its story (its own id: the first post of a story shares
    the story's key, and a reader keeps one item per id across the feeds it follows)."""
    published = post.published or post.first_seen
    alternate = post.alternate
    summary = post.summary or " ".join(post.text.split())[:SUMMARY_CHARS]
    return Entry(
        key=post.key,
        id=f"{tag_prefix}post/{post.key}",
        title=" ".join(clean_xml_text(post.title).split()) or "(untitled)",
        published=published,
        # Our copy of it changed when it was archived, or later when the publisher's did: two stories
        # published in the same minute are still two updates (readers and validators tell them apart).
        updated=max(post.updated, published, post.first_seen),
        changed=post.updated,
        author=clean_xml_text(post.author) if post.author else None,
        source_name=clean_xml_text(post.source_name) if post.source_name else None,
        content_html=post.body_html,
        summary=clean_xml_text(summary),
        alternate=alternate,
        links=[("via", url) for url in dict.fromkeys(u.url for u in post.urls
                                                    if u.role == "copy" and u.url != alternate)],
        categories=[clean_xml_text(c) for c in post.categories],
        lead_image=post.lead_image,
        sources=list(dict.fromkeys(u.source for u in post.urls)),
        snapshot=snapshot_ref(post.captures, alternate),
        story=f"{tag_prefix}story/{post.story_key}" if post.story_key is not None else None,
    )


def entry_for_story(story: StoredStory, tag_prefix: str) -> Entry:
    """A story as one entry: its representative's text, its own id, every other page of every member."""
    post = story.representative
    entry = entry_for(post, tag_prefix)
    links: dict[str, str] = {}
    for member in story.posts:
        for url in member.urls:
            if url.url != entry.alternate:
                links.setdefault(url.url, "via" if url.role == "copy" else "related")
        if member.original_url and member.original_url != entry.alternate:
            links.setdefault(member.original_url, "related")
    site = urlsplit(entry.alternate)
    publisher = (Publisher(f"{tag_prefix}publisher/{site.netloc}", clean_xml_text(post.source_name or site.netloc),
                           f"{site.scheme}://{site.netloc}/") if post.has_original else None)
    return replace(entry, key=story.key, id=f"{tag_prefix}story/{story.key}", publisher=publisher, story=None,
                   links=[(rel, href) for href, rel in links.items()],
                   sources=list(dict.fromkeys(u.source for member in story.posts for u in member.urls)))


def load_entries(store: FeedReader, kind: Literal["story", "post"], ids: list[int], prefix: str) -> list[Entry]:
    """These stories (or posts), in this order, as entries."""
    if kind == "story":
        return [entry_for_story(story, prefix) for story in store.load_stories(ids)]
    return [entry_for(post, prefix) for post in store.load_posts(ids)]
