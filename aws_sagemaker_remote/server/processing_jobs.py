"""Processing jobs as the SageMaker API sees them, over the local engine (no HTTP here).

Requests are checked by the same model checks a submission gets
(:func:`~aws_sagemaker_remote.job.model_checks.find_violations`), then by the engine's own
(:meth:`LocalBackend.check_request`), and created through ``LocalBackend.create_job``:
the one engine, not a second one. Answers are DescribeProcessingJob-shaped with every
member SageMaker fills in (the defaults it writes back, the account in the ARN,
timestamps as epoch seconds), so a client that reads any of them finds it. Tags live in
``tags.json`` in the job's directory, beside what the engine writes there.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import datetime
from typing import Any

from ..args import DEFAULT_DISTRIBUTION, DEFAULT_INPUT_MODE
from ..backends.local import LocalBackend
from ..backends.local.runner.container import DEFAULT_MAX_RUNTIME
from ..backends.local.store import JobRecord
from ..errors import NotFound, UserError
from .protocols import ServiceFault

TAGS_FILE = "tags.json"
MAX_TAGS = 50
_SORT_KEYS = {
    "CreationTime": lambda r: (r.creation_time, r.name),
    "Name": lambda r: (r.name, r.creation_time),
    "Status": lambda r: (r.status, r.creation_time),
}


def validation(message: str) -> ServiceFault:
    return ServiceFault("ValidationException", message)


def _user_message(error: UserError) -> str:
    return error.one_line(lambda field: field)


def _epoch(value: Any, member: str) -> float:
    """A timestamp member as JSON carries it: epoch seconds, or an ISO 8601 string."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise validation(f"{member} must be a timestamp, not {value!r}")


def _with_defaults(request: dict[str, Any]) -> dict[str, Any]:
    """The request members as DescribeProcessingJob returns them: SageMaker's defaults in."""
    described = json.loads(json.dumps(request))
    for item in described.get("ProcessingInputs") or []:
        item.setdefault("AppManaged", False)
        s3 = item.get("S3Input")
        if s3 is not None:
            s3.setdefault("S3InputMode", DEFAULT_INPUT_MODE)
            s3.setdefault("S3DataDistributionType", DEFAULT_DISTRIBUTION)
            s3.setdefault("S3CompressionType", "None")
    for item in (described.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        item.setdefault("AppManaged", False)
    described.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME})
    return described


class ProcessingJobs:
    """CreateProcessingJob and its companions, answered by ``backend`` for ``account_id``."""

    def __init__(self, backend: LocalBackend, account_id: str):
        self.backend = backend
        self.account_id = account_id
        self._lock = threading.Lock()  # one create (and one tags change) at a time

    def arn(self, name: str, region: str) -> str:
        return f"arn:aws:sagemaker:{region}:{self.account_id}:processing-job/{name.lower()}"

    # -- create -------------------------------------------------------------------------
    def create(self, request: dict[str, Any], region: str) -> dict[str, Any]:
        from ..job.model_checks import find_violations

        violations = find_violations(request)
        if violations:
            count = len(violations)
            said = "; ".join(str(v) for v in violations)
            raise validation(f"{count} validation error{'s' if count > 1 else ''} detected: {said}")
        name = request["ProcessingJobName"]
        with self._lock:
            if self._find(name) is not None:
                raise ServiceFault(
                    "ResourceInUse",
                    f"Job name must be unique within an AWS account and region, and a job "
                    f"with this name already exists ({self.arn(name, region)})",
                )
            try:
                self.backend.create_job(request, container_arn=self.arn(name, region))
            except UserError as error:
                if self._find(name) is not None:  # created meanwhile by another client
                    raise ServiceFault("ResourceInUse", _user_message(error)) from None
                raise validation(_user_message(error)) from None
            tags = request.get("Tags") or []
            if tags:
                self._write_tags(name, tags)
        return {"ProcessingJobArn": self.arn(name, region)}

    # -- read ---------------------------------------------------------------------------
    def _find(self, name: str) -> JobRecord | None:
        """The job named ``name`` in any case (SageMaker's names are unique regardless)."""
        return self.backend.store.get_any_case(name)

    def _record(self, name: Any) -> JobRecord:
        if not isinstance(name, str) or not name:
            raise validation("ProcessingJobName is required")
        try:
            return self.backend.record(name)
        except NotFound:
            raise validation(f"Could not find requested job with name {name}") from None
        except UserError:  # not a job name at all
            raise validation(f"Could not find requested job with name {name}") from None

    def describe(self, name: Any, region: str) -> dict[str, Any]:
        record = self._record(name)
        described = _with_defaults(record.request)
        described.pop("Tags", None)
        described.update(
            ProcessingJobName=record.name,
            ProcessingJobArn=self.arn(record.name, region),
            ProcessingJobStatus=record.status,
            ExitMessage=record.exit_message,
            FailureReason=record.failure_reason,
            ProcessingEndTime=record.end_time,
            ProcessingStartTime=record.start_time,
            LastModifiedTime=record.last_modified_time,
            CreationTime=record.creation_time,
        )
        return {k: v for k, v in described.items() if v is not None}

    def summary(self, record: JobRecord, region: str) -> dict[str, Any]:
        summary = {
            "ProcessingJobName": record.name,
            "ProcessingJobArn": self.arn(record.name, region),
            "CreationTime": record.creation_time,
            "ProcessingEndTime": record.end_time,
            "LastModifiedTime": record.last_modified_time,
            "ProcessingJobStatus": record.status,
            "FailureReason": record.failure_reason,
            "ExitMessage": record.exit_message,
        }
        return {k: v for k, v in summary.items() if v is not None}

    def list_jobs(self, params: dict[str, Any], region: str) -> dict[str, Any]:
        """ListProcessingJobs: its filters, sort orders and NextToken/MaxResults paging."""
        sort_by = params.get("SortBy", "CreationTime")
        order = params.get("SortOrder", "Descending")
        if sort_by not in _SORT_KEYS:
            raise validation(f"SortBy must be one of {', '.join(_SORT_KEYS)}, not {sort_by!r}")
        if order not in ("Ascending", "Descending"):
            raise validation(f"SortOrder must be Ascending or Descending, not {order!r}")
        limit = params.get("MaxResults", 10)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
            raise validation(f"MaxResults must be 1 to 100, not {limit!r}")
        records = [r for r in self.backend.records() if _matches(r, params)]
        records.sort(key=_SORT_KEYS[sort_by], reverse=order == "Descending")
        offset = _offset(params.get("NextToken"), params)
        page = records[offset : offset + limit]
        answer: dict[str, Any] = {"ProcessingJobSummaries": [self.summary(r, region) for r in page]}
        if offset + limit < len(records):
            answer["NextToken"] = _token(offset + limit, params)
        return answer

    # -- stop ---------------------------------------------------------------------------
    def stop(self, name: Any) -> dict[str, Any]:
        record = self._record(name)
        try:
            self.backend.stop_job(record.name)
        except UserError:
            raise validation(
                f"The request was rejected because the processing job is in status "
                f"{self.backend.record(record.name).status}."
            ) from None
        return {}

    # -- tags ---------------------------------------------------------------------------
    def _job_of(self, arn: Any) -> JobRecord:
        if not isinstance(arn, str) or ":processing-job/" not in arn:
            raise validation(f"ResourceArn {arn!r} is not a processing job's ARN")
        record = self._find(arn.rsplit("/", 1)[1])
        if record is None:
            raise ServiceFault("ResourceNotFound", f"Could not find resource {arn}")
        return record

    def _tags(self, record: JobRecord) -> list[dict[str, str]]:
        path = self.backend.store.job_dir(record.name) / TAGS_FILE
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            return list(record.request.get("Tags") or [])
        except (OSError, ValueError) as error:
            raise ServiceFault(
                "InternalFailure", f"the tags of {record.name}: {error}", 500
            ) from None

    def _write_tags(self, name: str, tags: list[dict[str, str]]) -> None:
        path = self.backend.store.job_dir(name) / TAGS_FILE
        temp = path.with_name(TAGS_FILE + ".partial")
        temp.write_text(json.dumps(tags))
        temp.replace(path)

    def add_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        from ..job.model_checks import find_violations

        violations = find_violations(params, "AddTags")
        if violations:
            raise validation("; ".join(str(v) for v in violations))
        record = self._job_of(params.get("ResourceArn"))
        with self._lock:
            tags = {t["Key"]: t["Value"] for t in self._tags(record)}
            tags.update({t["Key"]: t.get("Value", "") for t in params["Tags"]})
            if len(tags) > MAX_TAGS:
                raise validation(f"a resource can have at most {MAX_TAGS} tags")
            merged = [{"Key": k, "Value": v} for k, v in tags.items()]
            self._write_tags(record.name, merged)
        return {"Tags": params["Tags"]}

    def list_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        record = self._job_of(params.get("ResourceArn"))
        tags = self._tags(record)
        limit = params.get("MaxResults", 50)
        offset = _offset(params.get("NextToken"), {"ResourceArn": params.get("ResourceArn")})
        answer: dict[str, Any] = {"Tags": tags[offset : offset + limit]}
        if offset + limit < len(tags):
            answer["NextToken"] = _token(offset + limit, {"ResourceArn": params["ResourceArn"]})
        return answer

    def delete_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        keys = params.get("TagKeys")
        if not isinstance(keys, list) or not keys:
            raise validation("TagKeys must be a list of 1 to 50 keys")
        record = self._job_of(params.get("ResourceArn"))
        with self._lock:
            kept = [t for t in self._tags(record) if t["Key"] not in keys]
            self._write_tags(record.name, kept)
        return {}


def _matches(record: JobRecord, params: dict[str, Any]) -> bool:
    contains = params.get("NameContains")
    if contains and contains.lower() not in record.name.lower():
        return False
    status = params.get("StatusEquals")
    if status and record.status != status:
        return False
    for member, value, after in (
        ("CreationTimeAfter", record.creation_time, True),
        ("CreationTimeBefore", record.creation_time, False),
        ("LastModifiedTimeAfter", record.last_modified_time, True),
        ("LastModifiedTimeBefore", record.last_modified_time, False),
    ):
        if member in params:
            bound = _epoch(params[member], member)
            if (after and value <= bound) or (not after and value >= bound):
                return False
    return True


def _query_of(params: dict[str, Any]) -> str:
    """What a NextToken is tied to: the same filters and order, whatever the page size."""
    kept = {k: v for k, v in params.items() if k not in ("NextToken", "MaxResults")}
    return json.dumps(kept, sort_keys=True, default=str)


def _token(offset: int, params: dict[str, Any]) -> str:
    data = json.dumps({"offset": offset, "query": _query_of(params)})
    return base64.urlsafe_b64encode(data.encode()).decode()


def _offset(token: Any, params: dict[str, Any]) -> int:
    if token is None:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        offset = int(data["offset"])
        if data["query"] != _query_of(params) or offset < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise validation("Invalid pagination token: NextToken is not one this call gave") from None
    return offset
