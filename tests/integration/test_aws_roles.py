"""The job's IAM role: an ARN as given, a name looked up, a missing role created."""

from __future__ import annotations

import json

import boto3
import pytest
from conftest import moto_auth

from aws_sagemaker_remote.aws.role_grants import LEGACY_POLICY_NAME, policy_name
from aws_sagemaker_remote.aws.role_policy import Access, trust_policy
from aws_sagemaker_remote.aws.roles import MANAGED_TAG, resolve_role
from aws_sagemaker_remote.aws.session import AwsContext, resolve_aws
from aws_sagemaker_remote.cli.flags import flag_for_field
from aws_sagemaker_remote.errors import UserError

TRUST = {  # what earlier versions created: no conditions
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def reads(*patterns: str) -> Access:
    return Access(read=frozenset(patterns))


@pytest.fixture()
def ctx(moto_reset):
    return resolve_aws(None)


@pytest.mark.e2e
def test_an_existing_role_arn_passes_through_unchanged(ctx):
    iam = boto3.client("iam")
    iam.create_role(
        RoleName="AmazonSageMaker-ExecutionRole-1",
        Path="/service-role/",
        AssumeRolePolicyDocument="{}",
    )
    arn = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-1"
    assert resolve_role(ctx, arn, access=reads("b/*")) == arn
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["AmazonSageMaker-ExecutionRole-1"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    "bad", ["arn:aws:iam::123:role/x", "arn:aws:iam::123456789012:user/x", "arn:aws:s3:::bucket"]
)
def test_malformed_arn(ctx, bad):
    with pytest.raises(UserError) as caught:
        resolve_role(ctx, bad, access=Access())
    assert caught.value.field == "role"


@pytest.mark.e2e
def test_invalid_name(ctx):
    with pytest.raises(UserError) as caught:
        resolve_role(ctx, "no spaces allowed", access=Access())
    assert caught.value.field == "role"


@pytest.mark.e2e
def test_existing_role_is_resolved_and_left_alone(ctx):
    iam = boto3.client("iam")
    arn = iam.create_role(RoleName="mine", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
        "Arn"
    ]
    said: list[str] = []
    assert resolve_role(ctx, "mine", access=reads("data-bucket/*"), notify=said.append) == arn
    assert said == []
    assert iam.list_role_policies(RoleName="mine")["PolicyNames"] == []
    assert iam.get_role(RoleName="mine")["Role"]["AssumeRolePolicyDocument"] == TRUST


@pytest.mark.e2e
def test_missing_role_is_created_least_privilege(ctx):
    said: list[str] = []
    access = Access(
        read=frozenset({"data-b/in/*"}),
        write=frozenset({"data-b/out/*"}),
        read_write=frozenset({"staging-b/p/*"}),
    )
    arn = resolve_role(ctx, "aws-sagemaker-remote", access=access, notify=said.append)
    assert arn == "arn:aws:iam::123456789012:role/aws-sagemaker-remote"
    assert len(said) == 1 and arn in said[0]

    iam = boto3.client("iam")
    role = iam.get_role(RoleName="aws-sagemaker-remote")["Role"]
    assert role["AssumeRolePolicyDocument"] == trust_policy("aws", "123456789012")
    assert {"Key": MANAGED_TAG, "Value": "true"} in role["Tags"]
    policy = iam.get_role_policy(
        RoleName="aws-sagemaker-remote", PolicyName=policy_name(ctx.region)
    )
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements["ListJobInputs0"]["Resource"] == "arn:aws:s3:::data-b"
    assert statements["ListJobInputs0"]["Condition"] == {"StringLike": {"s3:prefix": ["in/*"]}}
    assert statements["ListJobInputs1"]["Condition"] == {"StringLike": {"s3:prefix": ["p/*"]}}
    assert statements["ReadJobObjects"]["Resource"] == [
        "arn:aws:s3:::data-b/in/*",
        "arn:aws:s3:::staging-b/p/*",
    ]
    assert statements["WriteJobObjects"]["Resource"] == [
        "arn:aws:s3:::data-b/out/*",
        "arn:aws:s3:::staging-b/p/*",
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

    # Resolving it again for the same access finds it, and changes nothing.
    again: list[str] = []
    assert resolve_role(ctx, "aws-sagemaker-remote", access=access, notify=again.append) == arn
    assert again == []


@pytest.mark.e2e
def test_a_managed_role_gets_exactly_the_new_jobs_access(ctx):
    resolve_role(ctx, "asr", access=reads("first/*"))
    said: list[str] = []
    resolve_role(ctx, "asr", access=reads("second/x/*"), notify=said.append)
    assert said == [
        "updated role arn:aws:iam::123456789012:role/asr: granted read s3://second/x/*; "
        "withdrew read s3://first/*"
    ]
    policy = boto3.client("iam").get_role_policy(RoleName="asr", PolicyName=policy_name(ctx.region))
    read = [s for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == "ReadJobObjects"]
    assert read[0]["Resource"] == ["arn:aws:s3:::second/x/*"]


@pytest.mark.e2e
def test_a_role_of_an_earlier_version_gets_the_trust_conditions(ctx):
    iam = boto3.client("iam")
    iam.create_role(
        RoleName="old",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Tags=[{"Key": MANAGED_TAG, "Value": "true"}],
    )
    old_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadWriteJobObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": ["arn:aws:s3:::whole-bucket/*"],
            }
        ],
    }
    iam.put_role_policy(
        RoleName="old", PolicyName=LEGACY_POLICY_NAME, PolicyDocument=json.dumps(old_policy)
    )
    said: list[str] = []
    resolve_role(ctx, "old", access=reads("b/in/*"), notify=said.append)
    assert iam.get_role(RoleName="old")["Role"]["AssumeRolePolicyDocument"] == trust_policy(
        "aws", "123456789012"
    )
    assert "trusts SageMaker only for processing jobs of account 123456789012" in said[0]
    assert "withdrew read/write s3://whole-bucket/*" in said[1]
    assert f"removed the policy {LEGACY_POLICY_NAME}" in said[2]
    assert iam.list_role_policies(RoleName="old")["PolicyNames"] == [policy_name(ctx.region)]


@pytest.mark.e2e
def test_role_with_path(ctx):
    arn = resolve_role(ctx, "service-role/asr-path", access=reads("b/*"))
    assert arn == "arn:aws:iam::123456789012:role/service-role/asr-path"


@pytest.mark.e2e
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
            resolve_role(weak, "some-role", access=reads("b/*"))
    finally:
        moto_auth(moto_reset, "inf")
    text = caught.value.one_line(flag_for_field)
    assert caught.value.field == "role"
    assert "iam:GetRole" in text and "\n" not in text


def _list(value):
    return [value] if isinstance(value, str) else value


@pytest.mark.e2e
def test_an_arn_of_this_account_must_name_a_role_that_exists(ctx):
    with pytest.raises(UserError, match="no IAM role arn:aws:iam::123456789012:role/nope"):
        resolve_role(ctx, "arn:aws:iam::123456789012:role/nope", access=reads("b/*"))
    other = "arn:aws:iam::999999999999:role/elsewhere"  # another account's: SageMaker decides
    assert resolve_role(ctx, other, access=reads("b/*")) == other
