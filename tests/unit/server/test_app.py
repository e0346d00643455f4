"""server/app.py hands each request to its service: target, then scope, then Action, then S3."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.server.app import App, ServerConfig
from aws_sagemaker_remote.server.http import Request, Response

from .wire import request

SERVICES = ("sagemaker", "logs", "sts", "iam", "s3")


def answering(service: str):
    def face(req: Request) -> Response:
        return Response(200, [], f"{service}:{req.body.read().decode()}".encode())

    return face


@pytest.fixture()
def app() -> App:
    console = answering("console")
    return App({s: answering(s) for s in SERVICES}, ServerConfig(), console=console)


def scope(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=local/20261207/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00"
    )


@pytest.mark.parametrize(
    "req, service",
    [
        (request(X_Amz_Target="SageMaker.ListProcessingJobs"), "sagemaker"),
        (request(X_Amz_Target="Logs_20140328.GetLogEvents"), "logs"),
        (request(Authorization=scope("sts")), "sts"),
        (request(Authorization=scope("iam")), "iam"),
        (request("GET", "/bucket/key", Authorization=scope("s3")), "s3"),
        (request("GET", "/", "Action=GetCallerIdentity"), "sts"),
        (request("GET", "/bucket/key"), "s3"),
        (request("GET", "/_console/jobs"), "console"),
    ],
)
def test_each_request_reaches_its_service(app, req, service):
    assert app(req).body.startswith(f"{service}:".encode())


def test_an_unsigned_form_post_is_routed_by_its_action_and_its_body_kept(app):
    body = b"Action=GetRole&RoleName=r&Version=2010-05-08"
    req = request(body=body, Content_Type="application/x-www-form-urlencoded")
    assert app(req).body == b"iam:" + body
    body = b"Action=AssumeRole&RoleArn=x"
    req = request(body=body, Content_Type="application/x-www-form-urlencoded")
    assert app(req).body == b"sts:" + body


def test_a_service_not_answered_here_is_said_in_the_query_shape(app):
    answer = app(request(Authorization=scope("ec2")))
    assert answer.status == 400
    assert b"<Code>InvalidAction</Code>" in answer.body and b"ec2" in answer.body
