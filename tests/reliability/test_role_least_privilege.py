"""The role this library creates grants what the job needs, and no more.

Inputs are read-only, outputs writable on their own prefixes, the staging prefix read-only;
the trust policy names this account's processing jobs; grants are replaced, not piled up;
a missing output bucket is one line before the job exists; every change is said.
"""

from __future__ import annotations

import fnmatch
import json

import boto3
import pytest
from conftest import run_script
from scripts import write_script

ACCOUNT = "123456789012"
ROLE = "aws-sagemaker-remote-processing-role"
STAGING = f"sagemaker-us-east-1-{ACCOUNT}"


def allowed(policy: dict, action: str, resource: str, prefix: str | None = None) -> bool:
    """Whether an Allow statement of ``policy`` grants ``action`` on ``resource`` (IAM's
    wildcards; the s3:prefix condition of ListBucket when ``prefix`` is given)."""
    for statement in policy["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if statement["Effect"] != "Allow" or action not in actions:
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        condition = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
        if condition is None or (
            prefix is not None and any(fnmatch.fnmatchcase(prefix, c) for c in condition)
        ):
            return True
    return False


def role_policy() -> dict:
    iam = boto3.client("iam")
    name = iam.list_role_policies(RoleName=ROLE)["PolicyNames"][0]
    return iam.get_role_policy(RoleName=ROLE, PolicyName=name)["PolicyDocument"]


@pytest.fixture()
def project(tmp_path, moto_reset, s3):
    for bucket in ("in-bucket", "out-bucket"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="in-bucket", Key="data/a.csv", Body=b"a\n")
    s3.put_object(Bucket="in-bucket", Key="data_v2/b.csv", Body=b"b\n")
    write_script(tmp_path, 'inputs={"input": "data"}, outputs={"output": "out"},')
    return tmp_path


def submit(project, name: str, *args: str):
    return run_script(
        project / "job.py",
        "--sagemaker-run",
        "true",
        "--sagemaker-wait",
        "false",
        "--sagemaker-job-name",
        name,
        *args,
        cwd=project,
    )


@pytest.mark.e2e
def test_inputs_read_only_outputs_write_only_staging_both(project):
    done = submit(
        project, "job-1", "--input", "s3://in-bucket/data", "--output-s3", "s3://out-bucket/res"
    )
    assert done.returncode == 0, done.stderr
    assert f"created IAM role arn:aws:iam::{ACCOUNT}:role/{ROLE}" in done.stderr
    assert "read s3://in-bucket/data/*" in done.stderr  # what was granted is said
    policy = role_policy()
    s3 = "arn:aws:s3:::"
    assert allowed(policy, "s3:GetObject", f"{s3}in-bucket/data/a.csv")
    assert allowed(policy, "s3:ListBucket", f"{s3}in-bucket", prefix="data/")
    assert not allowed(policy, "s3:GetObject", f"{s3}in-bucket/data_v2/b.csv")
    assert not allowed(policy, "s3:ListBucket", f"{s3}in-bucket", prefix="")
    assert not allowed(policy, "s3:PutObject", f"{s3}in-bucket/data/a.csv")
    assert allowed(policy, "s3:PutObject", f"{s3}out-bucket/res/part-0")
    assert not allowed(policy, "s3:GetObject", f"{s3}out-bucket/res/part-0")
    assert not allowed(policy, "s3:PutObject", f"{s3}out-bucket/other")
    staged = f"{s3}{STAGING}/aws-sagemaker-remote/trees/abc/job.py"
    assert allowed(policy, "s3:GetObject", staged) and not allowed(policy, "s3:PutObject", staged)
    assert not allowed(policy, "s3:GetObject", f"{s3}{STAGING}/elsewhere")


@pytest.mark.e2e
def test_the_trust_policy_names_this_accounts_processing_jobs(project):
    assert submit(project, "job-1", "--input", "s3://in-bucket/data").returncode == 0
    trust = boto3.client("iam").get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    condition = trust["Statement"][0]["Condition"]
    assert condition["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    pattern = condition["ArnLike"]["aws:SourceArn"]
    assert fnmatch.fnmatchcase(f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:processing-job/x", pattern)
    assert not fnmatch.fnmatchcase(
        "arn:aws:sagemaker:us-east-1:999999999999:processing-job/x", pattern
    )
    assert not fnmatch.fnmatchcase(f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/x", pattern)


@pytest.mark.e2e
def test_grants_are_replaced_not_accumulated(project, s3):
    s3.create_bucket(Bucket="second-bucket")
    s3.put_object(Bucket="second-bucket", Key="more/c.csv", Body=b"c\n")
    assert submit(project, "job-1", "--input", "s3://in-bucket/data").returncode == 0
    done = submit(project, "job-2", "--input", "s3://second-bucket/more")
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stderr.splitlines() if x.startswith("updated role"))
    assert "granted read s3://second-bucket/more/*" in line
    assert "withdrew read s3://in-bucket/data/*" in line  # job-1 is not running (moto: Completed)
    policy = role_policy()
    assert allowed(policy, "s3:GetObject", "arn:aws:s3:::second-bucket/more/c.csv")
    assert not allowed(policy, "s3:GetObject", "arn:aws:s3:::in-bucket/data/a.csv")
    again = submit(project, "job-3", "--input", "s3://second-bucket/more")
    assert again.returncode == 0
    # the inputs' grants stay; only the default output prefix is the new job's own
    changes = [x for x in again.stderr.splitlines() if "role" in x]
    assert len(changes) == 1 and "read" not in changes[0], changes
    assert "granted write s3://" in changes[0] and "/jobs/job-3/output/*" in changes[0]


def test_a_running_job_keeps_what_it_needs():
    from aws_sagemaker_remote.aws.role_policy import request_access

    def request(inputs, outputs):
        return {
            "ProcessingInputs": [{"S3Input": {"S3Uri": u}} for u in inputs],
            "ProcessingOutputConfig": {"Outputs": [{"S3Output": {"S3Uri": u}} for u in outputs]},
        }

    running = request_access(request(["s3://a/in/"], ["s3://a/out"]))
    new = request_access(request(["s3://b/x/", "s3://st/p/trees/t/"], []), "s3://st/p")
    merged = (running | new).compact()
    assert merged.read == {"a/in/*", "b/x/*", "st/p/*"}  # st/p/* covers the staged tree
    assert merged.write == {"a/out/*"}  # never the staging prefix
    assert merged.read_write == set()


@pytest.mark.e2e
def test_a_missing_output_bucket_is_one_line_before_the_job(project):
    done = submit(
        project, "job-1", "--input", "s3://in-bucket/data", "--output-s3", "s3://no-such-bucket/x"
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].split(": ")[2] == "--output-s3", done.stderr
    assert "no-such-bucket" in lines[0]
    assert boto3.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"] == []
    assert boto3.client("iam").list_roles()["Roles"] == []  # nothing created either


@pytest.mark.e2e
def test_the_library_does_not_print_changes_itself(moto_reset, capsys):
    from aws_sagemaker_remote.aws.role_policy import Access
    from aws_sagemaker_remote.aws.roles import resolve_role
    from aws_sagemaker_remote.aws.session import resolve_aws

    said = []
    access = Access(read=frozenset({"b/in/*"}))
    resolve_role(resolve_aws(None), "quiet-role", access=access, notify=said.append)
    assert capsys.readouterr() == ("", "")
    assert len(said) == 1 and "created IAM role" in said[0] and "s3://b/in/*" in said[0]
    json.dumps(said)


def reads(*patterns: str):
    from aws_sagemaker_remote.aws.role_policy import Access

    return Access(read=frozenset(patterns))


@pytest.mark.e2e
def test_each_region_has_its_own_grants(moto_reset):
    """The policy names the region's logs too: a submission in eu-west-1 must not take
    what a job running in us-east-1 was granted."""
    from dataclasses import replace

    from aws_sagemaker_remote.aws.role_grants import policy_name
    from aws_sagemaker_remote.aws.roles import resolve_role
    from aws_sagemaker_remote.aws.session import resolve_aws

    east = resolve_aws(None)
    west = replace(east, region="eu-west-1")
    resolve_role(east, "regional", access=reads("east-bucket/in/*"))
    resolve_role(west, "regional", access=reads("west-bucket/in/*"))
    iam = boto3.client("iam")
    names = iam.list_role_policies(RoleName="regional")["PolicyNames"]
    assert {policy_name("us-east-1"), policy_name("eu-west-1")} <= set(names)
    policy = iam.get_role_policy(RoleName="regional", PolicyName=policy_name("us-east-1"))
    document = policy["PolicyDocument"]
    assert allowed(document, "s3:GetObject", "arn:aws:s3:::east-bucket/in/a.csv")
    assert not allowed(document, "s3:GetObject", "arn:aws:s3:::west-bucket/in/a.csv")
    assert "us-east-1" in json.dumps(document) and "eu-west-1" not in json.dumps(document)


@pytest.mark.e2e
def test_grants_a_concurrent_submission_replaced_are_put_back(moto_reset):
    """Submissions A and B at once: B replaces the policy after A created its job, without
    it. A's check after creating its job puts its grants back, beside B's."""
    from aws_sagemaker_remote.aws.role_grants import confirm_grants, policy_name
    from aws_sagemaker_remote.aws.roles import resolve_role
    from aws_sagemaker_remote.aws.session import resolve_aws

    ctx = resolve_aws(None)
    arn = resolve_role(ctx, "shared", access=reads("a-bucket/in/*"))  # A
    resolve_role(ctx, "shared", access=reads("b-bucket/in/*"))  # B, not knowing A's job
    said: list[str] = []
    confirm_grants(ctx, arn, reads("a-bucket/in/*"), said.append)  # A, its job created
    document = boto3.client("iam").get_role_policy(
        RoleName="shared", PolicyName=policy_name(ctx.region)
    )["PolicyDocument"]
    assert allowed(document, "s3:GetObject", "arn:aws:s3:::a-bucket/in/x")
    assert allowed(document, "s3:GetObject", "arn:aws:s3:::b-bucket/in/x")
    assert len(said) == 1 and "changed by another submission" in said[0]
    assert "read s3://a-bucket/in/*" in said[0]
    said.clear()
    confirm_grants(ctx, arn, reads("a-bucket/in/*"), said.append)
    assert said == []  # nothing missing, nothing said


@pytest.mark.e2e
def test_a_role_that_cannot_be_resolved_stops_the_run_before_any_upload(project, s3):
    """The role is resolved while staging looks at what is stored; its failure still
    comes before anything is sent."""
    s3.create_bucket(Bucket=STAGING)
    done = submit(project, "job-1", "--input", "s3://in-bucket/data", "--sagemaker-role", "a" * 65)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--sagemaker-role" in lines[0], done.stderr
    assert s3.list_objects_v2(Bucket=STAGING).get("KeyCount", 0) == 0  # nothing uploaded
    assert boto3.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"] == []


def delete_role(name: str) -> None:
    iam = boto3.client("iam")
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)


@pytest.mark.e2e
def test_a_taken_job_name_stops_the_run_before_the_role_is_made_or_changed(project):
    """The role is looked up beside the job-name check, but makes nothing before it passes."""
    assert submit(project, "taken-1", "--input", "s3://in-bucket/data").returncode == 0
    delete_role(ROLE)
    done = submit(project, "taken-1", "--input", "s3://in-bucket/data")
    assert done.returncode == 2, done.stderr
    assert "a processing job named taken-1 already exists" in done.stderr
    assert "IAM role" not in done.stderr
    roles = boto3.client("iam").list_roles()["Roles"]
    assert ROLE not in [r["RoleName"] for r in roles]  # not created
    assert submit(project, "job-2", "--input", "s3://in-bucket/data").returncode == 0
    before = role_policy()
    done = submit(project, "job-2", "--input", "s3://in-bucket/data_v2")  # a new grant wanted
    assert done.returncode == 2, done.stderr
    assert "updated role" not in done.stderr
    assert role_policy() == before  # not changed
