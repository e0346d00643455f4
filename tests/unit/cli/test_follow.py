"""The command line as the API's event sink: each event printed where it belongs (log
lines as the job wrote them, status lines with the duration once the job ended, the rest
with fields spelled as flags), and Ctrl-C while following says how to go on."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from aws_sagemaker_remote.cli.follow import FollowInterrupted, Printer, follow, how_to_go_on
from aws_sagemaker_remote.events import Event
from aws_sagemaker_remote.submission.handle import Job

from ..submission.memory import MemoryBackend, description

ENDED = {
    "ProcessingJobName": "j",
    "ProcessingJobStatus": "Completed",
    "ProcessingStartTime": datetime(2024, 1, 1, tzinfo=timezone.utc),
    "ProcessingEndTime": datetime(2024, 1, 1, 0, 3, 12, tzinfo=timezone.utc),
}


def test_each_event_goes_where_it_belongs():
    out, logs = io.StringIO(), io.StringIO()
    printer = Printer(lambda field: f"--{field}", out=out, log_out=logs)
    printer(Event("log", "  {{not a field}}  kept as written"))
    printer(
        Event(
            "status",
            "j: InProgress",
            {"ProcessingJobName": "j", "ProcessingJobStatus": "InProgress"},
        )
    )
    printer(Event("status", "j: Completed", ENDED))
    printer(Event("warning", "{{instance}} is odd"))
    assert logs.getvalue() == "  {{not a field}}  kept as written\n"
    assert out.getvalue().splitlines() == [
        "j: InProgress",
        "j: Completed, ran 3m12s (billable 3m12s)",
        "--instance is odd",
    ]


def test_log_lines_share_the_status_stream_unless_told_otherwise():
    out = io.StringIO()
    printer = Printer(out=out)
    printer(Event("log", "a line"))
    printer(Event("status", "", ENDED))
    assert out.getvalue().splitlines()[0] == "a line"


def test_progress_is_drawn_on_the_same_stream_once_a_transfer_reports():
    from aws_sagemaker_remote.storage.transfer import TransferProgress

    out = io.StringIO()
    printer = Printer(out=out)
    printer(Event("note", "a note"))
    assert printer.progress is None
    printer(Event("progress", "", TransferProgress("downloading", 1, 2, 10, 20, 0.5)))
    assert printer.progress is not None and printer.progress.out is out
    assert out.getvalue() == "a note\n"  # not a terminal: a plain line at most every 10 s


def test_ctrl_c_names_the_commands_that_go_on():
    hint = how_to_go_on("j", False)
    assert hint == (
        "Reattach: aws-sagemaker-remote jobs logs -f j; stop it: aws-sagemaker-remote jobs stop j"
    )
    local = how_to_go_on("j", True, {"out": "results"})
    assert "jobs logs -f j --local;" in local and "(out to results)" in local
    assert local.endswith("(or wait and download: aws-sagemaker-remote jobs wait j --local)")


class _Interrupting(MemoryBackend):
    def describe_job(self, job_name):
        raise KeyboardInterrupt


def test_ctrl_c_while_following_is_one_error_with_its_hint():
    backend = _Interrupting(local=True)
    backend.add(description("j", "InProgress"))
    with pytest.raises(FollowInterrupted) as caught:
        follow(Job("j", backend, on_event=Printer(out=io.StringIO())), poll_seconds=0.001)
    error = caught.value
    assert error.message == "stopped following j; the job keeps running"
    assert error.hint == how_to_go_on("j", True)
    assert str(error) == f"{error.message}. {error.hint}"
    assert error.exit_code == 130
