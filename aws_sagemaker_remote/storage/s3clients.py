"""How this tool reaches S3: the endpoint, credentials, its two clients, and their errors.

boto3 is the one place credentials, profiles and ``AWS_ENDPOINT_URL*`` are resolved, so
obstore and boto3 always talk to the same account and server. Fixed keys are handed to
obstore as they are; refreshable ones (a role, SSO) through a provider that asks botocore
again before they expire. Both clients get the timeouts of
:class:`~.transfer.TransferConfig`, and their errors become ours here: a user's mistake
(no such bucket, access denied) or a :class:`~aws_sagemaker_remote.errors.ServiceError`
naming the endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..awserrors import CREDENTIALS, REGION, aws_error, aws_failure
from ..errors import ServiceError, UserError

PREFIX_FIELD = "s3_prefix"
PREFIX_FIX = "pass {{s3_prefix}} s3://a-bucket-you-can-write/prefix"
_DENIED = ("AccessDenied", "403 Forbidden", "PermissionDenied", "Unauthenticated", "Forbidden")

if TYPE_CHECKING:  # obstore's option types exist in its stubs only
    from obstore.store import ClientConfig, RetryConfig, S3Config


class NoSuchBucket(UserError):
    """The bucket is not there (yet: a submission may be making it meanwhile)."""


def s3_endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def endpoint_name(region: str | None) -> str:
    return s3_endpoint() or f"https://s3.{region or 'us-east-1'}.amazonaws.com"


def _credentials(session) -> dict:
    """obstore's credential options: fixed keys as they are, refreshable ones (a role, SSO)
    through a provider that asks botocore again before they expire."""
    credentials = session.get_credentials()
    if credentials is None:
        raise UserError(
            "no AWS credentials found",
            field="profile",
            fix="run `aws configure`, set AWS_PROFILE, or pass {{profile}} NAME",
        )
    if not hasattr(credentials, "refresh_needed"):  # botocore's fixed Credentials
        fixed = credentials.get_frozen_credentials()
        keys = {"access_key_id": fixed.access_key, "secret_access_key": fixed.secret_key}
        return {"config": keys | ({"token": fixed.token} if fixed.token else {})}
    provider: Any  # obstore's class, or ours where it cannot be imported
    try:
        from obstore.auth.boto3 import Boto3CredentialProvider as provider
    except ImportError:  # it needs Python 3.11's datetime.UTC; same thing by hand
        provider = _Boto3Credentials
    return {"provider": provider(session)}


class _Boto3Credentials:
    def __init__(self, session):
        self.credentials = session.get_credentials()
        if self.credentials is None:
            raise ValueError("no credentials")
        self.config = {"region": session.region_name} if session.region_name else {}

    def __call__(self) -> dict:
        from datetime import datetime, timedelta, timezone

        frozen = self.credentials.get_frozen_credentials()
        return {
            "access_key_id": frozen.access_key,
            "secret_access_key": frozen.secret_key,
            "token": frozen.token,
            "expires_at": datetime.now(timezone.utc) + timedelta(minutes=30),
        }


def boto3_s3_client(session, config, region: str | None = None):
    """A boto3 S3 client with the transfer timeouts and bounded retries, from the one client
    cache (:func:`~aws_sagemaker_remote.boto.client_of`): one per session, region
    and timeouts (a client costs 50 ms or more to make)."""
    from botocore.config import Config

    from ..boto import client_of, default_session

    if session is None:
        session = default_session()
    region = region or session.region_name  # None means the session's: one client for both
    key = (config.connect_timeout_s, config.socket_timeout_s, config.boto3_attempts,
           config.max_concurrency)  # fmt: skip
    settings = Config(
        # what S3 requires, no more: part checksums would have to be repeated when completing
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        connect_timeout=config.connect_timeout_s,
        read_timeout=config.socket_timeout_s,
        retries={"mode": "standard", "total_max_attempts": config.boto3_attempts},
        max_pool_connections=config.max_concurrency,
    )
    return client_of(session, "s3", region, config=settings, config_key=key)


def obstore_s3(bucket: str, session, config):
    from datetime import timedelta

    from obstore.store import S3Store

    endpoint = s3_endpoint()
    # every PUT carries its SHA-256, which S3 checks and keeps with the object: where the
    # bucket's encryption (SSE-KMS) makes the ETag no MD5, staging still knows the bytes
    settings: S3Config = {
        "region": session.region_name or "us-east-1",
        "checksum_algorithm": "sha256",
    }
    if endpoint:
        settings["endpoint"] = endpoint
        settings["virtual_hosted_style_request"] = False
    else:  # dotted names break virtual-host TLS; path style still works for them
        settings["virtual_hosted_style_request"] = "." not in bucket
    client: ClientConfig = {
        "timeout": timedelta(seconds=config.request_timeout_s),
        "connect_timeout": timedelta(seconds=config.connect_timeout_s),
        "read_timeout": timedelta(seconds=config.read_timeout_s),
        "allow_http": bool(endpoint and endpoint.startswith("http://")),
    }
    retry: RetryConfig = {
        "max_retries": config.max_retries,
        "retry_timeout": timedelta(seconds=config.retry_timeout_s),
        "backoff": {
            "init_backoff": timedelta(milliseconds=100),
            "max_backoff": timedelta(seconds=config.max_backoff_s),
            "base": 2,
        },
    }
    credentials = _credentials(session)
    settings.update(credentials.get("config", {}))
    return S3Store(
        bucket,
        config=settings,
        client_options=client,
        retry_config=retry,
        credential_provider=credentials.get("provider"),
    )


@contextmanager
def s3_errors(endpoint: str, uri: str, doing: str) -> Iterator[None]:
    """Turn obstore's and botocore's errors into ours: the user's mistake, or a service fault."""
    import asyncio  # here: the local store's staging imports this module's constants

    try:
        yield
    except (UserError, ServiceError, FileNotFoundError, asyncio.CancelledError):
        raise
    except Exception as error:  # obstore raises builtin and its own exception types
        raise s3_error(error, endpoint, uri, doing) from None


def s3_error(error: BaseException, endpoint: str, uri: str, doing: str) -> Exception:
    """obstore's error by its type and text; botocore's as :mod:`..awserrors` reads it."""
    text, code = str(error), ""
    failure = aws_failure(error)
    if failure is not None and failure.kind in (CREDENTIALS, REGION):  # the profile's
        mapped = aws_error(error, "S3", endpoint)
        if mapped is not None:
            return mapped
    if failure is not None and failure.code:
        text, code = f"{failure.code}: {failure.message}", failure.code
    bucket = uri[len("s3://") :].split("/", 1)[0]
    if "NoSuchBucket" in text or code == "NoSuchBucket":
        return NoSuchBucket(f"bucket {bucket} does not exist", field=PREFIX_FIELD, fix=PREFIX_FIX)
    if isinstance(error, PermissionError) or any(word in text for word in _DENIED):
        return UserError(f"access denied {doing} {uri}", fix="check your access to the bucket")
    first = _first_line(text) or type(error).__name__
    return ServiceError(f"S3 at {endpoint} failed {doing} {uri}: {first}", endpoint=endpoint)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:300]
