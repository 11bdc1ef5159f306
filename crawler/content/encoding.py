"""Decide a page's character encoding from its bytes, never from the meta tag alone.

Order (AGGREGATORS.md): BOM, then a strict UTF-8 check (or UTF-8 with a few broken bytes), then the
HTTP header, then the meta tag, then GB18030 as the last resort for Chinese pages. GB2312 and GBK
are decoded as GB18030, their superset, because real "gb2312" pages routinely use characters outside GB2312.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
              "iso-8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _canonical(name: str) -> str | None:
    try:
        canonical = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    return _SUPERSETS.get(name.strip().lower(), _SUPERSETS.get(canonical, canonical))


def _mostly_utf8(body: bytes) -> bool:
    """UTF-8 with a few invalid bytes: at least 20 well-formed multi-byte characters per bad byte.

    GBK text read as UTF-8 is almost all invalid and hardly ever forms a valid multi-byte sequence.
    """
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - body.decode("utf-8", errors="ignore").count("\ufffd")
    good = sum(1 for ch in text if ch > "\x7f" and ch != "\ufffd")
    return bad > 0 and good >= 20 * bad


def detect_encoding(body: bytes, content_type: str | None = None) -> str:
    """The codec name to decode ``body`` with."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    try:
        body.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        if _mostly_utf8(body):
            return "utf-8"  # a UTF-8 page with a few broken bytes: those become U+FFFD, the rest reads right
    else:
        return "utf-8"
    declared = []
    if content_type and (header := _HEADER_CHARSET.search(content_type)):
        declared.append(header.group(1))
    if meta := _META_CHARSET.search(body[:4096]):
        declared.append(meta.group(1).decode("ascii", "replace"))
    for label in declared:
        # A declared UTF-8 was just disproved by the bytes; fall through to the next declaration.
        if (codec := _canonical(label)) and codec != "utf-8":
            return codec
    return "gb18030"


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page; returns (text, encoding). Undecodable bytes become U+FFFD, never an exception."""
    encoding = detect_encoding(body, content_type)
    return body.decode(encoding, errors="replace"), encoding
