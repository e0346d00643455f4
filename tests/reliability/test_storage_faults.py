"""Network faults through a fault proxy in front of moto's S3.

A share of 503s and dropped connections is retried through; a stalled endpoint is
detected (connect/read timeouts, bounded retries) and reported as a service fault naming
the endpoint, never as a user mistake. Multipart uploads that fail are aborted, and a
bucket the tool creates gets a rule that cleans up what an interrupted run leaves behind.
"""

from __future__ import annotations

import hashlib

import pytest

from aws_sagemaker_remote.errors import ServiceError, UserError
from aws_sagemaker_remote.storage.downloads import download_prefix
from aws_sagemaker_remote.storage.staging import upload_trees
from aws_sagemaker_remote.storage.transfer import TransferConfig
from aws_sagemaker_remote.storage.trees import scan_tree, tree_uri

from .conftest import BUCKET, make_dir, objects, write

pytestmark = pytest.mark.e2e  # real jobs, subprocesses or fault timeouts: seconds each

ROOT = f"s3://{BUCKET}/stage"
MiB = 1024 * 1024
# the defaults, scaled down so that a test waits seconds, not a minute
QUICK = TransferConfig(
    connect_timeout_s=1,
    read_timeout_s=1,
    socket_timeout_s=1,
    retry_timeout_s=1,
    max_backoff_s=0.2,
)


def assert_tree_stored(s3, tree) -> None:
    prefix = tree_uri(ROOT, tree).split("/", 3)[3]
    assert objects(s3, prefix) == {prefix + e.relpath: e.size for e in tree.entries}
    for entry in tree.entries:
        body = s3.get_object(Bucket=BUCKET, Key=prefix + entry.relpath)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == entry.sha256


def test_the_default_timeouts_detect_a_stall_within_a_minute():
    assert TransferConfig().stall_limit_s() <= 60


def faults_per_object(proxy, method: str) -> dict[str, int]:
    """Each object's first ``method`` request gets a 503, every other second one a reset:
    counted per object, so none can draw more faults than the retries allow (a rule over
    all requests can hand one object five in a row). Returns tries per object."""
    tries: dict[str, int] = {}

    def nth_try(n: int):
        def match(verb: str, target: str) -> bool:
            if verb != method or "list-type" in target:
                return False
            if n == 1:
                tries[target] = tries.get(target, 0) + 1
            return tries.get(target) == n

        return match

    proxy.add("503", match=nth_try(1))
    proxy.add("reset", every=2, match=nth_try(2))
    return tries


def test_staging_goes_through_503s_and_dropped_connections(bucket, tmp_path, proxy):
    tree = scan_tree(make_dir(tmp_path / "data", 60))
    tries = faults_per_object(proxy, "PUT")
    report = upload_trees([tree], ROOT, progress=False)
    assert report.files_uploaded == 60
    assert len(tries) == 61 and min(tries.values()) >= 2  # the files and the manifest
    proxy.clear()
    assert_tree_stored(bucket, tree)
    assert proxy.count("PUT") > 0


def test_downloads_go_through_503s_and_dropped_connections(bucket, tmp_path, proxy):
    for i in range(30):
        bucket.put_object(Bucket=BUCKET, Key=f"out/{i}", Body=str(i).encode() * 100)
    tries = faults_per_object(proxy, "GET")
    report = download_prefix(None, f"s3://{BUCKET}/out", tmp_path / "t")
    assert report.count == 30
    for i in range(30):
        assert (tmp_path / "t" / str(i)).read_bytes() == str(i).encode() * 100
    assert len(tries) == 30 and min(tries.values()) >= 2  # every object was refused once


def test_a_stalled_endpoint_is_a_service_error_naming_it(bucket, tmp_path, proxy):
    tree = scan_tree(make_dir(tmp_path / "data", 3))
    proxy.add("stall")
    with pytest.raises(ServiceError) as raised:
        upload_trees([tree], ROOT, progress=False, config=QUICK)
    assert proxy.url in str(raised.value) and raised.value.endpoint == proxy.url
    assert "s3_prefix" not in str(raised.value)


def test_a_stalled_endpoint_during_a_download_is_a_service_error(bucket, tmp_path, proxy):
    bucket.put_object(Bucket=BUCKET, Key="out/a", Body=b"a")
    proxy.add("stall", match=lambda method, target: method == "GET" and "list-type" not in target)
    with pytest.raises(ServiceError, match="127.0.0.1"):
        download_prefix(None, f"s3://{BUCKET}/out", tmp_path / "t", config=QUICK)


def test_a_stalled_endpoint_when_checking_the_bucket_is_a_service_error(moto_reset, proxy):
    from aws_sagemaker_remote.storage.buckets import ensure_bucket

    proxy.add("stall")
    with pytest.raises(ServiceError, match="127.0.0.1"):
        ensure_bucket(f"s3://{BUCKET}/stage", region="us-east-1", config=QUICK)


def test_a_failing_multipart_upload_is_aborted(bucket, tmp_path, proxy):
    write(tmp_path / "data" / "big.bin", b"z" * (12 * MiB))
    tree = scan_tree(tmp_path / "data")
    config = TransferConfig(
        multipart_threshold=5 * MiB,
        multipart_chunk_size=5 * MiB,
        max_retries=1,
        retry_timeout_s=1,
        max_backoff_s=0.2,
    )
    proxy.add("503", match=lambda method, target: method == "PUT" and "partNumber=2" in target)
    with pytest.raises((ServiceError, UserError)):
        upload_trees([tree], ROOT, progress=False, config=config)
    proxy.clear()
    assert bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert objects(bucket, "stage/trees/") == {}


def test_a_created_bucket_gets_an_abort_incomplete_multipart_rule(moto_reset, s3):
    from aws_sagemaker_remote.storage.buckets import ensure_bucket

    ensure_bucket(f"s3://{BUCKET}/stage", region="us-east-1")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    aborting = [r for r in rules if "AbortIncompleteMultipartUpload" in r]
    assert [r["Status"] for r in aborting] == ["Enabled"]
    assert aborting[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1
