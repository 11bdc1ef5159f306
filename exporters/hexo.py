"""Hexo Markdown posts in the exact format of the blog this project replaces (shared/seed/).

Front matter `title` (single-quoted), `categories` (group, source, channel), `headimg`, `author`
(the source, as the seed names 趣头条), `comments: false`, `date` (RFC 822, GMT), `thumbnail`;
then the sanitised body on one line inside a <div>. Whitespace is reproduced byte for byte.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC

import lxml.html

from exporters.model import Entry


def yaml_single_quoted(value: str) -> str:
    return "'" + " ".join(value.split()).replace("'", "''") + "'"


def _plain_scalar(value: str) -> str:
    """A YAML plain scalar as the seed writes author and categories; quoted when YAML would misread it."""
    value = " ".join(value.split())
    if not value or value[0] in "!&*-?:,[]{}#|>@`\"'%" or ": " in value or " #" in value:
        return yaml_single_quoted(value)
    return value


@dataclass(frozen=True, kw_only=True)
class HexoConfig:
    image_proxy: str = ""  # e.g. "https://cors.example.workers.dev/?": prefix for original image URLs
    media_url: str = "/media/"  # archived pictures live here: never through the proxy


class HexoExporter:
    def __init__(self, config: HexoConfig) -> None:
        self.config = config

    def render(self, entry: Entry, source_title: str | None = None, levels: Sequence[str] = ()) -> str:
        """``levels``: the representative's source's categories (group, source, channel), which the seed
        format has as exactly three; what the story's other copies were filed under goes to ``tags``."""
        categories = list(levels[:3]) or entry.categories[:3]
        tags = [c for c in entry.categories if c not in categories]
        image = self._image(entry.lead_image) if entry.lead_image else ""
        author = categories[1] if len(categories) > 1 else (source_title or entry.source_name or "")
        lines = ["", "---", f"title: {yaml_single_quoted(entry.title)}", "categories: "]
        lines += [f" - {_plain_scalar(c)}" for c in categories]
        if tags:  # (none for a story seen at one source: the seed's front matter, byte for byte)
            lines += ["tags: ", *(f" - {_plain_scalar(t)}" for t in tags)]
        lines += [
            f"headimg: {yaml_single_quoted(image)}",
            f"author: {_plain_scalar(author)}",
            "comments: false",
            f"date: {email.utils.format_datetime(entry.published.astimezone(UTC), usegmt=True)}",
            f"thumbnail: {yaml_single_quoted(image)}",
            "---",
            "",
            "<div>   ",
            self._body(entry.content_html) + "  ",
            "</div>",
            "            ",
        ]
        return "\n".join(lines)

    def _image(self, url: str) -> str:
        if self.config.image_proxy and not url.startswith(("/", self.config.media_url)):
            return self.config.image_proxy + url
        return url

    def _body(self, html: str) -> str:
        """One line, as the seed; images through the proxy (with no-referrer) when one is configured."""
        if not html.strip():
            return ""
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
        if self.config.image_proxy:
            for img in fragment.iter("img"):
                src = img.get("src") or ""
                if src.startswith(("http://", "https://")) and not src.startswith(self.config.media_url):
                    img.set("src", self._image(src))
                    img.set("referrerpolicy", "no-referrer")
        inner = (fragment.text or "") + "".join(
            lxml.html.tostring(child, encoding="unicode") for child in fragment
        )
        # One line as in the seed: drop the breaks between tags, turn the rest into spaces.
        return " ".join(re.sub(r">\s*\n\s*<", "><", inner.strip()).split("\n"))
