"""boto3 against ``serve``'s CloudWatch Logs: the job's lines, as SageMaker's streams."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import job_request, wait_for_end

pytestmark = pytest.mark.e2e

GROUP = "/aws/sagemaker/ProcessingJobs"
FIVE_LINES = "[print(f'line {i}', flush=True) for i in range(5)]"


@pytest.fixture(scope="module")
def two_instance_job(serve):
    """A job of two instances, each printing five lines; its name."""
    sagemaker = serve.client("sagemaker")
    name = f"logs-two-instances-{uuid.uuid4().hex[:12]}"  # made again if tests interleave
    request = job_request(name, FIVE_LINES)
    request["ProcessingResources"]["ClusterConfig"]["InstanceCount"] = 2
    sagemaker.create_processing_job(**request)
    assert wait_for_end(sagemaker, name)["ProcessingJobStatus"] == "Completed"
    return name


def test_streams_are_named_and_ordered_as_sagemakers(serve, two_instance_job):
    logs = serve.client("logs")
    streams = logs.describe_log_streams(
        logGroupName=GROUP, logStreamNamePrefix=f"{two_instance_job}/", orderBy="LogStreamName"
    )["logStreams"]
    names = [s["logStreamName"] for s in streams]
    assert [n.split("/")[1].rsplit("-", 1)[0] for n in names] == ["algo-1", "algo-2"]
    assert all(s["lastEventTimestamp"] >= s["firstEventTimestamp"] for s in streams)
    backwards = logs.describe_log_streams(
        logGroupName=GROUP, logStreamNamePrefix=two_instance_job, descending=True
    )["logStreams"]
    assert [s["logStreamName"] for s in backwards] == names[::-1]
    first = logs.describe_log_streams(
        logGroupName=GROUP, logStreamNamePrefix=two_instance_job, limit=1
    )
    assert [s["logStreamName"] for s in first["logStreams"]] == names[:1]
    second = logs.describe_log_streams(
        logGroupName=GROUP,
        logStreamNamePrefix=two_instance_job,
        limit=1,
        nextToken=first["nextToken"],
    )
    assert [s["logStreamName"] for s in second["logStreams"]] == names[1:]
    assert "nextToken" not in second


def test_get_log_events_pages_forward_and_backward(serve, two_instance_job):
    logs = serve.client("logs")
    stream = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=two_instance_job)[
        "logStreams"
    ][0]["logStreamName"]
    lines = [f"line {i}" for i in range(5)]
    page = logs.get_log_events(
        logGroupName=GROUP, logStreamName=stream, startFromHead=True, limit=3
    )
    assert [e["message"] for e in page["events"]] == lines[:3]
    rest = logs.get_log_events(
        logGroupName=GROUP, logStreamName=stream, nextToken=page["nextForwardToken"]
    )
    assert [e["message"] for e in rest["events"]] == lines[3:]
    idle = logs.get_log_events(
        logGroupName=GROUP, logStreamName=stream, nextToken=rest["nextForwardToken"]
    )
    assert idle["events"] == []
    assert idle["nextForwardToken"] == rest["nextForwardToken"]  # nothing new: same token

    tail = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, limit=2)
    assert [e["message"] for e in tail["events"]] == lines[3:]
    earlier = logs.get_log_events(
        logGroupName=GROUP, logStreamName=stream, nextToken=tail["nextBackwardToken"], limit=2
    )
    assert [e["message"] for e in earlier["events"]] == lines[1:3]


def test_filter_log_events_searches_every_stream(serve, two_instance_job):
    logs = serve.client("logs")
    found = logs.filter_log_events(
        logGroupName=GROUP, logStreamNamePrefix=two_instance_job, filterPattern='"line 3"'
    )
    assert [e["message"] for e in found["events"]] == ["line 3", "line 3"]
    assert len({e["logStreamName"] for e in found["events"]}) == 2
    paged, token = [], None
    while True:
        kwargs = {"nextToken": token} if token else {}
        page = logs.filter_log_events(
            logGroupName=GROUP, logStreamNamePrefix=two_instance_job, limit=4, **kwargs
        )
        paged += page["events"]
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(e["message"] for e in paged) == sorted([f"line {i}" for i in range(5)] * 2)


def test_unknown_group_and_stream_are_resource_not_found(serve, two_instance_job):
    logs = serve.client("logs")
    with pytest.raises(ClientError) as raised:
        logs.describe_log_streams(logGroupName="/aws/lambda/nothing")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as raised:
        logs.get_log_events(logGroupName=GROUP, logStreamName=f"{two_instance_job}/algo-9-1")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
