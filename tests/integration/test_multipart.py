"""Resumable multipart uploads against moto server: a part left by an earlier run is kept
only when it is provably our bytes, and a failed upload leaves no parts behind."""

from __future__ import annotations

import asyncio
import hashlib
import os

import pytest

from aws_sagemaker_remote.storage.multipart import ResumableUpload
from aws_sagemaker_remote.storage.store import ContentChanged
from aws_sagemaker_remote.storage.transfer import TransferConfig

MiB = 1024 * 1024
BUCKET = "multipart-tests"
KEY = "stage/big.bin"
CONFIG = TransferConfig(multipart_chunk_size=5 * MiB, multipart_concurrency=2)


async def on_thread(call, *args, **kwargs):
    return await asyncio.to_thread(call, *args, **kwargs)


@pytest.fixture()
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    return s3


@pytest.fixture()
def big(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(11 * MiB))  # parts of 5, 5 and 1 MiB
    return path


def send(client, path, sha256: str | None) -> tuple[int, list[int]]:
    moved: list[int] = []
    upload = ResumableUpload(client, BUCKET, KEY, str(path), run=on_thread, config=CONFIG)
    resumed = asyncio.run(upload.send(path.stat().st_size, sha256, moved.append)).resumed
    return resumed, moved


def unfinished(client) -> list[dict]:
    return client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


def stored(client) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()


def test_a_fresh_upload_sends_every_part_and_completes(bucket, big):
    data = big.read_bytes()
    resumed, moved = send(bucket, big, hashlib.sha256(data).hexdigest())
    assert resumed == 0
    assert sum(moved) == len(data)
    assert stored(bucket) == data
    assert unfinished(bucket) == []


def test_our_left_part_is_kept_and_a_foreign_one_is_sent_again(bucket, big):
    data = big.read_bytes()
    upload_id = bucket.create_multipart_upload(Bucket=BUCKET, Key=KEY)["UploadId"]
    for number, body in ((1, data[: 5 * MiB]), (2, os.urandom(5 * MiB))):
        bucket.upload_part(Bucket=BUCKET, Key=KEY, UploadId=upload_id, PartNumber=number, Body=body)
    resumed, moved = send(bucket, big, hashlib.sha256(data).hexdigest())
    assert resumed == 5 * MiB, "only part 1 is ours"
    assert sum(moved) == len(data), "progress counts kept parts too"
    assert stored(bucket) == data
    assert unfinished(bucket) == []


def test_older_unfinished_uploads_of_the_key_are_aborted(bucket, big):
    data = big.read_bytes()
    for _ in range(2):
        bucket.create_multipart_upload(Bucket=BUCKET, Key=KEY)
    other = bucket.create_multipart_upload(Bucket=BUCKET, Key=KEY + ".other")["UploadId"]
    send(bucket, big, None)
    assert stored(bucket) == data
    assert [u["UploadId"] for u in unfinished(bucket)] == [other], "another key's is kept"


def test_bytes_that_are_not_the_hashed_ones_are_refused_and_leave_no_parts(bucket, big):
    with pytest.raises(ContentChanged):
        send(bucket, big, "0" * 64)
    assert unfinished(bucket) == []
    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET)


def test_a_file_shorter_than_its_scan_is_refused(bucket, big):
    upload = ResumableUpload(bucket, BUCKET, KEY, str(big), run=on_thread, config=CONFIG)
    with pytest.raises(ContentChanged):
        asyncio.run(upload.send(12 * MiB, None, lambda n: None))
    assert unfinished(bucket) == []
