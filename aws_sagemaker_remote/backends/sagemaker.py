"""The Backend Protocol answered by the SageMaker and CloudWatch Logs APIs (boto3).

A thin wrapper in the spirit of Metaflow's ``batch_client.py``: each method is one API
operation (plus pagination). A job that does not exist is :class:`NotFound`; an endpoint
that cannot be reached, or a fault on the service's side, is :class:`ServiceError` naming
the endpoint; anything else the service refuses is a :class:`UserError` with its message.
"""

from __future__ import annotations

import re
import time
from typing import Any

from ..aws.session import error_code, error_message
from ..errors import NotFound, ServiceError, UserError
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
        from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

        name = checked_job_name(request.get("ProcessingJobName"))
        # A role created a moment ago takes a few seconds to become assumable by SageMaker.
        deadline = time.monotonic() + self._role_retry_seconds
        while True:
            try:
                self._client("sagemaker").create_processing_job(**request)
                return
            except ClientError as error:
                code, message = error_code(error), error_message(error)
                if (
                    code == "ValidationException"
                    and _ASSUME_ROLE.search(message)
                    and time.monotonic() < deadline
                ):
                    time.sleep(3)
                    continue
                raise _create_error(name, code, message) from None
            except ParamValidationError as error:
                raise UserError(f"invalid CreateProcessingJob request: {error}") from None
            except BotoCoreError as error:
                raise self._unreachable("sagemaker", error) from None

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
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client(service), operation)(**params)
        except ClientError as error:
            message = error_message(error)
            if job_name and error_code(error) in ("ValidationException", "ResourceNotFound"):
                if _NOT_FOUND.search(message):
                    raise NotFound(f"no processing job named {job_name}") from None
            if _is_service_fault(error):
                raise self._fault(service, message) from None
            raise UserError(f"SageMaker: {message}") from None
        except BotoCoreError as error:
            raise self._unreachable(service, error) from None

    def _logs_call(self, operation: str, **params: Any) -> Any:
        """The logs API's response, or None when the log group or stream does not exist."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client("logs"), operation)(**params)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return None
            if _is_service_fault(error):
                raise self._fault("logs", error_message(error)) from None
            raise UserError(f"CloudWatch Logs: {error_message(error)}") from None
        except BotoCoreError as error:
            raise self._unreachable("logs", error) from None

    def _endpoint(self, service: str) -> str:
        return str(self._client(service).meta.endpoint_url)

    def _unreachable(self, service: str, error: Exception) -> ServiceError:
        endpoint = self._endpoint(service)
        return ServiceError(
            f"cannot reach {_SERVICE_NAMES.get(service, service)} at {endpoint}: {error} "
            "(a network or service fault: check the network, then run again)",
            endpoint=endpoint,
        )

    def _fault(self, service: str, message: str) -> ServiceError:
        endpoint = self._endpoint(service)
        return ServiceError(
            f"{_SERVICE_NAMES.get(service, service)} at {endpoint} failed: {message} "
            "(a fault on the service's side: run again later)",
            endpoint=endpoint,
        )


_SERVICE_NAMES = {"sagemaker": "SageMaker", "logs": "CloudWatch Logs"}


def _is_service_fault(error: Any) -> bool:
    """A 5xx answer or throttling that outlived botocore's retries: not the caller's fault."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return status >= 500 or error_code(error) in ("ThrottlingException", "Throttling")


def stream_sort_key(stream: str) -> tuple[int, str]:
    """``<job>/algo-2-...`` before ``<job>/algo-10-...``."""
    match = re.search(r"/algo-(\d+)(?:-\d+)?$", stream)
    return (int(match.group(1)) if match else 0, stream)


def _create_error(job_name: str, code: str, message: str) -> UserError:
    if code == "ResourceInUse":
        return UserError(
            f"a processing job named {job_name} already exists: {message}",
            field="job_name",
            fix="choose another name, or leave it out to get a generated one",
        )
    if code == "ResourceLimitExceeded":
        return UserError(
            f"SageMaker refused the job: {message}",
            field="instance",
            fix="use another instance type, or ask AWS for a quota increase",
        )
    return UserError(f"SageMaker refused the job: {message}")
