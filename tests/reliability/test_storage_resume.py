"""A large file whose upload was killed resumes from its completed parts.

The child stages a 40 MiB file in 5 MiB parts through the fault proxy, which holds every
part from the fourth on; once the server has answered three parts the child is killed. The
rerun keeps the three (each checked against the MD5 of our bytes), sends the other five, and
the object is the file, byte for byte.

The parts are listed only after the server answered them: moto computes a part's ETag on
first use, from a buffer whose read position it shares, so a listing made while the part's
own answer is being computed can cache an ETag of other bytes, and the rerun then rightly
sends that part again (the flake of "5 MiB kept, not 10").
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from aws_sagemaker_remote.storage.staging import upload_trees
from aws_sagemaker_remote.storage.transfer import TransferConfig
from aws_sagemaker_remote.storage.trees import scan_tree, tree_uri

from .conftest import BUCKET, kill_when, write

pytestmark = pytest.mark.e2e  # a subprocess killed mid-upload

MiB = 1024 * 1024
ROOT = f"s3://{BUCKET}/stage"
CONFIG = TransferConfig(multipart_threshold=5 * MiB, multipart_chunk_size=5 * MiB)
STAGE = textwrap.dedent(
    """
    import sys
    from aws_sagemaker_remote.storage.staging import upload_trees
    from aws_sagemaker_remote.storage.transfer import TransferConfig
    from aws_sagemaker_remote.storage.trees import scan_tree
    config = TransferConfig(multipart_threshold=5 * 2**20, multipart_chunk_size=5 * 2**20)
    upload_trees([scan_tree(sys.argv[1])], sys.argv[2], progress=False, config=config)
    """
)


def part_number(target: str) -> int:
    found = re.search(r"partNumber=(\d+)", target)
    return int(found.group(1)) if found else 0


def kill_after_three_parts(bucket, proxy, data) -> tuple[str, str]:
    """Stage ``data`` in a child, kill it with three parts sent; (key, upload id) left."""
    proxy.add("stall", match=lambda method, target: part_number(target) >= 4)
    env = {**os.environ, "AWS_ENDPOINT_URL": proxy.url}
    child = subprocess.Popen([sys.executable, "-c", STAGE, str(data), ROOT], env=env)

    def parts() -> list:
        uploads = bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        if not uploads:
            return []
        upload = uploads[0]
        listed = bucket.list_parts(Bucket=BUCKET, Key=upload["Key"], UploadId=upload["UploadId"])
        return [(upload["Key"], upload["UploadId"], p) for p in listed.get("Parts", [])]

    def answered() -> int:
        return sum(1 for m, t in list(proxy.answered) if m == "PUT" and part_number(t))

    kill_when(child, lambda: answered() >= 3)
    proxy.clear()
    left = parts()
    assert sorted(p["PartNumber"] for _, _, p in left) == [1, 2, 3]
    return left[0][0], left[0][1]


def test_a_killed_large_upload_resumes_from_its_completed_parts(bucket, tmp_path, proxy):
    data = tmp_path / "data"
    big = write(data / "big.bin", os.urandom(40 * MiB))
    tree = scan_tree(data)
    key, _ = kill_after_three_parts(bucket, proxy, data)
    assert key == tree_uri(ROOT, tree).split("/", 3)[3] + "big.bin"

    proxy.requests.clear()
    report = upload_trees([tree], ROOT, progress=False, config=CONFIG)
    assert report.bytes_resumed == 15 * MiB
    assert "15.0 MiB sent by an interrupted run kept" in report.summary()
    sent = sorted(part_number(t) for m, t in proxy.requests if m == "PUT" and part_number(t))
    assert sent == [4, 5, 6, 7, 8]
    assert bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read() == big.read_bytes()
    assert bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_a_left_part_that_is_not_our_bytes_is_sent_again(bucket, tmp_path, proxy):
    data = tmp_path / "data"
    big = write(data / "big.bin", os.urandom(40 * MiB))
    tree = scan_tree(data)
    key, upload_id = kill_after_three_parts(bucket, proxy, data)
    bucket.upload_part(  # part 2 now holds other bytes of the same length
        Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=2, Body=os.urandom(5 * MiB)
    )

    proxy.requests.clear()
    report = upload_trees([tree], ROOT, progress=False, config=CONFIG)
    assert report.bytes_resumed == 10 * MiB
    sent = sorted(part_number(t) for m, t in proxy.requests if m == "PUT" and part_number(t))
    assert sent == [2, 4, 5, 6, 7, 8]
    assert bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read() == big.read_bytes()
