"""The two wire formats of the non-S3 faces: JSON 1.1 (SageMaker, Logs) and query (STS, IAM).

A face's model raises :class:`ServiceFault` (a code, a message, an HTTP status); the face
renders it in its protocol's error shape, which is what botocore parses into
``ClientError.response['Error']``. Bodies are read with a cap (:data:`BODY_LIMIT`): these
services take small documents, and a huge or endless body is answered, not buffered.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from .http import BodyError, Request, Response

BODY_LIMIT = 1024 * 1024  # SageMaker, Logs, STS and IAM requests are a few KiB
JSON_TYPE = "application/x-amz-json-1.1"


class ServiceFault(Exception):
    """An answer in the service's error shape: ``code`` as AWS spells it, 400 by default."""

    def __init__(self, code: str, message: str, status: int = 400, sender: bool = True):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender  # the caller's fault (query protocol's <Type>Sender</Type>)


def request_id() -> str:
    return str(uuid.uuid4())


def read_body(request: Request, limit: int = BODY_LIMIT) -> bytes:
    """The whole body, or a ServiceFault (413) past ``limit`` or for a body cut short."""
    try:
        return request.read_all(limit)
    except BodyError as error:
        raise ServiceFault(
            "RequestEntityTooLarge", f"the request body is refused: {error}", 413
        ) from None


# --- JSON 1.1 ---------------------------------------------------------------------------------


def read_json(request: Request) -> dict[str, Any]:
    """The JSON object of a JSON 1.1 request; SerializationException if it is not one."""
    body = read_body(request)
    if not body.strip():
        return {}
    try:
        params = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ServiceFault("SerializationException", f"the body is not JSON: {error}") from None
    if not isinstance(params, dict):
        raise ServiceFault("SerializationException", "the body must be a JSON object")
    return params


def json_response(data: dict[str, Any], status: int = 200) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    headers = [("Content-Type", JSON_TYPE), ("x-amzn-RequestId", request_id())]
    return Response(status, headers, body)


def json_error(fault: ServiceFault) -> Response:
    response = json_response({"__type": fault.code, "message": fault.message}, fault.status)
    if fault.status == 413:
        response.close = True  # the rest of the body is not read
    return response


# --- query (form POST in, XML out) ------------------------------------------------------------


def read_form(request: Request) -> dict[str, str]:
    """The parameters of a query-protocol request: the query string, then the form body."""
    params = dict(request.query)
    if request.method == "POST":
        body = read_body(request)
        try:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise ServiceFault("MalformedQueryString", "the form body is not UTF-8") from None
    return params


def xml_text(value: Any) -> str:
    return escape(str(value))


def xml_members(members: dict[str, Any]) -> str:
    """``<Name>value</Name>`` for each member; nested dicts become nested elements, lists of
    dicts ``<member>`` items, None is left out."""
    parts = []
    for name, value in members.items():
        if value is None:
            continue
        if isinstance(value, dict):
            inner = xml_members(value)
        elif isinstance(value, list):
            inner = "".join(
                f"<member>{xml_members(v) if isinstance(v, dict) else xml_text(v)}</member>"
                for v in value
            )
        elif isinstance(value, bool):
            inner = "true" if value else "false"
        else:
            inner = xml_text(value)
        parts.append(f"<{name}>{inner}</{name}>")
    return "".join(parts)


def query_response(action: str, namespace: str, result: dict[str, Any] | None) -> Response:
    inner = f"<{action}Result>{xml_members(result)}</{action}Result>" if result is not None else ""
    body = (
        f'<{action}Response xmlns="{namespace}">{inner}'
        f"<ResponseMetadata><RequestId>{request_id()}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    return Response(200, [("Content-Type", "text/xml")], body.encode())


def query_error(fault: ServiceFault, namespace: str) -> Response:
    kind = "Sender" if fault.sender else "Receiver"
    body = (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
        f"<Code>{xml_text(fault.code)}</Code><Message>{xml_text(fault.message)}</Message>"
        f"</Error><RequestId>{request_id()}</RequestId></ErrorResponse>"
    )
    response = Response(fault.status, [("Content-Type", "text/xml")], body.encode())
    response.close = fault.status == 413
    return response
