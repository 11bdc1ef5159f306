"""Pictures of a post: what the bytes are (Pillow decides, never the Content-Type), the name they are
stored under (ab/cd/<sha256>.<ext>, one file per content), and how a post's HTML points at them."""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO

import lxml.html
from lxml import etree
from PIL import Image, UnidentifiedImageError

from crawler.errors import MediaError
from crawler.items import MediaRef

logger = logging.getLogger(__name__)

# Pillow format -> the type name used in settings (image_types) and the file extension.
_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpeg", "jpg"),
    "MPO": ("jpeg", "jpg"),  # a camera JPEG with extra frames; plain JPEG to every reader
    "PNG": ("png", "png"),
    "GIF": ("gif", "gif"),
    "WEBP": ("webp", "webp"),
    "AVIF": ("avif", "avif"),
    "BMP": ("bmp", "bmp"),
    "TIFF": ("tiff", "tif"),
    "ICO": ("ico", "ico"),
}
_MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
                "avif": "image/avif", "bmp": "image/bmp", "tiff": "image/tiff", "ico": "image/vnd.microsoft.icon"}
IMAGE_TYPES = frozenset(_MEDIA_TYPES)
# A picture this small is a web beacon (or a spacer), not content.
PIXEL_MAX_SIDE = 2


@dataclass(frozen=True)
class ImageFacts:
    """What the bytes of one picture are."""

    type: str  # jpeg, png, gif, webp, ...
    media_type: str  # image/jpeg, ...
    extension: str
    width: int
    height: int

    @property
    def is_pixel(self) -> bool:
        return self.width <= PIXEL_MAX_SIDE and self.height <= PIXEL_MAX_SIDE


def inspect_image(body: bytes) -> ImageFacts:
    """Identify a picture from its bytes; raises MediaError("not_image" | "too_large") otherwise."""
    fmt = ""  # Image.open itself can fail, before any format is known
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; a pixel bomb is refused either way.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(body)) as image:
                fmt = image.format or ""
                width, height = image.size
                image.verify()  # structure and checksums (PNG CRCs), without decoding every pixel
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError("too_large", f"too many pixels: {exc}") from None
    except UnidentifiedImageError:
        raise MediaError("not_image", f"not a picture ({_sniff(body)})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow reports broken files these ways
        raise MediaError("not_image", f"broken {fmt or 'image'}: {exc}") from None
    except Exception as exc:  # a plugin's own bug on hostile bytes (struct.error, IndexError …): still not a picture
        raise MediaError("not_image", f"unreadable {fmt or 'image'}: {type(exc).__name__}: {exc}") from None
    if fmt not in _FORMATS:
        raise MediaError("type_not_allowed", f"unsupported picture format {fmt or 'unknown'}")
    kind, extension = _FORMATS[fmt]
    return ImageFacts(kind, _MEDIA_TYPES[kind], extension, width, height)


def _sniff(body: bytes) -> str:
    head = body[:64].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "HTML"
    if head.startswith((b"<?xml", b"<svg")):
        return "XML or SVG"
    return f"{len(body)} bytes starting {body[:8].hex()}"


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def media_path(sha256: str, extension: str) -> str:
    """Where a picture lives under the media root: ab/cd/<sha256>.<ext> (a name `verify` can check)."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def media_url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path


def rewrite_images(html: str, archived: Mapping[str, MediaRef], drop: set[str], base_url: str) -> str:
    """Point every archived <img> at its copy (the original URL kept in data-original-src, width,
    height and alt from the bytes); remove beacons in ``drop``; leave the rest at their original URL
    with referrerpolicy="no-referrer", which is what gets past most hotlink checks in a browser."""
    if "<img" not in html:
        return html
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html
    for img in list(root.iter("img")):
        src = (img.get("src") or "").strip()
        if src in drop:
            img.drop_tree()
            continue
        if not src.startswith(("http://", "https://")):
            continue
        alt, title = img.get("alt") or "", img.get("title")
        ref = archived.get(src)
        img.attrib.clear()
        if ref is not None:
            img.set("src", media_url(base_url, ref["path"]))
            img.set("data-original-src", src)
            img.set("width", str(ref["width"]))
            img.set("height", str(ref["height"]))
        else:
            img.set("src", src)
            img.set("referrerpolicy", "no-referrer")
        img.set("alt", alt)
        if title:
            img.set("title", title)
        img.set("loading", "lazy")
    return (root.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in root)


def image_urls(html: str) -> list[str]:
    """The http(s) pictures of a post body, in order, each once."""
    if "<img" not in html:
        return []
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    urls = ((img.get("src") or "").strip() for img in root.iter("img"))
    return list(dict.fromkeys(u for u in urls if u.startswith(("http://", "https://"))))
