"""AWS Signature Version 4, checked on the server side (hmac and hashlib, nothing else).

Used twice: every request names its service in the ``Authorization`` header's credential
scope (``AKID/<date>/<region>/<service>/aws4_request``), which is how the dispatcher tells
STS from IAM from S3 (:func:`credential_scope`); and a server bound beyond loopback refuses
every request not signed with its key pair (:class:`Verifier`). Temporary credentials
handed out by AssumeRole are derived from the server's secret (:func:`derived_secret`), so
they verify without being stored and survive a restart of the server.

The canonical request is built as botocore builds it: S3 signs the path as sent, other
services the path percent-encoded once more; the query sorted and encoded; the signed
headers trimmed; the payload's SHA-256 (S3 sends it in ``x-amz-content-sha256``, possibly
``UNSIGNED-PAYLOAD``). Presigned URLs (``X-Amz-Signature`` in the query) are checked too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timezone
from typing import NamedTuple
from urllib.parse import quote

from .http import Request

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60  # as AWS: a request signed longer ago is refused
TEMPORARY_PREFIX = "ASIA"  # access key ids of AssumeRole's credentials
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)"
)


class Scope(NamedTuple):
    access_key: str
    date: str
    region: str
    service: str


class SignatureProblem(Exception):
    """The request is not signed, or not with the server's key: ``code`` as AWS says it."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _parse_credential(text: str) -> Scope | None:
    parts = text.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return None
    return Scope(*parts[:4])


def credential_scope(request: Request) -> Scope | None:
    """The scope a request is signed for (header or presigned query); None if unsigned."""
    match = _AUTH.match(request.header("Authorization") or "")
    if match:
        return _parse_credential(match.group(1))
    credential = request.param("X-Amz-Credential")
    return _parse_credential(credential) if credential else None


def derived_secret(secret_key: str, access_key_id: str) -> str:
    """The secret of temporary credentials ``access_key_id``, from the server's own secret."""
    digest = hmac.new(secret_key.encode(), access_key_id.encode(), hashlib.sha256).hexdigest()
    return digest[:40]


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _canonical_query(pairs: list[tuple[str, str]]) -> str:
    encoded = sorted((_encode(k), _encode(v)) for k, v in pairs if k != "X-Amz-Signature")
    return "&".join(f"{k}={v}" for k, v in encoded)


def _canonical_headers(request: Request, names: list[str]) -> str:
    lines = []
    for name in names:
        values = request.headers.get_all(name) or []
        value = ",".join(" ".join(v.split()) for v in values)
        lines.append(f"{name}:{value}\n")
    return "".join(lines)


def _key(secret: str, scope: Scope) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (scope.date, scope.region, scope.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


class Verifier:
    """Checks that requests are signed with one key pair (or credentials derived from it)."""

    def __init__(self, access_key_id: str, secret_access_key: str):
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key

    def secret_for(self, access_key_id: str) -> str | None:
        if hmac.compare_digest(access_key_id, self.access_key_id):
            return self.secret_access_key
        if access_key_id.startswith(TEMPORARY_PREFIX):
            return derived_secret(self.secret_access_key, access_key_id)
        return None

    def verify(self, request: Request, body: bytes | None) -> None:
        """SignatureProblem unless ``request`` is signed with this key pair. ``body``: the
        bytes read for a service whose payload hash is not sent in a header."""
        header = request.header("Authorization")
        if header:
            match = _AUTH.match(header)
            if not match:
                raise SignatureProblem(
                    "IncompleteSignature", f"the Authorization header is not {ALGORITHM}"
                )
            credential, signed, signature = match.groups()
            stamp = request.header("X-Amz-Date") or ""
            payload = request.header("X-Amz-Content-SHA256")
            expires = None
        elif request.param("X-Amz-Signature"):
            credential = request.param("X-Amz-Credential") or ""
            signed = request.param("X-Amz-SignedHeaders") or ""
            signature = request.param("X-Amz-Signature") or ""
            stamp = request.param("X-Amz-Date") or ""
            payload = "UNSIGNED-PAYLOAD"
            expires = request.param("X-Amz-Expires") or ""
        else:
            raise SignatureProblem(
                "MissingAuthenticationToken",
                "the request is not signed; this server takes only requests signed with its key",
            )
        scope = _parse_credential(credential)
        if scope is None:
            raise SignatureProblem("IncompleteSignature", f"a malformed credential {credential!r}")
        secret = self.secret_for(scope.access_key)
        if secret is None:
            raise SignatureProblem(
                "InvalidClientTokenId", f"the access key id {scope.access_key} is not this server's"
            )
        self._check_time(stamp, expires)
        if payload is None:
            payload = hashlib.sha256(body or b"").hexdigest()
        path = request.path or "/"
        if scope.service != "s3":
            path = quote(path, safe="/~")
        names = signed.split(";")
        canonical = "\n".join(
            [
                request.method,
                path,
                _canonical_query(request.query),
                _canonical_headers(request, names),
                signed,
                payload,
            ]
        )
        to_sign = "\n".join(
            [
                ALGORITHM,
                stamp,
                f"{scope.date}/{scope.region}/{scope.service}/aws4_request",
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        expected = hmac.new(_key(secret, scope), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise SignatureProblem(
                "SignatureDoesNotMatch",
                "the request signature we calculated does not match the signature you provided; "
                "check your AWS secret access key and signing method",
            )

    @staticmethod
    def _check_time(stamp: str, expires: str | None) -> None:
        """Signed within 15 minutes of now; a presigned URL: not yet expired."""
        try:
            when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise SignatureProblem(
                "IncompleteSignature", "X-Amz-Date is missing or malformed"
            ) from None
        age = (datetime.now(timezone.utc) - when).total_seconds()
        if expires is not None:
            if not expires.isdigit() or age > int(expires):
                raise SignatureProblem("AccessDenied", "the presigned URL has expired")
            age = min(age, 0)  # only a URL signed in the future is checked for skew below
        skew = abs(age)
        if skew > MAX_SKEW_SECONDS:
            raise SignatureProblem(
                "RequestTimeTooSkewed",
                f"the request was signed {int(skew)} s away from the server's time",
            )
