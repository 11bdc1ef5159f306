"""The image CDN's pictures: small PNGs built in memory, so no binary files live in the repo.

Pictures of the same story re-hosted by an aggregator get the same spec, hence identical bytes
under different URLs, as a real re-upload would (content-addressed media should store them once).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from functools import cache


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
    # ZAKER's lazy-loading placeholder (the src= of every lazy <img>): not a story picture.
    "/static/zaker/loading.png": ImageSpec(16, 16, (220, 220, 220)),
}
