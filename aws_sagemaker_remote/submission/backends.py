"""The one place a Backend is opened: the local engine, or SageMaker in an account."""

from __future__ import annotations

from typing import Any


def open_backend(
    *,
    local: bool,
    profile: str | None = None,
    aws: Any = None,
    docker: bool = False,
    host_credentials: bool = False,
    instead: str | None = None,
) -> Any:
    """The local engine (``local``), or SageMaker through ``aws`` (an ``AwsContext``) or,
    when none is given, the profile's account and region (``instead``: the caller's way
    round AWS, offered when no credentials are found)."""
    if local:
        from ..backends.local import LocalBackend

        return LocalBackend(docker=docker, profile=profile, host_credentials=host_credentials)
    from ..backends.sagemaker import SageMakerBackend

    if aws is None:
        from ..aws.session import resolve_aws

        aws = resolve_aws(profile, instead=instead)
    return SageMakerBackend(aws)
