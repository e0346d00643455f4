"""The one face ``serve`` answers with: each request handed to the service it is for.

Services are told apart the way AWS's own front doors tell them: the ``X-Amz-Target``
header first (SageMaker and CloudWatch Logs speak JSON 1.1), then the service in the
SigV4 credential scope (``.../<region>/<service>/aws4_request``), then the query or form
``Action`` (STS, IAM); everything else is S3, path style. ``/_console/`` is the console's.
A server bound beyond loopback verifies every AWS request's signature first
(:class:`~.sigv4.Verifier`) and answers a bad one in the service's own error shape.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from urllib.parse import parse_qsl

from .http import BodyError, Face, Request, Response
from .protocols import (
    BODY_LIMIT,
    ServiceFault,
    json_error,
    query_error,
    read_body,
    xml_text,
)
from .sigv4 import SignatureProblem, Verifier, credential_scope

CONSOLE_PATH = "/_console"
DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"
STS_ACTIONS = frozenset({"GetCallerIdentity", "AssumeRole"})
JSON_TARGETS = {"SageMaker.": "sagemaker", "Logs_20140328.": "logs"}
_FORM = "application/x-www-form-urlencoded"
_QUERY_NAMESPACES = {
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
}


@dataclass(frozen=True)
class ServerConfig:
    """What one ``serve`` process answers as; every default documented here."""

    account_id: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION  # for ARNs of requests that name none
    access_key_id: str = "local"  # the key pair jobs and (beyond loopback) clients sign with
    secret_access_key: str = "local"
    verify_signatures: bool = False  # on with a key pair (which binding beyond loopback needs)


class _Buffered:
    """A body already read (to find its Action, or to check its signature), read again."""

    def __init__(self, data: bytes):
        self._data = data
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._at + size
        chunk = self._data[self._at : end]
        self._at += len(chunk)
        return chunk

    def drain(self) -> None:
        self._at = len(self._data)

    @property
    def finished(self) -> bool:
        return self._at >= len(self._data)


def buffered(request: Request, data: bytes) -> Request:
    return dataclasses.replace(request, body=_Buffered(data), content_length=len(data))


def s3_error(code: str, message: str, status: int) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{xml_text(code)}</Code>'
        f"<Message>{xml_text(message)}</Message></Error>"
    )
    return Response(status, [("Content-Type", "application/xml")], body.encode())


def _error_for(service: str, fault: ServiceFault) -> Response:
    if service in ("sagemaker", "logs"):
        return json_error(fault)
    if service == "s3":
        return s3_error(fault.code, fault.message, fault.status)
    return query_error(fault, _QUERY_NAMESPACES.get(service, _QUERY_NAMESPACES["sts"]))


class App:
    """The dispatcher; ``faces`` maps a service (sagemaker, logs, sts, iam, s3) to its face."""

    def __init__(
        self,
        faces: dict[str, Face],
        config: ServerConfig,
        console: Face | None = None,
    ):
        self.faces = faces
        self.config = config
        self.console = console
        self.verifier = (
            Verifier(config.access_key_id, config.secret_access_key)
            if config.verify_signatures
            else None
        )

    def __call__(self, request: Request) -> Response:
        if request.path == CONSOLE_PATH or request.path.startswith(CONSOLE_PATH + "/"):
            if self.console is None:
                said = (
                    b"no console here: a server that requires signed requests shows none; "
                    b"run `aws-sagemaker-remote console --local` on its machine\n"
                )
                return Response(404, [("Content-Type", "text/plain")], said)
            return self.console(request)
        service = "sts"
        try:
            service, request = self._service_of(request)
            if self.verifier is not None:
                request = self._verified(service, request)
        except ServiceFault as refused:  # a form body, or a signed body, too large
            return _error_for(service, refused)
        except SignatureProblem as problem:
            status = 400 if problem.code == "IncompleteSignature" else 403
            return _error_for(service, ServiceFault(problem.code, problem.message, status))
        face = self.faces.get(service)
        if face is None:
            fault = ServiceFault(
                "InvalidAction",
                f"this local server does not answer the {service!r} service; it answers "
                f"{', '.join(sorted(self.faces))}",
            )
            return _error_for(service, fault)
        return face(request)

    def _service_of(self, request: Request) -> tuple[str, Request]:
        target = request.header("X-Amz-Target")
        if target:
            for prefix, service in JSON_TARGETS.items():
                if target.startswith(prefix):
                    return service, request
            return "sagemaker", request  # its face names the unknown operation
        scope = credential_scope(request)
        if scope is not None:
            return scope.service, request
        action = request.param("Action")
        if action is None and request.method == "POST" and request.path == "/":
            if (request.header("Content-Type") or "").startswith(_FORM):
                data = read_body(request)
                request = buffered(request, data)
                action = dict(parse_qsl(data.decode("utf-8", "replace"))).get("Action")
        if action is not None:
            return ("sts" if action in STS_ACTIONS else "iam"), request
        return "s3", request

    def _verified(self, service: str, request: Request) -> Request:
        """``request`` if signed with the server's key (its body buffered when hashed)."""
        assert self.verifier is not None
        if service == "s3" or not request.header("Authorization"):
            self.verifier.verify(request, None)  # S3 and presigned URLs send the hash
            return request
        if isinstance(request.body, _Buffered):
            data = request.body.read()
        else:
            try:
                data = request.read_all(BODY_LIMIT)
            except BodyError as error:
                raise ServiceFault("RequestEntityTooLarge", str(error), 413) from None
        self.verifier.verify(request, data)
        return buffered(request, data)


def make_app(config: ServerConfig, *, console: bool = True) -> App:
    """The dispatcher over the local engine, the server's buckets and its IAM records, and
    the console at ``/_console/`` (not where signatures are required: a browser signs
    nothing, so a server others can reach shows no console)."""
    from ..backends.local import LocalBackend
    from ..storage.localbuckets import LocalBuckets
    from ..storage.localstore import state_dir
    from .iam import Iam
    from .log_events import LogEvents
    from .logs import Logs
    from .processing_jobs import ProcessingJobs
    from .s3 import s3_face
    from .sagemaker import SageMaker
    from .sts import Sts

    root = state_dir()  # the local engine's: jobs, buckets and IAM records survive restarts
    buckets = LocalBuckets()  # its default keeps the local store's bucket where the engine does
    backend = LocalBackend(buckets_root=buckets.root)

    def region_of(request: Request) -> str:
        scope = credential_scope(request)
        return scope.region if scope is not None else config.region

    faces: dict[str, Face] = {
        "sagemaker": SageMaker(ProcessingJobs(backend, config.account_id), region_of),
        "logs": Logs(LogEvents(backend, config.account_id)),
        "sts": Sts(config.account_id, config.secret_access_key),
        "iam": Iam(config.account_id, root / "serve" / "iam.json"),
    }
    faces["s3"] = s3_face(buckets)
    console_face = None
    if console and not config.verify_signatures:
        from .console import LocalSource, StoreObjects
        from .console import console_face as make_console

        objects = StoreObjects(buckets.store, buckets.names)
        console_face = make_console(LocalSource(backend, objects), read_only=False)
    return App(faces, config, console_face)
