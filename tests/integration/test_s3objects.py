"""The same input questions asked of S3 (moto server over HTTP): one object or a prefix,
keys beside an object, and a fetch that brings exactly what SageMaker would deliver."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.errors import NotFound
from aws_sagemaker_remote.storage.s3objects import (
    download_object_or_prefix,
    keys_beside,
    s3_input_kind,
)

BUCKET = "s3objects-tests"


@pytest.fixture()
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    for key, body in {
        "in/f.csv": b"1,2\n",
        "in/f.csv.bak": b"old",
        "in/deep/g.txt": b"g",
        "clean/x": b"x",
        "clean_v2/y": b"y",
    }.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return s3


def test_object_prefix_or_nothing(bucket):
    assert s3_input_kind(None, f"s3://{BUCKET}/in/f.csv", field="inputs.data") is True
    assert s3_input_kind(None, f"s3://{BUCKET}/in", field="inputs.data") is False
    with pytest.raises(NotFound) as caught:
        s3_input_kind(None, f"s3://{BUCKET}/missing/", field="inputs.data")
    assert caught.value.field == "inputs.data"
    assert keys_beside(None, f"s3://{BUCKET}/in/f.csv", field="inputs.data") == 1


def test_a_fetched_prefix_is_the_tree_below_it_byte_for_byte(bucket, tmp_path):
    path, report = download_object_or_prefix(
        None, f"s3://{BUCKET}/clean/", str(tmp_path / "d"), field="inputs.data"
    )
    assert path == str(tmp_path / "d")
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["x"], "not clean_v2"
    assert (tmp_path / "d" / "x").read_bytes() == b"x" and report.count == 1


def test_a_fetched_object_is_that_object(bucket, tmp_path):
    path, _ = download_object_or_prefix(
        None, f"s3://{BUCKET}/in/f.csv", str(tmp_path / "d"), field="inputs.data"
    )
    assert open(path, "rb").read() == b"1,2\n"
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["f.csv"]
