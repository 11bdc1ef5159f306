"""CDXJ indexes, WACZ packages and `feedarchiver verify` on the session crawl's data directory."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from crawler.archive.cdxj import read_cdxj
from crawler.archive.warc import iter_records
from tests.conftest import Crawl, bare, replay_tool, run_cli

pytestmark = pytest.mark.crawl


def test_every_warc_has_a_cdxj_that_points_at_its_records(crawl: Crawl) -> None:
    assert crawl.warcs(), "the crawl wrote no WARC"
    for warc in crawl.warcs():
        cdxj = crawl.data / "indexes" / warc.name.replace(".warc.gz", ".cdxj")
        lines = read_cdxj(cdxj)
        assert [(line.urlkey, line.timestamp) for line in lines] == sorted((line.urlkey, line.timestamp)
                                                                            for line in lines)
        with open(warc, "rb") as fh:
            captures = {offset: record for offset, _length, record in iter_records(fh)
                        if record.rec_type in ("response", "revisit", "resource")}
        assert {line.offset for line in lines} == set(captures), "one line per response, revisit and resource"
        for line in lines:
            record = captures[line.offset]
            assert line.filename == warc.name and line.url == record.url
            assert line.fields["digest"] == record.headers.get_header("WARC-Payload-Digest")
            if record.rec_type == "revisit":
                assert line.fields["mime"] == "warc/revisit"


def _waczs(crawl: Crawl) -> list[Path]:
    """One package per crawler of the crawl (one per spider kind)."""
    packages = sorted((crawl.data / "wacz").glob("*.wacz"))
    assert packages
    return packages


def test_wacz_validates(crawl: Crawl) -> None:
    assert _waczs(crawl), "the crawl packaged no WACZ"
    for wacz in _waczs(crawl):
        result = subprocess.run([replay_tool("wacz"), "validate", "-f", str(wacz)], capture_output=True,
                                text=True, timeout=120, check=False)
        assert result.returncode == 0 and "Validation succeeded" in result.stdout, result.stdout + result.stderr


def test_wacz_holds_the_crawl_and_lists_the_posts_pages(crawl: Crawl) -> None:
    packaged: set[str] = set()
    listed: set[str] = set()
    for path in _waczs(crawl):
        with zipfile.ZipFile(path) as wacz:
            names = set(wacz.namelist())
            warcs = {name for name in names if name.startswith("archive/")}
            assert names - warcs == {"indexes/index.cdx", "pages/pages.jsonl", "datapackage.json",
                                     "datapackage-digest.json"}
            for name in warcs:
                assert wacz.getinfo(name).compress_type == zipfile.ZIP_STORED  # seekable in place
                assert wacz.read(name) == (crawl.data / "warc" / name.removeprefix("archive/")).read_bytes()
            package = json.loads(wacz.read("datapackage.json"))
            assert package["wacz_version"] == "1.1.1" and package["profile"] == "data-package"
            for resource in package["resources"]:
                assert resource["hash"] == "sha256:" + hashlib.sha256(wacz.read(resource["path"])).hexdigest()
            digest = json.loads(wacz.read("datapackage-digest.json"))
            assert digest["hash"] == "sha256:" + hashlib.sha256(wacz.read("datapackage.json")).hexdigest()
            header, *pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()]
            index = wacz.read("indexes/index.cdx").decode().splitlines()
        assert header["format"] == "json-pages-1.0"
        indexed = {json.loads(line.split(" ", 2)[2])["url"] for line in index}
        assert {page["url"] for page in pages} <= indexed, "every listed page can be replayed from its package"
        packaged |= {name.removeprefix("archive/") for name in warcs}
        listed |= {page["url"] for page in pages}
    assert packaged == {p.name for p in crawl.warcs()}
    assert listed <= {ref["url"] for post in crawl.posts() for ref in post.captures}
    # Every URL a post was seen at is listed (as captured: aggregators' listing queries included); a post
    # built from a feed entry (FEED#ENTRY) was seen in its feed document.
    assert {bare(u.url.split("#", 1)[0]) for post in crawl.posts() for u in post.urls} <= {bare(url) for url in listed}


def test_verify_passes_on_a_clean_crawl(crawl: Crawl) -> None:
    result = run_cli("verify", "--data", str(crawl.data), "--config", str(crawl.config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: no problems found" in result.stdout
    assert "Revisits:" in result.stdout and f"CDXJ: {len(crawl.warcs())} files" in result.stdout


@pytest.fixture
def damaged(crawl: Crawl, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(crawl.data, data)
    return data


def test_verify_reports_a_payload_that_no_longer_matches_its_digest(crawl: Crawl, damaged: Path) -> None:
    warc = sorted((damaged / "warc").glob("*.warc.gz"))[0]
    with open(warc, "rb") as fh:
        offset, length, record = [(o, n, r) for o, n, r in iter_records(fh) if r.rec_type == "response"][-1]
    data = warc.read_bytes()
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    plain = decompressor.decompress(data[offset:offset + length])
    assert decompressor.eof
    flipped = plain[:-8] + bytes([plain[-8] ^ 0x01]) + plain[-7:]  # one bit of the payload's end
    warc.write_bytes(data[:offset] + gzip.compress(flipped) + data[offset + length:])
    result = run_cli("verify", "--data", str(damaged), "--config", str(crawl.config))
    assert result.returncode == 1, result.stdout
    assert f"{warc.name} at {offset}: response {record.url}: " in result.stdout
    assert "payload digest failed" in result.stdout and "block digest failed" in result.stdout


def test_verify_reports_missing_warcs_stale_references_and_bad_media(crawl: Crawl, damaged: Path) -> None:
    capture = crawl.posts()[0].captures[0]
    warc = damaged / "warc" / capture["warc_file"]
    warc.unlink()
    media = damaged / "media" / "zz"
    media.mkdir(parents=True)
    good = b"a picture"
    (media / f"{hashlib.sha256(good).hexdigest()}.png").write_bytes(good)
    (media / f"{hashlib.sha256(b'other').hexdigest()}.png").write_bytes(b"not what the name says")
    result = run_cli("verify", "--data", str(damaged), "--config", str(crawl.config))
    assert result.returncode == 1
    out = result.stdout
    assert f"capture of {capture['url']} points at {warc.name}" in out
    assert f"archive file {warc.name} is registered but neither on disk nor uploaded" in out
    assert "does not hash to its name" in out and out.count("does not hash to its name") == 1
    media_dir = crawl.data / "media"
    archived = len([p for p in media_dir.rglob("*") if p.is_file()]) if media_dir.exists() else 0
    assert f"Media: {archived + 2} files ({archived + 2} named by their SHA-256)" in out


def test_verify_on_a_missing_directory_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("verify", "--data", str(tmp_path / "absent"))
    assert result.returncode == 2 and result.stderr.strip().startswith("feedarchiver: no data directory")


def test_the_package_index_merges_every_warc_index_in_one_sorted_order(crawl: Crawl, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """indexes/index.cdx is merged from sorted runs and streamed: the same bytes as sorting every line."""
    from crawler.archive.cdxj import read_cdxj
    from crawler.archive.wacz import write_wacz

    monkeypatch.setattr("crawler.archive.wacz.RUN_BYTES", 2000)  # many small runs per WARC index

    cdxj_files = sorted((crawl.data / "indexes").glob("*.cdxj"))
    # The crawl's indexes, plus each split in two with its halves swapped: runs that interleave.
    runs = []
    for n, path in enumerate(cdxj_files):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for half, part in enumerate((lines[len(lines) // 2:], lines[:len(lines) // 2])):
            run = tmp_path / f"{n}-{half}.cdxj"
            run.write_text("".join(part), encoding="utf-8")
            runs.append(run)
    target = write_wacz(tmp_path / "out" / "merged.wacz", [], runs, [], title="t", software="s")
    expected = sorted(f"{line.urlkey} {line.timestamp} {json.dumps(line.fields, ensure_ascii=False)}\n"
                      for path in cdxj_files for line in read_cdxj(path))
    with zipfile.ZipFile(target) as wacz:
        index = wacz.read("indexes/index.cdx").decode("utf-8")
        resource = next(r for r in json.loads(wacz.read("datapackage.json"))["resources"]
                        if r["path"] == "indexes/index.cdx")
    assert expected and index == "".join(expected)
    assert resource["bytes"] == len(index.encode("utf-8"))
    assert resource["hash"] == "sha256:" + hashlib.sha256(index.encode("utf-8")).hexdigest()
    assert not list((tmp_path / "out").glob(".cdx-*")), "scratch runs are removed"
