"""Requests as the HTTP layer hands them to a face, built in memory, and their answers read:
the faces are called in this process, without sockets."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aws_sagemaker_remote.server.http import Request, Response, _LimitedBody


def request(
    method: str = "POST", path: str = "/", query: str = "", body: bytes = b"", **headers: str
) -> Request:
    """``headers`` by keyword, ``_`` for ``-`` (``X_Amz_Target="..."``)."""
    message = Message()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return Request(
        method=method,
        path=path,
        query=parse_qsl(query, keep_blank_values=True),
        headers=message,
        body=_LimitedBody(io.BytesIO(body), len(body), False),
        content_length=len(body),
        client="127.0.0.1",
    )


def json_call(face, target: str, params: dict[str, Any] | None = None) -> tuple[int, dict]:
    """A JSON 1.1 call (``X-Amz-Target: target``): the status and the decoded answer."""
    body = json.dumps(params or {}).encode()
    answer = face(request(body=body, X_Amz_Target=target))
    return answer.status, json.loads(body_of(answer))


def form_call(face, **params: str) -> tuple[int, ET.Element]:
    """A query-protocol form POST: the status and the XML answer, namespaces dropped."""
    body = urlencode(params).encode()
    answer = face(request(body=body, Content_Type="application/x-www-form-urlencoded"))
    return answer.status, xml_of(body_of(answer))


def body_of(answer: Response) -> bytes:
    if isinstance(answer.body, bytes):
        return answer.body
    return b"".join(answer.body)


def xml_of(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    for node in root.iter():
        node.tag = node.tag.rpartition("}")[2]
    return root


def header(answer: Response, name: str) -> str | None:
    for key, value in answer.headers:
        if key.lower() == name.lower():
            return value
    return None
