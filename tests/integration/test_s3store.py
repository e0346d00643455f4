"""S3 as an object store, against moto server over HTTP: bytes in and out whole, listings
that see every key (even ones obstore cannot parse), copies, deletes, large files in
parts and ranges, and S3's refusals turned into our errors."""

from __future__ import annotations

import asyncio
import hashlib
import os

import boto3
import pytest

from aws_sagemaker_remote.storage.s3clients import NoSuchBucket
from aws_sagemaker_remote.storage.s3store import S3Store, calls_running
from aws_sagemaker_remote.storage.store import ContentChanged
from aws_sagemaker_remote.storage.transfer import TransferConfig

MiB = 1024 * 1024
BUCKET = "s3store-tests"
SMALL_PARTS = TransferConfig(
    multipart_threshold=5 * MiB, multipart_chunk_size=5 * MiB, multipart_concurrency=3
)


@pytest.fixture()
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    return s3


def store(config: TransferConfig | None = None, bucket: str = BUCKET) -> S3Store:
    return S3Store(bucket, boto3.Session(), config or TransferConfig())


def test_bytes_go_in_and_come_out_whole(bucket):
    s = store()
    asyncio.run(s.put_bytes("a/b.txt", b"hello"))
    assert asyncio.run(s.head("a/b.txt")) == 5
    assert asyncio.run(s.get_bytes("a/b.txt")) == b"hello"
    assert asyncio.run(s.head("a/missing")) is None
    assert bucket.get_object(Bucket=BUCKET, Key="a/b.txt")["Body"].read() == b"hello"
    assert s.uri("a/b.txt") == f"s3://{BUCKET}/a/b.txt"
    assert s.mode_of("a/b.txt") is None and s.link("a/b.txt", "/nowhere") is False
    assert s.needs_aws and not s.answers_at_once
    assert calls_running() == 0


def test_listings_match_raw_key_prefixes_as_s3_does(bucket):
    for key in ("data/train-1.csv", "data/train-2.csv", "data/test.csv", "other/x"):
        bucket.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    s = store()
    assert s.list_sync("data/tr") == [("data/train-1.csv", 16), ("data/train-2.csv", 16)]
    everything = [("data/test.csv", 13), ("data/train-1.csv", 16), ("data/train-2.csv", 16)]
    assert asyncio.run(s.list("data/")) == everything
    assert s.list_sync("nothing/") == []


def test_a_listing_split_at_expected_keys_still_finds_every_key(bucket):
    keys = [f"tree/{n:03d}" for n in range(30)]
    for key in keys:
        bucket.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    s = store()
    expected_only_some = keys[5:25:7]  # keys nobody expected are listed too
    listed = asyncio.run(s.list("tree/", split_after=expected_only_some + ["elsewhere/k"]))
    assert [key for key, _ in listed] == keys


def test_a_key_obstore_cannot_parse_is_still_listed(bucket):
    for key in ("odd/a//b", "odd/./c", "odd/plain"):
        bucket.put_object(Bucket=BUCKET, Key=key, Body=b"1")
    listed = asyncio.run(store().list("odd/"))
    assert [key for key, _ in listed] == ["odd/./c", "odd/a//b", "odd/plain"]


def test_copy_and_delete(bucket):
    s = store()
    asyncio.run(s.put_bytes("src", b"payload"))
    assert asyncio.run(s.copy("src", "dst")) is True
    assert asyncio.run(s.get_bytes("dst")) == b"payload"
    assert asyncio.run(s.copy("absent", "dst2")) is False
    asyncio.run(s.delete("src"))
    assert asyncio.run(s.head("src")) is None
    assert [k for k, _ in s.list_sync("")] == ["dst"]


def test_a_small_file_is_stored_only_when_it_is_the_hashed_bytes(bucket, tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"content")
    s = store()
    moved: list[int] = []
    digest = hashlib.sha256(b"content").hexdigest()
    assert (
        asyncio.run(s.put_file("k", str(path), sha256=digest, progress=moved.append)).resumed == 0
    )
    assert sum(moved) == 7 and asyncio.run(s.get_bytes("k")) == b"content"
    with pytest.raises(ContentChanged):
        asyncio.run(s.put_file("k2", str(path), sha256="0" * 64, progress=moved.append))
    assert asyncio.run(s.head("k2")) is None


def test_a_large_file_goes_up_in_parts_and_comes_down_in_ranges(bucket, tmp_path):
    data = os.urandom(12 * MiB + 3)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    s = store(SMALL_PARTS)
    sent: list[int] = []
    digest = hashlib.sha256(data).hexdigest()
    assert (
        asyncio.run(s.put_file("big", str(source), sha256=digest, progress=sent.append)).resumed
        == 0
    )
    assert sum(sent) == len(data)
    assert bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []

    target = tmp_path / "down.bin"
    target.write_bytes(b"")  # a fetch writes into a file its download made, never creates one
    received: list[int] = []

    async def fetch() -> None:
        await s.get_file("big", str(target), len(data), received.append)

    asyncio.run(fetch())
    assert target.read_bytes() == data
    assert sum(received) == len(data)
    assert calls_running() == 0


def test_a_small_object_comes_down_whole(bucket, tmp_path):
    bucket.put_object(Bucket=BUCKET, Key="small", Body=b"abc" * 100)
    target = tmp_path / "small"
    target.write_bytes(b"")
    asyncio.run(store().get_file("small", str(target), 300, lambda n: None))
    assert target.read_bytes() == b"abc" * 100


def test_a_missing_bucket_is_the_user_s_mistake(moto_reset):
    s = store(bucket="no-such-bucket-here")
    with pytest.raises(NoSuchBucket) as caught:
        s.list_sync("x/")
    assert "no-such-bucket-here" in str(caught.value)
    assert caught.value.field == "s3_prefix"


def test_prepare_makes_the_bucket_once(moto_reset, s3):
    s = store(bucket="made-by-prepare")
    s.prepare("us-east-1")
    s.prepare("us-east-1")
    assert "made-by-prepare" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
