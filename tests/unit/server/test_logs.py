"""The CloudWatch Logs face: JSON 1.1 in and out, the operation read from the target, one
log group described, and an operation it does not answer named with those it does."""

from __future__ import annotations

import pytest
from consolekit import record

from aws_sagemaker_remote.backends.local.runner.logstreams import (
    StreamWriter,
    stream_file,
    stream_name,
)
from aws_sagemaker_remote.server.log_events import GROUP, LogEvents
from aws_sagemaker_remote.server.logs import Logs

from .wire import json_call, request


@pytest.fixture()
def logs(engine) -> Logs:
    return Logs(LogEvents(engine, "123456789012"))


def test_the_one_group_is_described_when_the_prefix_fits(logs):
    status, answer = json_call(
        logs, "Logs_20140328.DescribeLogGroups", {"logGroupNamePrefix": "/aws/sage"}
    )
    assert status == 200
    assert [g["logGroupName"] for g in answer["logGroups"]] == [GROUP]
    assert answer["logGroups"][0]["arn"].endswith(f"log-group:{GROUP}:*")
    _, none = json_call(logs, "Logs_20140328.DescribeLogGroups", {"logGroupNamePrefix": "/x"})
    assert none == {"logGroups": []}


def test_a_jobs_lines_are_read_through_the_face(engine, logs):
    record(engine, "talky", "InProgress")
    stream = stream_name("talky", 1, 1733570000)
    writer = StreamWriter(stream_file(engine.store.job_dir("talky"), stream))
    writer.write("hello")
    writer.close()
    status, answer = json_call(
        logs,
        "Logs_20140328.GetLogEvents",
        {"logGroupName": GROUP, "logStreamName": stream, "startFromHead": True},
    )
    assert status == 200
    assert [e["message"] for e in answer["events"]] == ["hello"]


def test_a_missing_stream_is_a_json_error_in_the_services_shape(logs):
    status, answer = json_call(
        logs, "Logs_20140328.GetLogEvents", {"logGroupName": GROUP, "logStreamName": "x/algo-1-1"}
    )
    assert status == 400
    assert answer["__type"] == "ResourceNotFoundException"


def test_an_operation_not_answered_is_named_with_those_that_are(logs):
    status, answer = json_call(logs, "Logs_20140328.PutLogEvents", {})
    assert status == 400 and answer["__type"] == "UnknownOperationException"
    assert "PutLogEvents" in answer["message"] and "GetLogEvents" in answer["message"]


def test_a_body_that_is_not_json_is_a_serialization_exception(logs):
    answer = logs(request(body=b"{", X_Amz_Target="Logs_20140328.GetLogEvents"))
    assert answer.status == 400 and b"SerializationException" in answer.body
