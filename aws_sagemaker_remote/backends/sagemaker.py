"""The Backend Protocol answered by the SageMaker and CloudWatch Logs APIs (boto3).

A thin wrapper in the spirit of Metaflow's ``batch_client.py``: each method is one API
operation (plus pagination), inside :func:`~aws_sagemaker_remote.awserrors.map_aws_errors`.
A job that does not exist is :class:`NotFound`; an endpoint that cannot be reached, or a
fault on the service's side, is :class:`ServiceError` naming the endpoint; anything else
the service refuses is a :class:`UserError` with its message.
"""

from __future__ import annotations

import re
import time
from typing import Any

from ..awserrors import (
    AwsFailure,
    aws_error_answers,
    aws_error_code,
    aws_error_message,
    aws_not_found,
    map_aws_errors,
)
from ..errors import NotFound, UserError
from ..job.lineage import checked_job_name
from ..script.layout import LOG_GROUP
from . import LogEvent, LogPage

_NOT_FOUND = re.compile(r"could not find|does not exist|not found", re.IGNORECASE)
_ASSUME_ROLE = re.compile(r"assume.{0,20}role", re.IGNORECASE)
_MAX_LOG_PAGES = 100  # one read_log call returns at most this many pages (~1M events)


class SageMakerBackend:
    local = False

    def __init__(self, ctx: Any, *, role_retry_seconds: float = 60.0):
        self.ctx = ctx
        self._role_retry_seconds = role_retry_seconds

    def _client(self, service: str) -> Any:
        """The one client of the session (bounded timeouts and attempts: a frozen endpoint
        is a ServiceError naming it within a minute)."""
        from ..boto import client_of

        return client_of(self.ctx.session, service, self.ctx.region)

    # -- jobs ------------------------------------------------------------------

    def check_request(self, request: dict[str, Any]) -> None:
        """A job name already taken in this account and region, before anything is staged
        (the service model itself was checked by the request builder)."""
        name = checked_job_name(request.get("ProcessingJobName"))
        try:
            self.describe_job(name)
        except NotFound:
            return
        raise UserError(
            f"a processing job named {name} already exists",
            field="job_name",
            fix="choose another name, or leave the flag out to get a fresh one",
        )

    def create_job(self, request: dict[str, Any]) -> None:
        name = checked_job_name(request.get("ProcessingJobName"))
        client = self._client("sagemaker")
        # A role created a moment ago takes a few seconds to become assumable by SageMaker.
        deadline = time.monotonic() + self._role_retry_seconds
        with self._errors(
            "sagemaker", refused="SageMaker refused the job", codes=_create_codes(name)
        ):
            while True:
                try:
                    client.create_processing_job(**request)
                    return
                except aws_error_answers() as error:
                    if not (_role_not_ready(error) and time.monotonic() < deadline):
                        raise
                time.sleep(3)

    def describe_job(self, job_name: str) -> dict[str, Any]:
        response = self._call(
            "sagemaker", "describe_processing_job", job_name, ProcessingJobName=job_name
        )
        response.pop("ResponseMetadata", None)
        return response

    def list_jobs(
        self, max_results: int = 20, name_contains: str | None = None
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"SortBy": "CreationTime", "SortOrder": "Descending"}
        if name_contains:
            params["NameContains"] = name_contains
        jobs: list[dict[str, Any]] = []
        while len(jobs) < max_results:
            params["MaxResults"] = min(100, max_results - len(jobs))
            page = self._call("sagemaker", "list_processing_jobs", None, **params)
            jobs += page.get("ProcessingJobSummaries", [])
            params["NextToken"] = page.get("NextToken")
            if not params["NextToken"]:
                break
        jobs.sort(key=lambda job: job["CreationTime"], reverse=True)
        return jobs[:max_results]

    def list_jobs_page(
        self,
        max_results: int,
        next_token: str | None = None,
        *,
        name_contains: str | None = None,
        status: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One ListProcessingJobs call, newest first: (summaries, the next page's token)."""
        params: dict[str, Any] = {
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "MaxResults": max(1, min(100, max_results)),
        }
        if name_contains:
            params["NameContains"] = name_contains
        if status:
            params["StatusEquals"] = status
        if next_token:
            params["NextToken"] = next_token
        page = self._call("sagemaker", "list_processing_jobs", None, **params)
        return page.get("ProcessingJobSummaries", []), page.get("NextToken") or None

    def job_tags(self, job_arn: str) -> list[dict[str, str]]:
        """The job's tags (ListTags: DescribeProcessingJob does not return them)."""
        tags: list[dict[str, str]] = []
        params: dict[str, Any] = {"ResourceArn": job_arn, "MaxResults": 100}
        while True:
            page = self._call("sagemaker", "list_tags", None, **params)
            tags += page.get("Tags", [])
            token = page.get("NextToken")
            if not token or token == params.get("NextToken"):
                return tags
            params["NextToken"] = token

    def stop_job(self, job_name: str) -> None:
        self._call("sagemaker", "stop_processing_job", job_name, ProcessingJobName=job_name)

    # -- logs --------------------------------------------------------------------

    def log_streams(self, job_name: str) -> list[str]:
        params: dict[str, Any] = {
            "logGroupName": LOG_GROUP,
            "logStreamNamePrefix": f"{job_name}/",
            "orderBy": "LogStreamName",
        }
        names: list[str] = []
        while True:
            page = self._logs_call("describe_log_streams", **params)
            if page is None:
                return []
            names += [s["logStreamName"] for s in page.get("logStreams", [])]
            token = page.get("nextToken")
            if not token or token == params.get("nextToken"):
                break
            params["nextToken"] = token
        return sorted(names, key=stream_sort_key)

    def read_log(self, stream: str, cursor: str | None = None) -> LogPage:
        events: list[LogEvent] = []
        for _ in range(_MAX_LOG_PAGES):
            params: dict[str, Any] = {
                "logGroupName": LOG_GROUP,
                "logStreamName": stream,
                "startFromHead": True,
            }
            if cursor:
                params["nextToken"] = cursor
            page = self._logs_call("get_log_events", **params)
            if page is None:  # no such group or stream (yet)
                break
            events += [LogEvent(e["timestamp"], e["message"]) for e in page.get("events", [])]
            token = page.get("nextForwardToken")
            if not token or token == cursor:  # the same token back: nothing newer
                break
            cursor = token
        return LogPage(events, cursor)

    # -- plumbing ----------------------------------------------------------------

    def _call(self, service: str, operation: str, job_name: str | None, **params: Any) -> Any:
        client = self._client(service)
        with self._errors(service, codes=_missing_job_codes(job_name)):
            return getattr(client, operation)(**params)

    def _logs_call(self, operation: str, **params: Any) -> Any:
        """The logs API's response, or None when the log group or stream does not exist."""
        client = self._client("logs")
        with self._errors("logs"):
            try:
                return getattr(client, operation)(**params)
            except aws_error_answers() as error:
                if not aws_not_found(error):
                    raise
                return None

    def _errors(self, service: str, **knobs: Any) -> Any:
        """botocore's errors as ours, naming the service and its endpoint."""
        return map_aws_errors(_SERVICE_NAMES[service], self._client(service), **knobs)


_SERVICE_NAMES = {"sagemaker": "SageMaker", "logs": "CloudWatch Logs"}


def stream_sort_key(stream: str) -> tuple[int, str]:
    """``<job>/algo-2-...`` before ``<job>/algo-10-...``."""
    match = re.search(r"/algo-(\d+)(?:-\d+)?$", stream)
    return (int(match.group(1)) if match else 0, stream)


def _role_not_ready(error: BaseException) -> bool:
    """SageMaker cannot assume the job's role yet (a role made a moment ago)."""
    return aws_error_code(error) == "ValidationException" and bool(
        _ASSUME_ROLE.search(aws_error_message(error))
    )


def _missing_job_codes(job_name: str | None) -> dict[str, Any]:
    """SageMaker says a job does not exist as a ValidationException (or ResourceNotFound)
    whose message says so."""
    if not job_name:
        return {}

    def missing(failure: AwsFailure) -> NotFound | None:
        if _NOT_FOUND.search(failure.message):
            return NotFound(f"no processing job named {job_name}")
        return None

    return dict.fromkeys(("ValidationException", "ResourceNotFound"), missing)


def _create_codes(job_name: str) -> dict[str, Any]:
    """What CreateProcessingJob's refusals mean: a name taken, a quota reached."""

    def taken(failure: AwsFailure) -> UserError:
        return UserError(
            f"a processing job named {job_name} already exists: {failure.message}",
            field="job_name",
            fix="choose another name, or leave it out to get a generated one",
        )

    def quota(failure: AwsFailure) -> UserError:
        return UserError(
            f"SageMaker refused the job: {failure.message}",
            field="instance",
            fix="use another instance type, or ask AWS for a quota increase",
        )

    return {"ResourceInUse": taken, "ResourceLimitExceeded": quota}
