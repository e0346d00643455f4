"""The IAM face: roles and inline policies recorded in one JSON file (kept across
restarts), answered in IAM's query shapes, with IAM's errors for what it refuses."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from aws_sagemaker_remote.server.iam import Iam

from .wire import form_call

ACCOUNT = "123456789012"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
GRANT = json.dumps({"Version": "2012-10-17", "Statement": []})


@pytest.fixture()
def iam(tmp_path) -> Iam:
    return Iam(ACCOUNT, tmp_path / "serve" / "iam.json")


def create(iam: Iam, name: str = "Runner", **more: str):
    return form_call(
        iam, Action="CreateRole", RoleName=name, AssumeRolePolicyDocument=TRUST, **more
    )


def test_a_created_role_is_got_back_with_its_arn_trust_and_tags(iam):
    status, answer = create(
        iam, Path="/jobs/", **{"Tags.member.1.Key": "team", "Tags.member.1.Value": "ml"}
    )
    assert status == 200
    assert (
        answer.findtext("CreateRoleResult/Role/Arn") == f"arn:aws:iam::{ACCOUNT}:role/jobs/Runner"
    )
    status, answer = form_call(iam, Action="GetRole", RoleName="Runner")
    role = answer.find("GetRoleResult/Role")
    assert role.findtext("RoleName") == "Runner"
    assert json.loads(unquote(role.findtext("AssumeRolePolicyDocument"))) == json.loads(TRUST)
    assert role.findtext("Tags/member/Key") == "team"
    assert role.findtext("Tags/member/Value") == "ml"
    _, tags = form_call(iam, Action="ListRoleTags", RoleName="Runner")
    assert tags.findtext("ListRoleTagsResult/Tags/member/Value") == "ml"


def test_roles_and_policies_outlive_the_face_that_recorded_them(iam, tmp_path):
    create(iam)
    form_call(iam, Action="PutRolePolicy", RoleName="Runner", PolicyName="s3", PolicyDocument=GRANT)
    again = Iam(ACCOUNT, tmp_path / "serve" / "iam.json")
    status, answer = form_call(again, Action="GetRolePolicy", RoleName="Runner", PolicyName="s3")
    assert status == 200
    assert unquote(answer.findtext("GetRolePolicyResult/PolicyDocument")) == GRANT
    _, listed = form_call(again, Action="ListRolePolicies", RoleName="Runner")
    assert [m.text for m in listed.findall("ListRolePoliciesResult/PolicyNames/member")] == ["s3"]


def test_a_role_with_policies_is_deleted_only_once_they_are(iam):
    create(iam)
    form_call(iam, Action="PutRolePolicy", RoleName="Runner", PolicyName="s3", PolicyDocument=GRANT)
    status, answer = form_call(iam, Action="DeleteRole", RoleName="Runner")
    assert (status, answer.findtext("Error/Code")) == (409, "DeleteConflict")
    assert form_call(iam, Action="DeleteRolePolicy", RoleName="Runner", PolicyName="s3")[0] == 200
    assert form_call(iam, Action="DeleteRole", RoleName="Runner")[0] == 200
    status, answer = form_call(iam, Action="GetRole", RoleName="Runner")
    assert (status, answer.findtext("Error/Code")) == (404, "NoSuchEntity")


def test_the_trust_policy_is_replaced_by_update_assume_role_policy(iam):
    create(iam)
    other = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny"}]})
    form_call(iam, Action="UpdateAssumeRolePolicy", RoleName="Runner", PolicyDocument=other)
    _, answer = form_call(iam, Action="GetRole", RoleName="Runner")
    assert unquote(answer.findtext("GetRoleResult/Role/AssumeRolePolicyDocument")) == other


def test_roles_are_listed_by_name(iam):
    for name in ("b-role", "a-role"):
        create(iam, name)
    _, answer = form_call(iam, Action="ListRoles")
    names = [m.findtext("RoleName") for m in answer.findall("ListRolesResult/Roles/member")]
    assert names == ["a-role", "b-role"]
    assert answer.findtext("ListRolesResult/IsTruncated") == "false"


@pytest.mark.parametrize(
    "params, status, code",
    [
        ({"RoleName": "has space", "AssumeRolePolicyDocument": TRUST}, 400, "ValidationError"),
        ({"RoleName": "x" * 65, "AssumeRolePolicyDocument": TRUST}, 400, "ValidationError"),
        ({"RoleName": "Runner", "AssumeRolePolicyDocument": "{"}, 400, "MalformedPolicyDocument"),
    ],
)
def test_a_role_iam_would_refuse_is_not_created(iam, params, status, code):
    answer_status, answer = form_call(iam, Action="CreateRole", **params)
    assert (answer_status, answer.findtext("Error/Code")) == (status, code)
    assert form_call(iam, Action="ListRoles")[1].find("ListRolesResult/Roles/member") is None


def test_a_role_created_twice_already_exists(iam):
    create(iam)
    status, answer = create(iam)
    assert (status, answer.findtext("Error/Code")) == (409, "EntityAlreadyExists")


def test_policies_must_be_json_and_must_exist_to_be_read(iam):
    create(iam)
    status, answer = form_call(
        iam, Action="PutRolePolicy", RoleName="Runner", PolicyName="p", PolicyDocument="nope"
    )
    assert (status, answer.findtext("Error/Code")) == (400, "MalformedPolicyDocument")
    status, answer = form_call(iam, Action="GetRolePolicy", RoleName="Runner", PolicyName="p")
    assert (status, answer.findtext("Error/Code")) == (404, "NoSuchEntity")


def test_an_unreadable_file_is_the_services_fault_and_an_unknown_action_the_callers(iam):
    iam.path.parent.mkdir(parents=True)
    iam.path.write_text("{not json")
    status, answer = form_call(iam, Action="ListRoles")
    assert (status, answer.findtext("Error/Code")) == (500, "ServiceFailure")
    status, answer = form_call(iam, Action="CreateUser", UserName="u")
    assert (status, answer.findtext("Error/Code")) == (400, "InvalidAction")
