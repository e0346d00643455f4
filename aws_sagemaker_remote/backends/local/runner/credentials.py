"""AWS credentials for a local job: its role's, served the way a container gets them.

On SageMaker a job's code runs with temporary credentials of the job's role, never the
submitter's. The runner reproduces that with a credentials endpoint on 127.0.0.1 (the
container credentials protocol every AWS SDK knows: ``AWS_CONTAINER_CREDENTIALS_FULL_URI``
plus an authorization token), backed by ``sts:AssumeRole`` on the request's RoleArn and
refreshed before expiry. A script that reads a bucket its role cannot read then fails
here as it would there.

Nothing is fetched until the job asks, so a job that never calls AWS never loads boto3.
Offline (no credentials configured on this machine, judged without loading botocore) a
job gets no endpoint and no credentials at all. Asked for explicitly, the endpoint serves
this machine's own credentials instead, for debugging.
"""

from __future__ import annotations

import hmac
import json
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ASSUMED_ROLE = "assumed-role"
HOST = "host"
NONE = "none"
REFRESH_MARGIN_SECONDS = 20 * 60  # SDKs refresh 15 minutes before expiry; be fresher
_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


def aws_configured(env: dict[str, str], profile: str | None) -> bool:
    """Whether this machine may have AWS credentials, without loading botocore."""
    if profile or any(env.get(name) for name in _CREDENTIAL_VARIABLES):
        return True
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    files = (
        env.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials",
        env.get("AWS_CONFIG_FILE") or home / ".aws" / "config",
    )
    return any(Path(f).is_file() for f in files)


class CredentialSource:
    """Temporary credentials of ``role_arn`` (or of this machine), cached until near expiry."""

    def __init__(self, profile: str | None, role_arn: str | None, job_name: str, host: bool):
        self.profile = profile
        self.role_arn = role_arn
        self.job_name = job_name
        self.kind = HOST if host else ASSUMED_ROLE
        self._lock = threading.Lock()
        self._cached: dict[str, str] | None = None
        self._expires = 0.0

    def get(self) -> dict[str, str]:
        with self._lock:
            if self._cached is None or time.time() > self._expires - REFRESH_MARGIN_SECONDS:
                self._cached, self._expires = self._fetch()
            return self._cached

    def _fetch(self) -> tuple[dict[str, str], float]:
        import boto3

        session = boto3.Session(profile_name=self.profile)
        if self.kind == HOST:
            credentials = session.get_credentials()
            if credentials is None:
                raise LookupError("this machine has no AWS credentials")
            expiry = getattr(credentials, "_expiry_time", None)
            expires = expiry.timestamp() if expiry else time.time() + 3600
            frozen = credentials.get_frozen_credentials()
            return _document(frozen.access_key, frozen.secret_key, frozen.token, expires), expires
        from ....boto import client_of  # bounded: a frozen STS is an error, not a hang

        answer = client_of(session, "sts").assume_role(
            RoleArn=self.role_arn, RoleSessionName="SageMaker", DurationSeconds=3600
        )
        given = answer["Credentials"]
        expires = given["Expiration"].timestamp()
        document = _document(
            given["AccessKeyId"], given["SecretAccessKey"], given["SessionToken"], expires
        )
        return document, expires

    def failure(self, error: Exception) -> str:
        if self.kind == HOST:
            return f"the local engine could not read this machine's AWS credentials: {error}"
        return (
            f"the local engine could not assume the job's role {self.role_arn} "
            f"(sts:AssumeRole): {error}. The role must trust the identity that runs local "
            "jobs; or run the job with this machine's own credentials (host credentials)"
        )


def _document(key: str, secret: str, token: str | None, expires: float) -> dict[str, str]:
    when = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {"AccessKeyId": key, "SecretAccessKey": secret, "Expiration": when}
    if token:
        document["Token"] = token
    return document


class CredentialsEndpoint:
    """``http://127.0.0.1:<port>/credentials``, answering only requests with its token."""

    def __init__(self, source: CredentialSource, say: Callable[[str], None]):
        import secrets  # only when used, as http.server: every offline job imports this module
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.source = source
        self.token = secrets.token_urlsafe(32)
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.say = say
        # polled often: close() waits for the loop to notice, and a job's end waits on close()
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def environment(self) -> dict[str, str]:
        port = self.server.server_address[1]
        return {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{port}/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.token,
        }

    def _answer(self, request: Any) -> None:
        given = request.headers.get("Authorization") or ""
        if request.path != "/credentials" or not hmac.compare_digest(given, self.token):
            return _reply(request, 403, {"code": "AccessDenied", "message": "wrong token"})
        try:
            document = self.source.get()
        except Exception as error:  # any failure is the job's to see, as an SDK error
            message = self.source.failure(error)
            self.say(message)
            return _reply(request, 500, {"code": "CredentialsUnavailable", "message": message})
        _reply(request, 200, document)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _reply(request: Any, status: int, body: dict[str, str]) -> None:
    data = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)
