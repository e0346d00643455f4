"""A Backend kept in memory, for the logic written against the Protocol (handles, input
lookups): jobs are descriptions in a dict; each describe may move a job to its next
status; log streams are lists of events."""

from __future__ import annotations

from typing import Any

from aws_sagemaker_remote.backends import LogEvent, LogPage
from aws_sagemaker_remote.errors import NotFound


def description(
    name: str, status: str, outputs: dict[str, str] | None = None, **more: Any
) -> dict[str, Any]:
    """A DescribeProcessingJob-shaped answer."""
    return {
        "ProcessingJobName": name,
        "ProcessingJobStatus": status,
        "ProcessingOutputConfig": {
            "Outputs": [
                {"OutputName": n, "S3Output": {"S3Uri": uri, "LocalPath": f"/opt/ml/{n}"}}
                for n, uri in (outputs or {}).items()
            ]
        },
        **more,
    }


class MemoryBackend:
    """Jobs in a dict; ``statuses[name]``: the statuses later describes move through.
    ``local``: stands for the local engine (jobs on this machine) rather than SageMaker."""

    def __init__(self, *, local: bool = False):
        self.local = local
        self.jobs: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, list[str]] = {}
        self.streams: dict[str, list[LogEvent]] = {}
        self.stopped: list[str] = []
        self.created: list[dict[str, Any]] = []

    def add(self, job: dict[str, Any], *later: str, logs: list[str] = ()) -> None:
        name = job["ProcessingJobName"]
        self.jobs[name] = job
        self.statuses[name] = list(later)
        if logs:
            self.streams[f"{name}/algo-1-1700000000"] = [
                LogEvent(n, line) for n, line in enumerate(logs, start=1)
            ]

    def check_request(self, request: dict[str, Any]) -> list[str] | None:
        return []

    def create_job(self, request: dict[str, Any]) -> None:
        self.created.append(request)

    def describe_job(self, job_name: str) -> dict[str, Any]:
        if job_name not in self.jobs:
            raise NotFound(f"no job named {job_name}", field="job_name")
        if self.statuses[job_name]:
            self.jobs[job_name]["ProcessingJobStatus"] = self.statuses[job_name].pop(0)
        return dict(self.jobs[job_name])

    def list_jobs(self, max_results: int = 20, name_contains: str | None = None) -> list:
        return [j for n, j in self.jobs.items() if not name_contains or name_contains in n]

    def stop_job(self, job_name: str) -> None:
        self.describe_job(job_name)
        self.stopped.append(job_name)

    def log_streams(self, job_name: str) -> list[str]:
        return sorted(s for s in self.streams if s.startswith(f"{job_name}/"))

    def read_log(self, stream: str, cursor: str | None = None) -> LogPage:
        start = int(cursor or 0)
        events = self.streams.get(stream, [])[start:]
        return LogPage(events, str(start + len(events)))
