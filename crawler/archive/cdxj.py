"""CDXJ indexes (one per WARC, in DATA/indexes) written by cdxj-indexer, the reference implementation
that pywb, py-wacz and browsertrix-crawler share, so replay tools read them as their own."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.storage.files import written_aside


@dataclass(frozen=True)
class CdxjLine:
    urlkey: str
    timestamp: str
    fields: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.fields.get("url", ""))

    @property
    def filename(self) -> str:
        return str(self.fields.get("filename", ""))

    @property
    def offset(self) -> int:
        return int(self.fields.get("offset", -1))

    @property
    def length(self) -> int:
        return int(self.fields.get("length", -1))


def cdxj_name(warc_name: str) -> str:
    return warc_name.removesuffix(".gz").removesuffix(".warc") + ".cdxj"


# cdxj-indexer copies every record's decoded payload into a temporary file (bufferiter's
# buffer_record_content, for post_append), though only request bodies are read from it (a POST's query):
# a stored gzip bomb of 10 GiB was inflated to disk. Responses are left unbuffered (checked against
# cdxj-indexer 1.4: tests/test_archive_files.py indexes every demo WARC through this).
_INDEX = """
import sys, tempfile
from cdxj_indexer import bufferiter
from cdxj_indexer.main import write_cdx_index

whole = bufferiter.buffer_record_content

def requests_only(record):
    if record.rec_type == "request":
        whole(record)
    else:
        record.buffered_stream = tempfile.SpooledTemporaryFile(0)

bufferiter.buffer_record_content = requests_only
write_cdx_index(sys.argv[1], [sys.argv[2]], {"sort": True, "post_append": True})
"""


def write_cdxj(warc: Path, directory: Path) -> Path:
    """Index one WARC into ``directory/NAME.cdxj`` (sorted; POST bodies appended to the key, as pywb does)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / cdxj_name(warc.name)
    with written_aside(target) as tmp:
        # In a child process: indexing a WARC of a gigabyte decompresses all of it and sorts ~100,000
        # lines (cdxj-indexer holds up to 32 MB of them at once), CPU and memory a crawler should not carry.
        result = subprocess.run([sys.executable, "-c", _INDEX, str(tmp), str(warc)], capture_output=True,
                                text=True, check=False)
        if result.returncode:
            raise OSError(f"cdxj-indexer failed on {warc.name}: {result.stderr.strip()[-2000:]}")
    return target


def parse_cdxj(lines: Iterable[str]) -> Iterator[CdxjLine]:
    for line in lines:
        line = line.strip()
        if not line or line.startswith("!"):
            continue
        urlkey, timestamp, fields = line.split(" ", 2)
        yield CdxjLine(urlkey, timestamp, json.loads(fields))


def read_cdxj(path: Path) -> list[CdxjLine]:
    with open(path, encoding="utf-8") as fh:
        return list(parse_cdxj(fh))
