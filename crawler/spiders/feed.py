"""The generic `feed` source kind: RSS, Atom and JSON Feed, parsed by feedparser.

Each entry is followed to its post page; a post that names its original (来源 + 阅读原文, a
canonical link to another host) is followed there too. Feeds are data in the sources TOML.

An entry with no page (no http(s) link; an Atom id or a non-permalink guid is never one) but with
content of its own (content, summary or enclosures) is a post built from the feed, counted as
``from_feed``: its body goes through the item pipelines like any page's (sanitised, pictures
archived), its capture is the feed's, and it is indexed under a URL of its own making,
``FEED_URL#ENTRY_KEY``, where the key is the entry id (percent-encoded), or a hash of the entry's
fields when it has none or repeats one already seen in the document. That URL is stable across
crawls, so the next crawl finds the post as "seen" (or "changed" when the entry was edited). Every
linked entry carries that URL (keyed by its id, else its link) as ``replaces``: when a later version
of the feed links an entry that was stored from the feed, the index store pipeline folds the stored
post into the page's (crawler/pipelines/index_store.py), so the entry stays one post, under its key,
with the page's text.

An entry whose page gives no post (it cannot be fetched, is no page, has no article text) is kept
the same way, from its own content, under ``FEED_URL#ENTRY_ID`` (or ``#LINK`` without an id), so the
next crawl that reads its page replaces it. One entry's failure is that entry's alone: it is counted
(``entry``) and the feed goes on.

Feeds are asked for conditionally: a 304 reaches the spider as the archived copy it says is still
current (crawler/middlewares/not_modified.py), whose entries are followed as usual.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.config import SourceConfig
from crawler.content.dates import parse_date
from crawler.content.extract import Article
from crawler.content.feeds import FeedEntry, html_text, image_sources, parse_feed
from crawler.items import PostItem
from crawler.meta import CONDITIONAL, WARC_REFS
from crawler.spiders.base import EntryContext, SourceSpider

# A body this short says little on its own ("Read more"): the title goes into the text, so two entries
# sharing a teaser stay two posts (the index stores one post per text).
SHORT_TEXT = 200


def from_feed_url(feed_url: str, key: str) -> str:
    """Where a post built from a feed entry is indexed: the feed's URL and the entry's key as fragment."""
    return f"{feed_url.split('#', 1)[0]}#{quote(key, safe='')}"


def entry_hash(entry: FeedEntry) -> str:
    """A key for an entry without a usable id: its fields, as stable as the entry itself."""
    fields = (entry.title or "", entry.published or "", entry.content or "",
              *(e.url for e in entry.enclosures))
    return "sha1:" + hashlib.sha1("\x1f".join(fields).encode("utf-8")).hexdigest()[:20]


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # From-feed URL -> the post its entry's own content makes, while the entry's page is on its way.
        self._fallbacks: dict[str, PostItem] = {}

    def first_requests(self, source: SourceConfig) -> Iterator[Request | None]:
        for url in source.urls:
            # Asked conditionally; a 304 arrives as the archived copy (NotModifiedMiddleware).
            yield self.source_request(url, source, self.parse_feed, meta={CONDITIONAL: True})

    async def parse_feed(self, response: Response, source: SourceConfig) -> AsyncIterator[PostItem | Request]:
        body = response.body
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        # In the worker pool: a feed of thousands of entries takes seconds of CPU, and feedparser's whole
        # document tree (tens of MB) lives and dies there instead of in the crawler.
        parsed = await self.cpu.run(parse_feed, body, content_type, response.url)
        if parsed.error:
            # Recovered entries are still followed; the broken feed is still an error for the operator.
            self.count_error(source, "feed_malformed", "%s: %s (%d entries recovered)", response.url,
                             parsed.error, len(parsed.entries))
        elif not parsed.entries:
            self.crawler.stats.inc_value(f"source/{source.name}/feed_empty")
            self.logger.info("[%s] feed %s has no entries", source.name, response.url)
        self.crawler.stats.inc_value("feed/entries", len(parsed.entries))
        entries = parsed.entries
        limit = self.crawler.settings.getint("FEED_MAX_ENTRIES", 1000)
        if len(entries) > limit:
            # A feed of 10,000 entries is a trap or a dump, not news: read its first ones only.
            self.count_error(source, "too_many_entries", "%s lists %d entries; reading the first %d (FEED_MAX_ENTRIES)",
                             response.url, len(entries), limit)
            entries = entries[:limit]
        # The URL the source names, not where a redirect led: the key of a from-feed post must not move.
        feed_url = str((response.meta.get("redirect_urls") or [response.url])[0])
        keys: set[str] = set()
        for output in self.each_entry(source, response.url, entries,
                                      lambda entry: self._entry(entry, response, source, feed_url, keys),
                                      lambda entry: entry.entry_id or entry.title):
            yield output

    def _entry(self, entry: FeedEntry, response: Response, source: SourceConfig, feed_url: str,
               keys: set[str]) -> Iterator[PostItem | Request]:
        for field_name in ("published", "updated"):
            raw = getattr(entry, field_name)
            if raw and parse_date(raw, source.timezone) is None:
                self.count_error(source, "bad_date", "entry %s: %s date %r is not a plausible date; not used",
                                 entry.link or entry.entry_id, field_name, raw)
        context = EntryContext(
            entry_id=entry.entry_id or entry.link,
            title=entry.title,
            author=entry.author,
            summary=entry.summary,
            published=parse_date(entry.published, source.timezone),
            updated=parse_date(entry.updated, source.timezone),
            replaces=from_feed_url(feed_url, page_key) if (page_key := entry.entry_id or entry.link) else None,
        )
        if entry.link:
            request = self.source_request(entry.link, source, self.parse_article, entry=context,
                                          errback=self.entry_page_failed)
            if request is not None:
                if entry.has_content and context.replaces:
                    # Kept until the page is read: should it give no post, the entry's own content does.
                    self._fallbacks[context.replaces] = self.feed_post(
                        entry, response, source, context, page_key or entry.link, context.replaces)
                yield request
            return
        if not entry.has_content:
            self.count_error(source, "entry_without_link", "entry %r in %s has no link and no content",
                             entry.entry_id or entry.title, response.url)
            return
        key = entry.entry_id if entry.entry_id and entry.entry_id not in keys else entry_hash(entry)
        if key in keys:  # the very same entry twice: one post
            return
        keys.add(key)
        yield self._from_feed(self.feed_post(entry, response, source, context, key, from_feed_url(feed_url, key)))

    def _from_feed(self, item: PostItem) -> PostItem:
        self.crawler.stats.inc_value(f"source/{item.source}/from_feed")
        self.crawler.stats.inc_value("feed/from_feed")
        return item

    async def parse_article(self, response: Response, source: SourceConfig, entry: EntryContext,
                            via_url: str | None = None) -> AsyncIterator[PostItem | Request]:
        """An entry's page; when it gives no post (not a page, no article text, a soft 404), the
        entry's own content is archived instead, as if it had no page."""
        fallback = self._fallbacks.pop(entry.replaces, None) if entry.replaces and via_url is None else None
        stored = False
        async for output in super().parse_article(response, source, entry, via_url):
            stored |= isinstance(output, PostItem)
            yield output
        if fallback is not None and not stored:
            yield self._from_feed(fallback)

    def entry_page_failed(self, failure: Failure) -> Iterator[PostItem]:
        """An entry's page that could not be fetched is counted; the entry's own content is kept."""
        self.on_error(failure)
        entry: EntryContext = failure.request.cb_kwargs["entry"]  # type: ignore[attr-defined]  # set by Scrapy
        fallback = self._fallbacks.pop(entry.replaces, None) if entry.replaces else None
        if fallback is not None:
            yield self._from_feed(fallback)

    def feed_post(self, entry: FeedEntry, response: Response, source: SourceConfig, context: EntryContext,
                  key: str, url: str) -> PostItem:
        """A post made of what the feed entry itself carries (see the module docstring)."""
        body = entry.content or ""
        images = [e.url for e in entry.enclosures if e.media_type.lower().startswith("image")]
        others = [e.url for e in entry.enclosures if e.url not in images]
        body += "".join(f'<p><img src="{html.escape(u)}" alt=""></p>' for u in images if u not in body)
        body += "".join(f'<p><a href="{html.escape(u)}">{html.escape(u)}</a></p>' for u in others if u not in body)
        text = html_text(body)
        if others:
            text = "\n".join([text, *(u for u in others if u not in text)]).strip()
        if len(text) < SHORT_TEXT and entry.title and entry.title not in text:
            text = f"{entry.title}\n{text}".strip()
        if not text:  # pictures only, no title: their URLs are what tells this entry from another
            text = "\n".join(image_sources(body)) or key
        article = Article(url=url, title=entry.title or "", text=text, body_html=body, author=entry.author,
                          published=context.published, updated=context.updated,
                          lead_image=images[0] if images else None)
        entry_context = EntryContext(
            entry_id=entry.entry_id or key, title=context.title, author=context.author, summary=context.summary,
            published=context.published, updated=context.updated,
        )
        return self.post_item(article, url, source, entry_context, list(response.meta.get(WARC_REFS, [])),
                              from_feed=True)
