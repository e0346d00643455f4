"""Following a job on a terminal: the API's events, printed.

The job is followed by :class:`~aws_sagemaker_remote.submission.handle.Job` (which prints
nothing); :class:`Printer` is the ``on_event`` that says what it hears. Status lines and
everything else go to ``out`` (stderr by default, as it is when the line is printed);
log lines go to ``log_out`` (``out`` unless told otherwise, e.g. stdout for
``jobs logs -f``). Ctrl-C while following says how to go on (:func:`follow`).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, TextIO

from ..backends.watch import instance_count
from ..errors import Interrupted, render_fields
from ..job.status import TERMINAL
from ..wording import jobs_command
from .flags import flag_for_field

if TYPE_CHECKING:
    from ..events import Event
    from ..submission.handle import Job


class FollowInterrupted(Interrupted):
    """Ctrl-C while following: the job itself keeps running; the hint says how to go on."""

    hint_format = "{message}. {hint}"


class Printer:
    """The command line's ``on_event``: a log line as the job wrote it (on ``log_out``),
    a status change as :func:`status_line`, a transfer's progress drawn, and anything else
    as its text with fields spelled by ``name`` (on ``out``)."""

    def __init__(
        self,
        name: Callable[[str], str] = flag_for_field,
        *,
        out: TextIO | None = None,
        log_out: TextIO | None = None,
    ):
        self.name = name
        self.out = out
        self.log_out = log_out
        self.progress: Any = None  # a ProgressPrinter, made when a transfer first reports

    def __call__(self, event: Event) -> None:
        out = self.out if self.out is not None else sys.stderr
        if event.kind == "log":
            log_out = self.log_out if self.log_out is not None else out
            print(event.text, file=log_out, flush=True)
        elif event.kind == "status":
            print(status_line(event.data or {}), file=out, flush=True)
        elif event.kind == "progress":
            if self.progress is None:
                from .progress import ProgressPrinter

                self.progress = ProgressPrinter(self.out)
            self.progress(event.data)
        else:
            print(render_fields(event.text, self.name), file=out)


def follow(
    job: Job,
    *,
    poll_seconds: float | None = None,
    logs: bool = True,
    download_to: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``job.follow()``: its events to its ``on_event`` until it ends; its final description.

    Ctrl-C is :class:`FollowInterrupted`, saying how to reattach and stop the job and, when
    ``download_to`` (output name -> local path) says where the caller meant to download
    its outputs, how to do that later."""
    try:
        return job.follow(poll_seconds, logs=logs)
    except KeyboardInterrupt:
        raise FollowInterrupted(
            f"stopped following {job.name}; the job keeps running",
            hint=how_to_go_on(job.name, job.local, download_to),
        ) from None


def how_to_go_on(job_name: str, local: bool, download_to: dict[str, str] | None = None) -> str:
    """The commands that go on from a Ctrl-C: reattach, stop, and (when the run meant to
    download outputs) fetch them to the same places."""
    hint = (
        f"Reattach: {jobs_command('logs -f', job_name, local=local)}; "
        f"stop it: {jobs_command('stop', job_name, local=local)}"
    )
    if download_to:
        shown = {name: os.path.relpath(path) for name, path in download_to.items()}
        places = ", ".join(
            f"{name} to {rel if not rel.startswith('..') else download_to[name]}"
            for name, rel in shown.items()
        )
        hint += (
            f"; once it completes, download its outputs as this run would have ({places}): "
            f"{jobs_command('download', job_name, local=local)} "
            f"(or wait and download: {jobs_command('wait', job_name, local=local)})"
        )
    return hint


def status_line(description: dict[str, Any]) -> str:
    name = description.get("ProcessingJobName", "?")
    status = description.get("ProcessingJobStatus", "?")
    line = f"{name}: {status}"
    if status in TERMINAL:
        line += f", {describe_duration(description)}"
    return line  # FailureReason: said once, by the JobFailed the wait raises


def describe_duration(description: dict[str, Any]) -> str:
    """``ran 3m12s (billable 3m12s)``, or ``running 1m05s`` for a job not ended yet.

    Billable time is instance time: start to end of processing, times the instance count.
    """
    start = to_datetime(description.get("ProcessingStartTime"))
    created = to_datetime(description.get("CreationTime"))
    end = to_datetime(description.get("ProcessingEndTime"))
    begin = start or created
    if begin is None:
        return "duration unknown"
    if end is None:
        return f"running {format_seconds((datetime.now(timezone.utc) - begin).total_seconds())}"
    ran = max(0.0, (end - begin).total_seconds())
    billable = max(0.0, (end - start).total_seconds()) if start else ran
    billable *= instance_count(description)
    return f"ran {format_seconds(ran)} (billable {format_seconds(billable)})"


def format_seconds(seconds: float) -> str:
    """``45s``, ``3m12s``, ``1h02m03s``."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def to_datetime(value: Any) -> datetime | None:
    """A timezone-aware datetime from what boto3 or the local engine puts in a description."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return to_datetime(datetime.fromisoformat(text))
    except ValueError:
        return None
