"""What the console reads: jobs from a Backend, objects from an :class:`ObjectReader`.

:class:`ConsoleSource` is the one interface the pages are written against. Two sources
answer it: :class:`LocalSource` over the local engine, whose job store is SQLite (a page of
the list is one indexed query, and no job is described to list it), and
:class:`SageMakerSource` over the SageMaker API, which describes only the jobs of the page
shown and keeps the descriptions of ended jobs, since those never change.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from ...backends import LogPage
from ...errors import NotFound
from ...job.request import REQUEST_MEMBERS
from ...job.status import ACTIVE, TERMINAL
from .objects import ObjectReader


@dataclass(frozen=True)
class JobRow:
    """One line of the jobs list."""

    name: str
    status: str
    created: datetime | None
    ended: datetime | None
    instance_type: str
    instance_count: int | None
    image: str


@dataclass(frozen=True)
class JobsPage:
    """One page of the jobs list, and whether another follows."""

    rows: list[JobRow]
    page: int  # from 1
    has_next: bool
    total: int | None  # None where the service does not count


class ConsoleSource(Protocol):
    """Everything the console shows, read from one place (the local engine or SageMaker)."""

    where: str  # what the jobs run on, in the list page's words
    objects: ObjectReader
    job_paths_only: bool  # browse only the S3 paths a job names (not whole buckets)
    poll_seconds: float  # how often a running job's page asks for new log lines

    def jobs_page(
        self, *, page: int, per_page: int, status: str | None, name_contains: str | None
    ) -> JobsPage: ...
    def describe(self, job_name: str) -> dict[str, Any]: ...
    def request(self, job_name: str, description: dict[str, Any]) -> dict[str, Any]: ...
    def tags(self, description: dict[str, Any]) -> list[dict[str, str]] | None: ...
    def stop(self, job_name: str) -> None: ...
    def log_streams(self, job_name: str) -> list[str]: ...
    def read_log(self, stream: str, cursor: str | None) -> LogPage: ...
    def jobs_mentioning(self, texts: list[str]) -> list[str]: ...


def row_of(name: str, status: str, created: Any, ended: Any, request: dict[str, Any]) -> JobRow:
    """A list row from a job's request (or description) and its times."""
    cluster = (request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    return JobRow(
        name=name,
        status=status,
        created=as_datetime(created),
        ended=as_datetime(ended),
        instance_type=str(cluster.get("InstanceType") or ""),
        instance_count=cluster.get("InstanceCount"),
        image=str((request.get("AppSpecification") or {}).get("ImageUri") or ""),
    )


def as_datetime(value: Any) -> datetime | None:
    """A timestamp as boto3 (datetime), the local engine (datetime or epoch) or JSON give it."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def request_from_description(description: dict[str, Any]) -> dict[str, Any]:
    """The CreateProcessingJob request a description stands for (SageMaker keeps no other)."""
    return {k: description[k] for k in REQUEST_MEMBERS if k in description}


class LocalSource:
    """The local engine's jobs (stop included) and the local store's objects."""

    where = "the local engine"
    job_paths_only = False  # the local store is this user's own
    poll_seconds = 1.0  # a running job's page asks for new log lines this often

    def __init__(self, backend: Any, objects: ObjectReader | None = None):
        from .objects import local_store_objects

        self.backend = backend
        self.store = backend.store
        self.objects = objects if objects is not None else local_store_objects()

    def jobs_page(
        self, *, page: int, per_page: int, status: str | None, name_contains: str | None
    ) -> JobsPage:
        records = self.store.page((page - 1) * per_page, per_page + 1, name_contains, status)
        rows = []
        for record in records[:per_page]:
            status_now = record.status
            if status_now in ACTIVE:  # a runner that died is noticed by describe
                try:
                    status_now = self.backend.describe_job(record.name)["ProcessingJobStatus"]
                except NotFound:  # removed since the page was read
                    continue
            end = record.end_time
            if status_now in TERMINAL and end is None:
                end = (self.store.get(record.name) or record).end_time
            rows.append(row_of(record.name, status_now, record.creation_time, end, record.request))
        total = self.store.count(name_contains, status)
        return JobsPage(rows, page, len(records) > per_page, total)

    def describe(self, job_name: str) -> dict[str, Any]:
        return self.backend.describe_job(job_name)

    def request(self, job_name: str, description: dict[str, Any]) -> dict[str, Any]:
        record = self.store.get(job_name)
        return record.request if record is not None else request_from_description(description)

    def tags(self, description: dict[str, Any]) -> list[dict[str, str]] | None:
        return list(self.request(description["ProcessingJobName"], description).get("Tags", []))

    def stop(self, job_name: str) -> None:
        self.backend.stop_job(job_name)

    def log_streams(self, job_name: str) -> list[str]:
        return self.backend.log_streams(job_name)

    def read_log(self, stream: str, cursor: str | None) -> LogPage:
        return self.backend.read_log(stream, cursor)

    def jobs_mentioning(self, texts: list[str]) -> list[str]:
        return [record.name for record in self.store.mentioning(texts)]


class SageMakerSource:
    """A SageMaker account's jobs, read-only in spirit (the face decides on stop)."""

    where = "SageMaker"
    job_paths_only = True
    poll_seconds = 5.0  # three API calls a poll; CloudWatch Logs' quotas are per account

    def __init__(self, backend: Any, objects: ObjectReader, *, workers: int = 8):
        self.backend = backend
        self.objects = objects
        self._workers = workers
        self._ended: dict[str, dict[str, Any]] = {}  # descriptions of ended jobs
        self._tokens: dict[tuple, list[str | None]] = {}  # filters -> each page's NextToken
        self._lock = threading.Lock()

    def jobs_page(
        self, *, page: int, per_page: int, status: str | None, name_contains: str | None
    ) -> JobsPage:
        key = (status, name_contains, per_page)
        with self._lock:
            tokens = self._tokens.setdefault(key, [None])
        while len(tokens) < page:  # walk forward to a page not visited yet
            _, token = self.backend.list_jobs_page(
                per_page, tokens[-1], name_contains=name_contains, status=status
            )
            if token is None:
                page = len(tokens)
                break
            tokens.append(token)
        summaries, token = self.backend.list_jobs_page(
            per_page, tokens[page - 1], name_contains=name_contains, status=status
        )
        if token is not None and len(tokens) == page:
            tokens.append(token)
        summaries.sort(key=lambda s: s.get("CreationTime") or 0, reverse=True)
        descriptions = self._describe_all([s["ProcessingJobName"] for s in summaries])
        rows = []
        for summary in summaries:
            name = summary["ProcessingJobName"]
            description = descriptions.get(name) or {}
            rows.append(
                row_of(
                    name,
                    summary.get("ProcessingJobStatus", ""),
                    summary.get("CreationTime"),
                    summary.get("ProcessingEndTime"),
                    description,
                )
            )
        return JobsPage(rows, page, token is not None, None)

    def _describe_all(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """Descriptions of a page's jobs, side by side (a few threads, as the CLI's waits);
        a job that cannot be described shows without its instance and image."""
        from concurrent.futures import ThreadPoolExecutor

        from ...errors import Error

        def one(name: str) -> tuple[str, dict[str, Any]]:
            try:
                return name, self.describe(name)
            except Error:
                return name, {}

        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            return dict(pool.map(one, names))

    def describe(self, job_name: str) -> dict[str, Any]:
        with self._lock:
            kept = self._ended.get(job_name)
        if kept is not None:
            return kept
        description = self.backend.describe_job(job_name)
        if description.get("ProcessingJobStatus") in TERMINAL:
            with self._lock:
                self._ended[job_name] = description
        return description

    def request(self, job_name: str, description: dict[str, Any]) -> dict[str, Any]:
        return request_from_description(description)

    def tags(self, description: dict[str, Any]) -> list[dict[str, str]] | None:
        """None where ListTags is refused: the console needs no more than describe."""
        from ...errors import UserError

        try:
            return self.backend.job_tags(description["ProcessingJobArn"])
        except UserError:
            return None

    def stop(self, job_name: str) -> None:
        self.backend.stop_job(job_name)

    def log_streams(self, job_name: str) -> list[str]:
        return self.backend.log_streams(job_name)

    def read_log(self, stream: str, cursor: str | None) -> LogPage:
        return self.backend.read_log(stream, cursor)

    def jobs_mentioning(self, texts: list[str]) -> list[str]:
        """Among the ended jobs described so far: SageMaker cannot search requests."""
        import json

        with self._lock:
            known = dict(self._ended)
        found = []
        for name, description in known.items():
            text = json.dumps(request_from_description(description), default=str)
            if any(t in text for t in texts):
                found.append(name)
        return found
