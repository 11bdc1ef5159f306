"""RSSHub-style query filters on a published feed: limit, filter, filterout, filter_title, category.

Applied to the document as published (Atom, RSS or JSON Feed), so a filtered answer is always a
subset of the real feed in the same format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from crawler.errors import FeedArchiverError

ATOM = "{http://www.w3.org/2005/Atom}"
MAX_PATTERN = 200  # long patterns invite catastrophic backtracking from a URL anyone can type


class FilterError(FeedArchiverError):
    """A query parameter that cannot be applied (bad regex, bad limit)."""


@dataclass(frozen=True)
class FeedFilter:
    limit: int | None = None
    keep: re.Pattern[str] | None = None  # filter: title or content must match
    keep_title: re.Pattern[str] | None = None  # filter_title: the title must match
    drop: re.Pattern[str] | None = None  # filterout: title or content must not match
    category: str | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.limit, self.keep, self.keep_title, self.drop, self.category))

    @classmethod
    def from_query(cls, params: dict[str, list[str]]) -> FeedFilter:
        def pattern(name: str) -> re.Pattern[str] | None:
            value = params.get(name, [None])[0]
            if value is None:
                return None
            if len(value) > MAX_PATTERN:
                raise FilterError(f"{name} is longer than {MAX_PATTERN} characters")
            flags = 0 if params.get("filter_case_sensitive", ["true"])[0] != "false" else re.IGNORECASE
            try:
                return re.compile(value, flags)
            except re.error as exc:
                raise FilterError(f"{name} is not a valid regular expression: {exc}") from None

        limit = params.get("limit", [None])[0]
        if limit is not None and (not limit.isdigit() or int(limit) < 1):
            raise FilterError("limit must be a positive whole number")
        return cls(limit=int(limit) if limit else None, keep=pattern("filter"), keep_title=pattern("filter_title"),
                   drop=pattern("filterout"), category=params.get("category", [None])[0])

    def accepts(self, title: str, content: str, categories: list[str]) -> bool:
        both = f"{title}\n{content}"
        if self.keep is not None and not self.keep.search(both):
            return False
        if self.keep_title is not None and not self.keep_title.search(title):
            return False
        if self.drop is not None and self.drop.search(both):
            return False
        return self.category is None or self.category in categories

    def apply(self, data: bytes, extension: str) -> bytes:
        if extension == "json":
            return self._json(data)
        return self._xml(data, atom=extension == "atom")

    def _keep_first(self, accepted: list[bool]) -> list[bool]:
        kept, count = [], 0
        for ok in accepted:
            ok = ok and (self.limit is None or count < self.limit)
            count += ok
            kept.append(ok)
        return kept

    def _xml(self, data: bytes, *, atom: bool) -> bytes:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        if atom:
            items = root.findall(f"{ATOM}entry")
            fields = [(i.findtext(f"{ATOM}title") or "",
                       (i.findtext(f"{ATOM}content") or "") + (i.findtext(f"{ATOM}summary") or ""),
                       [c.get("term", "") for c in i.findall(f"{ATOM}category")]) for i in items]
        else:
            channel = root.find("channel")
            items = channel.findall("item") if channel is not None else []
            fields = [(i.findtext("title") or "",
                       (i.findtext("description") or "") + "".join(
                           c.text or "" for c in i if str(c.tag).endswith("}encoded")),
                       [c.text or "" for c in i.findall("category")]) for i in items]
        for item, keep in zip(items, self._keep_first([self.accepts(*f) for f in fields]), strict=True):
            if not keep:
                parent = item.getparent()
                assert parent is not None
                parent.remove(item)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))

    def _json(self, data: bytes) -> bytes:
        document: dict[str, Any] = json.loads(data)
        items = document.get("items", [])
        accepted = [self.accepts(i.get("title", ""), i.get("content_html", "") + i.get("summary", ""),
                                 i.get("tags", [])) for i in items]
        document["items"] = [i for i, keep in zip(items, self._keep_first(accepted), strict=True) if keep]
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
