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

from ..awserrors import (
    CREDENTIALS_FIX,
    REFRESH_FIX,
    REGION_FIX,
    loading_credentials,
    map_aws_errors,
)
from ..boto import client_of, session_for
from .partitions import partition_of


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
    from ..errors import UserError

    session = session_for(profile)
    if region:
        import boto3

        session = boto3.Session(profile_name=profile, region_name=region)
    with loading_credentials():
        credentials = session.get_credentials()
    if credentials is None:
        where = f" for profile {profile!r}" if profile else ""
        raise UserError(
            f"no AWS credentials found{where}",
            field="profile" if profile else None,
            fix=CREDENTIALS_FIX + (f"; or {instead}" if instead else ""),
        )
    region = session.region_name
    if not region:
        raise UserError("no AWS region configured", field="profile", fix=REGION_FIX)
    sts = client_of(session, "sts")
    with map_aws_errors(
        "AWS STS",
        sts,
        doing="to check the credentials",
        refused="AWS rejected the credentials",
        field="profile",
        fix=REFRESH_FIX,
    ):
        identity = sts.get_caller_identity()
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
