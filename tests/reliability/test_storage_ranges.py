"""Large downloads as ranged GETs of signed URLs.

A large object comes down in a few long ranges, each read by the standard library into one
reused buffer. These tests go through the fault proxy in front of moto server: the bytes
arrive whole, a range cut off mid-body resumes from its last byte instead of starting over,
retried faults are got through, a stall and a refusal are one clear error each, and a
connection through a proxy stays with obstore.
"""

from __future__ import annotations

import os

import pytest

from aws_sagemaker_remote.errors import ServiceError, UserError
from aws_sagemaker_remote.storage.downloads import download_prefix
from aws_sagemaker_remote.storage.ranged_get import direct
from aws_sagemaker_remote.storage.transfer import TransferConfig

from .conftest import BUCKET

pytestmark = pytest.mark.e2e  # fault timeouts: seconds each

MiB = 1024 * 1024
SIZE = 12 * MiB + 7  # two ranges of 6 MiB and a bit
# large from 5 MiB, two ranges in flight; faults given up on within seconds
CONFIG = TransferConfig(
    multipart_threshold=5 * MiB,
    multipart_chunk_size=5 * MiB,
    multipart_concurrency=2,
    connect_timeout_s=1,
    read_timeout_s=1,
    socket_timeout_s=1,
    retry_timeout_s=1,
    max_backoff_s=0.2,
)


def signed_get(method: str, target: str) -> bool:
    return method == "GET" and "X-Amz-Signature=" in target


@pytest.fixture()
def large(bucket) -> bytes:
    data = os.urandom(SIZE)
    bucket.put_object(Bucket=BUCKET, Key="out/large.bin", Body=data)
    return data


def download(tmp_path, config: TransferConfig = CONFIG):
    return download_prefix(None, f"s3://{BUCKET}/out", tmp_path / "t", config=config)


def test_a_large_object_arrives_byte_for_byte_in_signed_ranges(large, tmp_path, proxy):
    report = download(tmp_path)
    assert report.count == 1
    assert (tmp_path / "t" / "large.bin").read_bytes() == large
    half = -(-SIZE // 2)
    signed = [r for (m, t), r in zip(proxy.requests, proxy.ranges) if signed_get(m, t)]
    assert sorted(signed) == sorted([f"bytes=0-{half - 1}", f"bytes={half}-{SIZE - 1}"])
    assert os.listdir(tmp_path / "t") == ["large.bin"]  # no temporary file left


def test_a_range_cut_off_mid_body_resumes_from_its_last_byte(large, tmp_path, proxy):
    proxy.add("cut", match=signed_get, limit=2)
    download(tmp_path)
    assert (tmp_path / "t" / "large.bin").read_bytes() == large
    signed = [r for (m, t), r in zip(proxy.requests, proxy.ranges) if signed_get(m, t)]
    assert len(signed) == 4
    resumed = [int(r.split("=")[1].split("-")[0]) for r in signed[2:]]
    starts = {0, -(-SIZE // 2)}
    assert all(start not in starts for start in resumed)  # not from the range's start again


def test_503s_and_dropped_connections_are_got_through(large, tmp_path, proxy):
    proxy.add("503", match=signed_get, limit=2)
    proxy.add("reset", match=signed_get, limit=1)
    download(tmp_path)
    assert (tmp_path / "t" / "large.bin").read_bytes() == large
    assert proxy.count("GET", "X-Amz-Signature=") == 5


def test_a_stalled_range_is_a_service_error_naming_the_endpoint(large, tmp_path, proxy):
    proxy.add("stall", match=signed_get)
    with pytest.raises(ServiceError) as raised:
        download(tmp_path)
    assert raised.value.endpoint == proxy.url and "s3_prefix" not in str(raised.value)
    assert "downloading s3://reliability-tests/out/large.bin" in str(raised.value)
    assert not (tmp_path / "t" / "large.bin").exists()


def test_a_range_stalled_mid_body_is_not_retried_past_the_stall_limit(large, tmp_path, proxy):
    # no retry starts retry_timeout_s after the last byte came: a stall found by the read
    # timeout fails the download, which a fresh count for the bytes before it would retry
    proxy.add("freeze", match=signed_get, limit=1)
    config = CONFIG._replace(retry_timeout_s=0.5)
    with pytest.raises(ServiceError) as raised:
        download(tmp_path, config)
    assert raised.value.endpoint == proxy.url
    assert proxy.count("GET", "X-Amz-Signature=") == 2  # one per range, none again
    assert not (tmp_path / "t" / "large.bin").exists()


def test_endless_503s_give_up_naming_the_status(large, tmp_path, proxy):
    proxy.add("503", match=signed_get)
    with pytest.raises(ServiceError, match="503 Slow Down: SlowDown") as raised:
        download(tmp_path)
    assert proxy.url in str(raised.value)
    assert 2 <= proxy.count("GET", "X-Amz-Signature=") <= 2 * (CONFIG.max_retries + 1)


def test_a_refused_range_is_access_denied_not_a_server_fault(large, tmp_path, proxy):
    proxy.add("403", match=signed_get)
    with pytest.raises(UserError, match="access denied downloading s3://"):
        download(tmp_path)
    assert proxy.count("GET", "X-Amz-Signature=") <= 2  # not retried


def test_a_refusal_other_than_403_is_one_service_error_not_retried(large, tmp_path, proxy):
    proxy.add("400", match=signed_get)
    with pytest.raises(ServiceError, match="400 Bad Request: InvalidArgument"):
        download(tmp_path)
    assert proxy.count("GET", "X-Amz-Signature=") <= 2  # one per range at most


def test_through_a_proxy_large_objects_stay_with_obstore(large, tmp_path, proxy, monkeypatch,
                                                         moto_server):  # fmt: skip
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)  # a forward proxy now, moto behind it
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    download(tmp_path)
    assert (tmp_path / "t" / "large.bin").read_bytes() == large
    through = [t for m, t in proxy.requests if m == "GET" and "large.bin" in t]
    assert through and not any("X-Amz-Signature=" in t for t in through)


def test_direct_follows_the_proxy_variables(monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert direct("http://127.0.0.1:1/b/k")
    assert not direct("https://b.s3.us-east-1.amazonaws.com/k")
    monkeypatch.setenv("NO_PROXY", ".amazonaws.com")
    assert direct("https://b.s3.us-east-1.amazonaws.com/k")
