"""The role's S3 grants as data: staging read-only, manifests' objects, no wildcards."""

from __future__ import annotations

import json

import pytest

from aws_sagemaker_remote.aws.role_policy import (
    MANIFEST_EXACT,
    check_output_uri,
    manifest_objects,
    manifest_reads,
    request_access,
)
from aws_sagemaker_remote.errors import UserError


def test_the_staging_root_is_readable_not_writable():
    request = {
        "ProcessingInputs": [{"S3Input": {"S3Uri": "s3://st/p/trees/t/"}}],
        "ProcessingOutputConfig": {"Outputs": [{"S3Output": {"S3Uri": "s3://st/p/jobs/j/out"}}]},
    }
    access = request_access(request, "s3://st/p")
    assert access.read == {"st/p/*"} and access.write == {"st/p/jobs/j/out/*"}
    assert access.read_write == set()


def test_manifest_objects_are_read_exactly_or_by_their_common_prefix():
    body = json.dumps([{"prefix": "s3://other/data/"}, "a.csv", "sub/b.csv"]).encode()
    assert manifest_objects(body) == ["s3://other/data/a.csv", "s3://other/data/sub/b.csv"]
    assert manifest_objects(b"not json") == [] and manifest_objects(b"[1, 2]") == []
    listed = {"m": manifest_objects(body)}
    access = request_access({"ProcessingInputs": []}, manifests=listed)
    assert access.read == {"other/data/a.csv", "other/data/sub/b.csv"}
    many = [f"s3://other/data/part-{i:03}.csv" for i in range(MANIFEST_EXACT + 1)]
    assert manifest_reads(many) == {"other/data/part-0*"}  # their longest shared prefix


@pytest.mark.parametrize("uri", ["s3://b/*", "s3://b/out?", "s3://b/a*b/"])
def test_an_output_uri_with_an_iam_wildcard_is_refused(uri):
    with pytest.raises(UserError) as caught:
        check_output_uri(uri, "outputs.out.s3")
    assert caught.value.field == "outputs.out.s3" and "wildcard" in caught.value.message


def test_a_plain_output_uri_passes():
    check_output_uri("s3://b/results/run-1", "outputs.out")
