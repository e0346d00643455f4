"""What waiting, log tailing and the jobs CLI need from wherever a job runs.

Two implementations answer it: :mod:`.sagemaker` (boto3, the real service) and
:mod:`.local` (the local engine). Both speak the SageMaker API's own shapes: ``create_job``
takes a CreateProcessingJob request dict, ``describe_job`` returns a
DescribeProcessingJob-shaped dict, ``list_jobs`` ProcessingJobSummaries, so everything
written against this Protocol works the same for both. What only an engine on this
machine can do (its disk space, removing ended jobs) is :mod:`.housekeeping`'s Protocol.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol


class LogEvent(NamedTuple):
    timestamp_ms: int
    message: str


class LogPage(NamedTuple):
    events: list[LogEvent]
    cursor: str | None  # pass back to read_log to get only newer events


class Backend(Protocol):
    # jobs run on this machine (the local engine): the jobs command reaches them with
    # --local, and a describe is cheap enough to poll often
    local: bool

    def check_request(self, request: dict[str, Any]) -> list[str] | None:
        """Raise UserError for what this backend cannot run, before anything is staged;
        return notes on what it records but does not apply (one line each)."""

    def create_job(self, request: dict[str, Any]) -> None:
        """Create (and start) the job the CreateProcessingJob request describes."""

    def describe_job(self, job_name: str) -> dict[str, Any]:
        """DescribeProcessingJob response; raises NotFound if no such job."""

    def list_jobs(
        self, max_results: int = 20, name_contains: str | None = None
    ) -> list[dict[str, Any]]:
        """Most recent first; each item shaped like a ProcessingJobSummary."""

    def stop_job(self, job_name: str) -> None:
        """Ask the job to stop; it ends Stopped."""

    def log_streams(self, job_name: str) -> list[str]:
        """Names of the job's log streams (``<job>/algo-<n>-<epoch>``), sorted; may be empty."""

    def read_log(self, stream: str, cursor: str | None = None) -> LogPage:
        """Events of one stream after ``cursor`` (from the start when None), oldest first."""


def to_json(value: Any) -> str:
    """A description or listing as JSON: datetimes in ISO 8601, the way people read them."""

    def default(item: Any) -> Any:
        if isinstance(item, (datetime, date)):
            return item.isoformat()
        if isinstance(item, bytes):
            return item.decode("utf-8", "replace")
        return str(item)

    return json.dumps(value, indent=2, default=default)
