"""The digest index, conditional-request validators and archive file registry, on SQLite and on the
real PostgreSQL (a database of its own per test run)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from crawler.index import SqlIndexStore, Validators
from crawler.index.writer import IndexWriter
from crawler.items import PayloadRecord


def payload(digest: str, offset: int) -> PayloadRecord:
    return PayloadRecord(digest=digest, url=f"http://127.0.0.1:9/{digest}", captured_at="2026-11-28T00:00:00.000001Z",
                         record_id=f"<urn:uuid:{uuid.uuid4()}>", warc_file="a.warc.gz", offset=offset, length=900)


def test_a_payload_is_indexed_once(store: SqlIndexStore) -> None:
    first = payload("sha1:AAAA", 5_000_000_000)  # offsets past 2 GiB: the columns are 64-bit
    assert store.payload_record(first.digest) is None
    assert store.add_payload_record(first)
    assert not store.add_payload_record(payload("sha1:AAAA", 7))  # another writer got there first
    assert store.payload_record("sha1:AAAA") == first
    assert store.payload_records() == [first]


def test_validators_are_kept_per_url_and_updated(store: SqlIndexStore) -> None:
    url = "http://127.0.0.1:9/feed.xml?" + "x" * 5000  # longer than a PostgreSQL btree entry may be
    assert store.validators(url) is None
    store.set_validators(Validators(url=url, etag='"a"', last_modified=None, digest="sha1:A"))
    store.set_validators(Validators(url=url, etag='"b"', last_modified="Sun, 22 Nov 2026 12:00:00 GMT",
                                    digest="sha1:B"))
    assert store.validators(url) == Validators(url=url, etag='"b"', last_modified="Sun, 22 Nov 2026 12:00:00 GMT",
                                               digest="sha1:B")


def test_archive_files_stay_pending_until_uploaded(store: SqlIndexStore) -> None:
    store.add_archive_file("warc", "a.warc.gz", 10, "0" * 64)
    store.add_archive_file("cdxj", "a.cdxj", 5, "1" * 64)
    store.mark_upload_failed("a.warc.gz", "NoSuchBucket")
    pending = store.archived_files(pending=True)
    assert [(f.name, f.last_error) for f in pending] == [("a.warc.gz", "NoSuchBucket"), ("a.cdxj", None)]
    store.mark_uploaded("a.warc.gz", "s3://b/warc/a.warc.gz", deleted_locally=True)
    assert [f.name for f in store.archived_files(pending=True)] == ["a.cdxj"]
    (done,) = [f for f in store.archived_files() if f.name == "a.warc.gz"]
    assert done.uploaded_to == "s3://b/warc/a.warc.gz" and done.deleted_locally and done.last_error is None


# -- the writer thread: batches, answers from memory, writes everything before it closes -------------


class InlineReactor:
    """Delivers the writer's results on its own thread; the tests need no running reactor."""

    def callFromThread(self, fn: Callable[..., object], *args: object, **kwargs: object) -> None:
        fn(*args, **kwargs)

    def addSystemEventTrigger(self, *args: object) -> None:
        pass


def test_the_writer_answers_for_queued_digests_and_writes_them_in_one_batch(store: SqlIndexStore) -> None:
    writer = IndexWriter(store, reactor=InlineReactor())
    gate = threading.Event()
    writer.submit(gate.wait)  # the thread is busy: what follows stays queued
    first, other = payload("sha1:AAAA", 1), payload("sha1:BBBB", 2)
    writer.add_payload_record(first)
    writer.add_payload_record(payload("sha1:AAAA", 3))  # the same payload again: the first record stays
    writer.add_payload_record(other)
    assert store.payload_record("sha1:AAAA") is None  # not in the database yet ...
    assert writer.payload_record("sha1:AAAA") == first  # ... but a revisit of it all the same
    gate.set()
    writer.close()  # writes what is queued before it returns
    assert store.payload_records() == [first, other]
    assert writer.batches == 1
    assert writer.payload_record("sha1:AAAA") == first  # now from the database


def test_a_digest_another_writer_indexed_first_keeps_its_row(store: SqlIndexStore) -> None:
    winner = payload("sha1:CCCC", 1)
    writer = IndexWriter(store, reactor=InlineReactor())
    store.add_payload_record(winner)  # another crawler process
    writer.add_payload_record(payload("sha1:CCCC", 2))
    writer.close()
    assert store.payload_records() == [winner]
