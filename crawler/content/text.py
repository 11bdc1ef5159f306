"""Text normalisation and the story content hash.

The hash must be equal for the same story wherever it was copied: aggregators re-wrap articles,
swap half-width and full-width punctuation, and append their own attribution line ("来源：…",
"阅读原文"). So the text is NFKC-normalised, attribution trailers are dropped, and whitespace and
punctuation are folded away before hashing.

Taiwan and Hong Kong portals re-publish mainland stories converted to Traditional script, vocabulary
included (软件→軟體, 网络→網路). Normalised text is folded to one script and one vocabulary with
OpenCC (``fold_script``), so such a copy hashes and shingles as its Simplified original. Only what is
compared changes: the text stored, shown and republished stays as its source wrote it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import cache

import opencc

# A trailing line that only attributes or links the story; it differs between copies.
_TRAILER = re.compile(
    r"^\s*(?:(?:文章)?来源|原文链接|阅读原文|原标题|责任编辑|编辑|本文来自|转载自|声明)\s*[:：]?.{0,80}$"
)
TRAILER_WINDOW = 8  # how far from the end an attribution line may sit
SHORT_LINE = 40  # longer lines after it are article text, not template furniture
# Lines that are nothing but a "read the original" call to action.
_LINK_ONLY = re.compile(r"^\s*(?:阅读原文|原文链接|查看原文|点击查看原文)\s*[>»›]*\s*$")


# "Read the whole text" under an aggregator's excerpt: it ends the excerpt (for comparing only).
_READ_MORE = re.compile(r"^\s*(?:阅读全文|查看全文|展开全文|点击阅读全文|全文阅读)\s*[>»›]*\s*$")


def is_trailer(line: str) -> bool:
    """An attribution or "read the original" line."""
    return bool(_TRAILER.match(line) or _LINK_ONLY.match(line))


_TRAILER_MAX = 100  # characters: no trailer pattern matches a longer line
_UNCONVERTIBLE = re.compile("[\x00\ud800-\udfff]")


def _ends_article(line: str) -> bool:
    """A trailer or a "read the whole text" line, in either script (来源 / 來源, 阅读全文 / 閱讀全文)."""
    if is_trailer(line) or _READ_MORE.match(line):
        return True
    if line.isascii() or len(line) > _TRAILER_MAX:
        return False
    folded = fold_script(_UNCONVERTIBLE.sub("", line))
    return bool(folded != line and (is_trailer(folded) or _READ_MORE.match(folded)))


def strip_trailers(text: str) -> str:
    """Drop attribution and "read the original" lines from the end of an article's text.

    An attribution line near the end marks where the article stops: the short lines an aggregator's
    template leaves after it ("扫码下载…客户端", "推荐阅读") go with it.
    """
    lines = text.rstrip().splitlines()
    tail_start = max(len(lines) - TRAILER_WINDOW, 0)
    for index in range(len(lines) - 1, tail_start - 1, -1):
        if _ends_article(lines[index]) and all(len(line) <= SHORT_LINE for line in lines[index + 1:]):
            del lines[index:]
            break
    while lines and (not lines[-1].strip() or _ends_article(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def normalise(text: str) -> str:
    """NFKC, trailers dropped, lower-cased, every whitespace, punctuation and symbol character removed,
    folded to Simplified script and mainland vocabulary: ``normalise_lines`` joined."""
    return "".join(normalise_lines(text))


def normalise_lines(text: str, *, fold: bool = True) -> list[str]:
    """The normalised text line by line, empty lines left out: what near-duplicate detection compares.

    ``fold=False`` leaves the script as it is (to show what folding changed; never for hashing).
    """
    lines = [_refold(line) for line in strip_trailers(unicodedata.normalize("NFKC", text)).splitlines()]
    lines = [line for line in lines if line]
    if not fold:
        return lines
    # One conversion for the whole text: OpenCC's phrases never span a line break, so lines stay lines.
    folded = fold_script("\n".join(lines)).split("\n")
    return [line for line in (_refold(line) for line in folded) if line]


# OpenCC configurations applied in turn. Hong Kong variants and phrases to Simplified first; then the
# round trip through Taiwan phrasing, so a mainland text and its s2twp conversion arrive at one
# vocabulary (tw2sp alone maps 線上 to 在线 but leaves a mainland 线上 as it is).
FOLD_CONFIGS = ("hk2sp", "s2twp", "tw2sp")
FOLD_PASSES = 3  # the round trip is not quite idempotent (进程 → 程序); repeat until nothing changes


@cache
def _converters() -> tuple[opencc.OpenCC, ...]:
    # Loading the dictionaries takes milliseconds: once per process, on first use.
    return tuple(opencc.OpenCC(config) for config in FOLD_CONFIGS)


def fold_script(text: str) -> str:
    """Traditional (Taiwan, Hong Kong) script and vocabulary folded to Simplified, mainland phrasing.

    For comparing and hashing only. Applied to text without controls or surrogates (``_refold``
    removes them: OpenCC's C++ core stops at a NUL and its binding rejects lone surrogates).
    """
    if text.isascii():
        return text
    for _ in range(FOLD_PASSES):
        folded = text
        for converter in _converters():
            folded = str(converter.convert(folded))
        if folded == text:
            break
        text = folded
    return text


def _refold(text: str) -> str:
    folded = _fold(text.casefold())
    # Removing spaces can bring a base letter next to a combining mark NFKC then composes ("E¯").
    return _fold(unicodedata.normalize("NFKC", folded))


class _FoldTable(dict[int, int | None]):
    """str.translate table that deletes whitespace, punctuation, symbols and controls, filled as met."""

    def __missing__(self, point: int) -> int | None:
        self[point] = None if unicodedata.category(chr(point))[0] in "ZPSC" else point
        return self[point]


_FOLD = _FoldTable()


def _fold(text: str) -> str:
    # translate() looks each character up in C; only characters never seen before reach Python.
    return text.translate(_FOLD)


def content_hash(text: str) -> str:
    """sha256 (hex) of the normalised text; "" when nothing is left to hash."""
    return hash_lines(normalise_lines(text))


def hash_lines(lines: list[str]) -> str:
    """``content_hash`` of a text whose ``normalise_lines`` are these (so a caller normalises once)."""
    folded = "".join(lines)
    if not folded:
        return ""
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def clean_xml_text(value: str) -> str:
    """Remove characters that XML 1.0 forbids (C0 controls other than tab/newline/CR, surrogates, U+FFFE/F)."""
    return _XML_ILLEGAL.sub("", value)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
