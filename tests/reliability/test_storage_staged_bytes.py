"""Staged objects are trusted by their content, never by their size.

An object replaced on S3 by other bytes of the same size is found by its ETag (the MD5 of a
single-part upload, or the ETag S3 gave this tool's own multipart upload) and staged again;
it is never the source of a copy into another tree. Where an ETag is no MD5 (SSE-KMS: moto
gives every object an MD5 ETag, so these tests withhold the file's MD5 from the entry to
stand for it), the SHA-256 checksum S3 keeps with the object decides.
"""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from aws_sagemaker_remote.storage.staging import upload_trees
from aws_sagemaker_remote.storage.transfer import TransferConfig
from aws_sagemaker_remote.storage.trees import make_tree, scan_tree, tree_uri

from .conftest import BUCKET, make_dir, write

pytestmark = pytest.mark.e2e  # a moto server round trip per staging

ROOT = f"s3://{BUCKET}/stage"
MiB = 1024 * 1024


def key_of(tree, entry) -> str:
    return tree_uri(ROOT, tree).split("/", 3)[3] + entry.relpath


def body(s3, key: str) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def swap(s3, key: str, **extra) -> bytes:
    """Put other bytes of the same size at ``key``; those bytes."""
    size = s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
    other = os.urandom(size)
    s3.put_object(Bucket=BUCKET, Key=key, Body=other, **extra)
    return other


def test_an_object_swapped_for_other_bytes_of_the_same_size_is_staged_again(bucket, tmp_path):
    tree = scan_tree(make_dir(tmp_path / "data", 6))
    upload_trees([tree], ROOT, progress=False)
    entry = tree.entries[2]
    swap(bucket, key_of(tree, entry))

    report = upload_trees([tree], ROOT, progress=False)
    assert (report.files_uploaded, report.files_replaced, report.files_skipped) == (1, 1, 5)
    assert "1 staged object with other bytes of the same size replaced" in report.summary()
    assert body(bucket, key_of(tree, entry)) == open(entry.source, "rb").read()
    again = upload_trees([tree], ROOT, progress=False)
    assert (again.files_uploaded, again.files_skipped) == (0, 6)


def test_a_swapped_object_is_never_copied_into_another_tree(bucket, tmp_path):
    data = make_dir(tmp_path / "data", 4)
    first = scan_tree(data)
    upload_trees([first], ROOT, progress=False)
    swapped = first.entries[0]
    swap(bucket, key_of(first, swapped))

    write(data / "new.bin", b"a file only the second tree has")
    second = scan_tree(data)
    report = upload_trees([second], ROOT, progress=False)  # the blob index names the swapped key
    copied_entry = next(e for e in second.entries if e.relpath == swapped.relpath)
    assert body(bucket, key_of(second, copied_entry)) == open(swapped.source, "rb").read()
    assert report.files_copied == 3  # the three untouched files, from the first tree
    assert report.files_uploaded == 2  # the new file and the one whose source was swapped


def test_a_large_file_sent_in_parts_is_known_by_its_etag_and_a_swap_is_found(bucket, tmp_path):
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunk_size=5 * MiB)
    data = tmp_path / "data"
    write(data / "big.bin", os.urandom(12 * MiB))
    tree = scan_tree(data)
    upload_trees([tree], ROOT, progress=False, config=config)
    key = key_of(tree, tree.entries[0])
    assert "-" in bucket.head_object(Bucket=BUCKET, Key=key)["ETag"]  # no MD5: of parts

    warm = upload_trees([tree], ROOT, progress=False, config=config)
    assert (warm.files_uploaded, warm.files_skipped) == (0, 1)
    swap(bucket, key)
    report = upload_trees([tree], ROOT, progress=False, config=config)
    assert (report.files_uploaded, report.files_replaced) == (1, 1)
    assert body(bucket, key) == (data / "big.bin").read_bytes()


def sha256_checksum(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def without_md5(tree):
    """The tree as staging sees it where ETags are no MD5 (a bucket with SSE-KMS)."""
    return make_tree([e._replace(md5="") for e in tree.entries])


def test_where_etags_are_no_md5_the_sha256_checksum_s3_keeps_decides(bucket, tmp_path):
    tree = scan_tree(make_dir(tmp_path / "data", 3))
    for entry in tree.entries:  # as S3 keeps them for an upload made with a checksum
        data = open(entry.source, "rb").read()
        bucket.put_object(
            Bucket=BUCKET, Key=key_of(tree, entry), Body=data, ChecksumAlgorithm="SHA256"
        )
    swapped = tree.entries[1]
    other = swap(bucket, key_of(tree, swapped), ChecksumAlgorithm="SHA256")
    assert bucket.head_object(Bucket=BUCKET, Key=key_of(tree, swapped), ChecksumMode="ENABLED")[
        "ChecksumSHA256"
    ] == sha256_checksum(other)

    report = upload_trees([without_md5(tree)], ROOT, progress=False)
    assert (report.files_skipped, report.files_replaced, report.files_uploaded) == (2, 1, 1)
    assert body(bucket, key_of(tree, swapped)) == open(swapped.source, "rb").read()


def test_where_etags_are_no_md5_an_object_without_a_checksum_is_staged_again(bucket, tmp_path):
    tree = scan_tree(make_dir(tmp_path / "data", 2))
    for entry in tree.entries:
        data = open(entry.source, "rb").read()
        bucket.put_object(Bucket=BUCKET, Key=key_of(tree, entry), Body=data)
    report = upload_trees([without_md5(tree)], ROOT, progress=False)
    assert (report.files_replaced, report.files_uploaded) == (2, 2)


def test_copy_sources_are_checked_by_listing_their_tree_not_a_head_each(bucket, tmp_path, proxy):
    data = make_dir(tmp_path / "data", 40)
    first = scan_tree(data)
    upload_trees([first], ROOT, progress=False)
    swapped = first.entries[5]
    swap(bucket, key_of(first, swapped))
    write(data / "new.bin", b"one new file")
    second = scan_tree(data)

    proxy.requests.clear()
    report = upload_trees([second], ROOT, progress=False)
    assert (report.files_copied, report.files_uploaded) == (39, 2)  # the swapped one: sent
    # the new tree's manifest, and the swapped source's checksum (its ETag is no longer
    # ours): no HEAD for the 38 sources the listing of the first tree vouched for
    assert proxy.count("HEAD") == 2
    assert proxy.count("GET", "list-type=2") == 2  # the new tree, and the first one
    again = next(e for e in second.entries if e.relpath == swapped.relpath)
    assert body(bucket, key_of(second, again)) == open(swapped.source, "rb").read()
