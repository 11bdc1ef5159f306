"""Write published files atomically: a reader never sees half a feed."""

from __future__ import annotations

from pathlib import Path

from crawler.files import replace_atomically


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` via a temporary file and rename; returns False when nothing changed.

    An unchanged file is left alone so its mtime (and so Last-Modified / 304 answers) stays put.
    """
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    replace_atomically(path, data)
    return True
