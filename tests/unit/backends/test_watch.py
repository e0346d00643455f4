"""Waiting and log tailing against the Backend Protocol, with a backend kept in memory:
lines of several instances merged by time and labelled, the last lines before the end."""

from __future__ import annotations

from aws_sagemaker_remote.backends import LogEvent, LogPage
from aws_sagemaker_remote.backends.watch import (
    LogTail,
    Watch,
    instance_count,
    instance_of,
    outcome_error,
)


class ScriptedBackend:
    """A job whose statuses and log lines come from lists, one status per describe."""

    local = False

    def __init__(self, statuses: list[str], streams: dict[str, list[LogEvent]], count: int = 1):
        self.statuses = statuses
        self.streams = streams
        self.count = count

    def describe_job(self, job_name: str) -> dict:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {
            "ProcessingJobName": job_name,
            "ProcessingJobStatus": status,
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": self.count}},
        }

    def log_streams(self, job_name: str) -> list[str]:
        return sorted(self.streams)

    def read_log(self, stream: str, cursor: str | None = None) -> LogPage:
        start = int(cursor or 0)
        events = self.streams[stream][start:]
        return LogPage(events, str(start + len(events)))


def test_lines_of_two_instances_are_merged_by_time_and_labelled():
    backend = ScriptedBackend(
        ["Completed"],
        {
            "j/algo-1-1700000000": [LogEvent(1, "one\n"), LogEvent(3, "three")],
            "j/algo-2-1700000000": [LogEvent(2, "two\r\nand more")],
        },
        count=2,
    )
    tail = LogTail(backend, "j")
    tail.instance_count = 2
    assert tail.poll() == ["algo-1 | one", "algo-2 | two", "algo-2 | and more", "algo-1 | three"]
    assert tail.poll() == []  # cursors remember what was read


def test_watch_yields_the_last_lines_before_the_status_that_ends_the_job():
    backend = ScriptedBackend(
        ["InProgress", "InProgress", "Completed"],
        {"j/algo-1-1700000000": [LogEvent(1, "hello")]},
    )
    updates = [
        (u.kind, u.line or u.description["ProcessingJobStatus"])
        for u in Watch(backend, "j", poll_seconds=0)
    ]
    assert updates == [
        ("status", "InProgress"),
        ("log", "hello"),
        ("status", "Completed"),
    ]


def test_a_failed_job_names_its_reason_and_the_runtime_fix():
    error = outcome_error(
        {
            "ProcessingJobName": "j",
            "ProcessingJobStatus": "Stopped",
            "FailureReason": "MaxRuntimeExceeded: ran too long",
        },
        ["last line"],
    )
    assert error is not None
    text = str(error)
    assert text.startswith("job j ended Stopped; reason: MaxRuntimeExceeded")
    assert "{{runtime_seconds}}" in text and text.endswith("  last line")
    assert outcome_error({"ProcessingJobStatus": "Completed"}, []) is None


def test_stream_names_and_instance_counts():
    assert instance_of("job/algo-2-1700000000") == "algo-2"
    assert instance_of("odd-stream") == "odd-stream"
    assert instance_count({}) == 1
    assert instance_count({"ProcessingResources": {"ClusterConfig": {"InstanceCount": 3}}}) == 3
