"""Story clusters above posts: every post belongs to one story, near-duplicates to the same one.

A new post's MinHash buckets name candidate posts (an index search in ``post_bands``, never a scan of
``posts``); candidates whose signatures promise enough are checked exactly on their stored text
(``crawler.content.neardup.similarity``). The post joins the story of the posts it matches, or founds a new
story whose key is the post's own key: the story's Atom entry id never changes when later copies
join. A post that matches posts of several stories bridges them: they merge into the oldest, whose
key survives.

Site templates: the short lines of each post are counted per site (``site_lines``); a line used by
three different stories of one site is template (an app advert, a disclaimer) and is left out of
that site's posts before shingling and comparing. Two would do for a real template, but a lead
paragraph that a round-up site repeats in two round-ups is not one, and taking it for template
would leave a round-up looking like the one story it still quotes.

Everything here runs inside the caller's transaction, so the index store's upsert of a post and its
story assignment commit together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from crawler.content.neardup import (
    MinHasher,
    Signature,
    estimated_score,
    line_key,
    similarity,
    story_shingles,
    template_candidates,
    template_shingles,
)
from crawler.content.text import normalise_lines
from crawler.index.schema import post_bands, post_signatures, posts, site_lines, stories, stories_gone

logger = logging.getLogger(__name__)

ESTIMATE_MARGIN = 0.15  # a candidate is checked exactly when its estimated score is this close to the threshold
MAX_EXACT_CHECKS = 20  # exact checks per post, best estimates first (a hot story can have hundreds of copies)
TEMPLATE_STORIES = 3  # a site's line used by this many stories is template


def site_of(url: str) -> str:
    """The site a URL belongs to, for template lines: its host (and port)."""
    return urlsplit(url).netloc.lower()


@dataclass(frozen=True)
class StoryAssignment:
    story_id: int
    outcome: str  # "new" (founded a story), "joined" (an existing one), "merged" (bridged several)
    similarity: float = 0.0  # of the best match, when it joined


@dataclass(frozen=True)
class _Prepared:
    """One post's text as the clusterer compares it."""

    site: str
    lines: list[str]  # normalised
    template: set[str]  # its lines that are known template of its site
    size: int  # distinct shingles, template shingles left out
    signature: Signature
    line_keys: list[int]  # of its short lines (template candidates)
    known_lines: dict[int, int]  # line key -> story that last used it, for the lines its site has seen


class StoryClusterer:
    def __init__(self, threshold: float, hasher: MinHasher | None = None) -> None:
        if not 0 < threshold <= 1:
            raise ValueError(f"story threshold must be in (0, 1], not {threshold}")
        self.threshold = threshold
        self.hasher = hasher or MinHasher()

    # -- one post ------------------------------------------------------------------------------

    def assign(self, conn: Connection, post_id: int, key: str, url: str, text: str, now: datetime) -> StoryAssignment:
        """Put a newly stored post into a story (joining, bridging or founding one)."""
        prepared = self._prepare(conn, url, text)
        buckets = self._index(conn, post_id, prepared)
        matches = self._matches(conn, post_id, prepared, buckets)
        story_ids = sorted({story_id for story_id, _ in matches})
        if not story_ids:
            inserted = conn.execute(stories.insert(), {"key": key, "post_id": post_id, "first_seen": now})
            assert inserted.inserted_primary_key is not None
            story_id, outcome, best = int(inserted.inserted_primary_key[0]), "new", 0.0
        else:
            story_id, merged = story_ids[0], story_ids[1:]
            if merged:
                self._merge(conn, story_id, merged)
                for line, used_by in prepared.known_lines.items():
                    if used_by in merged:
                        prepared.known_lines[line] = story_id
            outcome, best = ("merged" if merged else "joined"), max(score for _, score in matches)
        conn.execute(update(posts).where(posts.c.id == post_id).values(story_id=story_id))
        self._learn_template(conn, prepared, story_id)
        if outcome != "new":
            self.refresh_representative(conn, story_id)
        return StoryAssignment(story_id=story_id, outcome=outcome, similarity=best)

    def reindex(self, conn: Connection, post_id: int, url: str, text: str) -> None:
        """A post's text changed (the same URL, edited): new signature and buckets, same story."""
        conn.execute(delete(post_bands).where(post_bands.c.post_id == post_id))
        conn.execute(delete(post_signatures).where(post_signatures.c.post_id == post_id))
        self._index(conn, post_id, self._prepare(conn, url, text))

    def refresh_representative(self, conn: Connection, story_id: int) -> None:
        """The original publisher's copy when known, else the earliest post (published, else first seen)."""
        rows = conn.execute(select(posts.c.id, posts.c.has_original, posts.c.published, posts.c.first_seen)
                            .where(posts.c.story_id == story_id)).all()
        if not rows:
            return
        best = min(rows, key=lambda r: (not r.has_original, r.published or r.first_seen, r.id))
        conn.execute(update(stories).where(stories.c.id == story_id, stories.c.post_id != best.id)
                     .values(post_id=best.id))

    # -- steps ---------------------------------------------------------------------------------

    def _prepare(self, conn: Connection, url: str, text: str) -> _Prepared:
        site = site_of(url)
        lines = normalise_lines(text)
        by_key = {line_key(line): line for line in template_candidates(lines)}
        known: dict[int, int] = {}
        template = set()
        if by_key:
            for row in conn.execute(select(site_lines.c.line_key, site_lines.c.story_id, site_lines.c.stories)
                                    .where(site_lines.c.site == site, site_lines.c.line_key.in_(list(by_key)))):
                known[row.line_key] = row.story_id
                if row.stories >= TEMPLATE_STORIES:
                    template.add(by_key[row.line_key])
        hashes = story_shingles(lines, template_shingles(template))
        return _Prepared(site=site, lines=lines, template=template, size=int(hashes.size),
                         signature=self.hasher.signature(hashes), line_keys=sorted(by_key), known_lines=known)

    def _index(self, conn: Connection, post_id: int, prepared: _Prepared) -> list[int]:
        """Store the post's signature and buckets; returns the buckets (none for a post without text)."""
        conn.execute(post_signatures.insert(), {"post_id": post_id, "shingles": prepared.size,
                                                "signature": self.hasher.to_bytes(prepared.signature)})
        if not prepared.size:
            return []
        buckets = sorted(set(self.hasher.buckets(prepared.signature)))
        conn.execute(post_bands.insert(), [{"bucket": bucket, "post_id": post_id} for bucket in buckets])
        return buckets

    def _matches(self, conn: Connection, post_id: int, prepared: _Prepared,
                 buckets: list[int]) -> list[tuple[int, float]]:
        """(story id, score) of every stored post that is the same story as this one."""
        if not buckets:
            return []
        candidates = list(conn.execute(select(post_bands.c.post_id).where(
            post_bands.c.bucket.in_(buckets), post_bands.c.post_id != post_id).distinct()).scalars())
        if not candidates:
            return []
        estimates = []
        for signed in conn.execute(select(post_signatures.c.post_id, post_signatures.c.shingles,
                                          post_signatures.c.signature)
                                   .where(post_signatures.c.post_id.in_(candidates))):
            jaccard = self.hasher.estimate(prepared.signature, self.hasher.from_bytes(signed.signature))
            estimate = estimated_score(jaccard, prepared.size, signed.shingles)
            if estimate >= self.threshold - ESTIMATE_MARGIN:
                estimates.append((estimate, signed.post_id))
        estimates.sort(reverse=True)
        chosen = [candidate for _, candidate in estimates[:MAX_EXACT_CHECKS]]
        if not chosen:
            return []
        matches = []
        for row in conn.execute(select(posts.c.id, posts.c.url, posts.c.text, posts.c.story_id)
                                .where(posts.c.id.in_(chosen), posts.c.story_id.is_not(None))):
            other_site = site_of(row.url)
            other = normalise_lines(row.text)
            template = prepared.template | self._template(conn, other_site, other)
            score = similarity(prepared.lines, other, same_site=other_site == prepared.site, template=template).score
            logger.debug("Post %d vs post %d: similarity %.3f", post_id, row.id, score)
            if score >= self.threshold:
                matches.append((int(row.story_id), score))
        return matches

    def _merge(self, conn: Connection, into: int, others: list[int]) -> None:
        logger.info("Merging stories %s into story %d: a post matches all of them", others, into)
        conn.execute(update(posts).where(posts.c.story_id.in_(others)).values(story_id=into))
        conn.execute(update(site_lines).where(site_lines.c.story_id.in_(others)).values(story_id=into))
        # Remembered for exports (the store stamps the revision): what was published of them goes.
        conn.execute(stories_gone.insert().from_select(["key"], select(stories.c.key).where(stories.c.id.in_(others))))
        conn.execute(delete(stories).where(stories.c.id.in_(others)))

    def _template(self, conn: Connection, site: str, lines: list[str]) -> set[str]:
        """The post's lines that are known template of its site."""
        by_key = {line_key(line): line for line in template_candidates(lines)}
        if not by_key:
            return set()
        rows = conn.execute(select(site_lines.c.line_key).where(
            site_lines.c.site == site, site_lines.c.line_key.in_(list(by_key)),
            site_lines.c.stories >= TEMPLATE_STORIES))
        return {by_key[row.line_key] for row in rows}

    def _learn_template(self, conn: Connection, prepared: _Prepared, story_id: int) -> None:
        """Count the post's short lines for its site, once per story that uses them."""
        site, known = prepared.site, prepared.known_lines
        new = [{"site": site, "line_key": key, "story_id": story_id, "stories": 1}
               for key in prepared.line_keys if key not in known]
        if new:
            conn.execute(site_lines.insert(), new)
        used = [key for key, story in known.items() if story != story_id]
        if used:
            conn.execute(update(site_lines).where(site_lines.c.site == site, site_lines.c.line_key.in_(used))
                         .values(stories=site_lines.c.stories + 1, story_id=story_id))

    # -- whole index -----------------------------------------------------------------------------

    def backfill(self, conn: Connection, now: datetime, batch: int = 500) -> int:
        """Cluster every post without a story (an index written before story clusters existed).

        Posts go in the order they were first seen, so each story's key is its earliest post's key:
        the entry ids that index's Atom feeds already carry stay the same.
        """
        done = 0
        while True:
            rows = conn.execute(select(posts.c.id, posts.c.key, posts.c.url, posts.c.text)
                                .where(posts.c.story_id.is_(None))
                                .order_by(posts.c.first_seen, posts.c.id).limit(batch)).all()
            if not rows:
                return done
            for row in rows:
                conn.execute(delete(post_bands).where(post_bands.c.post_id == row.id))
                conn.execute(delete(post_signatures).where(post_signatures.c.post_id == row.id))
                self.assign(conn, row.id, row.key, row.url, row.text, now)
            done += len(rows)

    @staticmethod
    def count_unassigned(conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(posts).where(posts.c.story_id.is_(None)))
                   .scalar_one())
