"""An S3 face of ``serve`` on 127.0.0.1, over local buckets in a temporary directory."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aws_sagemaker_remote.server.http import HttpServer
from aws_sagemaker_remote.server.s3 import s3_face
from aws_sagemaker_remote.storage.localbuckets import LocalBuckets


@dataclass
class S3Face:
    url: str
    root: Path  # the buckets' directory
    errors: list[str]  # tracebacks the server logged: every test expects none

    def client(self, **config):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
        )


@pytest.fixture()
def s3_face_server(tmp_path) -> Iterator[S3Face]:
    errors: list[str] = []
    root = tmp_path / "buckets"
    server = HttpServer(s3_face(LocalBuckets(root)), "127.0.0.1", 0, on_error=errors.append)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield S3Face(server.url, root, errors)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert errors == [], errors[0] if errors else ""


@pytest.fixture()
def s3c(s3_face_server):
    """A boto3 client of the S3 face, with one bucket ``data``."""
    client = s3_face_server.client()
    client.create_bucket(Bucket="data")
    return client
