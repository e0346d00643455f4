"""The objects a job's manifest inputs list, read from a file being staged or from S3
(moto server), so the role can be granted them; an unreadable manifest lists nothing."""

from __future__ import annotations

import json

import boto3

from aws_sagemaker_remote.aws.manifests import manifest_inputs, manifest_listings


def manifest_input(name: str, uri: str, kind: str = "ManifestFile") -> dict:
    return {"InputName": name, "S3Input": {"S3Uri": uri, "S3DataType": kind}}


def test_only_manifest_file_inputs_are_manifests():
    request = {
        "ProcessingInputs": [
            manifest_input("m", "s3://b/m.json"),
            manifest_input("p", "s3://b/p/", "S3Prefix"),
            {"InputName": "q", "DatasetDefinition": {}},
        ]
    }
    assert manifest_inputs(request) == ["s3://b/m.json"]
    assert manifest_inputs({}) == []


def test_manifests_are_read_from_the_staged_file_or_from_s3(s3, tmp_path):
    s3.create_bucket(Bucket="data")
    listed = [{"prefix": "s3://other/raw/"}, "a.csv", "b/c.csv"]
    s3.put_object(Bucket="data", Key="remote.json", Body=json.dumps(listed).encode())
    local = tmp_path / "local.json"
    local.write_text(json.dumps([{"prefix": "s3://third/x/"}, "y"]))
    request = {
        "ProcessingInputs": [
            manifest_input("remote", "s3://data/remote.json"),
            manifest_input("local", "s3://data/staged.json"),
            manifest_input("gone", "s3://data/missing.json"),
        ]
    }
    found = manifest_listings(request, boto3.Session(), local={"s3://data/staged.json": str(local)})
    assert found == {
        "s3://data/remote.json": ["s3://other/raw/a.csv", "s3://other/raw/b/c.csv"],
        "s3://data/staged.json": ["s3://third/x/y"],
    }
