"""WACZ 1.1.1 packages: one crawl's WARCs, their CDXJ index and the pages it archived, in one ZIP that
ReplayWeb.page opens as is (https://specs.webrecorder.net/wacz/1.1.1/)."""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crawler.cdxj import read_cdxj

WACZ_VERSION = "1.1.1"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class WaczPage:
    """One entry of pages/pages.jsonl: a post's page as archived."""

    url: str
    ts: str  # the capture's WARC-Date (ISO 8601, UTC)
    title: str


def _entry(path: str, date: datetime, *, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date.timetuple()[:6])
    # WARCs must stay STORED so a reader can seek into them; small text files may be deflated.
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    return info


def _resource(path: str, data_hash: str, size: int) -> dict[str, object]:
    # Frictionless names are lower-case letters, digits and -._/ only.
    name = re.sub(r"[^-a-z0-9._/]", "-", os.path.basename(path).lower())
    return {"name": name, "path": path, "hash": f"sha256:{data_hash}", "bytes": size}


def _sorted_lines(cdxj: Path, scratch: Path) -> Path:
    """One WARC's index lines as the package writes them, sorted, in a scratch file."""
    lines = sorted(f"{line.urlkey} {line.timestamp} {json.dumps(line.fields, ensure_ascii=False)}\n"
                   for line in read_cdxj(cdxj))
    sorted_path = scratch / f"{len(list(scratch.iterdir()))}.cdx"
    sorted_path.write_text("".join(lines), encoding="utf-8")
    return sorted_path


def _write_index(wacz: zipfile.ZipFile, entry: zipfile.ZipInfo, cdxj_files: list[Path],
                 scratch: Path) -> dict[str, object]:
    """indexes/index.cdx: every line of every WARC's index in one sorted order, merged from per-WARC
    sorted runs and streamed into the package, so memory holds one WARC's index, not the crawl's."""
    runs = [_sorted_lines(path, scratch) for path in cdxj_files]
    digest, size = hashlib.sha256(), 0
    with contextlib.ExitStack() as stack, wacz.open(entry, "w", force_zip64=True) as dst:
        readers = [stack.enter_context(open(run, encoding="utf-8", newline="")) for run in runs]
        # Equal lines are equal bytes, so the merge writes exactly what sorting all lines at once would.
        for line in heapq.merge(*readers):
            data = line.encode("utf-8")
            digest.update(data)
            size += len(data)
            dst.write(data)
    return _resource(entry.filename, digest.hexdigest(), size)


def write_wacz(target: Path, warcs: list[Path], cdxj_files: list[Path], pages: list[WaczPage], *,
               title: str, software: str, description: str = "") -> Path:
    """Package ``warcs`` (with their indexes) and ``pages`` into ``target``; written aside, then renamed."""
    now = datetime.now(UTC)
    page_lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}) + "\n"]
    seen: set[tuple[str, str]] = set()
    for page in pages:
        if (page.url, page.ts) in seen:
            continue
        seen.add((page.url, page.ts))
        page_id = hashlib.sha1(f"{page.ts} {page.url}".encode()).hexdigest()[:20]
        page_lines.append(json.dumps({"id": page_id, "url": page.url, "ts": page.ts, "title": page.title},
                                     ensure_ascii=False) + "\n")
    resources: list[dict[str, object]] = []
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with tempfile.TemporaryDirectory(prefix=".cdx-", dir=target.parent) as scratch, \
                zipfile.ZipFile(tmp, "w", allowZip64=True) as wacz:
            for warc in warcs:
                path = f"archive/{warc.name}"
                digest, size = hashlib.sha256(), 0
                with open(warc, "rb") as src, wacz.open(_entry(path, now, compress=False), "w",
                                                       force_zip64=True) as dst:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        dst.write(chunk)
                resources.append(_resource(path, digest.hexdigest(), size))
            resources.append(_write_index(wacz, _entry("indexes/index.cdx", now, compress=True), cdxj_files,
                                          Path(scratch)))
            data = "".join(page_lines).encode("utf-8")
            wacz.writestr(_entry("pages/pages.jsonl", now, compress=True), data)
            resources.append(_resource("pages/pages.jsonl", hashlib.sha256(data).hexdigest(), len(data)))
            package: dict[str, object] = {
                "profile": "data-package",
                "resources": resources,
                "title": title,
                "created": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "wacz_version": WACZ_VERSION,
                "software": software,
            }
            if description:
                package["description"] = description
            package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
            wacz.writestr(_entry("datapackage.json", now, compress=True), package_bytes)
            digest_doc = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
            wacz.writestr(_entry("datapackage-digest.json", now, compress=True),
                          json.dumps(digest_doc, indent=2).encode("utf-8"))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
