"""The hash cache never hands out a stale digest, and bytes are
never stored under a digest that was not computed from them."""

from __future__ import annotations

import hashlib
import os
import sqlite3

import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.storage import hashcache
from aws_sagemaker_remote.storage.staging import upload_trees
from aws_sagemaker_remote.storage.trees import scan_tree, tree_uri

from .conftest import BUCKET, objects, write

ROOT = f"s3://{BUCKET}/stage"


def rewrite_keeping_size_and_mtime(path, data: bytes) -> None:
    """What `cp -p`, `rsync -a`, tar or `touch -d` do: new bytes, old size and mtime."""
    st = os.stat(path)
    assert len(data) == st.st_size
    with open(path, "r+b") as f:
        f.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == st.st_mtime_ns


def test_a_file_rewritten_in_place_with_its_old_size_and_mtime_is_hashed_again(tmp_path):
    path = write(tmp_path / "data" / "a.bin", b"old bytes")
    first = scan_tree(tmp_path / "data")
    rewrite_keeping_size_and_mtime(path, b"new bytes")
    second = scan_tree(tmp_path / "data")
    assert second.entries[0].sha256 == hashlib.sha256(b"new bytes").hexdigest()
    assert second.digest != first.digest


def test_bytes_changed_after_the_scan_are_refused_not_stored_under_the_old_digest(bucket, tmp_path):
    path = write(tmp_path / "data" / "a.bin", b"A" * 5000)
    tree = scan_tree(tmp_path / "data")
    rewrite_keeping_size_and_mtime(path, b"B" * 5000)
    with pytest.raises(UserError, match="changed or vanished while staging"):
        upload_trees([tree], ROOT, progress=False)
    prefix = tree_uri(ROOT, tree).split("/", 3)[3]
    assert objects(bucket, prefix) == {}  # nothing stored under the digest of b"A" * 5000


def test_a_large_file_changed_during_a_multipart_upload_is_refused_and_aborted(bucket, tmp_path):
    from aws_sagemaker_remote.storage.transfer import TransferConfig

    size = 12 * 1024 * 1024
    path = write(tmp_path / "data" / "big.bin", b"A" * size)
    tree = scan_tree(tmp_path / "data")
    rewrite_keeping_size_and_mtime(path, b"A" * (size - 1) + b"B")  # only the last byte
    config = TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunk_size=5 * 1024 * 1024
    )
    with pytest.raises(UserError, match="changed or vanished while staging"):
        upload_trees([tree], ROOT, progress=False, config=config)
    assert objects(bucket, "stage/trees/") == {}
    assert bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def corrupt_pages(path) -> None:
    """Keep SQLite's header page, overwrite the rest: it opens, then fails on reading."""
    size = os.path.getsize(path)
    assert size > 4096
    with open(path, "r+b") as f:
        f.seek(4096)
        f.write(b"\xff" * (size - 4096))


def test_a_corrupt_hash_cache_is_rebuilt_once_with_a_note(tmp_path, private_state):
    for i in range(50):
        write(tmp_path / "data" / f"{i}.txt", os.urandom(100))
    scan_tree(tmp_path / "data")
    hashcache.take_notes()
    corrupt_pages(private_state / hashcache.CACHE_FILE)

    scan_tree(tmp_path / "data")  # finds the damage: rebuilds and says so
    notes = hashcache.take_notes()
    assert len(notes) == 1 and "rebuilt" in notes[0] and hashcache.CACHE_FILE in notes[0]
    sqlite3.connect(private_state / hashcache.CACHE_FILE).execute(
        "SELECT count(*) FROM file_hash"
    ).fetchone()

    before = hashcache.stats()
    scan_tree(tmp_path / "data")  # the rebuilt cache serves: nothing read again, no note
    assert hashcache.stats().files_hashed == before.files_hashed
    assert hashcache.take_notes() == []


def test_a_file_hashed_after_a_larger_one_on_the_same_thread_is_its_own_digest(tmp_path):
    """Each thread reuses one read buffer: a small file after a large one must not be
    hashed with what the large one left in it."""
    large, small, empty = tmp_path / "large", tmp_path / "small", tmp_path / "empty"
    large.write_bytes(os.urandom(hashcache.READ_CHUNK * 2 + 12345))
    small.write_bytes(b"short")
    empty.write_bytes(b"")
    for path in (large, small, empty, large):
        assert hashcache.sha256_file(str(path)) == hashlib.sha256(path.read_bytes()).hexdigest()
