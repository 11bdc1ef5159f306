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
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from crawler.content.neardup import (
    DEFAULT_THRESHOLD,
    MinHasher,
    Signature,
    estimated_score,
    line_key,
    opening_shingles,
    similarity,
    story_shingles,
    template_candidates,
    template_shingles,
)
from crawler.content.text import hash_lines, normalise_lines
from crawler.index.schema import post_bands, post_signatures, posts, site_lines, stories, stories_gone

logger = logging.getLogger(__name__)

ESTIMATE_MARGIN = 0.15  # a candidate is checked exactly when its estimated score is this close to the threshold
MAX_EXACT_CHECKS = 20  # exact checks per post, best estimates first (a hot story can have hundreds of copies)
TEMPLATE_STORIES = 3  # a site's line used by this many stories is template
BRIDGE_MARGIN = 0.1  # a post merges a further story into the one it joins from this much above the threshold


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
    opening: Signature  # of its first characters (crawler.content.neardup.opening_shingles), for excerpts
    line_keys: list[int]  # of its short lines (template candidates)
    known_lines: dict[int, int]  # line key -> story that last used it, for the lines its site has seen


@dataclass(frozen=True)
class _Buckets:
    text: frozenset[int]  # of the whole text's signature
    opening: frozenset[int]  # of its opening's

    @property
    def all(self) -> frozenset[int]:
        return self.text | self.opening


@dataclass(frozen=True)
class _Match:
    story_id: int
    score: float
    resemblance: float
    kind: str  # "copy"; "excerpt" (the new post is held by the other); "holds" (the new post holds it)


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
        story_ids = self._choose(conn, post_id, prepared, matches)
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
            outcome = "merged" if merged else "joined"
            best = max(m.score for m in matches if m.story_id in story_ids)
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
                         signature=self.hasher.signature(hashes),
                         opening=self.hasher.signature(opening_shingles(lines, template)),
                         line_keys=sorted(by_key), known_lines=known)

    def _index(self, conn: Connection, post_id: int, prepared: _Prepared) -> _Buckets:
        """Store the post's signature and buckets; returns the buckets (none for a post without text)."""
        conn.execute(post_signatures.insert(), {"post_id": post_id, "shingles": prepared.size,
                                                "signature": self.hasher.to_bytes(prepared.signature)})
        if not prepared.size:
            return _Buckets(frozenset(), frozenset())
        buckets = _Buckets(frozenset(self.hasher.buckets(prepared.signature)),
                           frozenset(self.hasher.opening_buckets(prepared.opening)))
        conn.execute(post_bands.insert(), [{"bucket": bucket, "post_id": post_id} for bucket in sorted(buckets.all)])
        return buckets

    def _matches(self, conn: Connection, post_id: int, prepared: _Prepared, buckets: _Buckets) -> list[_Match]:
        """Every stored post that is the same story as this one, as a copy or as an excerpt."""
        if not buckets.all:
            return []
        opening_hits: set[int] = set()
        candidates: set[int] = set()
        for hit in conn.execute(select(post_bands.c.post_id, post_bands.c.bucket).where(
                post_bands.c.bucket.in_(sorted(buckets.all)), post_bands.c.post_id != post_id)):
            candidates.add(hit.post_id)
            if hit.bucket in buckets.opening:
                opening_hits.add(hit.post_id)
        if not candidates:
            return []
        estimates = []
        for signed in conn.execute(select(post_signatures.c.post_id, post_signatures.c.shingles,
                                          post_signatures.c.signature)
                                   .where(post_signatures.c.post_id.in_(sorted(candidates)))):
            jaccard = self.hasher.estimate(prepared.signature, self.hasher.from_bytes(signed.signature))
            estimate = estimated_score(jaccard, prepared.size, signed.shingles)
            # The signatures of a short excerpt and its long original estimate containment poorly: a
            # shared opening is reason enough for an exact check.
            if estimate >= self.threshold - ESTIMATE_MARGIN or signed.post_id in opening_hits:
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
            result = similarity(prepared.lines, other, same_site=other_site == prepared.site, template=template)
            logger.debug("Post %d vs post %d: similarity %.3f (resemblance %.3f)", post_id, row.id, result.score,
                         result.resemblance)
            if result.same(self.threshold):
                kind = ("copy" if not result.excerpt(self.threshold) else
                        "excerpt" if result.shorter == "a" else "holds")
                matches.append(_Match(int(row.story_id), result.score, result.resemblance, kind))
        return matches

    def _choose(self, conn: Connection, post_id: int, prepared: _Prepared, matches: list[_Match]) -> list[int]:
        """The stories the post goes into: the first is joined, any others merge into it.

        Copies bridge: a post that is a copy of posts in two stories shows they are one (a head and a
        tail of one text, stored first). Only when it is also clearly (``BRIDGE_MARGIN``) the same
        story as each further one's longest post, though: a short post can be a copy of an excerpt
        that another story holds (a follow-up or a round-up repeats the paragraph an excerpt is), and
        then says nothing about that story. A story whose posts this one only holds merges with its
        copies' story so too: it is an excerpt of the story that came first; holding posts of several
        stories so, it merges them when their longest posts are the same story too (excerpts of one
        text, of several lengths), else it is a round-up's copy and merges none of them. Holding is
        no reason to join a story on its own: a follow-up holds the paragraph an excerpt is as wholly
        as the original does.

        An excerpt does not bridge: being held by two texts says only that both hold its lines, so it
        joins the story that holds it best, and most often (unless it is a better copy of another).
        """
        copies: dict[int, float] = {}
        held_in: dict[int, list[_Match]] = defaultdict(list)
        holds: set[int] = set()
        for match in matches:
            if match.kind == "copy":
                copies[match.story_id] = max(match.score, copies.get(match.story_id, 0.0))
            elif match.kind == "excerpt":
                held_in[match.story_id].append(match)
            else:
                holds.add(match.story_id)
        holds -= set(copies)
        if held_in and max(m.score for ms in held_in.values() for m in ms) > max(copies.values(), default=0.0):
            # Held (nearly) wholly by some text, and a weaker copy of another: the one it is an excerpt of.
            best = max(held_in.items(), key=lambda item: (max(m.score for m in item[1]), len(item[1]),
                                                          max(m.resemblance for m in item[1]), -item[0]))
            return [best[0]]
        if len(copies) == 1 and not holds:
            return list(copies)
        if copies:
            joined = max(copies, key=lambda story_id: (copies[story_id], -story_id))
            longest = {story_id: self._longest(conn, post_id, story_id) for story_id in sorted({*copies, *holds})}
            own = (prepared.site, prepared.lines)
            # Merging stories takes more than joining one: a clear match with each one's longest post.
            agreeing = {story_id for story_id, other in longest.items() if other is not None and self._score(
                conn, own, other, prepared.template) >= self.threshold + BRIDGE_MARGIN}
            held = [longest[story_id] for story_id in sorted(agreeing & holds)]
            if any(self._score(conn, a, b) < self.threshold for i, a in enumerate(held) for b in held[i + 1:]
                   if a and b):
                agreeing -= holds  # the stories it holds are not one another's: a round-up's
            return sorted({joined, *agreeing})
        return []

    def _longest(self, conn: Connection, post_id: int, story_id: int) -> tuple[str, list[str]] | None:
        """(site, normalised lines) of the story's longest post (the most of its text), other than this one."""
        longest = conn.execute(
            select(posts.c.url, posts.c.text).join(post_signatures, post_signatures.c.post_id == posts.c.id)
            .where(posts.c.story_id == story_id, posts.c.id != post_id)
            .order_by(post_signatures.c.shingles.desc(), posts.c.id).limit(1)).first()
        return None if longest is None else (site_of(longest.url), normalise_lines(longest.text))

    def _score(self, conn: Connection, a: tuple[str, list[str]], b: tuple[str, list[str]],
               template: set[str] | None = None) -> float:
        """The exact score of two (site, normalised lines), each site's known template left out."""
        (site_a, lines_a), (site_b, lines_b) = a, b
        known = (template if template is not None else self._template(conn, site_a, lines_a))
        known = known | self._template(conn, site_b, lines_b)
        return similarity(lines_a, lines_b, same_site=site_a == site_b, template=known).score

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


# -- re-signing an index -------------------------------------------------------------------------------


def resign_all(conn: Connection, *, hasher: MinHasher | None = None, batch: int = 500) -> int:
    """Recompute everything an index derived from its posts' normalised text; returns the posts re-signed.

    For an index written before text was folded to one script (``crawler.content.text.fold_script``), or
    after the folding changed (an OpenCC upgrade): run it once, inside the caller's transaction (a
    migration's). What it changes:

    - ``posts.content_hash``: the hash of the folded text. It changes only for posts whose text
      folding changes (Traditional script, a few mainland words such as 进程). When two stored posts
      fold to one hash (a Traditional copy and its original were stored as two posts), the post that
      holds the hash already, or failing that the older one, has it; the other keeps its old hash,
      and stays a post of its own (``posts.key``, the entry id, is never changed). Such pairs are
      logged.
    - ``site_lines``: the template lines that folding changed are counted again under their folded
      keys (merged into the rows of the same line in the other script); rows under the old keys are
      left, never to be met again.
    - ``post_signatures`` and ``post_bands``: every post's signature and buckets, whole text and
      opening, from its folded text with its site's template as now known.

    Story assignments, keys and representatives stay as they are: re-clustering would change the
    entry ids feeds already carry. A later copy that matches a Traditional and a Simplified story
    bridges them, as any copy does.
    """
    clusterer = StoryClusterer(DEFAULT_THRESHOLD, hasher)
    resigned = 0
    deferred: list[tuple[int, str]] = []
    lines_seen: dict[tuple[str, int], tuple[set[int], int]] = {}  # (site, line key) -> (stories, latest story)
    for row in _posts_by_id(conn, batch, posts.c.content_hash, posts.c.story_id):
        folded = normalise_lines(row.text)
        new_hash = hash_lines(folded)
        if new_hash and new_hash != row.content_hash and not _rehash(conn, row.id, new_hash, final=False):
            deferred.append((row.id, new_hash))
        plain = {line_key(line) for line in template_candidates(normalise_lines(row.text, fold=False))}
        for key in {line_key(line) for line in template_candidates(folded)} - plain:
            used_by, _ = lines_seen.get((site_of(row.url), key), (set(), 0))
            if row.story_id is not None:
                used_by.add(row.story_id)
            lines_seen[site_of(row.url), key] = (used_by, row.story_id if row.story_id is not None else 0)
    for post_id, new_hash in deferred:
        _rehash(conn, post_id, new_hash, final=True)
    for (site, key), (used_by, latest) in lines_seen.items():
        if not used_by:
            continue
        where = (site_lines.c.site == site, site_lines.c.line_key == key)
        known = conn.execute(select(site_lines.c.story_id, site_lines.c.stories).where(*where)).first()
        if known is None:
            conn.execute(site_lines.insert(), {"site": site, "line_key": key, "story_id": latest,
                                               "stories": len(used_by)})
        else:
            conn.execute(update(site_lines).where(*where).values(
                stories=known.stories + len(used_by - {known.story_id}), story_id=latest))
    conn.execute(delete(post_bands))
    conn.execute(delete(post_signatures))
    for row in _posts_by_id(conn, batch):
        clusterer._index(conn, row.id, clusterer._prepare(conn, row.url, row.text))
        resigned += 1
    logger.info("Re-signed %d posts", resigned)
    return resigned


def _posts_by_id(conn: Connection, batch: int, *columns: Any) -> Iterator[Any]:
    """Every post (id, url, text and the columns asked for), in batches by id: never all texts at once."""
    last = 0
    while True:
        rows = conn.execute(select(posts.c.id, posts.c.url, posts.c.text, *columns)
                            .where(posts.c.id > last).order_by(posts.c.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def _rehash(conn: Connection, post_id: int, new_hash: str, *, final: bool) -> bool:
    """Give the post its folded hash unless another post holds it. False: deferred (``final`` not set)
    because a later post holds it, which may yet change."""
    holder = conn.execute(select(posts.c.id).where(posts.c.content_hash == new_hash)).scalar()
    if holder is None:
        conn.execute(update(posts).where(posts.c.id == post_id).values(content_hash=new_hash))
        return True
    if holder > post_id and not final:
        return False
    logger.warning("Posts %d and %d fold to one content hash; post %d keeps its old one", holder, post_id, post_id)
    return True
