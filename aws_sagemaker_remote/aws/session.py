"""Which AWS account and region a run talks to, resolved once and passed down.

boto3 is imported inside the functions so that a local run never pays for it. boto3 honours
``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>`` itself, which is how the tests point
every client at an emulator.

Every boto3 client of this tool is made by :func:`client_of`, with connect and read
timeouts and a bounded number of attempts (:class:`AwsTimeouts`), so that an endpoint that
never answers (a frozen STS, IAM, SageMaker or Logs endpoint, or a proxy in the way) is a
:class:`~aws_sagemaker_remote.errors.ServiceError` naming it within a minute, never silence.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..boto import client_of, session_for
from .partitions import partition_of

_CREDENTIALS_FIX = "run `aws configure`, set AWS_PROFILE, or pass {{profile}} PROFILE"
_REGION_FIX = "set AWS_DEFAULT_REGION or a region in the profile"


@dataclass(frozen=True)
class AwsContext:
    """The AWS session of a run and what it resolved: region and account."""

    session: Any  # boto3.Session
    region: str
    account_id: str

    @property
    def partition(self) -> str:
        return partition_of(self.region)


def resolve_aws(
    profile: str | None, region: str | None = None, *, instead: str | None = None
) -> AwsContext:
    """The session, region and account id; UserError naming the profile when one is missing.

    Calls STS GetCallerIdentity once, which also proves the credentials work before anything
    is uploaded. ``region``: this one rather than the profile's. ``instead`` is the caller's
    way round AWS (``{{local}}``), offered in the fix when no credentials are found; the
    profile is blamed only when one was given.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from ..errors import ServiceError, UserError

    session = session_for(profile)
    if region:
        import boto3

        session = boto3.Session(profile_name=profile, region_name=region)
    try:
        credentials = session.get_credentials()
    except BotoCoreError as error:
        raise UserError(
            f"cannot load AWS credentials: {error}",
            field="profile",
            fix=_CREDENTIALS_FIX,
        ) from None
    if credentials is None:
        where = f" for profile {profile!r}" if profile else ""
        raise UserError(
            f"no AWS credentials found{where}",
            field="profile" if profile else None,
            fix=_CREDENTIALS_FIX + (f"; or {instead}" if instead else ""),
        )
    region = session.region_name
    if not region:
        raise UserError("no AWS region configured", field="profile", fix=_REGION_FIX)
    sts = client_of(session, "sts")
    try:
        identity = sts.get_caller_identity()
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message") or str(error)
        raise UserError(
            f"AWS rejected the credentials: {message}",
            field="profile",
            fix="refresh them (`aws sso login`, `aws configure`) or pick another profile",
        ) from None
    except BotoCoreError as error:
        raise ServiceError(
            f"cannot reach AWS STS at {sts.meta.endpoint_url} to check the credentials: "
            f"{error} (a network or service fault: check the network, then run again)",
            endpoint=sts.meta.endpoint_url,
        ) from None
    return AwsContext(session=session, region=region, account_id=identity["Account"])


def peek_aws(profile: str | None) -> tuple[str | None, str | None]:
    """(region, account id) as far as they can be known cheaply; never raises.

    For the dry run: with no credentials there is no network call at all; with credentials,
    one STS call with short timeouts and no retries.
    """
    region: str | None = None
    try:
        import boto3
        from botocore.config import Config

        session = boto3.Session(profile_name=profile)
        region = session.region_name or os.environ.get("AWS_REGION") or None
        if session.get_credentials() is None:
            return region, None
        quick = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 0})
        client = client_of(
            session, "sts", region or "us-east-1", config=quick, config_key=("peek",)
        )
        return region, client.get_caller_identity()["Account"]
    except Exception:
        return region, None


def error_code(error: Any) -> str:
    """The AWS error code of a botocore ClientError ("" when it has none)."""
    return error.response.get("Error", {}).get("Code", "")


def error_message(error: Any) -> str:
    """The AWS error message of a botocore ClientError, for a one-line user error."""
    return error.response.get("Error", {}).get("Message") or str(error)
