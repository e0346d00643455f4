"""Following a job on a terminal: ``Job`` follows it (over the Backend Protocol), the
command line's ``Printer`` says what it hears.

Against moto (jobs are Completed at once, or Stopped by StopProcessingJob; the test writes
the logs), and against a scripted in-memory backend for what moto cannot show: a job that
changes status while it is followed, and streams that appear late.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from aws_sagemaker_remote.aws.session import resolve_aws
from aws_sagemaker_remote.backends import LogEvent, LogPage
from aws_sagemaker_remote.backends.sagemaker import SageMakerBackend
from aws_sagemaker_remote.backends.watch import last_log_lines, outcome_error
from aws_sagemaker_remote.cli.follow import (
    FollowInterrupted,
    Printer,
    describe_duration,
    follow,
)
from aws_sagemaker_remote.errors import JobFailed
from aws_sagemaker_remote.submission.handle import Job
from integration.test_sagemaker_backend import now_ms, processing_request, put_logs

FAST = 0.05


@pytest.fixture()
def backend(moto_reset) -> SageMakerBackend:
    return SageMakerBackend(resolve_aws(None))


def printed(backend, name: str, out: io.StringIO, **options) -> Job:
    """A Job whose events are printed on ``out`` (and ``log_out``, if given)."""
    log_out = options.pop("log_out", None)
    return Job(name, backend, on_event=Printer(out=out, log_out=log_out), **options)


@pytest.mark.e2e
def test_follow_completed_job_prints_every_line(backend):
    backend.create_job(processing_request("wc"))
    put_logs("wc/algo-1-1700000000", ["reading", "counting", "done"])
    out = io.StringIO()
    job = printed(backend, "wc", out)
    description = follow(job, poll_seconds=FAST)
    assert description["ProcessingJobStatus"] == "Completed"
    lines = out.getvalue().splitlines()
    assert lines[:3] == ["reading", "counting", "done"]  # the job's lines, then its end
    assert lines[3].startswith("wc: Completed, ran ")
    assert job.failure(description) is None  # Completed: no error


@pytest.mark.e2e
def test_follow_two_instances_prefixes_and_interleaves(backend):
    backend.create_job(processing_request("multi", instances=2))
    start = now_ms()
    put_logs("multi/algo-2-1700000000", ["b0", "b1"], start_ms=start + 5)
    put_logs("multi/algo-1-1700000000", ["a0", "a1"], start_ms=start)
    put_logs("multi/algo-1-1700000000", ["a2"], start_ms=start + 100)
    status, logs = io.StringIO(), io.StringIO()
    follow(printed(backend, "multi", status, log_out=logs), poll_seconds=FAST)
    assert logs.getvalue().splitlines() == [
        "algo-1 | a0",
        "algo-1 | a1",
        "algo-2 | b0",
        "algo-2 | b1",
        "algo-1 | a2",
    ]
    assert status.getvalue().splitlines()[0].startswith("multi: Completed")


@pytest.mark.e2e
def test_follow_without_logs(backend):
    backend.create_job(processing_request("quiet"))
    put_logs("quiet/algo-1-1700000000", ["noise"])
    out = io.StringIO()
    follow(printed(backend, "quiet", out), poll_seconds=FAST, logs=False)
    assert "noise" not in out.getvalue()
    assert out.getvalue().startswith("quiet: Completed")


@pytest.mark.e2e
def test_stopped_job_fails_with_its_last_lines(backend):
    backend.create_job(processing_request("halt"))
    put_logs("halt/algo-1-1700000000", [f"line {i}" for i in range(30)])
    backend.stop_job("halt")
    job = printed(backend, "halt", io.StringIO())
    description = follow(job, poll_seconds=FAST)
    assert description["ProcessingJobStatus"] == "Stopped"
    failed = job.failure(description)
    assert isinstance(failed, JobFailed) and failed.exit_code == 1
    assert failed.last_lines == [f"line {i}" for i in range(10, 30)]
    message = str(failed)
    assert "halt ended Stopped" in message and "line 29" in message and "line 9\n" not in message
    said = job.failure(description, last_lines=False)  # the lines were printed as they came
    assert said is not None and said.last_lines == [] and "line" not in str(said)

    quiet = printed(backend, "halt", io.StringIO())
    description = follow(quiet, poll_seconds=FAST, logs=False)
    with pytest.raises(JobFailed, match="ended Stopped") as caught:
        quiet.finish(description, download=False)  # the lines not printed: read at the end
    assert caught.value.last_lines[-1] == "line 29"
    assert last_log_lines(backend, "halt", n=2) == ["line 28", "line 29"]


def test_a_failure_carries_reason_and_exit_message():
    description = {
        "ProcessingJobName": "bad",
        "ProcessingJobStatus": "Failed",
        "FailureReason": "AlgorithmError: script exited with 3",
        "ExitMessage": "ValueError: no input",
    }
    failed = outcome_error(
        description, ["Traceback (most recent call last):", "ValueError: no input"]
    )
    message = str(failed)
    for part in ("Failed", "AlgorithmError: script exited with 3", "exit message: ValueError"):
        assert part in message
    assert message.endswith("  Traceback (most recent call last):\n  ValueError: no input")


# -- a job that moves while we watch -----------------------------------------------


class ScriptedBackend:
    """A Backend whose job advances one step per DescribeProcessingJob call."""

    def __init__(self, steps: list[tuple[str, dict[str, list[str]]]], instances=1, local=False):
        self.local = local
        self.steps = steps  # (status, {stream: lines written by then})
        self.instances = instances
        self.calls = 0
        self.streams: dict[str, list[LogEvent]] = {}
        self.interrupt_at: int | None = None

    def describe_job(self, job_name):
        if self.interrupt_at is not None and self.calls >= self.interrupt_at:
            raise KeyboardInterrupt
        status, written = self.steps[min(self.calls, len(self.steps) - 1)]
        if self.calls >= len(self.steps):
            written = {}  # the last step repeats its status, not its lines
        self.calls += 1
        for stream, lines in written.items():
            events = self.streams.setdefault(stream, [])
            events += [LogEvent(1000 * self.calls + i, line) for i, line in enumerate(lines)]
        return {
            "ProcessingJobName": job_name,
            "ProcessingJobStatus": status,
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": self.instances}},
            "CreationTime": datetime(2024, 1, 1, tzinfo=timezone.utc),
            **(
                {"ProcessingEndTime": datetime(2024, 1, 1, 0, 1, tzinfo=timezone.utc)}
                if status in ("Completed", "Failed", "Stopped")
                else {}
            ),
        }

    def log_streams(self, job_name):
        return sorted(self.streams)

    def read_log(self, stream, cursor=None):
        start = int(cursor or 0)
        events = self.streams.get(stream, [])
        return LogPage(events[start:], str(len(events)))

    def create_job(self, request):
        raise NotImplementedError

    def list_jobs(self, max_results=20, name_contains=None):
        return []

    def stop_job(self, job_name):
        raise NotImplementedError


def test_status_changes_once_each_and_late_streams():
    backend = ScriptedBackend(
        [
            ("InProgress", {}),
            ("InProgress", {"j/algo-1-1": ["starting"]}),
            ("InProgress", {"j/algo-1-1": ["working"]}),
            ("Completing", {"j/algo-2-1": ["late instance"]}),
            ("Completed", {"j/algo-1-1": ["bye"]}),
        ],
    )
    out = io.StringIO()
    description = follow(printed(backend, "j", out), poll_seconds=FAST)
    assert description["ProcessingJobStatus"] == "Completed"
    assert out.getvalue().splitlines() == [
        "j: InProgress",
        "starting",
        "working",
        "algo-2 | late instance",  # several streams from here on: prefixed
        "j: Completing",
        "algo-1 | bye",
        "j: Completed, ran 1m00s (billable 1m00s)",
    ]


def test_several_instances_prefix_from_the_first_line():
    backend = ScriptedBackend(
        [("InProgress", {"j/algo-1-1": ["first"]}), ("Failed", {})], instances=2
    )
    out = io.StringIO()
    job = printed(backend, "j", out)
    description = follow(job, poll_seconds=FAST)
    assert "algo-1 | first" in out.getvalue().splitlines()
    failed = job.failure(description)
    assert "ended Failed" in str(failed) and failed.last_lines == ["algo-1 | first"]


@pytest.mark.parametrize("local, suffix", [(False, ""), (True, " --local")])
def test_ctrl_c_says_how_to_reattach_and_stop(local, suffix):
    backend = ScriptedBackend([("InProgress", {"j/algo-1-1": ["x"]})], local=local)
    backend.interrupt_at = 2
    with pytest.raises(FollowInterrupted) as caught:
        follow(printed(backend, "j", io.StringIO()), poll_seconds=FAST)
    message = str(caught.value)
    assert message.startswith("stopped following j; the job keeps running. Reattach: ")
    assert f"aws-sagemaker-remote jobs logs -f j{suffix};" in message
    assert message.endswith(f"aws-sagemaker-remote jobs stop j{suffix}")
    assert caught.value.hint is not None and caught.value.hint.startswith("Reattach: ")
    assert caught.value.exit_code == 130


# -- durations -----------------------------------------------------------------------

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def test_describe_duration():
    description = {
        "CreationTime": T0 - timedelta(minutes=2),
        "ProcessingStartTime": T0,
        "ProcessingEndTime": T0 + timedelta(minutes=3, seconds=12),
    }
    assert describe_duration(description) == "ran 3m12s (billable 3m12s)"
    description["ProcessingResources"] = {"ClusterConfig": {"InstanceCount": 2}}
    assert describe_duration(description) == "ran 3m12s (billable 6m24s)"


def test_describe_duration_from_iso_strings_and_without_start():
    description = {
        "CreationTime": "2024-05-01T12:00:00Z",
        "ProcessingEndTime": "2024-05-01T13:02:03+00:00",
    }
    assert describe_duration(description) == "ran 1h02m03s (billable 1h02m03s)"


def test_describe_duration_of_a_running_job():
    now = datetime.now(timezone.utc)
    assert describe_duration({"ProcessingStartTime": now}).startswith("running ")
