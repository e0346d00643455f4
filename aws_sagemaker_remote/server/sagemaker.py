"""The SageMaker face: JSON 1.1 requests (``X-Amz-Target: SageMaker.<Operation>``) in and out.

Only the wire format lives here (moto's split between ``responses.py`` and ``models.py``):
the operation is read from the target, the body parsed, the model
(:class:`~.processing_jobs.ProcessingJobs`) called, and its answer or
:class:`~.protocols.ServiceFault` rendered. An operation this server does not implement is
an ``UnknownOperationException`` naming it, never a silent success.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import Error
from .http import Request, Response
from .processing_jobs import ProcessingJobs
from .protocols import ServiceFault, json_error, json_response, read_json

TARGET_PREFIX = "SageMaker."


class SageMaker:
    """The face; ``region_of(request)`` says which region a request's ARNs are in."""

    def __init__(self, jobs: ProcessingJobs, region_of: Callable[[Request], str]):
        self.jobs = jobs
        self.region_of = region_of
        self._operations: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
            "CreateProcessingJob": jobs.create,
            "DescribeProcessingJob": lambda p, r: jobs.describe(p.get("ProcessingJobName"), r),
            "ListProcessingJobs": jobs.list_jobs,
            "StopProcessingJob": lambda p, r: jobs.stop(p.get("ProcessingJobName")),
            "AddTags": lambda p, r: jobs.add_tags(p),
            "ListTags": lambda p, r: jobs.list_tags(p),
            "DeleteTags": lambda p, r: jobs.delete_tags(p),
        }

    def __call__(self, request: Request) -> Response:
        target = request.header("X-Amz-Target") or ""
        operation = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else target
        try:
            if request.method != "POST":
                raise ServiceFault("InvalidAction", "SageMaker operations are POST requests")
            handler = self._operations.get(operation)
            if handler is None:
                raise ServiceFault(
                    "UnknownOperationException",
                    f"the local SageMaker does not implement {operation or 'this operation'}; "
                    f"it answers {', '.join(sorted(self._operations))}",
                )
            params = read_json(request)
            return json_response(handler(params, self.region_of(request)))
        except ServiceFault as fault:
            return json_error(fault)
        except Error as error:  # the engine's state cannot be read (a damaged job store)
            message = f"the local engine failed: {error.one_line(lambda field: field)}"
            return json_error(ServiceFault("InternalFailure", message, 500, sender=False))
