"""The on-disk buckets behind serve's S3 face: layout, containment, records checked."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from aws_sagemaker_remote.storage.localbuckets import (
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    InvalidBucketName,
    InvalidKey,
    LocalBuckets,
    NoSuchBucket,
    ObjectMeta,
)
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, PARTIAL_PREFIX


def put(buckets: LocalBuckets, bucket: str, key: str, data: bytes, **meta) -> ObjectMeta:
    temp = buckets.temp_file(bucket)
    temp.write_bytes(data)
    return buckets.commit(bucket, key, temp, ObjectMeta(etag=hashlib.md5(data).hexdigest(), **meta))


def test_create_list_and_delete_buckets(tmp_path):
    buckets = LocalBuckets(tmp_path)
    assert buckets.names() == [LOCAL_STORE_BUCKET]
    buckets.create("alpha")
    buckets.create("beta.data")
    assert buckets.names() == sorted(["alpha", "beta.data", LOCAL_STORE_BUCKET])
    assert buckets.exists("alpha") and not buckets.exists("gamma")
    assert buckets.created("alpha") > 0
    with pytest.raises(BucketAlreadyOwnedByYou):
        buckets.create("alpha")
    put(buckets, "alpha", "k", b"x")
    with pytest.raises(BucketNotEmpty):
        buckets.delete("alpha")
    buckets.delete_object("alpha", "k")
    buckets.delete("alpha")
    assert not buckets.exists("alpha")
    with pytest.raises(NoSuchBucket):
        buckets.delete("alpha")


@pytest.mark.parametrize(
    "name", ["ab", "A-bucket", "-abc", "abc-", "a..b", "192.168.1.1", "x" * 64]
)
def test_invalid_bucket_names_are_refused(tmp_path, name):
    with pytest.raises(InvalidBucketName):
        LocalBuckets(tmp_path).create(name)
    assert not LocalBuckets(tmp_path).exists(name)


def test_the_local_store_is_a_bucket_whose_files_are_its_objects(tmp_path):
    buckets = LocalBuckets(tmp_path)
    store = buckets.store(LOCAL_STORE_BUCKET)
    store.root.mkdir(parents=True)
    (store.root / "staged.txt").write_bytes(b"staged")
    found = buckets.find(LOCAL_STORE_BUCKET, "staged.txt")
    assert found is not None and found.meta.etag == hashlib.md5(b"staged").hexdigest()
    assert buckets.keys(LOCAL_STORE_BUCKET) == [("staged.txt", 6)]


def test_default_root_keeps_the_local_store_where_local_runs_stage(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    buckets = LocalBuckets()
    assert buckets.root == tmp_path / "state" / "buckets"
    assert buckets.bucket_dir(LOCAL_STORE_BUCKET) == tmp_path / "state" / "store"
    named = LocalBuckets(buckets.root)  # the default root, named: the same buckets
    assert named.bucket_dir(LOCAL_STORE_BUCKET) == tmp_path / "state" / "store"


def test_objects_are_plain_files_and_records_live_apart(tmp_path):
    buckets = LocalBuckets(tmp_path)
    buckets.create("data")
    meta = put(buckets, "data", "a/b.txt", b"hello", content_type="text/plain", user={"k": "v"})
    assert (tmp_path / "data" / "a" / "b.txt").read_bytes() == b"hello"
    assert sorted(p.name for p in (tmp_path / "data").rglob("*")) == ["a", "b.txt"]
    found = buckets.find("data", "a/b.txt")
    assert found.meta == meta and found.meta.user == {"k": "v"}
    assert buckets.store("data").list_sync("") == [("a/b.txt", 5)]


def test_a_record_that_does_not_match_its_file_is_recomputed(tmp_path):
    buckets = LocalBuckets(tmp_path)
    buckets.create("data")
    put(buckets, "data", "k", b"one", content_type="text/plain", user={"k": "v"})
    path = tmp_path / "data" / "k"
    path.write_bytes(b"other bytes")  # someone else rewrote the file
    found = buckets.find("data", "k")
    assert found.meta.etag == hashlib.md5(b"other bytes").hexdigest()
    assert found.meta.user == {} and found.meta.content_type == "binary/octet-stream"


def test_a_corrupt_record_is_recomputed(tmp_path):
    buckets = LocalBuckets(tmp_path)
    buckets.create("data")
    put(buckets, "data", "k", b"bytes")
    for record in (tmp_path / ".meta").rglob("*"):
        if record.is_file():
            record.write_text(json.dumps({"etag": "0" * 32, "size": "nonsense"}))
    assert buckets.find("data", "k").meta.etag == hashlib.md5(b"bytes").hexdigest()


@pytest.mark.parametrize(
    "key", ["../escape", "a/../../b", "/abs", "a//b", "a/./b", "folder/", PARTIAL_PREFIX + "x", ""]
)
def test_keys_a_file_cannot_stand_for_are_refused(tmp_path, key):
    buckets = LocalBuckets(tmp_path)
    buckets.create("data")
    with pytest.raises(InvalidKey):
        buckets.object_path("data", key)
    assert not any(p.is_file() for p in tmp_path.parent.glob("escape"))


def test_an_object_and_a_folder_of_the_same_name_are_refused_not_overwritten(tmp_path):
    buckets = LocalBuckets(tmp_path)
    buckets.create("data")
    put(buckets, "data", "a", b"file")
    with pytest.raises(InvalidKey):
        put(buckets, "data", "a/b", b"under")
    put(buckets, "data", "c/d", b"under")
    with pytest.raises(InvalidKey):
        put(buckets, "data", "c", b"file")
    assert (tmp_path / "data" / "a").read_bytes() == b"file"
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.startswith(PARTIAL_PREFIX)]


def test_deleting_prunes_empty_folders_so_the_name_can_become_an_object(tmp_path):
    buckets = LocalBuckets(tmp_path)
    buckets.create("data")
    put(buckets, "data", "x/y/z", b"deep")
    buckets.delete_object("data", "x/y/z")
    assert not (tmp_path / "data" / "x").exists()
    put(buckets, "data", "x", b"now a file")
    assert buckets.find("data", "x").stat.st_size == len(b"now a file")


def test_keys_are_listed_in_s3_order(tmp_path):
    buckets = LocalBuckets(tmp_path)
    buckets.create("data")
    for key in ["a/b", "a-c", "a.d", "b", "é"]:
        put(buckets, "data", key, b"1")
    assert [k for k, _ in buckets.keys("data")] == ["a-c", "a.d", "a/b", "b", "é"]
    assert [k for k, _ in buckets.keys("data", "a/")] == ["a/b"]
    assert [k for k, _ in buckets.keys("data", "a")] == ["a-c", "a.d", "a/b"]
    assert buckets.keys("data", "../") == []


def test_a_file_removed_under_its_record_is_not_found(tmp_path):
    buckets = LocalBuckets(tmp_path)
    buckets.create("data")
    put(buckets, "data", "k", b"v")
    os.unlink(tmp_path / "data" / "k")
    assert buckets.find("data", "k") is None


def test_a_symbolic_link_out_of_a_bucket_is_neither_read_nor_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"not an object")
    buckets = LocalBuckets(tmp_path / "root")
    buckets.create("data")
    (tmp_path / "root" / "data" / "link").symlink_to(outside / "secret")
    (tmp_path / "root" / "data" / "dir").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidKey):
        buckets.find("data", "link")
    with pytest.raises(InvalidKey):
        put(buckets, "data", "dir/new", b"written outside?")
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


def test_a_rewrite_in_place_that_keeps_size_and_mtime_is_still_caught(tmp_path):
    buckets = LocalBuckets(tmp_path)
    buckets.create("data")
    put(buckets, "data", "k", b"aaaa", user={"k": "v"})
    path = tmp_path / "data" / "k"
    before = path.stat()
    with open(path, "r+b") as out:  # same inode, same size
        out.write(b"bbbb")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime
    found = buckets.find("data", "k")
    assert found.meta.etag == hashlib.md5(b"bbbb").hexdigest() and found.meta.user == {}


def test_a_linked_multipart_object_keeps_its_etag_and_metadata(tmp_path):
    buckets = LocalBuckets(tmp_path)
    buckets.create("data")
    parts = [b"a" * 10, b"b" * 10, b"c" * 3]
    etag = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-3"
    temp = buckets.temp_file("data")
    temp.write_bytes(b"".join(parts))
    meta = ObjectMeta(etag=etag, content_type="text/x", part_sizes=[10, 10, 3])
    buckets.commit("data", "k", temp, meta)
    os.link(tmp_path / "data" / "k", tmp_path / "linked")  # as the local engine does: ctime moves
    found = buckets.find("data", "k")
    assert found.meta.etag == etag and found.meta.content_type == "text/x"
    assert found.meta.matches(found.stat)
