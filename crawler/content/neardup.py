"""Near-duplicate stories: character shingles, a similarity score, MinHash signatures and LSH bands.

Chinese has no spaces, so a story is compared as the set of overlapping runs of ``k`` characters
(shingles) of its normalised text (``crawler.content.text.normalise_lines``: NFKC, attribution trailers
dropped, whitespace, punctuation and symbols folded away, so re-wrapping and full-width/half-width
punctuation change nothing; Traditional script folded to Simplified). Two posts are the same story
when the similarity score of their shingle sets (``similarity``) reaches the threshold.

Finding candidates must not scan every post: a MinHash signature (``NUM_PERM`` minima under
affine permutations, the "affine32" scheme of datasketch 2.0) is cut into ``BANDS`` bands of
``ROWS`` values, and each band becomes one 64-bit bucket key. Posts that share a bucket are
candidates (probability ``1 - (1 - J**ROWS)**BANDS`` for Jaccard resemblance J); each candidate is
then checked exactly. An excerpt (a fifth of the text) has too little resemblance to share a bucket,
so each text's opening is signed as well and banded in ``OPENING_BANDS`` more buckets: an excerpt
shares its original's opening. The hash functions derive from fixed constants, not from a random generator:
signatures and buckets are persisted and must not change with a library upgrade.

Boilerplate: lines of a site's template that survive extraction (an app advert, a disclaimer) make
two different articles of one site share text. Two guards: the shingles of lines known as a site's
template (seen in several stories of that site, learnt by the index store) are left out before
comparing, and two pages of one site are also compared without the lines they share verbatim
(``similarity(..., same_site=True)``).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

SHINGLE_SIZE = 5  # characters per shingle
NUM_PERM = 128  # MinHash permutations
BANDS = 42  # LSH bands of ROWS signature values each (BANDS * ROWS <= NUM_PERM)
ROWS = 3
DEFAULT_THRESHOLD = 0.5  # similarity score from which two posts are one story
MIN_SIZE_RATIO = 0.7  # below this share of the other's shingles, resemblance counts containment less and less
EXCERPT_FLOOR = 0.6  # containment of the shorter text from which it starts to count as an excerpt
EXCERPT_MIN_SHINGLES = 60  # a shorter text (~65 characters) is too short to call an excerpt of anything
EXCERPT_MIN_OWN = 0.5  # share of its shingles an excerpt keeps once known template is left out
OPENING_CHARS = 100  # normalised characters of a text's opening, signed on their own for excerpt candidates
OPENING_BANDS = 16  # LSH bands of the opening's signature (ROWS values each)
MIN_OWN_TEXT = 40  # normalised characters: below this, a page's unshared lines are too few to judge
TEMPLATE_LINE_MAX = 120  # normalised characters: longer lines are article text, never template

Shingles = npt.NDArray[np.uint32]
Signature = npt.NDArray[np.uint32]

_U64 = np.uint64
_MUL = _U64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier of the rolling shingle hash


def _fmix64(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """MurmurHash3's 64-bit finaliser: an avalanching bijection (arrays wrap mod 2**64 silently)."""
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


def _fmix32(h: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """MurmurHash3's 32-bit finaliser, as datasketch applies it before its affine32 permutations."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def shingles(lines: Iterable[str], k: int = SHINGLE_SIZE) -> Shingles:
    """Sorted distinct 32-bit hashes of the k-character shingles of the joined lines.

    A text shorter than k characters is one shingle; an empty one has none.
    """
    text = "".join(lines)
    if not text:
        return np.empty(0, dtype=np.uint32)
    # surrogatepass: a lone surrogate (a broken page) is one more code point, not an exception.
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    width = min(k, len(points))
    count = len(points) - width + 1
    rolling = np.zeros(count, dtype=np.uint64)
    for offset in range(width):
        rolling = rolling * _MUL + points[offset:offset + count]
    return np.unique((_fmix64(rolling) >> _U64(32)).astype(np.uint32))


def _blend(jaccard: float, containment: float, size_a: int, size_b: int) -> float:
    small, large = sorted((size_a, size_b))
    # The resemblance of two copies: containment counts fully from MIN_SIZE_RATIO on, not at all below
    # half of it (a text much shorter than the other is judged as an excerpt, by _excerpt_score).
    weight = min(1.0, max(0.0, (small / large - MIN_SIZE_RATIO / 2) / (MIN_SIZE_RATIO / 2)))
    return jaccard + weight * (containment - jaccard) / 2


def _excerpt_score(containment: float, size_a: int, size_b: int) -> float:
    """The score of the shorter text as an excerpt of the longer: how nearly all of it is contained.

    An aggregator's excerpt (the lead, the first 40 %) is all in the original, however short; a
    follow-up or a round-up that repeats another story's opening is mostly text of its own. 0 at
    EXCERPT_FLOOR containment, 1 when wholly contained; nothing for a text too short to tell.
    """
    if min(size_a, size_b) < EXCERPT_MIN_SHINGLES:
        return 0.0
    return max(0.0, (containment - EXCERPT_FLOOR) / (1 - EXCERPT_FLOOR))


def _score(jaccard: float, containment: float, size_a: int, size_b: int) -> tuple[float, float]:
    """(score, resemblance): the score is the better of the resemblance and the excerpt score."""
    copy = _blend(jaccard, containment, size_a, size_b)
    return max(copy, _excerpt_score(containment, size_a, size_b)), copy


@dataclass(frozen=True)
class Similarity:
    """How alike two texts are. ``score`` (0..1) decides; the parts explain it."""

    score: float
    jaccard: float  # |A∩B| / |A∪B| of the shingle sets
    containment: float  # |A∩B| / min(|A|, |B|): how much of the shorter text the longer one has
    shingles: tuple[int, int]
    own_text: bool = False  # the score is that of the text each page has of its own (same site)
    a_in_b: float = 0.0  # |A∩B| / |A|: how much of A is in B
    b_in_a: float = 0.0  # |A∩B| / |B|
    resemblance: float = 0.0  # the score as two copies (Jaccard and containment blended), without the excerpt rule

    def same(self, threshold: float) -> bool:
        return self.score >= threshold

    def excerpt(self, threshold: float) -> bool:
        """The same story as an excerpt, not as a copy: the shorter text is (nearly) all in the longer,
        which has much more (the texts do not resemble each other as copies do, or the shorter has
        under ``MIN_SIZE_RATIO`` of the longer's shingles). Such a match says the longer text holds the
        shorter one, not that the two are copies."""
        small, large = sorted(self.shingles)
        return self.score >= threshold and (self.resemblance < threshold or small < MIN_SIZE_RATIO * large)

    @property
    def shorter(self) -> str:
        """"a" or "b": the text with fewer shingles (the excerpt, when one is)."""
        return "a" if self.shingles[0] <= self.shingles[1] else "b"



def _similarity(a: Shingles, b: Shingles, *, excerpts: bool = True) -> Similarity:
    if not a.size or not b.size:
        return Similarity(0.0, 0.0, 0.0, (a.size, b.size))
    common = np.intersect1d(a, b, assume_unique=True).size
    jaccard = common / (a.size + b.size - common)
    containment = common / min(a.size, b.size)
    score, resemblance = _score(jaccard, containment, a.size, b.size)
    if not excerpts:
        score = resemblance
    return Similarity(score, jaccard, containment, (a.size, b.size), a_in_b=common / a.size, b_in_a=common / b.size,
                      resemblance=resemblance)


def template_shingles(template: Iterable[str], k: int = SHINGLE_SIZE) -> Shingles:
    """The shingles of template lines, each line on its own (a re-wrapped copy still contains them)."""
    parts = [shingles([line], k) for line in dict.fromkeys(template)]
    return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.uint32)


def story_shingles(lines: Sequence[str], template: Shingles, k: int = SHINGLE_SIZE) -> Shingles:
    """The shingles of a text that are not template shingles."""
    return np.setdiff1d(shingles(lines, k), template, assume_unique=True)


def similarity(a: Sequence[str], b: Sequence[str], *, same_site: bool = False, template: Iterable[str] = (),
               k: int = SHINGLE_SIZE) -> Similarity:
    """How alike two normalised texts (lists of lines) are.

    The score is the better of two. The resemblance of two copies: the mean of Jaccard resemblance
    and containment (Jaccard alone punishes a copy for a trimmed ending or an appended note); when the
    shorter text has less than ``MIN_SIZE_RATIO`` of the longer one's shingles, containment counts less
    and less there (not at all below half that ratio). And the excerpt score: how nearly all of the
    shorter text the longer one holds (``EXCERPT_FLOOR`` and up), whatever their sizes, so an
    aggregator's lead-only excerpt is its story while a follow-up that repeats a story's opening, its
    own text being most of it, is not (``Similarity.excerpt`` tells the two kinds of match apart).

    ``template`` lines (known boilerplate of either page's site) are left out of both texts, shingle
    by shingle, so a copy that kept another site's template, even re-wrapped, compares as it should;
    a text that is mostly template (under ``EXCERPT_MIN_OWN`` of it left) is no excerpt.
    For two pages of one site (``same_site``) the lines they share verbatim may be template that is
    not known yet; when both pages still have text of their own without them (``MIN_OWN_TEXT``), the
    score of that remaining text caps the result. A re-posted, trimmed or extended copy has (almost)
    nothing of its own on one side and is not affected.
    """
    drop = template_shingles(template, k)
    story_a, story_b = story_shingles(a, drop, k), story_shingles(b, drop, k)
    # A text that is mostly template (a round-up of leads its site repeats) is too little of its own
    # to be anybody's excerpt.
    shorter = (a, story_a) if story_a.size <= story_b.size else (b, story_b)
    excerpts = not drop.size or shorter[1].size >= EXCERPT_MIN_OWN * shingles(shorter[0], k).size
    result = _similarity(story_a, story_b, excerpts=excerpts)
    if same_site and result.score > 0:
        shared = set(a) & set(b)
        own_a = [line for line in a if line not in shared]
        own_b = [line for line in b if line not in shared]
        if shared and min(sum(map(len, own_a)), sum(map(len, own_b))) >= MIN_OWN_TEXT:
            own = _similarity(story_shingles(own_a, drop, k), story_shingles(own_b, drop, k), excerpts=excerpts)
            if own.score < result.score:
                result = replace(result, score=own.score, resemblance=min(own.resemblance, result.resemblance),
                                 own_text=True)
    return result


def opening_shingles(lines: Sequence[str], template: Iterable[str] = (), k: int = SHINGLE_SIZE) -> Shingles:
    """The shingles of a text's first ``OPENING_CHARS`` characters, template lines left out.

    An excerpt of a fifth of a text shares too few MinHash bands with it (LSH finds texts by Jaccard
    resemblance); it shares its opening. So the opening is signed and banded on its own as well.
    """
    drop = set(template)
    return shingles(["".join(line for line in lines if line not in drop)[:OPENING_CHARS]], k)


def estimated_score(jaccard: float, size_a: int, size_b: int) -> float:
    """The score that a Jaccard estimate (from signatures) and the set sizes imply."""
    if not size_a or not size_b or jaccard <= 0:
        return 0.0
    common = jaccard * (size_a + size_b) / (1 + jaccard)
    return _score(jaccard, min(1.0, common / min(size_a, size_b)), size_a, size_b)[0]


def template_candidates(lines: Iterable[str]) -> list[str]:
    """The lines short enough to be a site's template (an advert, a disclaimer, a byline)."""
    return list(dict.fromkeys(line for line in lines if len(line) <= TEMPLATE_LINE_MAX))


def line_key(line: str) -> int:
    """A signed 64-bit key of one normalised line (what the index store keeps per site)."""
    digest = hashlib.blake2b(line.encode("utf-8"), digest_size=8, person=b"fa-line").digest()
    return int(struct.unpack("<q", digest)[0])


@dataclass(frozen=True)
class MinHasher:
    """MinHash signatures and LSH bucket keys with fixed, persisted-safe permutations."""

    num_perm: int = NUM_PERM
    bands: int = BANDS
    rows: int = ROWS

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands * rows exceeds num_perm ({self.bands} * {self.rows} > {self.num_perm})")
        # Odd multipliers make every permutation a bijection of the 32-bit hashes (no added collisions).
        words = [int.from_bytes(hashlib.sha256(f"feedarchiver-minhash-{i}".encode()).digest()[:8], "little")
                 for i in range(self.num_perm)]
        object.__setattr__(self, "_a", np.array([(w & 0xFFFFFFFF) | 1 for w in words], dtype=np.uint32))
        object.__setattr__(self, "_b", np.array([w >> 32 for w in words], dtype=np.uint32))

    @property
    def permutations(self) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
        """(a, b) of the affine permutations ``a * h + b mod 2**32``."""
        return self._a, self._b  # type: ignore[attr-defined]

    def signature(self, hashes: Shingles) -> Signature:
        """Minimum of every permutation over the shingles (all ones for an empty set)."""
        if not hashes.size:
            return np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint32)
        a, b = self.permutations
        mixed = _fmix32(hashes.astype(np.uint32)).reshape(-1, 1)
        result: Signature = (mixed * a + b).min(axis=0)
        return result

    def buckets(self, signature: Signature) -> list[int]:
        """One signed 64-bit key per band: its number and its values, mixed (a bijection at each step)."""
        return self._band_keys(signature, self.bands, 1)

    def opening_buckets(self, signature: Signature) -> list[int]:
        """The keys of an opening's signature (``opening_shingles``): ``OPENING_BANDS`` bands numbered
        after the whole text's, so the two kinds of key never meet in one table."""
        return self._band_keys(signature, min(OPENING_BANDS, self.num_perm // self.rows), self.bands + 1)

    def _band_keys(self, signature: Signature, bands: int, first: int) -> list[int]:
        values = signature[:bands * self.rows].reshape(bands, self.rows).astype(np.uint64)
        keys = _fmix64(np.arange(first, first + bands, dtype=np.uint64) * _MUL)
        for row in range(self.rows):
            keys = _fmix64((keys * _MUL) ^ values[:, row])
        result: list[int] = keys.view(np.int64).tolist()
        return result

    @staticmethod
    def estimate(a: Signature, b: Signature) -> float:
        """The resemblance two signatures estimate (share of equal minima)."""
        return float(np.count_nonzero(a == b)) / len(a)

    @staticmethod
    def to_bytes(signature: Signature) -> bytes:
        return signature.astype("<u4").tobytes()

    @staticmethod
    def from_bytes(data: bytes) -> Signature:
        return np.frombuffer(data, dtype="<u4").astype(np.uint32)

    def candidate_probability(self, resemblance: float) -> float:
        """Chance that two posts of this resemblance share at least one bucket."""
        return float(1 - (1 - resemblance ** self.rows) ** self.bands)
