"""The CloudWatch Logs face: JSON 1.1 (``X-Amz-Target: Logs_20140328.<Operation>``).

The wire format only; the streams are read by :class:`~.log_events.LogEvents`. This is what
the SageMaker SDK's ``wait(logs=True)``, ``aws logs get-log-events`` and this library's
own log tailing call while a job runs.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import Error
from .http import Request, Response
from .log_events import GROUP, LogEvents
from .protocols import ServiceFault, json_error, json_response, read_json

TARGET_PREFIX = "Logs_20140328."


class Logs:
    def __init__(self, events: LogEvents):
        self.events = events
        self._operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "DescribeLogGroups": self._describe_groups,
            "DescribeLogStreams": events.describe_streams,
            "GetLogEvents": events.get_events,
            "FilterLogEvents": events.filter_events,
        }

    def __call__(self, request: Request) -> Response:
        target = request.header("X-Amz-Target") or ""
        operation = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else target
        try:
            handler = self._operations.get(operation)
            if handler is None:
                raise ServiceFault(
                    "UnknownOperationException",
                    f"the local CloudWatch Logs does not implement {operation or 'this operation'}"
                    f"; it answers {', '.join(sorted(self._operations))}",
                )
            return json_response(handler(read_json(request)))
        except ServiceFault as fault:
            return json_error(fault)
        except Error as error:  # the engine's state cannot be read (a damaged job store)
            message = f"the local engine failed: {error.one_line(lambda field: field)}"
            return json_error(ServiceFault("InternalFailure", message, 500, sender=False))

    def _describe_groups(self, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("logGroupNamePrefix") or ""
        groups = []
        if GROUP.startswith(prefix):
            arn = f"arn:aws:logs:local:{self.events.account_id}:log-group:{GROUP}"
            groups.append({"logGroupName": GROUP, "arn": arn + ":*", "storedBytes": 0})
        return {"logGroups": groups}
