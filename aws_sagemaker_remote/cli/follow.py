"""Waiting for a job: status changes, log tailing, and what to say when it ends.

Written once against the :class:`~.backends.Backend` Protocol, so waiting on SageMaker and
on the local engine behave the same. Status lines go to ``out`` (stderr by default); log
lines go to ``log_out`` (``out`` unless told otherwise, e.g. stdout for ``jobs logs -f``).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any, TextIO

from ..backends import Backend, LogEvent
from ..errors import Interrupted, JobFailed

TERMINAL = frozenset({"Completed", "Failed", "Stopped"})
LAST_LINES = 20


class FollowInterrupted(Interrupted):
    """Ctrl-C while following: the job itself keeps running."""


def follow_job(
    backend: Backend,
    job_name: str,
    *,
    out: TextIO = sys.stderr,
    poll_seconds: float = 5.0,
    logs: bool = True,
    log_out: TextIO | None = None,
    last_lines: list[str] | None = None,
) -> dict[str, Any]:
    """Print status changes and every instance's log until the job ends; its final description.

    ``last_lines``, when given, is filled with the last :data:`LAST_LINES` log lines seen,
    for :func:`check_outcome`.
    """
    tail = _Tail(backend, job_name, log_out or out)
    status = None
    try:
        while True:
            description = backend.describe_job(job_name)
            tail.instance_count = _instance_count(description)
            ended = description.get("ProcessingJobStatus") in TERMINAL
            if logs and (status is not None or ended):
                tail.poll()  # a job's last lines come before the line saying it ended
            if description.get("ProcessingJobStatus") != status:
                status = description.get("ProcessingJobStatus")
                print(status_line(description), file=out, flush=True)
            if ended:
                break
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        raise FollowInterrupted(interrupted_message(backend, job_name)) from None
    finally:
        if last_lines is not None:
            last_lines[:] = tail.last_lines
    return description


def wait_job(
    backend: Backend,
    job_name: str,
    *,
    out: TextIO = sys.stderr,
    poll_seconds: float = 5.0,
    logs: bool = True,
) -> dict[str, Any]:
    """Follow the job and raise JobFailed unless it completed; its final description."""
    lines: list[str] = []
    description = follow_job(
        backend, job_name, out=out, poll_seconds=poll_seconds, logs=logs, last_lines=lines
    )
    if not logs and description.get("ProcessingJobStatus") in ("Failed", "Stopped"):
        lines = last_log_lines(backend, job_name)
    check_outcome(description, lines)
    return description


def check_outcome(description: dict[str, Any], last_lines: list[str]) -> None:
    """Raise JobFailed for a Failed or Stopped job, with its reasons and last log lines."""
    status = description.get("ProcessingJobStatus")
    if status not in ("Failed", "Stopped"):
        return
    parts = [f"job {description.get('ProcessingJobName', '?')} ended {status}"]
    if description.get("FailureReason"):
        parts.append(f"reason: {description['FailureReason']}")
    if description.get("ExitMessage"):
        parts.append(f"exit message: {description['ExitMessage']}")
    reasons = f"{description.get('FailureReason', '')} {description.get('ExitMessage', '')}"
    if "MaxRuntimeExceeded" in reasons or "MaxRuntimeInSeconds" in reasons:
        parts.append("a longer {{runtime_seconds}} raises the limit")
    message = "; ".join(parts)
    if last_lines:
        message += "\nlast log lines:\n" + "\n".join(f"  {line}" for line in last_lines)
    raise JobFailed(message)


def last_log_lines(backend: Backend, job_name: str, n: int = LAST_LINES) -> list[str]:
    """The last ``n`` log lines of the job (all instances), for a job we did not follow."""
    tail = _Tail(backend, job_name, None, keep=n)
    tail.poll()
    return tail.last_lines


def print_logs(backend: Backend, job_name: str, out: TextIO) -> None:
    """Every log line the job has written so far."""
    _Tail(backend, job_name, out).poll()


def status_line(description: dict[str, Any]) -> str:
    name = description.get("ProcessingJobName", "?")
    status = description.get("ProcessingJobStatus", "?")
    line = f"{name}: {status}"
    if status in TERMINAL:
        line += f", {describe_duration(description)}"
    return line  # FailureReason: said once, by check_outcome


def interrupted_message(backend: Backend, job_name: str) -> str:
    local = " --local" if getattr(backend, "name", "") == "local" else ""
    return (
        f"stopped following {job_name}; the job keeps running. "
        f"Reattach: aws-sagemaker-remote jobs logs -f {job_name}{local}; "
        f"stop it: aws-sagemaker-remote jobs stop {job_name}{local}"
    )


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
    billable *= _instance_count(description)
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


def instance_of(stream: str) -> str:
    """``job/algo-2-1700000000`` -> ``algo-2``."""
    tail = stream.rsplit("/", 1)[-1]
    head, _, epoch = tail.rpartition("-")
    return head if head and epoch.isdigit() else tail


def _instance_count(description: dict[str, Any]) -> int:
    try:
        return int(description["ProcessingResources"]["ClusterConfig"]["InstanceCount"])
    except (KeyError, TypeError, ValueError):
        return 1


class _Tail:
    """Cursors over every log stream of one job; prints new events merged by time."""

    def __init__(self, backend: Backend, job_name: str, out: TextIO | None, keep: int = LAST_LINES):
        self.backend = backend
        self.job_name = job_name
        self.out = out
        self.cursors: dict[str, str | None] = {}
        self.instance_count = 1
        self._last: deque[str] = deque(maxlen=keep)

    @property
    def last_lines(self) -> list[str]:
        return list(self._last)

    def poll(self) -> None:
        for stream in self.backend.log_streams(self.job_name):
            self.cursors.setdefault(stream, None)
        batch: list[tuple[LogEvent, int, str]] = []
        for order, (stream, cursor) in enumerate(list(self.cursors.items())):
            page = self.backend.read_log(stream, cursor)
            self.cursors[stream] = page.cursor
            batch += [(event, order, stream) for event in page.events]
        batch.sort(key=lambda item: (item[0].timestamp_ms, item[1]))  # stable within a stream
        several = self.instance_count > 1 or len(self.cursors) > 1
        for event, _, stream in batch:
            for line in event.message.rstrip("\n").split("\n"):
                line = line.rstrip("\r")
                shown = f"{instance_of(stream)} | {line}" if several else line
                self._last.append(shown)
                if self.out is not None:
                    print(shown, file=self.out)
        if self.out is not None and batch:
            self.out.flush()
