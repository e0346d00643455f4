"""The job's IAM role: an ARN as given, a name looked up, a missing role created."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from conftest import moto_auth

from aws_sagemaker_remote.aws.roles import MANAGED_TAG, POLICY_NAME, resolve_role
from aws_sagemaker_remote.aws.session import AwsContext, resolve_aws
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.processing.args import flag_for_field

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture()
def ctx(moto_reset):
    return resolve_aws(None)


def test_an_existing_role_arn_passes_through_unchanged(ctx):
    iam = boto3.client("iam")
    iam.create_role(
        RoleName="AmazonSageMaker-ExecutionRole-1",
        Path="/service-role/",
        AssumeRolePolicyDocument="{}",
    )
    arn = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-1"
    assert resolve_role(ctx, arn, buckets=["b"]) == arn
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["AmazonSageMaker-ExecutionRole-1"]


@pytest.mark.parametrize(
    "bad", ["arn:aws:iam::123:role/x", "arn:aws:iam::123456789012:user/x", "arn:aws:s3:::bucket"]
)
def test_malformed_arn(ctx, bad):
    with pytest.raises(UserError) as caught:
        resolve_role(ctx, bad, buckets=[])
    assert caught.value.field == "role"


def test_invalid_name(ctx):
    with pytest.raises(UserError) as caught:
        resolve_role(ctx, "no spaces allowed", buckets=[])
    assert caught.value.field == "role"


def test_existing_role_is_resolved_and_left_alone(ctx):
    iam = boto3.client("iam")
    arn = iam.create_role(RoleName="mine", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
        "Arn"
    ]
    out = io.StringIO()
    assert resolve_role(ctx, "mine", buckets=["data-bucket"], out=out) == arn
    assert out.getvalue() == ""
    assert iam.list_role_policies(RoleName="mine")["PolicyNames"] == []


def test_missing_role_is_created_least_privilege(ctx):
    out = io.StringIO()
    arn = resolve_role(ctx, "aws-sagemaker-remote", buckets=["staging-b", "data-b"], out=out)
    assert arn == "arn:aws:iam::123456789012:role/aws-sagemaker-remote"
    assert arn in out.getvalue()

    iam = boto3.client("iam")
    role = iam.get_role(RoleName="aws-sagemaker-remote")["Role"]
    assert role["AssumeRolePolicyDocument"] == TRUST
    assert {"Key": MANAGED_TAG, "Value": "true"} in role["Tags"]
    policy = iam.get_role_policy(RoleName="aws-sagemaker-remote", PolicyName=POLICY_NAME)
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements["ListJobBuckets"]["Resource"] == [
        "arn:aws:s3:::data-b",
        "arn:aws:s3:::staging-b",
    ]
    assert statements["ReadWriteJobObjects"]["Resource"] == [
        "arn:aws:s3:::data-b/*",
        "arn:aws:s3:::staging-b/*",
    ]
    actions = [a for s in statements.values() for a in _list(s["Action"])]
    assert not any(a.endswith("*") for a in actions)  # no wildcard actions
    assert "s3:DeleteObject" not in actions
    assert statements["WriteJobLogs"]["Resource"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/*"
    )
    assert set(_list(statements["PullImage"]["Action"])) == {
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability",
    }
    assert statements["EcrLogin"]["Action"] == "ecr:GetAuthorizationToken"

    # Resolving it again finds it, and creates nothing.
    again = io.StringIO()
    assert resolve_role(ctx, "aws-sagemaker-remote", buckets=["data-b"], out=again) == arn
    assert again.getvalue() == ""


def test_created_role_is_widened_for_a_new_bucket(ctx):
    resolve_role(ctx, "asr", buckets=["first"], out=io.StringIO())
    out = io.StringIO()
    resolve_role(ctx, "asr", buckets=["second"], out=out)
    assert "second" in out.getvalue()
    policy = boto3.client("iam").get_role_policy(RoleName="asr", PolicyName=POLICY_NAME)
    listed = [s for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == "ListJobBuckets"]
    assert listed[0]["Resource"] == ["arn:aws:s3:::first", "arn:aws:s3:::second"]


def test_role_with_path(ctx):
    arn = resolve_role(ctx, "service-role/asr-path", buckets=["b"], out=io.StringIO())
    assert arn == "arn:aws:iam::123456789012:role/service-role/asr-path"


def test_iam_access_denied(moto_reset):
    iam = boto3.client("iam")
    iam.create_user(UserName="no-iam")
    key = iam.create_access_key(UserName="no-iam")["AccessKey"]
    allow_sts = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="no-iam", PolicyName="p", PolicyDocument=json.dumps(allow_sts))
    session = boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    weak = AwsContext(session=session, region="us-east-1", account_id="123456789012")
    moto_auth(moto_reset, "0")
    try:
        with pytest.raises(UserError) as caught:
            resolve_role(weak, "some-role", buckets=["b"])
    finally:
        moto_auth(moto_reset, "inf")
    text = caught.value.one_line(flag_for_field)
    assert caught.value.field == "role"
    assert "iam:GetRole" in text and "\n" not in text


def _list(value):
    return [value] if isinstance(value, str) else value


def test_an_arn_of_this_account_must_name_a_role_that_exists(ctx):
    with pytest.raises(UserError, match="no IAM role arn:aws:iam::123456789012:role/nope"):
        resolve_role(ctx, "arn:aws:iam::123456789012:role/nope", buckets=["b"], out=io.StringIO())
    other = "arn:aws:iam::999999999999:role/elsewhere"  # another account's: SageMaker decides
    assert resolve_role(ctx, other, buckets=["b"], out=io.StringIO()) == other
