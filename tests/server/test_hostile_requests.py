"""Malformed and hostile requests get the service's error shape: never a traceback or a hang."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e


def connect(serve) -> http.client.HTTPConnection:
    url = urlsplit(serve.url)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def post(serve, target: str, body: bytes) -> tuple[int, dict]:
    conn = connect(serve)
    try:
        headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
        conn.request("POST", "/", body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


def test_malformed_json_is_a_serialization_exception(serve):
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe"):
        status, error = post(serve, "SageMaker.DescribeProcessingJob", body)
        assert status == 400
        assert error["__type"] == "SerializationException"
    status, error = post(serve, "Logs_20140328.GetLogEvents", b"{")
    assert (status, error["__type"]) == (400, "SerializationException")


def test_wrongly_typed_members_are_a_validation_exception(serve):
    body = json.dumps({"ProcessingJobName": ["a"], "RoleArn": 5}).encode()
    status, error = post(serve, "SageMaker.CreateProcessingJob", body)
    assert status == 400 and error["__type"] == "ValidationException"
    body = json.dumps({"MaxResults": "ten"}).encode()
    status, error = post(serve, "SageMaker.ListProcessingJobs", body)
    assert status == 400 and error["__type"] == "ValidationException"


def test_an_unknown_target_names_the_operation(serve):
    status, error = post(serve, "SageMaker.DeleteEverything", b"{}")
    assert status == 400
    assert error["__type"] == "UnknownOperationException"
    assert "DeleteEverything" in error["message"]
    status, error = post(serve, "SomethingElse_2020.Do", b"{}")
    assert status == 400 and error["__type"] == "UnknownOperationException"


def test_a_huge_body_is_refused_at_once(serve):
    """The server answers from the headers, without reading (or waiting for) the body."""
    conn = connect(serve)
    try:
        conn.putrequest("POST", "/")
        conn.putheader("X-Amz-Target", "SageMaker.CreateProcessingJob")
        conn.putheader("Content-Length", str(10 * 1024**3))
        conn.endheaders()
        conn.send(b"{" * 1024)
        answer = conn.getresponse()
        assert answer.status == 413
        assert json.loads(answer.read())["__type"] == "RequestEntityTooLarge"
    finally:
        conn.close()
