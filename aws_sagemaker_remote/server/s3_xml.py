"""S3's wire shapes: its errors, its XML answers, the XML bodies it takes.

Answers are rendered as text (escaped); request bodies are parsed with the standard
library's expat after refusing any DTD (no entity can expand), with S3's namespace
stripped, under a size cap: a body that is not what S3 takes is ``MalformedXML``.
"""

from __future__ import annotations

import secrets
import time
from email.utils import formatdate
from urllib.parse import quote_plus
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from .http import Response

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_XML_BODY = 2 * 1024 * 1024  # DeleteObjects of 1,000 keys of 1,024 bytes fits

_STATUS = {
    "AccessDenied": 403,
    "BucketAlreadyOwnedByYou": 409,
    "BucketNotEmpty": 409,
    "InternalError": 500,
    "InvalidRange": 416,
    "MethodNotAllowed": 405,
    "NoSuchBucket": 404,
    "NoSuchKey": 404,
    "NoSuchUpload": 404,
    "NotImplemented": 501,
    "NotModified": 304,
    "PreconditionFailed": 412,
}


class S3Error(Exception):
    """One of S3's errors: its code, a message, and extra elements (ActualObjectSize...)."""

    def __init__(self, code: str, message: str, status: int | None = None, **extra: object):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS.get(code, 400)
        self.extra = extra


def method_not_allowed() -> S3Error:
    return S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.")


def precondition_failed(condition: str) -> S3Error:
    return S3Error(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        Condition=condition,
    )


def request_id() -> str:
    return secrets.token_hex(8).upper()


def http_date(epoch: float) -> str:
    """Last-Modified as S3 writes it: ``Mon, 07 Dec 2026 11:38:23 GMT``."""
    return formatdate(epoch, usegmt=True)


def iso_date(epoch: float) -> str:
    """A date in an XML answer: ``2026-12-07T11:38:23.000Z``."""
    millis = int(epoch * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{millis:03d}Z"


def base_headers(rid: str) -> list[tuple[str, str]]:
    return [("x-amz-request-id", rid), ("x-amz-id-2", rid)]


def error_response(error: S3Error, resource: str, method: str) -> Response:
    """S3's ``<Error>`` document; a HEAD gets the status alone, as from S3."""
    rid = request_id()
    headers = base_headers(rid)
    if method == "HEAD" or error.status == 304:
        return Response(error.status, headers, b"")
    parts = [f"<Code>{error.code}</Code>", f"<Message>{escape(error.message)}</Message>"]
    parts += [f"<{name}>{escape(str(value))}</{name}>" for name, value in error.extra.items()]
    parts += [f"<Resource>{escape(resource)}</Resource>", f"<RequestId>{rid}</RequestId>"]
    body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts) + "</Error>"
    return Response(error.status, [*headers, ("Content-Type", "application/xml")], body.encode())


def xml_response(root: str, inner: str, headers: list[tuple[str, str]] = ()) -> Response:  # type: ignore[assignment]
    """A 200 answer whose body is ``<root xmlns=...>inner</root>``."""
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NAMESPACE}">{inner}</{root}>'
    return Response(
        200,
        [*base_headers(request_id()), ("Content-Type", "application/xml"), *headers],
        body.encode(),
    )


def element(name: str, value: object) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def encode_key(key: str, url: bool) -> str:
    """A key in a listing; ``encoding-type=url`` encodes it as S3 does (a space is ``+``)."""
    return quote_plus(key, safe="/") if url else key


def parse_xml(body: bytes, root: str) -> ElementTree.Element:
    """``body`` as an element named ``root`` (namespace stripped); MalformedXML if not."""
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise S3Error("MalformedXML", "The XML you provided may not hold a DTD or entities.")
    try:
        document = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise S3Error(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our "
            "published schema.",
        ) from None
    for node in document.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = node.tag.split("}", 1)[1]
    if document.tag != root:
        raise S3Error("MalformedXML", f"Expected a <{root}> document, got <{document.tag}>.")
    return document


def child_text(node: ElementTree.Element, name: str) -> str | None:
    found = node.find(name)
    return None if found is None else (found.text or "")
