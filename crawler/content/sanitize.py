"""One allow-list for every piece of HTML this project republishes (Atom, JSON Feed, RSS, Hexo).

nh3 (Ammonia) parses like a browser, so broken tags and encoded tricks are handled by a real HTML5
parser rather than by regular expressions.
"""

from __future__ import annotations

import re

import nh3

from crawler.content.text import clean_xml_text

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "del", "div", "dl", "dd", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "data-original-src", "referrerpolicy", "loading"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_html(html: str) -> str:
    """Republishable HTML: no script, style, event handlers, javascript:/data: URLs or XML-illegal characters."""
    return nh3.clean(
        clean_xml_text(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


# A whole element whose content is code, then any tag, complete or cut off at the end of the text.
_CODE_ELEMENT = re.compile(r"<\s*(script|style)\b[^>]*>.*?(<\s*/\s*\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!?][^<>]*(>|$)")


def sanitise_text(text: str) -> str:
    """A plain-text field (title, author, category) with no markup left in it.

    Exporters escape these for XML, but RSS readers and Hexo themes are known to render titles as HTML:
    tags are dropped (script and style with their content); a lone ``<`` as in "a < b" stays.
    """
    text = clean_xml_text(text)
    previous = None
    while previous != text:  # "<scr<script>ipt>" leaves a tag behind after one pass
        previous = text
        text = _TAG.sub("", _CODE_ELEMENT.sub("", text))
    return " ".join(text.split())
