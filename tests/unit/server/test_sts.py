"""The STS face: the caller is the local account's root; AssumeRole hands out credentials
the server itself can check, for a role ARN, with SageMaker's duration bounds."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.server.sigv4 import TEMPORARY_PREFIX, derived_secret
from aws_sagemaker_remote.server.sts import Sts

from .wire import form_call

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/jobs/Runner"


@pytest.fixture()
def sts() -> Sts:
    return Sts(ACCOUNT, "server-secret")


def test_the_caller_is_the_root_of_the_local_account(sts):
    status, answer = form_call(sts, Action="GetCallerIdentity", Version="2011-06-15")
    assert status == 200
    result = answer.find("GetCallerIdentityResult")
    assert result.findtext("Account") == ACCOUNT
    assert result.findtext("Arn") == f"arn:aws:iam::{ACCOUNT}:root"


def test_an_assumed_roles_secret_is_derived_from_the_servers_so_it_can_verify_it(sts):
    status, answer = form_call(
        sts, Action="AssumeRole", RoleArn=ROLE, RoleSessionName="job-1", DurationSeconds="900"
    )
    assert status == 200
    result = answer.find("AssumeRoleResult")
    key_id = result.findtext("Credentials/AccessKeyId")
    assert key_id.startswith(TEMPORARY_PREFIX)
    assert result.findtext("Credentials/SecretAccessKey") == derived_secret("server-secret", key_id)
    assert result.findtext("Credentials/SessionToken")
    assert result.findtext("AssumedRoleUser/Arn") == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/Runner/job-1"
    )


def test_two_assumptions_get_different_keys(sts):
    keys = {
        form_call(sts, Action="AssumeRole", RoleArn=ROLE, RoleSessionName="s")[1].findtext(
            "AssumeRoleResult/Credentials/AccessKeyId"
        )
        for _ in range(2)
    }
    assert len(keys) == 2


@pytest.mark.parametrize(
    "params, said",
    [
        ({"RoleArn": "Runner", "RoleSessionName": "s"}, "is not a role ARN"),
        ({"RoleArn": f"arn:aws:iam::{ACCOUNT}:user/u", "RoleSessionName": "s"}, "role ARN"),
        ({"RoleArn": ROLE}, "RoleSessionName is required"),
        ({"RoleArn": ROLE, "RoleSessionName": "s", "DurationSeconds": "soon"}, "a number"),
        ({"RoleArn": ROLE, "RoleSessionName": "s", "DurationSeconds": "899"}, "900 to 43200"),
        ({"RoleArn": ROLE, "RoleSessionName": "s", "DurationSeconds": "43201"}, "900 to 43200"),
    ],
)
def test_a_bad_assume_role_is_a_validation_error_of_the_senders(sts, params, said):
    status, answer = form_call(sts, Action="AssumeRole", **params)
    assert status == 400
    assert answer.findtext("Error/Code") == "ValidationError"
    assert answer.findtext("Error/Type") == "Sender"
    assert said in answer.findtext("Error/Message")


def test_an_action_sts_does_not_answer_is_named(sts):
    status, answer = form_call(sts, Action="GetSessionToken")
    assert status == 400
    assert answer.findtext("Error/Code") == "InvalidAction"
    assert "GetSessionToken" in answer.findtext("Error/Message")
