"""Fixtures of the reliability suite: a private state directory, a bucket, a fault proxy."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from faultproxy import FaultProxy, wait_for

BUCKET = "reliability-tests"
HOUR_AGO = time.time() - 3600


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    """Each test gets its own hash cache, blob index and local store."""
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture()
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    return s3


@pytest.fixture()
def proxy(moto_server, monkeypatch):
    """A fault proxy in front of moto server; in-process AWS clients go through it."""
    fault_proxy = FaultProxy(moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL", fault_proxy.url)
    try:
        yield fault_proxy
    finally:
        fault_proxy.close()


def write(path, data: bytes, mtime: float | None = HOUR_AGO):
    """Write a file dated in the past (so the hash cache may trust it at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def make_dir(root, count: int, size: int = 1000):
    for i in range(count):
        write(root / f"part-{i // 10}" / f"file-{i:04}.bin", os.urandom(size))
    return root


def objects(s3, prefix: str = "") -> dict[str, int]:
    """key -> size of every object under ``prefix`` in the test bucket."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["Size"]
    return found


def kill_when(child: subprocess.Popen, condition) -> None:
    """SIGKILL ``child`` once ``condition()`` holds (or it ended); it must have been killed."""
    try:
        wait_for(lambda: condition() or child.poll() is not None)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
