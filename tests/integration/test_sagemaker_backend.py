"""SageMakerBackend against moto server: jobs through the SageMaker API, logs through Logs.

moto executes nothing: a created processing job is Completed at once, StopProcessingJob
makes it Stopped, and the tests play the job's part for logs by writing the log group and
streams through boto3 to the same server.
"""

from __future__ import annotations

import time

import boto3
import pytest

from aws_sagemaker_remote.aws.images import default_image
from aws_sagemaker_remote.aws.session import resolve_aws
from aws_sagemaker_remote.backends import Backend, LogEvent
from aws_sagemaker_remote.backends.sagemaker import SageMakerBackend
from aws_sagemaker_remote.errors import NotFound, UserError
from aws_sagemaker_remote.script.layout import LOG_GROUP


def processing_request(name: str, *, outputs: dict | None = None, instances: int = 1) -> dict:
    outputs = {"out": f"s3://job-bucket/{name}/out"} if outputs is None else outputs
    return {
        "ProcessingJobName": name,
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": instances,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 30,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "AppSpecification": {
            "ImageUri": default_image("us-east-1"),
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/script.py"],
        },
        "RoleArn": "arn:aws:iam::123456789012:role/aws-sagemaker-remote",
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": output,
                    "S3Output": {
                        "S3Uri": uri,
                        "LocalPath": f"/opt/ml/processing/output/{output}",
                        "S3UploadMode": "EndOfJob",
                    },
                }
                for output, uri in outputs.items()
            ]
        },
        "Tags": [{"Key": "aws-sagemaker-remote:git-commit", "Value": "abc123"}],
    }


def now_ms() -> int:
    return int(time.time() * 1000)


def put_logs(stream: str, messages: list[str], start_ms: int | None = None) -> None:
    """Write one event per message, 1 ms apart (moto accepts events of the last 14 days)."""
    start_ms = now_ms() if start_ms is None else start_ms
    logs = boto3.client("logs")
    if not logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"]:
        logs.create_log_group(logGroupName=LOG_GROUP)
    existing = logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix=stream)
    if not any(s["logStreamName"] == stream for s in existing["logStreams"]):
        logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    events = [{"timestamp": start_ms + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=events)


@pytest.fixture()
def backend(moto_reset) -> SageMakerBackend:
    return SageMakerBackend(resolve_aws(None))


@pytest.mark.e2e
def test_is_a_backend(backend):
    assert backend.local is False  # its jobs run on SageMaker, not on this machine
    protocol_methods = [m for m in vars(Backend) if not m.startswith("_") and m != "local"]
    assert all(callable(getattr(backend, m)) for m in protocol_methods)


@pytest.mark.e2e
def test_create_then_describe(backend):
    request = processing_request("wc-1")
    backend.create_job(request)
    description = backend.describe_job("wc-1")
    assert description["ProcessingJobName"] == "wc-1"
    assert description["ProcessingJobStatus"] == "Completed"  # moto: at once
    assert description["RoleArn"] == request["RoleArn"]
    assert description["AppSpecification"] == request["AppSpecification"]
    assert description["ProcessingOutputConfig"] == request["ProcessingOutputConfig"]
    assert description["ProcessingJobArn"].endswith(":processing-job/wc-1")
    assert "ResponseMetadata" not in description


@pytest.mark.e2e
def test_describe_missing_job(backend):
    with pytest.raises(NotFound) as caught:  # by type: callers never compare the words
        backend.describe_job("nope")
    assert caught.value.one_line() == "no processing job named nope"
    assert caught.value.field is None


@pytest.mark.e2e
def test_invalid_request_is_a_user_error(backend):
    request = processing_request("bad")
    del request["RoleArn"]
    with pytest.raises(UserError) as caught:
        backend.create_job(request)
    assert "RoleArn" in caught.value.one_line()


@pytest.mark.e2e
def test_list_newest_first_with_filters(backend):
    for name in ("alpha-1", "beta-1", "alpha-2"):
        backend.create_job(processing_request(name))
    jobs = backend.list_jobs()
    assert {j["ProcessingJobName"] for j in jobs} == {"alpha-1", "beta-1", "alpha-2"}
    created = [j["CreationTime"] for j in jobs]
    assert created == sorted(created, reverse=True)
    assert all(j["ProcessingJobStatus"] == "Completed" for j in jobs)
    assert {j["ProcessingJobName"] for j in backend.list_jobs(name_contains="alpha")} == {
        "alpha-1",
        "alpha-2",
    }
    assert len(backend.list_jobs(max_results=2)) == 2
    assert backend.list_jobs(name_contains="gamma") == []


@pytest.mark.e2e
def test_stop(backend):
    backend.create_job(processing_request("to-stop"))
    backend.stop_job("to-stop")
    assert backend.describe_job("to-stop")["ProcessingJobStatus"] == "Stopped"


@pytest.mark.e2e
def test_stop_missing_job(backend):
    with pytest.raises(NotFound) as caught:
        backend.stop_job("ghost")
    assert caught.value.one_line() == "no processing job named ghost"


@pytest.mark.e2e
def test_no_log_group_or_stream_yet(backend):
    assert backend.log_streams("wc-1") == []
    assert backend.read_log("wc-1/algo-1-1700000000") == ([], None)
    boto3.client("logs").create_log_group(logGroupName=LOG_GROUP)
    assert backend.log_streams("wc-1") == []
    assert backend.read_log("wc-1/algo-1-1700000000", "f/1") == ([], "f/1")


@pytest.mark.e2e
def test_log_streams_of_one_job_in_instance_order(backend):
    put_logs("wc-1/algo-10-1700000000", ["x"])
    put_logs("wc-1/algo-2-1700000000", ["x"])
    put_logs("wc-1/algo-1-1700000000", ["x"])
    put_logs("wc-10/algo-1-1700000000", ["other job"])
    assert backend.log_streams("wc-1") == [
        "wc-1/algo-1-1700000000",
        "wc-1/algo-2-1700000000",
        "wc-1/algo-10-1700000000",
    ]


@pytest.mark.e2e
def test_log_streams_beyond_one_page(backend):
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName=LOG_GROUP)
    for n in range(1, 56):  # DescribeLogStreams returns 50 per page
        logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=f"big/algo-{n}-1700000000")
    streams = backend.log_streams("big")
    assert len(streams) == 55
    assert streams[0] == "big/algo-1-1700000000" and streams[-1] == "big/algo-55-1700000000"


@pytest.mark.e2e
def test_read_log_from_a_cursor(backend):
    stream = "wc-1/algo-1-1700000000"
    start = now_ms()
    put_logs(stream, ["one", "two"], start_ms=start)
    page = backend.read_log(stream)
    assert page.events == [LogEvent(start, "one"), LogEvent(start + 1, "two")]
    assert page.cursor
    assert backend.read_log(stream, page.cursor) == ([], page.cursor)  # nothing newer
    put_logs(stream, ["three"], start_ms=start + 10)
    newer = backend.read_log(stream, page.cursor)
    assert [e.message for e in newer.events] == ["three"]
    assert backend.read_log(stream, newer.cursor).events == []
