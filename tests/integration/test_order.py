"""A submission to SageMaker on moto server, in this process: everything is checked
before anything is made, then the bucket, the role, the upload and the job, in order; the
events say what happened; a dry run looks up the account but makes nothing."""

from __future__ import annotations

import boto3
import pytest
from unit.job.specs import make_project, spec_for

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.events import Event
from aws_sagemaker_remote.submission import order

MOTO_ACCOUNT = "123456789012"
STAGING_BUCKET = f"sagemaker-us-east-1-{MOTO_ACCOUNT}"


@pytest.fixture()
def script(tmp_path, monkeypatch, moto_reset):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    return make_project(tmp_path)


def buckets() -> list[str]:
    return [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


def test_a_dry_run_looks_up_the_account_and_makes_nothing(script):
    submission = order.prepare(spec_for(script), dry_run=True)
    assert submission.notes == []
    assert submission.where.account_id == MOTO_ACCOUNT
    assert submission.staging_root == f"s3://{STAGING_BUCKET}/aws-sagemaker-remote"
    assert f":{MOTO_ACCOUNT}:role/" in submission.request["RoleArn"]
    assert buckets() == []
    assert boto3.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"] == []


def test_submit_stages_creates_the_job_and_says_so(script):
    heard: list[Event] = []
    spec = spec_for(script)
    job = order.submit(spec, on_event=heard.append)
    assert job.name == spec.job_name and not job.local
    assert job.region == "us-east-1"
    kinds = [event.kind for event in heard]
    assert kinds.index("staged") < kinds.index("created")
    created = next(event for event in heard if event.kind == "created")
    assert created.data["ProcessingJobName"] == spec.job_name
    described = boto3.client("sagemaker").describe_processing_job(ProcessingJobName=job.name)
    assert described["RoleArn"] == created.data["RoleArn"]
    assert STAGING_BUCKET in buckets()
    staged = boto3.client("s3").list_objects_v2(Bucket=STAGING_BUCKET)["KeyCount"]
    assert staged > 0
    assert job.output_uris()["output"].startswith(f"s3://{STAGING_BUCKET}/")


def test_a_taken_job_name_is_refused_before_anything_new_is_uploaded(script, tmp_path):
    spec = spec_for(script, ["--sagemaker-job-name", "taken-name"])
    order.submit(spec)
    s3 = boto3.client("s3")
    before = s3.list_objects_v2(Bucket=STAGING_BUCKET)["KeyCount"]
    (tmp_path / "data" / "new.txt").write_text("a file the second run would stage\n")
    with pytest.raises(UserError) as caught:
        order.submit(spec_for(script, ["--sagemaker-job-name", "taken-name"]))
    assert caught.value.field == "job_name"
    assert s3.list_objects_v2(Bucket=STAGING_BUCKET)["KeyCount"] == before
