"""botocore's errors as ours, decided in one place (as httpx's ``map_httpcore_exceptions``).

Every AWS call of this tool made through boto3 runs inside :func:`map_aws_errors`::

    with map_aws_errors("IAM", iam, refused=f"cannot resolve role {role!r}", field="role"):
        iam.get_role(RoleName=name)

A failure is of one kind (:func:`aws_failure`), and each kind becomes one of our errors:

- ``unreachable``: no answer (connection refused or reset, a timeout): ServiceError naming
  the endpoint;
- ``fault``: a 5xx answer, or throttling that outlived botocore's retries: ServiceError
  naming the endpoint, never the user's fault;
- ``credentials``: none found or loadable, or rejected by AWS: UserError naming ``profile``;
- ``region``: no region configured: UserError naming ``profile``;
- ``invalid``: parameters botocore refused before sending: UserError;
- ``refused``: any other answer (access denied, a bad name, a ValidationException):
  UserError quoting AWS and naming the caller's ``field``; NotFound when the caller says
  what is missing (``not_found``).

A call site that must branch on an answer (a bucket of one's own already exists; no such
role yet, so make it) catches :func:`aws_error_answers` and asks :func:`aws_error_code` or
:func:`aws_not_found`; one that tolerates any failure (a best-effort grant) catches
:func:`aws_errors`. Only this module and ``boto.py`` import ``botocore.exceptions``
(tests/unit/test_awserrors.py checks it).

It sits beside ``boto`` below ``storage``, because S3's boto3 calls (the staging bucket,
checksums, multipart listings) need it as much as IAM's and SageMaker's do. botocore is
looked up in ``sys.modules`` only: an error of botocore's exists only once botocore is
loaded, so a local run never imports it.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

from .errors import NotFound, ServiceError, UserError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

UNREACHABLE, FAULT, CREDENTIALS, REGION, INVALID, REFUSED = (
    "unreachable", "fault", "credentials", "region", "invalid", "refused"
)  # fmt: skip

PROFILE_FIELD = "profile"
CREDENTIALS_FIX = "run `aws configure`, set AWS_PROFILE, or pass {{profile}} PROFILE"
REFRESH_FIX = "refresh them (`aws sso login`, `aws configure`) or pick another profile"
REGION_FIX = "set AWS_DEFAULT_REGION or a region in the profile"
NETWORK_HINT = "a network or service fault: check the network, then run again"
SERVICE_HINT = "a fault on the service's side: run again later"

# botocore's own list (botocore.retries.standard.ThrottledRetryableChecker)
_THROTTLED = frozenset(
    ("Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
     "TooManyRequestsException", "ProvisionedThroughputExceededException",
     "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
     "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
     "EC2ThrottledException")
)  # fmt: skip
# AWS does not take the credentials: unknown, expired, or signed with the wrong secret
_REJECTED = frozenset(
    ("InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken",
     "ExpiredTokenException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
     "InvalidSignatureException", "AuthFailure", "InvalidToken")
)  # fmt: skip
# what does not exist, in the words of IAM, S3 (a HEAD has no body: its status), SageMaker
# and CloudWatch Logs
NOT_FOUND_CODES = frozenset(
    ("NoSuchEntity", "NoSuchBucket", "NoSuchKey", "NotFound", "404", "ResourceNotFound",
     "ResourceNotFoundException")
)  # fmt: skip
# botocore's errors of finding, loading or refreshing credentials (some only in newer ones)
_CREDENTIAL_ERRORS = (
    "NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError",
    "UnknownCredentialError", "ProfileNotFound", "ConfigNotFound", "ConfigParseError",
    "InvalidConfigError", "NoAuthTokenError", "TokenRetrievalError", "SSOError",
    "LoginError", "RefreshWithMFAUnsupportedError", "MetadataRetrievalError",
)  # fmt: skip


class AwsFailure:
    """What went wrong in one AWS call, as data: its kind (see the module's docstring),
    AWS's error code and message (botocore's text when AWS said nothing), the HTTP status."""

    __slots__ = ("code", "kind", "message", "status")

    def __init__(self, kind: str, code: str, message: str, status: int):
        self.kind, self.code, self.message, self.status = kind, code, message, status

    def __repr__(self) -> str:
        return f"AwsFailure({self.kind!r}, {self.code!r}, {self.message!r}, {self.status})"


def _exceptions() -> Any:
    """botocore.exceptions when botocore is loaded; None when it is not (then no error can
    be botocore's, and a local run never pays for importing it)."""
    return sys.modules.get("botocore.exceptions")


def aws_errors() -> tuple[type[BaseException], ...]:
    """For ``except``: every error an AWS call raises (botocore's ClientError and
    BotoCoreError); an empty tuple, which catches nothing, before botocore is loaded."""
    found = _exceptions()
    return (found.ClientError, found.BotoCoreError) if found is not None else ()


def aws_error_answers() -> tuple[type[BaseException], ...]:
    """For ``except``: an error AWS answered with (it has a code: :func:`aws_error_code`)."""
    found = _exceptions()
    return (found.ClientError,) if found is not None else ()


def aws_failure(error: BaseException) -> AwsFailure | None:
    """``error`` as an :class:`AwsFailure`; None when it is not botocore's."""
    found = _exceptions()
    if found is None:
        return None
    if isinstance(error, found.ClientError):
        response = error.response if isinstance(error.response, dict) else {}
        said = response.get("Error") or {}
        code = str(said.get("Code") or "")
        message = str(said.get("Message") or "") or str(error)
        status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
        if status >= 500 or status == 429 or code in _THROTTLED:
            return AwsFailure(FAULT, code, message, status)
        return AwsFailure(CREDENTIALS if code in _REJECTED else REFUSED, code, message, status)
    if not isinstance(error, found.BotoCoreError):
        return None
    credentials = tuple(getattr(found, n) for n in _CREDENTIAL_ERRORS if hasattr(found, n))
    if isinstance(error, credentials):
        kind = CREDENTIALS
    elif isinstance(error, found.NoRegionError):
        kind = REGION
    elif isinstance(error, found.ParamValidationError):
        kind = INVALID
    else:
        kind = UNREACHABLE
    return AwsFailure(kind, "", str(error), 0)


def aws_error_code(error: BaseException) -> str:
    """AWS's error code of ``error`` ("" when it has none, or is not botocore's)."""
    failure = aws_failure(error)
    return failure.code if failure is not None else ""


def aws_error_message(error: BaseException) -> str:
    """AWS's message of ``error`` (botocore's text when AWS said nothing), for one line."""
    failure = aws_failure(error)
    return failure.message if failure is not None else str(error)


def aws_not_found(error: BaseException) -> bool:
    """AWS answered that what was asked for does not exist (no such role, bucket, key, log
    stream; a bodiless 404)."""
    failure = aws_failure(error)
    if failure is None or failure.kind != REFUSED:
        return False
    return failure.code in NOT_FOUND_CODES or failure.status == 404


def endpoint_of(endpoint: Any) -> str:
    """``endpoint`` as a URL: a URL already, or a boto3 client's."""
    return endpoint if isinstance(endpoint, str) else str(endpoint.meta.endpoint_url)


def aws_error(
    error: BaseException,
    service: str,
    endpoint: Any,
    *,
    doing: str = "",
    refused: str | None = None,
    field: str | None = None,
    fix: str | None = None,
    not_found: str | None = None,
    codes: Mapping[str, Callable[[AwsFailure], Exception | None]] | None = None,
) -> Exception | None:
    """Our error for botocore's ``error``; None when ``error`` is not botocore's.

    ``service`` and ``endpoint`` (a URL or the boto3 client) are named by a ServiceError;
    ``doing`` says what the call was for ("to check bucket b"); ``refused`` opens the line
    of a refusal (default: the service's name), which names ``field`` and offers ``fix``;
    ``not_found``: the NotFound line when AWS says the thing does not exist; ``codes``: what
    an error code means at this call site (a factory returning None leaves it to the rest).
    """
    failure = aws_failure(error)
    if failure is None:
        return None
    special = (codes or {}).get(failure.code)
    mapped = special(failure) if special is not None else None
    if mapped is not None:
        return mapped
    for_what = f" {doing}" if doing else ""
    if failure.kind == UNREACHABLE:
        url = endpoint_of(endpoint)
        return ServiceError(
            f"cannot reach {service} at {url}{for_what}: {failure.message}",
            endpoint=url,
            hint=NETWORK_HINT,
        )
    if failure.kind == FAULT:
        url = endpoint_of(endpoint)
        return ServiceError(
            f"{service} at {url} failed{for_what}: {failure.message}",
            endpoint=url,
            hint=SERVICE_HINT,
        )
    if failure.kind == CREDENTIALS:
        if failure.code:  # AWS answered: it does not take them
            return UserError(
                f"AWS rejected the credentials: {failure.message}",
                field=PROFILE_FIELD,
                fix=REFRESH_FIX,
            )
        return UserError(
            f"cannot load AWS credentials: {failure.message}",
            field=PROFILE_FIELD,
            fix=CREDENTIALS_FIX,
        )
    if failure.kind == REGION:
        return UserError("no AWS region configured", field=PROFILE_FIELD, fix=REGION_FIX)
    if failure.kind == INVALID:
        return UserError(f"invalid {service} request: {failure.message}", field=field, fix=fix)
    if not_found is not None and aws_not_found(error):
        return NotFound(not_found, field=field)
    return UserError(f"{refused or service}: {failure.message}", field=field, fix=fix)


@contextmanager
def map_aws_errors(
    service: str,
    endpoint: Any,
    *,
    doing: str = "",
    refused: str | None = None,
    field: str | None = None,
    fix: str | None = None,
    not_found: str | None = None,
    codes: Mapping[str, Callable[[AwsFailure], Exception | None]] | None = None,
) -> Iterator[None]:
    """Raise our error (:func:`aws_error`, same knobs) for botocore's raised inside; every
    other error passes unchanged."""
    try:
        yield
    except aws_errors() as error:
        mapped = aws_error(
            error,
            service,
            endpoint,
            doing=doing,
            refused=refused,
            field=field,
            fix=fix,
            not_found=not_found,
            codes=codes,
        )
        if mapped is None:  # pragma: no cover - aws_errors() holds botocore's only
            raise
        raise mapped from None


@contextmanager
def loading_credentials() -> Iterator[None]:
    """Any botocore failure while credentials are found and loaded (a broken profile, an
    SSO token or a credential process that fails) is the profile's to fix: botocore does
    not say which provider failed, and the profile is what the user can check."""
    try:
        yield
    except aws_errors() as error:
        raise UserError(
            f"cannot load AWS credentials: {error}", field=PROFILE_FIELD, fix=CREDENTIALS_FIX
        ) from None
