"""Text normalisation and the story content hash.

The hash must be equal for the same story wherever it was copied: aggregators re-wrap articles,
swap half-width and full-width punctuation, and append their own attribution line ("来源：…",
"阅读原文"). So the text is NFKC-normalised, attribution trailers are dropped, and whitespace and
punctuation are folded away before hashing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# A trailing line that only attributes or links the story; it differs between copies.
_TRAILER = re.compile(
    r"^\s*(?:(?:文章)?来源|原文链接|阅读原文|原标题|责任编辑|编辑|本文来自|转载自|声明)\s*[:：]?.{0,80}$"
)
TRAILER_WINDOW = 8  # how far from the end an attribution line may sit
SHORT_LINE = 40  # longer lines after it are article text, not template furniture
# Lines that are nothing but a "read the original" call to action.
_LINK_ONLY = re.compile(r"^\s*(?:阅读原文|原文链接|查看原文|点击查看原文)\s*[>»›]*\s*$")


def is_trailer(line: str) -> bool:
    """An attribution or "read the original" line."""
    return bool(_TRAILER.match(line) or _LINK_ONLY.match(line))


def strip_trailers(text: str) -> str:
    """Drop attribution and "read the original" lines from the end of an article's text.

    An attribution line near the end marks where the article stops: the short lines an aggregator's
    template leaves after it ("扫码下载…客户端", "推荐阅读") go with it.
    """
    lines = text.rstrip().splitlines()
    tail_start = max(len(lines) - TRAILER_WINDOW, 0)
    for index in range(len(lines) - 1, tail_start - 1, -1):
        if is_trailer(lines[index]) and all(len(line) <= SHORT_LINE for line in lines[index + 1:]):
            del lines[index:]
            break
    while lines and (not lines[-1].strip() or is_trailer(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def normalise(text: str) -> str:
    """NFKC, trailers dropped, lower-cased, every whitespace, punctuation and symbol character removed."""
    return _refold(strip_trailers(unicodedata.normalize("NFKC", text)))


def normalise_lines(text: str) -> list[str]:
    """``normalise`` line by line, empty lines left out: what near-duplicate detection compares."""
    lines = (_refold(line) for line in strip_trailers(unicodedata.normalize("NFKC", text)).splitlines())
    return [line for line in lines if line]


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
    folded = normalise(text)
    if not folded:
        return ""
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def clean_xml_text(value: str) -> str:
    """Remove characters that XML 1.0 forbids (C0 controls other than tab/newline/CR, surrogates, U+FFFE/F)."""
    return _XML_ILLEGAL.sub("", value)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
