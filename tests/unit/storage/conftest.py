"""Storage unit tests: a private state directory, so the local store starts empty."""

from __future__ import annotations

import asyncio

import pytest

from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, LocalStore

LOCAL = f"s3://{LOCAL_STORE_BUCKET}"


@pytest.fixture()
def local_store(tmp_path, monkeypatch) -> LocalStore:
    """The local store of this test alone (no AWS, no server)."""
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    return LocalStore()


def put(store: LocalStore, key: str, data: bytes) -> None:
    asyncio.run(store.put_bytes(key, data))
