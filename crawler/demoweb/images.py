"""The image CDN's pictures: small PNGs built in memory, so no binary files live in the repo.

Pictures of the same story re-hosted by an aggregator get the same spec, hence identical bytes
under different URLs, as a real re-upload would (content-addressed media should store them once).
The CDN is hotlink-protected by Referer, and a few paths are deliberately awkward (``ODD_IMAGES``).
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from dataclasses import dataclass
from functools import cache
from io import BytesIO

from PIL import Image, ImageDraw


@dataclass(frozen=True)
class ImageSpec:
    width: int
    height: int
    rgb: tuple[int, int, int]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def png_bytes(spec: ImageSpec) -> bytes:
    """An 8-bit RGB PNG: the colour with a lighter diagonal band, so pictures are not flat fills."""
    red, green, blue = spec.rgb
    light = bytes((min(255, red + 90), min(255, green + 90), min(255, blue + 90)))
    dark = bytes((red, green, blue))
    rows = []
    for y in range(spec.height):
        pixels = b"".join(light if (x + y) % 32 < 8 else dark for x in range(spec.width))
        rows.append(b"\x00" + pixels)  # filter type 0 (None) for every scanline
    header = struct.pack(">IIBBBBB", spec.width, spec.height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


# One spec per picture; the comment names the story it illustrates.
_DRONE_FIELD = ImageSpec(320, 200, (46, 125, 50))  # same-story
_DRONE_STUDENT = ImageSpec(240, 160, (230, 126, 34))  # same-story
_LIFT = ImageSpec(200, 150, (52, 73, 94))  # gbk-origin
_NIGHT_SCHOOL = ImageSpec(300, 180, (142, 68, 173))  # zaker-cyol
_BATTERY_CELL = ImageSpec(160, 120, (22, 160, 133))  # no-link
_BATTERY_LINE = ImageSpec(128, 96, (39, 174, 96))  # no-link
_EV_CHARGING = ImageSpec(256, 160, (44, 62, 80))  # redirected
_LIFE_CIRCLE = ImageSpec(240, 150, (200, 110, 40))  # qtt-api

# Path on the img host -> picture.
IMAGES: dict[str, ImageSpec] = {
    # Publisher originals.
    "/cyol/2026-11/20/fc1a994e53f4b853.png": _DRONE_FIELD,
    "/cyol/2026-11/20/86bae9bcbdb96fbe.png": _DRONE_STUDENT,
    "/cyol/2026-11/19/b42d0fd1c3ee1a8a.png": _NIGHT_SCHOOL,
    "/cyol/2026-11/21/7a20fb7a0e281ffa.png": ImageSpec(180, 120, (192, 57, 43)),  # cyol-canteen
    "/cyol/2026-11/22/80ede9afd875fb13.png": ImageSpec(280, 180, (211, 160, 60)),  # cyol-volunteer
    "/cyol/2026-11/22/32c41f4e5b5bb6df.png": ImageSpec(96, 64, (120, 90, 60)),  # cyol-volunteer
    "/gbknews/uploadfile/2026/1121/20261121092741386.png": _LIFT,
    "/gbknews/uploadfile/2026/1122/20261122175903127.png": ImageSpec(220, 140, (41, 128, 185)),  # gbk-metro
    "/gbknews/uploadfile/2026/1123/20261123073015422.png": _LIFE_CIRCLE,
    # Qutoutiao re-uploads (static.1sapp.com shape).
    "/qupost/img/2026/11/20/b91b786fa3153ef0b95a7f925c6ed286.png": _DRONE_FIELD,
    "/qupost/img/2026/11/20/a83850eedcfae9ce075514b2c6ea7e58.png": _DRONE_STUDENT,
    "/qupost/img/2026/11/21/eb5fcfb7bfdb9f08f10d27ea1771a9cd.png": _LIFT,
    "/qupost/img/2026/11/21/4c16bfe78efee9cf773a0956bef1edbe.png": _BATTERY_CELL,
    "/qupost/img/2026/11/21/e6885bcfdc3553356c749e5cc4c4cfb2.png": _BATTERY_LINE,
    "/qupost/img/2026/11/22/7d5fecba42d35cf868103378ecff9841.png": _EV_CHARGING,
    "/qupost/img/2026/11/23/0f3b2a7c9e1d4c5b8a6f7e2d1c0b9a88.png": _LIFE_CIRCLE,
    # ZAKER re-uploads (zkres.myzaker.com shape).
    "/202611/3c616863b17578517c782551_1024.png": _DRONE_FIELD,
    "/202611/9cf64a7fcc1e19bb04c01248_1024.png": _DRONE_STUDENT,
    "/202611/0e4eb5199dd31b3a7315b361_1024.png": _NIGHT_SCHOOL,
    "/202611/b13de6fbe661c479eb43bc99_1024.png": ImageSpec(320, 180, (20, 30, 70)),  # zaker-meteor
    "/202611/135d2d6c0f6a6c60a8fe40fe_1024.png": ImageSpec(64, 48, (90, 20, 110)),  # zaker-meteor
    # Its animated version (data-gif-url; the demo draws PNGs only, so a distinct still stands in).
    "/202611/135d2d6c0f6a6c60a8fe40fe_gif.png": ImageSpec(64, 48, (110, 40, 130)),  # zaker-meteor
    # Kuaixun (a portal re-syndicating publishers) re-uploads and its own briefs.
    "/kuaixun/2026/11/20/5b1f0c2a9d7e4e18.png": _DRONE_STUDENT,
    "/kuaixun/2026/11/19/0d6e2b7f41a95c33.png": _NIGHT_SCHOOL,
    "/kuaixun/2026/11/18/9a3c5e1d77b24f60.png": ImageSpec(300, 200, (176, 58, 46)),  # kuaixun-night-school
    "/kuaixun/2026/11/20/e27f90c4b1d35a86.png": ImageSpec(240, 150, (23, 32, 42)),  # kuaixun-battery
    "/kuaixun/2026/11/22/41c8d0a6f3e95b27.png": ImageSpec(200, 120, (189, 195, 199)),  # kuaixun-snow
    "/kuaixun/2026/11/21/7f2b94e0c6d18a53.png": ImageSpec(220, 140, (230, 67, 52)),  # kuaixun-marathon
    # ZAKER's lazy-loading placeholder (the src= of every lazy <img>): not a story picture.
    "/static/zaker/loading.png": ImageSpec(16, 16, (220, 220, 220)),
    # zaker-wechat: the still frame of the GIF, a srcset pair, a <noscript> fallback, a
    # protocol-relative one, and a publisher's picture hotlinked from the aggregator (403).
    "/202611/7b3e0c9d41a25f8e6c1d0b94_1024.png": ImageSpec(160, 90, (233, 150, 122)),
    "/202611/2c4e6a8b0d1f3a5c7e9b1d3f_320.png": ImageSpec(160, 100, (95, 158, 160)),
    "/202611/2c4e6a8b0d1f3a5c7e9b1d3f_1024.png": ImageSpec(320, 200, (95, 158, 160)),
    "/202611/9a8b7c6d5e4f3a2b1c0d9e8f_1024.png": ImageSpec(260, 160, (188, 143, 143)),
    "/202611/4f5e6d7c8b9a0f1e2d3c4b5a_1024.png": ImageSpec(220, 140, (107, 142, 35)),
    "/cyol/2026-11/21/0d9c8b7a6f5e4d3c.png": ImageSpec(180, 110, (210, 105, 30)),
}

# ZAKER's own static pictures, referenced by relative URLs from its pages (host, path) -> picture.
SITE_IMAGES: dict[tuple[str, str], ImageSpec] = {
    ("zaker", "/static/pic/202611/5d0e9a4c2b7f.png"): ImageSpec(200, 120, (70, 130, 180)),  # zaker-wechat
}

# Hotlink protection: which site's pages may show the pictures under a path prefix. A request with
# no Referer, or one from the owner (or the CDN itself), gets the picture; any other Referer a 403.
HOTLINK_OWNERS: dict[str, str] = {
    "/qupost/": "qutoutiao",
    "/202611/": "zaker",
    "/static/zaker/": "zaker",
    "/cyol/": "cyol",
    "/gbknews/": "gbknews",
}


def hotlink_owner(path: str) -> str | None:
    return next((owner for prefix, owner in HOTLINK_OWNERS.items() if path.startswith(prefix)), None)


@cache
def gif_bytes(spec: ImageSpec, frames: int = 4) -> bytes:
    """An animated GIF: the colour with a band that moves from frame to frame."""
    pictures = []
    for frame in range(frames):
        image = Image.new("RGB", (spec.width, spec.height), spec.rgb)
        draw = ImageDraw.Draw(image)
        left = frame * spec.width // frames
        draw.rectangle((left, 0, left + spec.width // frames - 1, spec.height - 1), fill=(255, 255, 255))
        pictures.append(image)
    out = BytesIO()
    pictures[0].save(out, format="GIF", save_all=True, append_images=pictures[1:], duration=200, loop=0)
    return out.getvalue()


@cache
def beacon_gif() -> bytes:
    """A 1×1 transparent GIF, the classic web beacon."""
    out = BytesIO()
    Image.new("P", (1, 1), 0).save(out, format="GIF", transparency=0)
    return out.getvalue()


@cache
def noise_png(width: int, height: int) -> bytes:
    """Random pixels (seeded, so every run serves the same bytes): a PNG that does not compress."""
    rng = random.Random(width * 7919 + height)
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 1))
            + _chunk(b"IEND", b""))


@cache
def wechat_placeholder() -> bytes:
    """The stock picture a WeChat-like CDN sends to foreign Referers instead of the real one
    ("此图片来自微信公众平台 未经允许不可引用"): grey, with a crossed-out frame."""
    image = Image.new("RGB", (300, 160), (236, 236, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((110, 40, 190, 100), outline=(160, 160, 160), width=4)
    draw.line((110, 40, 190, 100), fill=(200, 60, 60), width=4)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def wechat_placeholder_sha256() -> str:
    return hashlib.sha256(wechat_placeholder()).hexdigest()


# The WeChat-like host (mmbiz): answers every Referer but none with the stock picture.
WECHAT_IMAGES: dict[str, ImageSpec] = {
    "/mmbiz_png/Qx3kT9bWvLmZ2aEoPcR7yN1uJd/640": ImageSpec(240, 150, (176, 196, 222)),  # zaker-wechat
}


@dataclass(frozen=True)
class OddImage:
    """A path on the img host that does not simply answer with a picture."""

    content_type: str
    kind: str  # gif, beacon, huge, html


# Path on the img host -> how it answers. Referenced by the zaker-wechat story.
ODD_IMAGES: dict[str, OddImage] = {
    "/202611/7b3e0c9d41a25f8e6c1d0b94.gif": OddImage("image/gif", "gif"),  # the animated original
    "/log/v.gif": OddImage("image/gif", "beacon"),  # a tracking pixel with no size in its <img>
    "/stat/pixel.gif": OddImage("image/gif", "beacon"),  # one declared width=1 height=1
    "/202611/f19a7c3e5b0d2468ace13579_raw.png": OddImage("image/png", "huge"),  # over the demo's byte limit
    "/202611/8e2d4f6a0c1b3e5d7f9a1c2e_1024.jpg": OddImage("image/jpeg", "html"),  # an error page as a JPEG
}
_GIF_SPEC = ImageSpec(160, 90, (233, 150, 122))
HUGE_SIDE = 640  # noise_png(640, 640) is about 1.2 MB


def odd_image_body(path: str) -> bytes:
    kind = ODD_IMAGES[path].kind
    if kind == "gif":
        return gif_bytes(_GIF_SPEC)
    if kind == "beacon":
        return beacon_gif()
    if kind == "huge":
        return noise_png(HUGE_SIDE, HUGE_SIDE)
    return "<!DOCTYPE html><title>出错了</title><p>图片不存在或已删除</p>\n".encode()
