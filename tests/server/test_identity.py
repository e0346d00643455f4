"""boto3 against ``serve``'s STS and IAM: answered in the query protocol, IAM recorded."""

from __future__ import annotations

import urllib.request

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.e2e


def code_of(call) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def test_caller_identity_and_assumed_roles(serve):
    sts = serve.client("sts")
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"
    given = sts.assume_role(
        RoleArn="arn:aws:iam::000000000000:role/any", RoleSessionName="me", DurationSeconds=900
    )
    assert given["AssumedRoleUser"]["Arn"] == "arn:aws:sts::000000000000:assumed-role/any/me"
    assert code_of(
        lambda: sts.assume_role(RoleArn="arn:aws:s3:::not-a-role-at-all", RoleSessionName="me")
    ) == ("ValidationError")


def test_roles_and_policies_are_recorded(serve):
    iam = serve.client("iam")
    iam.create_role(RoleName="recorded", AssumeRolePolicyDocument="{}", Path="/team/")
    assert iam.get_role(RoleName="recorded")["Role"]["Arn"] == (
        "arn:aws:iam::000000000000:role/team/recorded"
    )
    assert code_of(lambda: iam.create_role(RoleName="recorded", AssumeRolePolicyDocument="{}")) == (
        "EntityAlreadyExists"
    )
    iam.put_role_policy(RoleName="recorded", PolicyName="p", PolicyDocument='{"a": 1}')
    assert iam.list_role_policies(RoleName="recorded")["PolicyNames"] == ["p"]
    assert code_of(lambda: iam.delete_role(RoleName="recorded")) == "DeleteConflict"
    iam.delete_role_policy(RoleName="recorded", PolicyName="p")
    assert code_of(lambda: iam.get_role_policy(RoleName="recorded", PolicyName="p")) == (
        "NoSuchEntity"
    )
    iam.delete_role(RoleName="recorded")
    assert "recorded" not in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert code_of(lambda: iam.list_users()) == "InvalidAction"


def test_an_unsigned_form_post_of_an_unknown_action_is_an_xml_error(serve):
    request = urllib.request.Request(
        serve.url + "/",
        data=b"Action=DoSomethingOdd&Version=2010-05-08",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 400
    body = refused.value.read()
    assert b"<Code>InvalidAction</Code>" in body and b"DoSomethingOdd" in body
