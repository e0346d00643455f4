"""The staging bucket against moto server: created when missing (with the rule that
aborts forgotten multipart uploads), kept when it is ours, refused when it is in another
region; an output's bucket that does not exist is said before the job is submitted."""

from __future__ import annotations

import boto3
import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.storage.buckets import (
    LIFECYCLE_RULE,
    check_output_buckets,
    ensure_bucket,
)


def test_a_missing_bucket_is_created_with_the_abort_incomplete_uploads_rule(s3):
    ensure_bucket("s3://fresh-staging/jobs/", session=boto3.Session(), region="us-east-1")
    assert "fresh-staging" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    rules = s3.get_bucket_lifecycle_configuration(Bucket="fresh-staging")["Rules"]
    assert [r["ID"] for r in rules] == [LIFECYCLE_RULE["ID"]]


def test_a_bucket_outside_us_east_1_is_created_in_the_jobs_region(s3):
    ensure_bucket("s3://euro-staging", session=boto3.Session(), region="eu-west-1")
    assert s3.get_bucket_location(Bucket="euro-staging")["LocationConstraint"] == "eu-west-1"


def test_an_existing_bucket_of_ours_is_used_as_it_is(s3):
    s3.create_bucket(Bucket="ours")
    ensure_bucket("s3://ours/p", session=boto3.Session(), region="us-east-1")
    assert s3.list_objects_v2(Bucket="ours").get("KeyCount") == 0


def test_a_bucket_in_another_region_is_refused_naming_the_prefix_flag(s3):
    s3.create_bucket(
        Bucket="far-away", CreateBucketConfiguration={"LocationConstraint": "ap-south-1"}
    )
    with pytest.raises(UserError) as error:
        ensure_bucket("s3://far-away/p", session=boto3.Session(), region="us-east-1")
    assert error.value.field == "s3_prefix"
    assert "is in ap-south-1, but the job runs in us-east-1" in error.value.message


def test_an_output_bucket_that_does_not_exist_names_its_field(s3):
    s3.create_bucket(Bucket="exists")
    outputs = [("outputs.a", "s3://exists/a/"), ("outputs.b", "s3://missing-bucket/b/")]
    with pytest.raises(UserError) as error:
        check_output_buckets(outputs, session=boto3.Session(), region="us-east-1")
    assert error.value.field == "outputs.b" and "missing-bucket" in error.value.message
    check_output_buckets(outputs[:1], session=boto3.Session(), region="us-east-1")
