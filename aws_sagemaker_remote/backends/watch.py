"""Waiting for a job and tailing its logs, written once against the Backend Protocol.

:class:`Watch` yields what happens (a status change, a log line) and prints nothing, so
``Job.wait()``, ``Job.logs(follow=True)`` and the command line's follow all share it; only
the command line turns the updates into text on a terminal.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from typing import Any, NamedTuple

from ..errors import JobFailed
from ..job.status import TERMINAL, UNSUCCESSFUL
from . import Backend, LogEvent

LAST_LINES = 20


class Update(NamedTuple):
    """``kind`` "status": the job's new ``description``; "log": one ``line`` of its logs."""

    kind: str
    description: dict[str, Any] | None = None
    line: str | None = None


class Watch:
    """Poll a job until it ends; iterate to get its status changes and log lines in order.

    The job's last lines come before the status saying it ended. After the loop,
    ``description`` is the final description and ``last_lines`` the last log lines seen.
    """

    def __init__(
        self, backend: Backend, job_name: str, *, poll_seconds: float = 5.0, logs: bool = True
    ):
        self.backend = backend
        self.job_name = job_name
        self.poll_seconds = poll_seconds
        self.logs = logs
        self.tail = LogTail(backend, job_name)
        self.description: dict[str, Any] = {}

    @property
    def last_lines(self) -> list[str]:
        return self.tail.last_lines

    def __iter__(self) -> Iterator[Update]:
        status = None
        while True:
            description = self.backend.describe_job(self.job_name)
            self.description = description
            self.tail.instance_count = instance_count(description)
            ended = description.get("ProcessingJobStatus") in TERMINAL
            if self.logs and (status is not None or ended):
                for line in self.tail.poll():
                    yield Update("log", line=line)
            if description.get("ProcessingJobStatus") != status:
                status = description.get("ProcessingJobStatus")
                yield Update("status", description=description)
            if ended:
                return
            time.sleep(self.poll_seconds)


def outcome_error(description: dict[str, Any], last_lines: list[str]) -> JobFailed | None:
    """The JobFailed for a Failed or Stopped job (its reasons and last lines), else None."""
    status = description.get("ProcessingJobStatus")
    if status not in UNSUCCESSFUL:
        return None
    parts = [f"job {description.get('ProcessingJobName', '?')} ended {status}"]
    if description.get("FailureReason"):
        parts.append(f"reason: {description['FailureReason']}")
    if description.get("ExitMessage"):
        parts.append(f"exit message: {description['ExitMessage']}")
    reasons = f"{description.get('FailureReason', '')} {description.get('ExitMessage', '')}"
    hint = None
    if "MaxRuntimeExceeded" in reasons or "MaxRuntimeInSeconds" in reasons:
        hint = "a longer {{runtime_seconds}} raises the limit"
    return JobFailed("; ".join(parts), hint=hint, last_lines=last_lines)


def last_log_lines(backend: Backend, job_name: str, n: int = LAST_LINES) -> list[str]:
    """The last ``n`` log lines of the job (all instances), for a job we did not follow."""
    tail = LogTail(backend, job_name, keep=n)
    tail.poll()
    return tail.last_lines


def instance_of(stream: str) -> str:
    """``job/algo-2-1700000000`` -> ``algo-2``."""
    tail = stream.rsplit("/", 1)[-1]
    head, _, epoch = tail.rpartition("-")
    return head if head and epoch.isdigit() else tail


def instance_count(description: dict[str, Any]) -> int:
    try:
        return int(description["ProcessingResources"]["ClusterConfig"]["InstanceCount"])
    except (KeyError, TypeError, ValueError):
        return 1


class LogTail:
    """Cursors over every log stream of one job; new lines merged by time.

    With several instances (or streams) each line says which one wrote it: ``algo-2 | ...``.
    """

    def __init__(self, backend: Backend, job_name: str, keep: int = LAST_LINES):
        self.backend = backend
        self.job_name = job_name
        self.cursors: dict[str, str | None] = {}
        self.instance_count = 1
        self._last: deque[str] = deque(maxlen=keep)

    @property
    def last_lines(self) -> list[str]:
        return list(self._last)

    def poll(self) -> list[str]:
        """The lines written since the last poll, oldest first."""
        for stream in self.backend.log_streams(self.job_name):
            self.cursors.setdefault(stream, None)
        batch: list[tuple[LogEvent, int, str]] = []
        for order, (stream, cursor) in enumerate(list(self.cursors.items())):
            page = self.backend.read_log(stream, cursor)
            self.cursors[stream] = page.cursor
            batch += [(event, order, stream) for event in page.events]
        batch.sort(key=lambda item: (item[0].timestamp_ms, item[1]))  # stable within a stream
        several = self.instance_count > 1 or len(self.cursors) > 1
        lines = []
        for event, _, stream in batch:
            for line in event.message.rstrip("\n").split("\n"):
                line = line.rstrip("\r")
                lines.append(f"{instance_of(stream)} | {line}" if several else line)
        self._last.extend(lines)
        return lines
