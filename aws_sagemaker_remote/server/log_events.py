"""CloudWatch Logs' reading operations over the local engine's log streams (no HTTP here).

The engine writes each instance's lines to ``<job dir>/logs/algo-<n>-<epoch>.jsonl``
(:mod:`aws_sagemaker_remote.backends.local.runner.logstreams`), named as SageMaker names its
streams in the group ``/aws/sagemaker/ProcessingJobs``. A stream's events are numbered
from 0 in the order written; GetLogEvents' tokens carry that number (``f/<n>`` forward,
``b/<n>`` backward) and, as CloudWatch does, the same forward token comes back when there
is nothing new, which is how followers know to wait.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from typing import Any

from ..backends import LogEvent
from ..backends.local import LocalBackend
from .protocols import ServiceFault

GROUP = "/aws/sagemaker/ProcessingJobs"
MAX_EVENTS = 10000  # GetLogEvents' and FilterLogEvents' most events a page
_STREAM = re.compile(r"([A-Za-z0-9-]{1,63})/algo-(\d+)-(\d+)")


def invalid(message: str) -> ServiceFault:
    return ServiceFault("InvalidParameterException", message)


def _limit(params: dict[str, Any], most: int, default: int) -> int:
    limit = params.get("limit", default)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= most:
        raise invalid(f"limit must be 1 to {most}, not {limit!r}")
    return limit


def _opaque(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _unwrap(token: Any, what: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        if isinstance(data, dict):
            return data
    except (ValueError, TypeError):
        pass
    raise invalid(f"the {what} is not one this server gave")


class LogEvents:
    """The group ``/aws/sagemaker/ProcessingJobs``, read from ``backend``'s job directories."""

    def __init__(self, backend: LocalBackend, account_id: str):
        self.backend = backend
        self.account_id = account_id

    def check_group(self, params: dict[str, Any]) -> None:
        group = params.get("logGroupName")
        if group is None and params.get("logGroupIdentifier"):
            group = str(params["logGroupIdentifier"]).rsplit(":log-group:", 1)[-1]
        if group != GROUP:
            raise ServiceFault(
                "ResourceNotFoundException", "The specified log group does not exist."
            )

    def _events(self, stream: str) -> list[LogEvent]:
        job = stream.partition("/")[0]
        if not _STREAM.fullmatch(stream) or stream not in self.backend.log_streams(job):
            raise ServiceFault(
                "ResourceNotFoundException", "The specified log stream does not exist."
            )
        return self.backend.read_log(stream).events

    def _streams(self, prefix: str) -> list[str]:
        """Every stream whose name starts with ``prefix``, sorted by name."""
        job_prefix = prefix.partition("/")[0]
        found = []
        for name in self.backend.store.names():
            if name.startswith(job_prefix):
                found += [s for s in self.backend.log_streams(name) if s.startswith(prefix)]
        return sorted(found)

    # -- DescribeLogStreams -------------------------------------------------------------
    def describe_streams(self, params: dict[str, Any]) -> dict[str, Any]:
        self.check_group(params)
        prefix = params.get("logStreamNamePrefix") or ""
        order = params.get("orderBy", "LogStreamName")
        if order not in ("LogStreamName", "LastEventTime"):
            raise invalid(f"orderBy must be LogStreamName or LastEventTime, not {order!r}")
        if prefix and order == "LastEventTime":
            raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        limit = _limit(params, 50, 50)
        streams = [self._stream_info(name) for name in self._streams(prefix)]
        if order == "LastEventTime":
            streams.sort(key=lambda s: (s.get("lastEventTimestamp", 0), s["logStreamName"]))
        if params.get("descending"):
            streams.reverse()
        query = {"prefix": prefix, "order": order, "descending": bool(params.get("descending"))}
        offset = 0
        if params.get("nextToken") is not None:
            data = _unwrap(params["nextToken"], "nextToken")
            if data.get("query") != query or not isinstance(data.get("offset"), int):
                raise invalid("the nextToken belongs to another listing")
            offset = data["offset"]
        answer: dict[str, Any] = {"logStreams": streams[offset : offset + limit]}
        if offset + limit < len(streams):
            answer["nextToken"] = _opaque({"offset": offset + limit, "query": query})
        return answer

    def _stream_info(self, name: str) -> dict[str, Any]:
        created = int(_STREAM.fullmatch(name).group(3)) * 1000  # type: ignore[union-attr]
        events = self.backend.read_log(name).events
        info: dict[str, Any] = {
            "logStreamName": name,
            "creationTime": created,
            "arn": f"arn:aws:logs:local:{self.account_id}:log-group:{GROUP}:log-stream:{name}",
            "storedBytes": 0,
        }
        if events:
            info.update(
                firstEventTimestamp=events[0].timestamp_ms,
                lastEventTimestamp=events[-1].timestamp_ms,
                lastIngestionTime=events[-1].timestamp_ms,
            )
        return info

    # -- GetLogEvents -------------------------------------------------------------------
    def get_events(self, params: dict[str, Any]) -> dict[str, Any]:
        self.check_group(params)
        events = self._events(str(params.get("logStreamName") or ""))
        limit = _limit(params, MAX_EVENTS, MAX_EVENTS)
        start, end = params.get("startTime"), params.get("endTime")
        numbered = [
            (i, e)
            for i, e in enumerate(events)
            if (start is None or e.timestamp_ms >= start) and (end is None or e.timestamp_ms < end)
        ]
        token = params.get("nextToken")
        if token is None:
            position = 0 if params.get("startFromHead") else len(events)
            forward = bool(params.get("startFromHead"))
        else:
            match = re.fullmatch(r"([fb])/(\d+)", str(token))
            if match is None:
                raise invalid("The specified nextToken is invalid.")
            forward, position = match.group(1) == "f", min(int(match.group(2)), len(events))
        if forward:
            page = [(i, e) for i, e in numbered if i >= position][:limit]
            after = page[-1][0] + 1 if page else position
            before = page[0][0] if page else position
        else:
            page = [(i, e) for i, e in numbered if i < position][-limit:]
            before = page[0][0] if page else position
            after = page[-1][0] + 1 if page else position
        return {
            "events": [
                {"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.timestamp_ms}
                for _, e in page
            ],
            "nextForwardToken": f"f/{after:020d}",
            "nextBackwardToken": f"b/{before:020d}",
        }

    # -- FilterLogEvents ----------------------------------------------------------------
    def filter_events(self, params: dict[str, Any]) -> dict[str, Any]:
        self.check_group(params)
        names = params.get("logStreamNames")
        prefix = params.get("logStreamNamePrefix")
        if names and prefix:
            raise invalid("logStreamNames and logStreamNamePrefix cannot both be given")
        if names:
            streams = [str(n) for n in names]
            for name in streams:
                self._events(name)  # ResourceNotFoundException for a stream that is not
        else:
            streams = self._streams(prefix or "")
        limit = _limit(params, MAX_EVENTS, MAX_EVENTS)
        pattern = _pattern(params.get("filterPattern"))
        start, end = params.get("startTime"), params.get("endTime")
        found = []
        for stream in streams:
            for index, event in enumerate(self.backend.read_log(stream).events):
                if start is not None and event.timestamp_ms < start:
                    continue
                if end is not None and event.timestamp_ms > end:
                    continue
                if all(term in event.message for term in pattern):
                    found.append((event.timestamp_ms, stream, index, event.message))
        found.sort()
        query = {"streams": streams, "pattern": pattern, "start": start, "end": end}
        offset = 0
        if params.get("nextToken") is not None:
            data = _unwrap(params["nextToken"], "nextToken")
            if data.get("query") != query or not isinstance(data.get("offset"), int):
                raise invalid("the nextToken belongs to another search")
            offset = data["offset"]
        page = found[offset : offset + limit]
        answer: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": stream,
                    "timestamp": stamp,
                    "message": message,
                    "ingestionTime": stamp,
                    "eventId": f"{stamp:020d}{index:010d}{zlib.crc32(stream.encode()) % 10**6:06d}",
                }
                for stamp, stream, index, message in page
            ],
            "searchedLogStreams": [
                {"logStreamName": s, "searchedCompletely": True} for s in streams
            ],
        }
        if offset + limit < len(found):
            answer["nextToken"] = _opaque({"offset": offset + limit, "query": query})
        return answer


def _pattern(text: Any) -> list[str]:
    """A filter pattern's terms, each to be found in a matching message: plain words (all
    of them), or one quoted phrase."""
    if not text:
        return []
    text = str(text).strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return [text[1:-1]]
    return text.split()
