"""The created role grants exactly what a job reads and writes.

A job never writes the staging trees (later jobs run and copy them), only its own output
prefixes; it reads the objects its manifests list, in whatever bucket they are; an output
URI with an IAM wildcard in it is one line, not a grant of the whole bucket.
"""

from __future__ import annotations

import json

import boto3
import pytest

from .test_role_least_privilege import ACCOUNT, STAGING, allowed, project, role_policy, submit

__all__ = ["project"]  # the fixture, used by name

S3 = "arn:aws:s3:::"
pytestmark = pytest.mark.e2e  # a submission to moto in a subprocess each


def test_a_job_cannot_write_the_staging_trees_only_its_outputs(project):
    done = submit(project, "job-1", "--input", "s3://in-bucket/data")
    assert done.returncode == 0, done.stderr
    policy = role_policy()
    root = f"{S3}{STAGING}/aws-sagemaker-remote"
    for staged in (f"{root}/trees/abc/job.py", f"{root}/manifests/abc.json"):
        assert allowed(policy, "s3:GetObject", staged)
        assert not allowed(policy, "s3:PutObject", staged)
    assert allowed(policy, "s3:PutObject", f"{root}/jobs/job-1/output/result.txt")
    assert not allowed(policy, "s3:PutObject", f"{root}/jobs/job-2/output/result.txt")


def test_the_role_reads_the_objects_a_local_manifest_lists_in_another_bucket(project, s3):
    listed = [{"prefix": "s3://out-bucket/listed/"}, "a.csv", "sub/b.csv"]
    (project / "files.manifest").write_text(json.dumps(listed))
    done = submit(
        project, "job-1", "--input", "files.manifest", "--input-data-type", "ManifestFile"
    )
    assert done.returncode == 0, done.stderr
    policy = role_policy()
    assert allowed(policy, "s3:GetObject", f"{S3}out-bucket/listed/a.csv")
    assert allowed(policy, "s3:GetObject", f"{S3}out-bucket/listed/sub/b.csv")
    assert not allowed(policy, "s3:GetObject", f"{S3}out-bucket/listed/c.csv")
    assert not allowed(policy, "s3:PutObject", f"{S3}out-bucket/listed/a.csv")


def test_the_role_reads_the_objects_a_manifest_on_s3_lists(project, s3):
    body = json.dumps([{"prefix": "s3://out-bucket/elsewhere/"}, "x.csv"])
    s3.put_object(Bucket="in-bucket", Key="manifests/m.json", Body=body.encode())
    done = submit(
        project,
        "job-1",
        "--input",
        "s3://in-bucket/manifests/m.json",
        "--input-data-type",
        "ManifestFile",
    )
    assert done.returncode == 0, done.stderr
    policy = role_policy()
    assert allowed(policy, "s3:GetObject", f"{S3}out-bucket/elsewhere/x.csv")
    assert allowed(policy, "s3:GetObject", f"{S3}in-bucket/manifests/m.json")
    assert not allowed(policy, "s3:GetObject", f"{S3}out-bucket/elsewhere/y.csv")


def test_one_object_sent_by_manifest_is_readable_by_the_role(project, s3):
    s3.put_object(Bucket="in-bucket", Key="data/a.csv.bak", Body=b"old\n")  # a key beside it
    done = submit(project, "job-1", "--input", "s3://in-bucket/data/a.csv")
    assert done.returncode == 0, done.stderr
    policy = role_policy()
    assert allowed(policy, "s3:GetObject", f"{S3}in-bucket/data/a.csv")


def test_an_output_uri_with_a_wildcard_is_one_line_and_nothing_is_made(project):
    done = submit(
        project, "job-1", "--input", "s3://in-bucket/data", "--output-s3", "s3://out-bucket/*"
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--output-s3" in lines[0] and "wildcard" in lines[0], lines
    assert "Traceback" not in done.stderr
    assert boto3.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"] == []
    assert boto3.client("iam").list_roles()["Roles"] == []
    staged = boto3.client("s3").list_buckets()["Buckets"]
    assert STAGING not in [b["Name"] for b in staged]
    assert ACCOUNT in STAGING
