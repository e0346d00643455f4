"""Following a job on a terminal: status lines and log lines, printed.

What to wait for and how to tail logs is :mod:`..backends.watch` (no printing); this
module only says it. Status lines go to ``out`` (stderr by default); log lines go to
``log_out`` (``out`` unless told otherwise, e.g. stdout for ``jobs logs -f``).
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Any, TextIO

from ..backends import Backend
from ..backends.watch import (
    LAST_LINES,
    Watch,
    check_outcome,
    instance_count,
    last_log_lines,
)
from ..errors import Interrupted
from ..job.status import TERMINAL, UNSUCCESSFUL
from ..wording import jobs_command

__all__ = [
    "LAST_LINES",
    "FollowInterrupted",
    "check_outcome",
    "describe_duration",
    "follow_job",
    "last_log_lines",
    "print_logs",
    "status_line",
    "wait_job",
]


class FollowInterrupted(Interrupted):
    """Ctrl-C while following: the job itself keeps running."""


def follow_job(
    backend: Backend,
    job_name: str,
    *,
    out: TextIO | None = None,
    poll_seconds: float = 5.0,
    logs: bool = True,
    log_out: TextIO | None = None,
    last_lines: list[str] | None = None,
    download_to: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Print status changes and every instance's log until the job ends; its final description.

    ``last_lines``, when given, is filled with the last :data:`LAST_LINES` log lines seen,
    for :func:`check_outcome`. ``download_to`` (output name -> local path) is where the
    caller meant to download the outputs: Ctrl-C says how to do that later. ``out``: the
    status lines' stream (default: ``sys.stderr`` as it is when called, redirected or not).
    """
    out = out if out is not None else sys.stderr
    watch = Watch(backend, job_name, poll_seconds=poll_seconds, logs=logs)
    try:
        print_updates(watch, out=out, log_out=log_out or out)
    except KeyboardInterrupt:
        raise FollowInterrupted(interrupted_message(backend, job_name, download_to)) from None
    finally:
        if last_lines is not None:
            last_lines[:] = watch.last_lines
    return watch.description


def print_updates(updates: Any, *, out: TextIO, log_out: TextIO) -> None:
    """Print each update of a :class:`Watch` (or of ``Job.watch()``) as it comes."""
    for update in updates:
        if update.kind == "log":
            print(update.line, file=log_out, flush=True)
        else:
            print(status_line(update.description), file=out, flush=True)


def wait_job(
    backend: Backend,
    job_name: str,
    *,
    out: TextIO | None = None,
    poll_seconds: float = 5.0,
    logs: bool = True,
    download_to: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Follow the job and raise JobFailed unless it completed; its final description.
    ``out`` and ``download_to``: as for :func:`follow_job`."""
    out = out if out is not None else sys.stderr
    description = follow_job(
        backend,
        job_name,
        out=out,
        poll_seconds=poll_seconds,
        logs=logs,
        download_to=download_to,
    )
    lines: list[str] = []  # logs followed were printed as they came: said once
    if not logs and description.get("ProcessingJobStatus") in UNSUCCESSFUL:
        lines = last_log_lines(backend, job_name)
    check_outcome(description, lines)
    return description


def print_logs(backend: Backend, job_name: str, out: TextIO) -> None:
    """Every log line the job has written so far."""
    from ..backends.watch import LogTail

    for line in LogTail(backend, job_name).poll():
        print(line, file=out)
    out.flush()


def status_line(description: dict[str, Any]) -> str:
    name = description.get("ProcessingJobName", "?")
    status = description.get("ProcessingJobStatus", "?")
    line = f"{name}: {status}"
    if status in TERMINAL:
        line += f", {describe_duration(description)}"
    return line  # FailureReason: said once, by check_outcome


def interrupted_message(
    backend: Backend, job_name: str, download_to: dict[str, str] | None = None
) -> str:
    """What Ctrl-C left running and the commands that go on from there: reattach, stop,
    and (when the run meant to download outputs) fetch them to the same places."""
    import os

    local = getattr(backend, "name", "") == "local"
    message = (
        f"stopped following {job_name}; the job keeps running. "
        f"Reattach: {jobs_command('logs -f', job_name, local=local)}; "
        f"stop it: {jobs_command('stop', job_name, local=local)}"
    )
    if download_to:
        shown = {name: os.path.relpath(path) for name, path in download_to.items()}
        places = ", ".join(
            f"{name} to {rel if not rel.startswith('..') else download_to[name]}"
            for name, rel in shown.items()
        )
        message += (
            f"; once it completes, download its outputs as this run would have ({places}): "
            f"{jobs_command('download', job_name, local=local)} "
            f"(or wait and download: {jobs_command('wait', job_name, local=local)})"
        )
    return message


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
