"""A local job's credentials, served as a container gets them: an endpoint on 127.0.0.1
that answers only with its token, with the role's temporary credentials (sts:AssumeRole
on moto server) or, asked for, this machine's own; and the offline judgement, made
without botocore."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from aws_sagemaker_remote.backends.local.runner.credentials import (
    CredentialsEndpoint,
    CredentialSource,
    aws_configured,
)

ROLE = "arn:aws:iam::123456789012:role/JobRole"


def fetch(endpoint: CredentialsEndpoint, token: str | None) -> tuple[int, dict]:
    url = endpoint.environment()["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    request = urllib.request.Request(url, headers={"Authorization": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture()
def serving(moto_reset):
    said: list[str] = []
    made: list[CredentialsEndpoint] = []

    def serve(source: CredentialSource) -> CredentialsEndpoint:
        made.append(CredentialsEndpoint(source, said.append))
        return made[-1]

    yield serve, said
    for endpoint in made:
        endpoint.close()


def test_the_job_gets_its_roles_temporary_credentials_not_the_submitters(serving):
    serve, _ = serving
    endpoint = serve(CredentialSource(None, ROLE, "job", host=False))
    status, document = fetch(endpoint, endpoint.token)
    assert status == 200
    assert document["AccessKeyId"] != "testing" and document["Token"]
    assert document["Expiration"].endswith("Z")
    assert fetch(endpoint, endpoint.token)[1] == document  # cached until near expiry


def test_host_credentials_are_this_machines_own(serving):
    serve, _ = serving
    endpoint = serve(CredentialSource(None, None, "job", host=True))
    status, document = fetch(endpoint, endpoint.token)
    assert status == 200
    assert (document["AccessKeyId"], document["SecretAccessKey"]) == ("testing", "testing")


def test_a_request_without_the_token_is_refused(serving):
    serve, _ = serving
    endpoint = serve(CredentialSource(None, ROLE, "job", host=False))
    assert fetch(endpoint, None)[0] == 403
    assert fetch(endpoint, "guess")[0] == 403


def test_a_role_that_cannot_be_assumed_is_the_jobs_error_naming_the_role(serving):
    serve, said = serving
    endpoint = serve(CredentialSource("no-such-profile", ROLE, "job", host=False))
    status, document = fetch(endpoint, endpoint.token)
    assert status == 500 and document["code"] == "CredentialsUnavailable"
    assert ROLE in document["message"] and said == [document["message"]]


def test_a_machine_is_online_with_a_credential_variable_a_profile_or_a_file(tmp_path):
    bare = {"HOME": str(tmp_path)}
    assert not aws_configured(bare, None)
    assert aws_configured(bare, "work")
    assert aws_configured({**bare, "AWS_ACCESS_KEY_ID": "AKID"}, None)
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text("[default]\n")
    assert aws_configured(bare, None)
