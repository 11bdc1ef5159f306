"""Archived HTML made to replay from the archive alone: every picture, stylesheet and CSS url() points
at our own copy of it (/media/… or /web/TIMESTAMP/URL of its nearest capture), links stay in the
archive, and whatever would run or fetch on its own (scripts, frames, refreshes, prefetches) is gone.

What the rewritten page may still do is fenced by SNAPSHOT_CSP: no script at all, pictures, styles and
fonts only from our origin and data:. A resource nobody archived loses its URL, so the browser never
asks the live web for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from crawler.content.encoding import decode_html

# Archived resource URL -> where we serve our copy of it (a path on our origin), or None.
Resolver = Callable[[str], str | None]

# Rewritten snapshots: nothing runs, nothing but our own origin and data: is loaded, and only our own
# pages may frame them. `sandbox` makes the page an opaque origin even when opened on its own.
SNAPSHOT_CSP = ("sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                "font-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'")
# The payload exactly as sent (/web/TIMESTAMPid_/URL): its own inline styles and data: pictures only.
RAW_SNAPSHOT_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_REMOVED = ("script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal")
_LAZY = ("data-original", "data-src", "data-original-src", "data-lazy-src", "data-actualsrc")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(['"])([^'"]*)\1""", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"(^data:|blank|placeholder|loading|lazy|spacer|grey|gray|default)", re.IGNORECASE)


def _drop(element: etree._Element) -> None:
    """Remove an element, keeping the text that follows it."""
    if isinstance(element, lxml.html.HtmlElement):
        element.drop_tree()


def is_html(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() in ("text/html", "application/xhtml+xml")


class SnapshotRewriter:
    """Rewrites one archived page; ``resolve`` finds the archived copy of a resource, ``archive_link``
    makes an in-archive link of a page URL (the capture nearest the page's own time)."""

    def __init__(self, page_url: str, resolve: Resolver, archive_link: Callable[[str], str]) -> None:
        self.base = page_url
        self.resolve = resolve
        self.archive_link = archive_link
        self._resolved: dict[str, str | None] = {}

    def _local(self, value: str) -> str | None:
        value = value.strip()
        if not value or value.startswith("data:"):
            return value or None
        absolute = urljoin(self.base, value)
        if urlsplit(absolute).scheme not in ("http", "https"):
            return None
        if absolute not in self._resolved:
            self._resolved[absolute] = self.resolve(absolute)
        return self._resolved[absolute]

    def css(self, text: str) -> str:
        def url(match: re.Match[str]) -> str:
            local = self._local(match.group(2))
            return f'url("{local}")' if local else "url()"

        def imported(match: re.Match[str]) -> str:
            local = self._local(match.group(2))
            return f'@import "{local}"' if local else ""

        return _CSS_URL.sub(url, _CSS_IMPORT.sub(imported, text))

    def _srcset(self, value: str) -> str | None:
        kept = []
        for candidate in value.split(","):
            parts = candidate.split()
            if parts and (local := self._local(parts[0])):
                kept.append(" ".join([local, *parts[1:]]))
        return ", ".join(kept) or None

    def _set(self, element: etree._Element, name: str, value: str | None) -> None:
        if value:
            element.set(name, value)
        elif name in element.attrib:
            del element.attrib[name]

    def rewrite(self, body: bytes, content_type: str) -> bytes:
        """The page as UTF-8 HTML (Content-Type says so, whatever the original encoding was)."""
        text, _encoding = decode_html(body, content_type)
        try:
            root = lxml.html.document_fromstring(text)
        except (etree.ParserError, ValueError):
            return b"<!doctype html><meta charset=utf-8><p>This archived page could not be parsed.</p>"
        if (base := root.find(".//base[@href]")) is not None:
            self.base = urljoin(self.base, base.get("href") or "")
        for element in list(root.iter(*_REMOVED)):
            _drop(element)
        for element in root.iter(etree.Element):
            for name in [str(n) for n in element.attrib if str(n).lower().startswith("on")]:
                del element.attrib[name]  # event handlers: dead under the CSP anyway, gone for good
            if "style" in element.attrib:
                element.set("style", self.css(element.get("style") or ""))
            if "background" in element.attrib:
                self._set(element, "background", self._local(element.get("background") or ""))
        for meta in list(root.iter("meta")):
            if (meta.get("http-equiv") or "").lower() in ("refresh", "content-security-policy", "set-cookie"):
                _drop(meta)  # a refresh would leave the archive; a page's own policy has no say here
            elif meta.get("charset") or (meta.get("http-equiv") or "").lower() == "content-type":
                _drop(meta)  # the answer is UTF-8 now; the header says so
        for link in list(root.iter("link")):
            rel = (link.get("rel") or "").lower().split()
            local = self._local(link.get("href") or "") if {"stylesheet", "icon"} & set(rel) else None
            if local is None:
                _drop(link)  # prefetch, preconnect, manifests, feeds, unarchived styles: nothing to fetch
            else:
                link.set("href", local)
                for name in ("integrity", "crossorigin"):
                    link.attrib.pop(name, "")
        for style in root.iter("style"):
            style.text = self.css(style.text or "")
        for img in root.iter("img", "source", "input", "video", "audio", "track"):
            src = img.get("src") or ""
            lazy = next((img.get(name) for name in _LAZY if img.get(name)), None)
            if lazy and (not src or _PLACEHOLDER.search(src)):
                src = lazy  # no script will swap a lazy loader's real picture in: do it here
            if img.tag in ("video", "audio", "track") or (img.tag == "input" and (img.get("type") or "") != "image"):
                self._set(img, "src", None)
            else:
                self._set(img, "src", self._local(src) if src else None)
            for name in _LAZY:
                img.attrib.pop(name, "")
            if img.get("srcset"):
                self._set(img, "srcset", self._srcset(img.get("srcset") or ""))
            if img.get("poster"):
                self._set(img, "poster", self._local(img.get("poster") or ""))
        for anchor in root.iter("a", "area"):
            href = (anchor.get("href") or "").strip()
            if href and not href.startswith("#"):
                absolute = urljoin(self.base, href)
                if urlsplit(absolute).scheme in ("http", "https"):
                    anchor.set("href", self.archive_link(absolute))
                else:
                    del anchor.attrib["href"]  # javascript:, mailto:, tel: lead nowhere in an archive
        for form in root.iter("form"):
            form.attrib.pop("action", "")
        head = root.find("head")
        if head is None:
            head = etree.Element("head")
            root.insert(0, head)
        charset = etree.Element("meta", charset="utf-8")
        head.insert(0, charset)
        return b"<!DOCTYPE html>\n" + bytes(lxml.html.tostring(root, encoding="utf-8"))
