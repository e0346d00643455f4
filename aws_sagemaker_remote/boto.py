"""boto3 sessions and the one cache of boto3 clients, each made with bounded timeouts.

Below ``storage`` (S3's clients come from here too) and above the base. boto3 is imported
inside the functions, so that a local run never pays for it. Every boto3 client of this
tool is made by :func:`client_of`, with connect and read timeouts and a bounded number of
attempts (:class:`AwsTimeouts`), so that an endpoint that never answers (a frozen STS, IAM,
SageMaker or Logs endpoint, or a proxy in the way) is an error naming it within a minute,
never silence.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from .collector import collection_paused

TIMEOUT_ENV = "AWS_SAGEMAKER_REMOTE_AWS_TIMEOUT"  # seconds a call may wait for an answer
ATTEMPTS_ENV = "AWS_SAGEMAKER_REMOTE_AWS_ATTEMPTS"  # attempts per call, retries included


class AwsTimeouts(NamedTuple):
    """How long one AWS call may take: attempts x (connect + read) plus botocore's backoff
    (at most a few seconds for three attempts) stays under a minute."""

    connect_s: float = 4.0
    read_s: float = 12.0
    attempts: int = 3

    @classmethod
    def from_environment(cls) -> AwsTimeouts:
        """The defaults, or what :data:`TIMEOUT_ENV` and :data:`ATTEMPTS_ENV` say."""
        found = cls()
        try:
            read = float(os.environ.get(TIMEOUT_ENV) or found.read_s)
            attempts = int(os.environ.get(ATTEMPTS_ENV) or found.attempts)
        except ValueError:
            return found
        return cls(min(found.connect_s, read), read, max(1, attempts))

    def config(self, **more: Any) -> Any:
        """botocore's Config with these bounds (``more``: other settings of a client)."""
        from botocore.config import Config

        retries = {"mode": "standard", "total_max_attempts": self.attempts}
        return Config(
            connect_timeout=self.connect_s, read_timeout=self.read_s, retries=retries, **more
        )


_CLIENTS: Any = None  # session -> {(service, region, settings): client}; weak: a session may go


def client_of(
    session: Any,
    service: str,
    region: str | None = None,
    *,
    config: Any = None,
    config_key: tuple = (),
) -> Any:
    """The session's one client of ``service`` in ``region``, made with bounded timeouts
    and attempts: a client costs 50 ms or more to make (its service model), and a
    submission asks IAM, SageMaker and S3 several times. ``config``: a botocore Config of
    the caller's own (S3's transfer settings), told apart by ``config_key``."""
    global _CLIENTS
    if _CLIENTS is None:
        import weakref

        _CLIENTS = weakref.WeakKeyDictionary()
    made = _CLIENTS.setdefault(session, {})
    bounds = AwsTimeouts.from_environment() if config is None else None
    key = (service, region, bounds, config_key)
    if key not in made:
        with collection_paused():
            made[key] = session.client(
                service, region_name=region, config=config or bounds.config()
            )
    return made[key]


def session_for(profile: str | None) -> Any:
    """A boto3 session; UserError naming the profile field when it does not exist."""
    with collection_paused():
        import boto3
        from botocore.exceptions import ProfileNotFound

    try:
        session = boto3.Session(profile_name=profile)
    except ProfileNotFound:
        if profile:
            raise _unknown_profile(profile, "") from None
        raise _unknown_profile(os.environ.get("AWS_PROFILE", ""), " (from AWS_PROFILE)") from None
    if not session.region_name and os.environ.get("AWS_REGION"):
        # Other AWS SDKs and the AWS CLI v2 honour AWS_REGION; botocore reads only
        # AWS_DEFAULT_REGION.
        session = boto3.Session(profile_name=profile, region_name=os.environ["AWS_REGION"])
    return session


_DEFAULT_SESSIONS: dict[tuple, Any] = {}


def default_session() -> Any:
    """The session of a caller that brings none (the Python API's downloads, say): one per
    home and set of ``AWS_*`` variables, so that a second call reuses the first one's
    clients instead of building new ones (an S3 client costs 0.15 s or more)."""
    key = (
        os.environ.get("HOME"),
        *sorted(i for i in os.environ.items() if i[0].startswith("AWS_")),
    )
    if key not in _DEFAULT_SESSIONS:
        _DEFAULT_SESSIONS.clear()
        _DEFAULT_SESSIONS[key] = session_for(None)
    return _DEFAULT_SESSIONS[key]


def _unknown_profile(profile: str, origin: str) -> Exception:
    from .errors import UserError

    return UserError(
        f"no AWS profile named {profile!r}{origin}",
        field="profile",
        fix="use a profile listed by `aws configure list-profiles`, or create it with "
        "`aws configure --profile NAME`",
    )
