"""An obstore S3Store that sees what boto3 sees: its credentials chain, region and endpoint.

Staging uploads through obstore (far less CPU per request than boto3) while boto3 stays
the one place credentials, profiles and ``AWS_ENDPOINT_URL*`` are resolved, so both
clients always talk to the same account and server.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import UserError

if TYPE_CHECKING:  # obstore's option types exist in its stubs only
    from obstore.store import ClientConfig, RetryConfig, S3Config


def s3_endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def _credential_provider(session):
    provider: Any  # obstore's class, or ours where it cannot be imported
    try:
        from obstore.auth.boto3 import Boto3CredentialProvider as provider
    except ImportError:  # it needs Python 3.11's datetime.UTC; same thing by hand
        provider = _Boto3Credentials
    try:
        return provider(session)
    except ValueError:
        raise UserError(
            "no AWS credentials found",
            field="profile",
            fix="run `aws configure`, set AWS_PROFILE, or pass {{profile}} NAME",
        ) from None


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


def s3_store(bucket: str, session, config):
    from datetime import timedelta

    import boto3
    from obstore.store import S3Store

    session = session if session is not None else boto3.Session()
    endpoint = s3_endpoint()
    settings: S3Config = {"region": session.region_name or "us-east-1"}
    if endpoint:
        settings["endpoint"] = endpoint
        settings["virtual_hosted_style_request"] = False
    else:  # dotted names break virtual-host TLS; path style still works for them
        settings["virtual_hosted_style_request"] = "." not in bucket
    client: ClientConfig = {
        "timeout": timedelta(seconds=config.request_timeout_s),
        "allow_http": bool(endpoint and endpoint.startswith("http://")),
    }
    retry: RetryConfig = {
        "max_retries": config.max_retries,
        "retry_timeout": timedelta(seconds=config.retry_timeout_s),
    }
    return S3Store(
        bucket,
        config=settings,
        client_options=client,
        retry_config=retry,
        credential_provider=_credential_provider(session),
    )
