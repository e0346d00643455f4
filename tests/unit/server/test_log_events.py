"""CloudWatch Logs' reading operations over the engine's log streams: streams described
and paged, events read forward and backward by token (the same forward token when nothing
is new), and searched by filter pattern across streams."""

from __future__ import annotations

import json

import pytest
from consolekit import record

from aws_sagemaker_remote.backends.local.runner.logstreams import stream_file, stream_name
from aws_sagemaker_remote.server.log_events import GROUP, LogEvents
from aws_sagemaker_remote.server.protocols import ServiceFault

EPOCH = 1733570000


def written(engine, job: str, instance: int, events: list[tuple[int, str]]) -> str:
    """A stream of ``job``'s ``instance`` holding ``events`` (ms timestamp, message), in the
    engine's file format; its name."""
    stream = stream_name(job, instance, EPOCH + instance)
    path = stream_file(engine.store.job_dir(job), stream)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"t": t, "m": m}) + "\n" for t, m in events))
    return stream


@pytest.fixture()
def logs(engine) -> LogEvents:
    return LogEvents(engine, "123456789012")


@pytest.fixture()
def streams(engine) -> list[str]:
    record(engine, "job-a")
    record(engine, "job-b")
    return [
        written(
            engine, "job-a", 1, [(1000, "a1 start"), (3000, "a1 error: disk"), (5000, "a1 end")]
        ),
        written(engine, "job-a", 2, [(2000, "a2 start"), (9000, "a2 error: net")]),
        written(engine, "job-b", 1, [(4000, "b1 only")]),
    ]


def refused(call, params) -> ServiceFault:
    with pytest.raises(ServiceFault) as fault:
        call(params)
    return fault.value


def test_streams_are_described_by_name_or_by_last_event_and_paged(logs, streams):
    described = logs.describe_streams({"logGroupName": GROUP, "logStreamNamePrefix": "job-a/"})
    assert [s["logStreamName"] for s in described["logStreams"]] == streams[:2]
    first = described["logStreams"][0]
    assert (first["firstEventTimestamp"], first["lastEventTimestamp"]) == (1000, 5000)
    assert first["creationTime"] == (EPOCH + 1) * 1000
    latest = logs.describe_streams(
        {"logGroupName": GROUP, "orderBy": "LastEventTime", "descending": True}
    )
    assert [s["logStreamName"] for s in latest["logStreams"]] == [
        streams[1],
        streams[0],
        streams[2],
    ]
    page = logs.describe_streams({"logGroupName": GROUP, "limit": 2})
    rest = logs.describe_streams(
        {"logGroupName": GROUP, "limit": 2, "nextToken": page["nextToken"]}
    )
    assert [s["logStreamName"] for s in page["logStreams"] + rest["logStreams"]] == streams
    assert "nextToken" not in rest
    other = {"logGroupName": GROUP, "descending": True, "nextToken": page["nextToken"]}
    assert refused(logs.describe_streams, other).code == "InvalidParameterException"


@pytest.mark.parametrize(
    "params, code",
    [
        ({"logGroupName": "/aws/lambda/x"}, "ResourceNotFoundException"),
        ({"logGroupName": GROUP, "orderBy": "Size"}, "InvalidParameterException"),
        (
            {"logGroupName": GROUP, "orderBy": "LastEventTime", "logStreamNamePrefix": "j"},
            "InvalidParameterException",
        ),
        ({"logGroupName": GROUP, "limit": 51}, "InvalidParameterException"),
        ({"logGroupName": GROUP, "nextToken": "!!"}, "InvalidParameterException"),
    ],
)
def test_a_describe_cloudwatch_would_refuse_is_refused(logs, streams, params, code):
    assert refused(logs.describe_streams, params).code == code


def test_the_group_may_be_named_by_its_arn(logs, streams):
    arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}"
    described = logs.describe_streams({"logGroupIdentifier": arn})
    assert len(described["logStreams"]) == 3


def test_events_are_read_forward_from_the_head_and_the_token_repeats_at_the_end(logs, streams):
    params = {"logGroupName": GROUP, "logStreamName": streams[0], "startFromHead": True}
    page = logs.get_events({**params, "limit": 2})
    assert [e["message"] for e in page["events"]] == ["a1 start", "a1 error: disk"]
    page = logs.get_events({**params, "nextToken": page["nextForwardToken"]})
    assert [e["message"] for e in page["events"]] == ["a1 end"]
    end = logs.get_events({**params, "nextToken": page["nextForwardToken"]})
    assert end["events"] == [] and end["nextForwardToken"] == page["nextForwardToken"]


def test_without_start_from_head_the_last_events_come_and_the_backward_token_goes_back(
    logs, streams
):
    params = {"logGroupName": GROUP, "logStreamName": streams[0]}
    page = logs.get_events({**params, "limit": 1})
    assert [e["message"] for e in page["events"]] == ["a1 end"]
    back = logs.get_events({**params, "limit": 1, "nextToken": page["nextBackwardToken"]})
    assert [e["message"] for e in back["events"]] == ["a1 error: disk"]


def test_events_are_kept_to_the_time_window(logs, streams):
    params = {"logGroupName": GROUP, "logStreamName": streams[0], "startFromHead": True}
    page = logs.get_events({**params, "startTime": 2000, "endTime": 5000})
    assert [e["timestamp"] for e in page["events"]] == [3000]


@pytest.mark.parametrize(
    "stream, more, code",
    [
        ("job-a/algo-9-1", {}, "ResourceNotFoundException"),
        ("../etc/passwd", {}, "ResourceNotFoundException"),
        (None, {"nextToken": "x/1"}, "InvalidParameterException"),
        (None, {"limit": 10001}, "InvalidParameterException"),
    ],
)
def test_a_stream_not_there_or_a_token_not_given_is_refused(logs, streams, stream, more, code):
    params = {"logGroupName": GROUP, "logStreamName": stream or streams[0], **more}
    assert refused(logs.get_events, params).code == code


def test_filtering_finds_every_term_across_streams_in_time_order(logs, streams):
    found = logs.filter_events({"logGroupName": GROUP, "filterPattern": "error"})
    assert [(e["logStreamName"], e["message"]) for e in found["events"]] == [
        (streams[0], "a1 error: disk"),
        (streams[1], "a2 error: net"),
    ]
    assert len({e["eventId"] for e in found["events"]}) == 2
    both = logs.filter_events({"logGroupName": GROUP, "filterPattern": "error net"})
    assert [e["message"] for e in both["events"]] == ["a2 error: net"]
    phrase = logs.filter_events({"logGroupName": GROUP, "filterPattern": '"1 e"'})
    assert [e["message"] for e in phrase["events"]] == ["a1 error: disk", "a1 end"]


def test_filtering_by_stream_names_by_prefix_and_time_and_paging(logs, streams):
    named = logs.filter_events({"logGroupName": GROUP, "logStreamNames": [streams[2]]})
    assert [e["message"] for e in named["events"]] == ["b1 only"]
    windowed = logs.filter_events(
        {"logGroupName": GROUP, "logStreamNamePrefix": "job-a", "startTime": 2000, "endTime": 5000}
    )
    assert [e["timestamp"] for e in windowed["events"]] == [2000, 3000, 5000]
    page = logs.filter_events({"logGroupName": GROUP, "limit": 4})
    rest = logs.filter_events({"logGroupName": GROUP, "limit": 4, "nextToken": page["nextToken"]})
    assert [e["timestamp"] for e in page["events"] + rest["events"]] == [
        1000,
        2000,
        3000,
        4000,
        5000,
        9000,
    ]
    assert "nextToken" not in rest
    other = {"logGroupName": GROUP, "filterPattern": "a", "nextToken": page["nextToken"]}
    assert refused(logs.filter_events, other).code == "InvalidParameterException"


def test_filtering_refuses_names_with_a_prefix_and_names_not_there(logs, streams):
    both = {"logGroupName": GROUP, "logStreamNames": streams[:1], "logStreamNamePrefix": "job"}
    assert refused(logs.filter_events, both).code == "InvalidParameterException"
    missing = {"logGroupName": GROUP, "logStreamNames": ["job-a/algo-7-1"]}
    assert refused(logs.filter_events, missing).code == "ResourceNotFoundException"
