"""The account policy of a managed role (VPC network interfaces, KMS keys) is replaced from
what the jobs need now, as the S3 policy is: a key or a VPC granted for one job is withdrawn
once no running job needs it, kept while SageMaker cannot say, and a key named by an alias
ARN is granted in that alias's own account and region only."""

from __future__ import annotations

import socket

import boto3
import pytest

from aws_sagemaker_remote.aws.roles import ACCOUNT_POLICY_NAME, account_statements, resolve_role
from aws_sagemaker_remote.aws.session import resolve_aws

pytestmark = pytest.mark.e2e  # IAM and SageMaker round trips to moto

KEY_A = "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-1111-2222-3333-444444444444"
THEIR_ALIAS = "arn:aws:kms:eu-west-1:999999999999:alias/theirs"


class Needs:
    """What account_statements reads of a JobSpec."""

    def __init__(self, subnets=(), volume=None, output=None):
        self.subnets, self.volume_kms_key, self.output_kms_key = subnets, volume, output


def account_policy(role: str) -> dict | None:
    iam = boto3.client("iam")
    if ACCOUNT_POLICY_NAME not in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        return None
    document = iam.get_role_policy(RoleName=role, PolicyName=ACCOUNT_POLICY_NAME)
    return {s["Sid"]: s for s in document["PolicyDocument"]["Statement"]}


def test_grants_for_a_job_that_no_longer_runs_are_withdrawn(moto_reset):
    ctx = resolve_aws(None)
    said: list[str] = []
    resolve_role(ctx, "asr", extra=account_statements(ctx, Needs(("subnet-1",), KEY_A)))
    assert set(account_policy("asr")) == {"VpcNetworkInterfaces", "UseKmsKeys"}

    resolve_role(ctx, "asr", extra=[], notify=said.append)  # a plain job; nothing runs
    assert account_policy("asr") is None
    assert len(said) == 1 and "withdrew VPC network interfaces and KMS keys" in said[0]


def test_an_alias_arn_is_granted_in_its_own_account_and_region(moto_reset):
    ctx = resolve_aws(None)
    resolve_role(ctx, "asr", extra=account_statements(ctx, Needs((), THEIR_ALIAS, "alias/ours")))
    statements = account_policy("asr")
    grants = {
        s["Resource"]: s["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"]
        for sid, s in statements.items()
        if sid.startswith("UseKmsAliases")
    }
    assert grants == {
        "arn:aws:kms:eu-west-1:999999999999:key/*": ["alias/theirs"],
        "arn:aws:kms:us-east-1:123456789012:key/*": ["alias/ours"],
    }


def test_earlier_grants_stay_while_sagemaker_cannot_say_what_runs(moto_reset, monkeypatch):
    ctx = resolve_aws(None)
    resolve_role(ctx, "asr", extra=account_statements(ctx, Needs(("subnet-1",))))
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_AWS_ATTEMPTS", "1")
    unreachable = resolve_aws(None)
    resolve_role(unreachable, "asr", extra=account_statements(unreachable, Needs((), KEY_A)))
    statements = account_policy("asr")
    assert "VpcNetworkInterfaces" in statements  # perhaps a running job's: kept
    assert statements["UseKmsKeys"]["Resource"] == [KEY_A]
