"""The order of a submission, decided before anything is sent: for the local engine no
AWS at all (the local store stages, its jobs' outputs land there); for SageMaker the
default bucket of the account and region, or placeholders a dry run says it assumed.
What creating a job takes is tested against moto in tests/integration/test_order.py."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET
from aws_sagemaker_remote.submission import order
from aws_sagemaker_remote.submission.where import Where

from ..job.specs import make_project, spec_for

LOCAL = f"s3://{LOCAL_STORE_BUCKET}"


@pytest.fixture()
def script(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    return make_project(tmp_path)


@pytest.fixture()
def no_aws(monkeypatch, tmp_path):
    """No credentials, region or endpoint in this process."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


def test_the_local_engine_stages_into_the_local_store_with_no_aws(script, no_aws):
    spec = spec_for(script, ["--sagemaker-instance", "local"])
    submission = order.prepare(spec)
    assert submission.where.aws is None and submission.notes == []
    assert submission.backend.local
    assert submission.staging_root == f"{LOCAL}/staging"
    request = submission.request
    assert request["ProcessingJobName"] == spec.job_name
    for channel in request["ProcessingInputs"]:
        assert channel["S3Input"]["S3Uri"].startswith(f"{LOCAL}/staging/")
    (output,) = request["ProcessingOutputConfig"]["Outputs"]
    assert output["S3Output"]["S3Uri"] == f"{LOCAL}/jobs/{spec.job_name}/output"
    assert ":iam::000000000000:role/" in request["RoleArn"], "a placeholder that fits the model"


def test_a_dry_run_without_aws_uses_placeholders_and_says_so(script, no_aws):
    spec = spec_for(script, ["--sagemaker-instance", "ml.m5.large"])
    submission = order.prepare(spec, dry_run=True)
    assert submission.backend is None and submission.where.aws is None
    assert submission.staging_root == (
        f"s3://sagemaker-{order.PLACEHOLDER_REGION}-{order.PLACEHOLDER_ACCOUNT}/aws-sagemaker-remote"
    )
    assert len(submission.notes) == 1
    assert order.PLACEHOLDER_ACCOUNT in submission.notes[0]
    assert submission.request["ProcessingResources"]["ClusterConfig"]["InstanceType"] == (
        "ml.m5.large"
    )


def test_a_dry_run_without_aws_assumes_s3_inputs_are_directories(script, no_aws):
    spec = spec_for(script, ["--input", "s3://some-bucket/data", "--sagemaker-dry-run", "true"])
    submission = order.prepare(spec, dry_run=True)
    (channel,) = [c for c in submission.request["ProcessingInputs"] if c["InputName"] == "input"]
    assert channel["S3Input"]["S3Uri"] == "s3://some-bucket/data/"
    assert any("s3://some-bucket/data" in note for note in submission.notes)


def test_a_local_engine_job_with_a_staging_prefix_needs_aws(script, no_aws):
    spec = spec_for(script, ["--sagemaker-instance", "local"], s3_prefix="s3://bucket/stage")
    with pytest.raises(UserError) as caught:
        order.prepare(spec)  # no credentials: refused before anything is sent
    assert "no AWS credentials found" in str(caught.value)
    assert caught.value.field is None  # no profile was given: none is blamed


def test_an_unknown_profile_is_a_mistake_even_in_a_dry_run(script, no_aws):
    spec = spec_for(script, ["--sagemaker-profile", "nosuchprofile"])
    with pytest.raises(UserError) as caught:
        order.prepare(spec, dry_run=True)
    assert caught.value.field == "profile"


def test_where_outputs_land(script):
    where = Where("eu-west-1", "123456789012")
    remote = spec_for(script)
    engine = spec_for(script, ["--sagemaker-instance", "local"])
    staged = spec_for(script, ["--sagemaker-instance", "local"], s3_prefix="s3://my-bucket/stage")
    default = "s3://sagemaker-eu-west-1-123456789012/aws-sagemaker-remote"
    assert order._staging_root(remote, where) == default
    assert order._output_root(remote, where) == f"{default}/jobs/{remote.job_name}"
    assert order._output_root(engine, where) == f"{LOCAL}/jobs/{engine.job_name}"
    assert order._staging_root(staged, where) == "s3://my-bucket/stage"
    assert order._output_root(staged, where) == f"s3://my-bucket/stage/jobs/{staged.job_name}"
    assert order._output_root_of(where, "prep") == f"{default}/jobs/prep"


def test_outputs_in_other_buckets_are_checked_before_the_job(script):
    spec = spec_for(
        script,
        outputs={"a": "s3://other-bucket/a", "b": "s3://stage-bucket/b", "c": f"{LOCAL}/c"},
    )
    assert order._foreign_outputs(spec, "s3://stage-bucket/root") == [
        ("outputs.a", "s3://other-bucket/a")
    ]
