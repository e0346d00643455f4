"""Uploading into a bucket that does not exist says so, naming the bucket.

obstore answers a PUT into a missing bucket with FileNotFoundError, which the S3 store
lets through as "no such object" and the transfer engine reads as "the local file
vanished": a local run whose ``--output`` names a missing bucket is told that its own
output file "changed or vanished while staging it (run again)". Running again cannot help.
"""

from __future__ import annotations

import asyncio

import boto3
import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.storage.s3clients import NoSuchBucket
from aws_sagemaker_remote.storage.s3store import S3Store
from aws_sagemaker_remote.storage.store import ContentChanged
from aws_sagemaker_remote.storage.transfer import TransferConfig
from aws_sagemaker_remote.storage.uploads import upload_directory

MISSING = "no-such-output-bucket"


def test_a_put_into_a_missing_bucket_is_no_such_bucket(moto_reset):
    store = S3Store(MISSING, boto3.Session(), TransferConfig())
    with pytest.raises(NoSuchBucket):
        asyncio.run(store.put_bytes("key", b"data"))


def test_outputs_uploaded_to_a_missing_bucket_are_not_blamed_on_the_files(moto_reset, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "result.txt").write_text("done\n")
    with pytest.raises(UserError) as caught:
        upload_directory(None, tmp_path / "out", f"s3://{MISSING}/run", field="outputs.out")
    assert not isinstance(caught.value, ContentChanged), caught.value
    assert MISSING in str(caught.value)
