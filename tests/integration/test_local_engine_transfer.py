"""The local engine's data moves, without running a job: listing, fetching, storing."""

from __future__ import annotations

import json
import os
import stat
import uuid

import pytest

from aws_sagemaker_remote.backends.local.runner.transfer import (
    Locations,
    TransferError,
    output_files,
    plan_input,
)
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, local_store_path
from aws_sagemaker_remote.uris import S3Uri, parse_s3_uri

STORE = f"s3://{LOCAL_STORE_BUCKET}"


def put(key: str, data: bytes = b"x") -> None:
    path = local_store_path(f"{STORE}/{key}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture()
def prefix() -> str:
    return f"unit-{uuid.uuid4().hex[:10]}"


def test_store_listing_matches_key_prefixes_not_directories(prefix):
    for key in ("data/train-1.csv", "data/train/a.csv", "data/test.csv", "database/z.csv"):
        put(f"{prefix}/{key}")
    put(f"{prefix}/data/.partial-half-written")
    found = Locations().list_objects(parse_s3_uri(f"{STORE}/{prefix}/data/tr"))
    assert [key for key, _ in found] == [f"{prefix}/data/train-1.csv", f"{prefix}/data/train/a.csv"]
    found = Locations().list_objects(parse_s3_uri(f"{STORE}/{prefix}/data"))
    assert len(found) == 4  # database/ also starts with "data", as in S3


def test_plan_places_objects_per_instance(tmp_path, prefix):
    for i in range(5):
        put(f"{prefix}/in/{i}.txt")
    dirs = [tmp_path / f"algo-{i}" for i in (1, 2)]
    s3_input = {
        "S3Uri": f"{STORE}/{prefix}/in",
        "LocalPath": "/opt/ml/processing/in",
        "S3DataType": "S3Prefix",
        "S3DataDistributionType": "ShardedByS3Key",
    }
    tasks = plan_input(Locations(), s3_input, dirs)
    targets = sorted(str(t.relative_to(tmp_path)) for task in tasks for t in task.targets)
    assert targets == [
        "algo-1/processing/in/0.txt",
        "algo-1/processing/in/2.txt",
        "algo-1/processing/in/4.txt",
        "algo-2/processing/in/1.txt",
        "algo-2/processing/in/3.txt",
    ]
    s3_input["S3DataDistributionType"] = "FullyReplicated"
    tasks = plan_input(Locations(), s3_input, dirs)
    assert all(len(task.targets) == 2 for task in tasks) and len(tasks) == 5


def test_empty_prefix_is_a_client_error(tmp_path, prefix):
    s3_input = {"S3Uri": f"{STORE}/{prefix}/none/", "LocalPath": "/opt/ml/processing/x"}
    with pytest.raises(TransferError, match="no objects found"):
        plan_input(Locations(), s3_input, [tmp_path])


def test_manifest_file_input(tmp_path, prefix):
    put(f"{prefix}/objects/a/1.txt", b"1")
    put(f"{prefix}/objects/b.txt", b"b")
    manifest = [{"prefix": f"{STORE}/{prefix}/objects/"}, "a/1.txt", "b.txt"]
    put(f"{prefix}/manifest.json", json.dumps(manifest).encode())
    s3_input = {
        "S3Uri": f"{STORE}/{prefix}/manifest.json",
        "LocalPath": "/opt/ml/processing/m",
        "S3DataType": "ManifestFile",
    }
    locations = Locations()
    locations.fetch_all(plan_input(locations, s3_input, [tmp_path]), lambda: False)
    assert (tmp_path / "processing/m/a/1.txt").read_bytes() == b"1"
    assert (tmp_path / "processing/m/b.txt").read_bytes() == b"b"


def test_store_files_are_linked_read_only_or_copied(tmp_path, prefix):
    """Hard links for users the read-only bit protects against; root gets a reflink where
    the file system has them, else a copy (root ignores the write bit)."""
    put(f"{prefix}/blob", b"content")
    source = local_store_path(f"{STORE}/{prefix}/blob")
    s3_input = {"S3Uri": f"{STORE}/{prefix}/blob", "LocalPath": "/opt/ml/processing/in"}
    locations = Locations()
    locations.fetch_all(plan_input(locations, s3_input, [tmp_path]), lambda: False)
    target = tmp_path / "processing" / "in" / "blob"
    assert target.read_bytes() == b"content"
    if os.geteuid() != 0:
        assert os.path.samefile(source, target)
        assert not source.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    else:
        assert not os.path.samefile(source, target)


@pytest.mark.e2e
def test_put_all_to_the_store_and_to_s3(tmp_path, prefix, s3):
    (tmp_path / "d" / "e").mkdir(parents=True)
    (tmp_path / "d" / "top.txt").write_bytes(b"top")
    (tmp_path / "d" / "e" / "deep.txt").write_bytes(b"deep")
    files = output_files(tmp_path / "d")
    assert [rel for _, rel in files] == ["e/deep.txt", "top.txt"]
    s3.create_bucket(Bucket="put-all")
    for base in (f"{STORE}/{prefix}/out", "s3://put-all/out/"):
        uri = parse_s3_uri(base)
        Locations().put_all([(path, uri.join(rel)) for path, rel in files])
    assert local_store_path(f"{STORE}/{prefix}/out/e/deep.txt").read_bytes() == b"deep"
    body = s3.get_object(Bucket="put-all", Key="out/e/deep.txt")["Body"].read()
    assert body == b"deep"
    assert S3Uri("put-all", "out/").join("top.txt").key == "out/top.txt"
