"""A local run's S3 channels against moto server: inputs fetched byte for byte, outputs
uploaded after ``main``, nothing uploaded when ``main`` failed."""

from __future__ import annotations

import os
import tempfile

import pytest

from aws_sagemaker_remote.processing.s3_mirror import S3Mirror

BUCKET = "mirror-tests"


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """The mirror's temporary directories (kept after a failure) under this test's."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@pytest.fixture()
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="in/a.bin", Body=bytes(range(256)) * 4)
    s3.put_object(Bucket=BUCKET, Key="in/deep/b.txt", Body=b"b\n")
    s3.put_object(Bucket=BUCKET, Key="in_other/c.txt", Body=b"not mine\n")
    return s3


def keys(s3, prefix: str) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def test_inputs_in_outputs_out(bucket):
    with S3Mirror() as mirror:
        path = mirror.fetch(f"s3://{BUCKET}/in/", field="inputs.data")
        assert sorted(os.listdir(path)) == ["a.bin", "deep"], "not in_other/"
        assert open(os.path.join(path, "a.bin"), "rb").read() == bytes(range(256)) * 4
        out = mirror.output_dir("out", f"s3://{BUCKET}/results/", field="outputs.out")
        with open(os.path.join(out, "r.txt"), "wb") as target:
            target.write(b"result\n")
        assert keys(bucket, "results/") == {}
        mirror.upload_outputs()
    assert keys(bucket, "results/") == {"results/r.txt": b"result\n"}


def test_a_failed_main_sends_nothing(bucket):
    with pytest.raises(KeyError):
        with S3Mirror() as mirror:
            out = mirror.output_dir("out", f"s3://{BUCKET}/failed/", field="outputs.out")
            with open(os.path.join(out, "partial.txt"), "wb") as target:
                target.write(b"half")
            raise KeyError("main failed")
    assert keys(bucket, "failed/") == {}
    assert open(os.path.join(out, "partial.txt"), "rb").read() == b"half"
