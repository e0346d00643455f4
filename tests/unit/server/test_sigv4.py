"""server/sigv4.py checks signatures exactly as botocore makes them."""

from __future__ import annotations

import hashlib
from email.message import Message
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from aws_sagemaker_remote.server.app import buffered
from aws_sagemaker_remote.server.http import Request
from aws_sagemaker_remote.server.sigv4 import (
    SignatureProblem,
    Verifier,
    credential_scope,
    derived_secret,
)

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def as_received(signed: AWSRequest, body: bytes = b"") -> Request:
    """What the server's HTTP layer makes of the request botocore sent."""
    url = urlsplit(signed.url)
    headers = Message()
    headers["Host"] = url.netloc
    for name, value in signed.headers.items():
        headers[name] = value if isinstance(value, str) else value.decode()
    request = Request(
        method=signed.method,
        path=url.path,
        query=parse_qsl(url.query, keep_blank_values=True),
        headers=headers,
        body=None,  # type: ignore[arg-type]
        content_length=len(body),
        client="127.0.0.1",
    )
    return buffered(request, body)


def sagemaker_call(secret: str = SECRET, key: str = KEY) -> tuple[AWSRequest, bytes]:
    body = b'{"ProcessingJobName": "a b"}'
    request = AWSRequest(
        "POST",
        "http://127.0.0.1:8642/",
        data=body,
        headers={"X-Amz-Target": "SageMaker.DescribeProcessingJob"},
    )
    SigV4Auth(Credentials(key, secret), "sagemaker", "eu-west-1").add_auth(request)
    return request, body


def test_a_json_call_signed_by_botocore_verifies_and_names_its_scope():
    signed, body = sagemaker_call()
    request = as_received(signed, body)
    Verifier(KEY, SECRET).verify(request, body)
    scope = credential_scope(request)
    assert (scope.service, scope.region, scope.access_key) == ("sagemaker", "eu-west-1", KEY)


def test_a_changed_body_or_a_wrong_secret_does_not_verify():
    signed, body = sagemaker_call()
    with pytest.raises(SignatureProblem) as problem:
        Verifier(KEY, SECRET).verify(as_received(signed, body), body + b" ")
    assert problem.value.code == "SignatureDoesNotMatch"
    signed, body = sagemaker_call(secret="another")
    with pytest.raises(SignatureProblem):
        Verifier(KEY, SECRET).verify(as_received(signed, body), body)
    signed, body = sagemaker_call(key="AKIDOTHER")
    with pytest.raises(SignatureProblem) as problem:
        Verifier(KEY, SECRET).verify(as_received(signed, body), body)
    assert problem.value.code == "InvalidClientTokenId"


def test_s3_paths_and_queries_verify_as_s3_signs_them():
    url = "http://127.0.0.1:8642/bucket/dir/a%20b%2Bc.txt?list-type=2&prefix=a%2Fb&x="
    request = AWSRequest("GET", url, headers={})
    request.context["payload_signing_enabled"] = False
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(b"").hexdigest()
    S3SigV4Auth(Credentials(KEY, SECRET), "s3", "us-east-1").add_auth(request)
    Verifier(KEY, SECRET).verify(as_received(request), None)


def test_a_presigned_url_verifies():
    request = AWSRequest("GET", "http://127.0.0.1:8642/bucket/key.txt", headers={})
    S3SigV4QueryAuth(Credentials(KEY, SECRET), "s3", "us-east-1", expires=600).add_auth(request)
    Verifier(KEY, SECRET).verify(as_received(request), None)


def test_assumed_role_credentials_verify_without_being_stored():
    temporary = "ASIA0123456789ABCDEF"
    signed, body = sagemaker_call(key=temporary, secret=derived_secret(SECRET, temporary))
    Verifier(KEY, SECRET).verify(as_received(signed, body), body)
    with pytest.raises(SignatureProblem):
        Verifier(KEY, "another secret").verify(as_received(signed, body), body)


def test_an_unsigned_request_is_refused():
    request = AWSRequest("GET", "http://127.0.0.1:8642/bucket/key", headers={})
    with pytest.raises(SignatureProblem) as problem:
        Verifier(KEY, SECRET).verify(as_received(request), b"")
    assert problem.value.code == "MissingAuthenticationToken"


def test_an_expired_presigned_url_is_refused():
    from datetime import datetime, timedelta, timezone

    request = AWSRequest("GET", "http://127.0.0.1:8642/bucket/key.txt", headers={})
    S3SigV4QueryAuth(Credentials(KEY, SECRET), "s3", "us-east-1", expires=600).add_auth(request)
    received = as_received(request)
    long_ago = (datetime.now(timezone.utc) - timedelta(hours=2)).strftime("%Y%m%dT%H%M%SZ")
    received.query = [(k, long_ago if k == "X-Amz-Date" else v) for k, v in received.query]
    with pytest.raises(SignatureProblem) as problem:
        Verifier(KEY, SECRET).verify(received, None)
    assert problem.value.code == "AccessDenied"
