"""The IAM role a processing job runs as: an ARN as given, or a name resolved or created.

A role this library creates is tagged ``aws-sagemaker-remote:managed``; only such a role
is ever modified (a role the user made is used as it is). It trusts SageMaker for this
account's processing jobs only, and may do what :mod:`.role_policy` derives from the job.

Grants do not pile up: each submission replaces the region's S3 policy
(:mod:`.role_grants`) and the account policy for VPCs and KMS keys
(:mod:`.account_policy`) with what this job and the jobs running as the role need now.
Every change is reported through ``notify``, one line each, for the caller to show.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from ..awserrors import (
    aws_error_answers,
    aws_error_message,
    aws_errors,
    aws_not_found,
    map_aws_errors,
)
from ..boto import client_of
from ..errors import UserError
from .account_policy import (
    ACCOUNT_POLICY_NAME,
    KMS_ACTIONS,
    VPC_ACTIONS,
    AccountNeeds,
    kms_needs,
    replace_account_policy,
    statements,
)
from .role_grants import ROLE_FIELD, check_size, policy_name, replace_grants
from .role_policy import (
    NO_ACCESS,
    Access,
    policy_text,
    processing_policy,
    trust_policy,
)

MANAGED_TAG = "aws-sagemaker-remote:managed"

# SageMaker's RoleArn pattern (botocore's service model).
_ROLE_ARN = re.compile(r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_ROLE_PATH = re.compile(r"(/[\x21-\x7e]*)?/")

Notify = Callable[[str], None]


def _silent(line: str) -> None:
    """The default ``notify``: the Python API caller did not ask to hear about changes."""


def resolve_role(
    ctx: Any,
    role: str,
    *,
    access: Access = NO_ACCESS,
    extra: Sequence[dict] = (),
    notify: Notify = _silent,
) -> str:
    """The ARN of ``role`` (an ARN or a role name), creating the role when it is missing.

    ``access``: what this job does with S3 (:func:`role_policy.request_access`).
    ``extra``: :func:`account_statements`, granted to a role this library manages."""
    return resolve_job_role(ctx, role, access=access, extra=extra, notify=notify)[0]


def resolve_job_role(
    ctx: Any,
    role: str,
    *,
    access: Access = NO_ACCESS,
    extra: Sequence[dict] = (),
    notify: Notify = _silent,
    before_change: Callable[[], object] | None = None,
) -> tuple[str, bool]:
    """As :func:`resolve_role`, and whether this library manages the role (then, once the
    job exists, :func:`~.role_grants.confirm_grants`).

    ``before_change``: called before the first IAM call that creates or changes anything
    (what it raises stops the lookup there); the reads before it go at once."""
    if role.startswith("arn:"):
        if not _ROLE_ARN.fullmatch(role):
            raise UserError(
                f"{role!r} is not an IAM role ARN",
                field=ROLE_FIELD,
                fix="pass arn:aws:iam::ACCOUNT:role/NAME or a role name",
            )
        _check_role_exists(ctx, role)
        return role, False
    path, _, name = role.rpartition("/")
    path = f"/{path.strip('/')}/" if path.strip("/") else "/"
    if not _ROLE_NAME.fullmatch(name) or not _ROLE_PATH.fullmatch(path):
        raise UserError(
            f"{role!r} is not a valid IAM role name",
            field=ROLE_FIELD,
            fix="use letters, digits and +=,.@_- (at most 64), or pass a role ARN",
        )
    iam = endpoint = client_of(ctx.session, "iam")
    if before_change is not None:
        from .writes_after import WritesAfter

        iam = WritesAfter(iam, before_change)
    with map_aws_errors(
        "IAM",
        endpoint,
        refused=f"cannot resolve role {role!r}",
        field=ROLE_FIELD,
        fix="pass the ARN of an existing SageMaker execution role, or get iam:GetRole, "
        "iam:CreateRole and iam:PutRolePolicy permissions",
    ):
        try:
            found = iam.get_role(RoleName=name)["Role"]
        except aws_error_answers() as error:
            if not aws_not_found(error):
                raise
        else:
            managed = _is_managed(iam, found)
            if managed:
                _update_managed(ctx, iam, found, access, extra, notify)
            return found["Arn"], managed
        policy = processing_policy(ctx.partition, ctx.region, ctx.account_id, access)
        check_size(policy, role)
        created = iam.create_role(
            RoleName=name,
            Path=path,
            AssumeRolePolicyDocument=json.dumps(trust_policy(ctx.partition, ctx.account_id)),
            Description="SageMaker processing jobs run by aws-sagemaker-remote",
            Tags=[{"Key": MANAGED_TAG, "Value": "true"}],
        )["Role"]
        iam.put_role_policy(
            RoleName=name, PolicyName=policy_name(ctx.region), PolicyDocument=policy_text(policy)
        )
        replace_account_policy(ctx, iam, created, extra, notify)
    granted = access.compact().describe()
    notify(
        f"created IAM role {created['Arn']} for this account's SageMaker processing jobs"
        + (f"; granted {granted}" if granted else "")
    )
    return created["Arn"], True


def _is_managed(iam: Any, found: dict) -> bool:
    tags = found.get("Tags")
    if tags is None:  # GetRole includes the tags; be lenient with emulators
        tags = iam.list_role_tags(RoleName=found["RoleName"]).get("Tags", [])
    return any(t.get("Key") == MANAGED_TAG for t in tags)


def _update_managed(
    ctx: Any, iam: Any, found: dict, access: Access, extra: Sequence[dict], notify: Notify
) -> None:
    """A role this library created: trust, S3 grants and account statements as needed now."""
    try:
        _update_trust(ctx, iam, found, notify)
    except aws_error_answers() as error:  # the role works as it is; the job may still succeed
        notify(f"warning: could not update role {found['Arn']}: {aws_error_message(error)}")
    replace_grants(ctx, iam, found, access, notify)
    replace_account_policy(ctx, iam, found, extra, notify)


def _update_trust(ctx: Any, iam: Any, found: dict, notify: Notify) -> None:
    """A managed role made before the trust policy had its conditions gets them."""
    from urllib.parse import unquote

    trust = trust_policy(ctx.partition, ctx.account_id)
    current = found.get("AssumeRolePolicyDocument")
    if isinstance(current, str):
        current = json.loads(unquote(current))
    if current != trust:
        iam.update_assume_role_policy(RoleName=found["RoleName"], PolicyDocument=json.dumps(trust))
        notify(
            f"role {found['Arn']} now trusts SageMaker only for processing jobs of account "
            f"{ctx.account_id}"
        )


def _check_role_exists(ctx: Any, arn: str) -> None:
    """A role ARN of the caller's own account must name a role that exists; one we may not
    look up, or of another account, is SageMaker's to judge."""
    if arn.split(":")[4] != ctx.account_id:
        return
    try:
        client_of(ctx.session, "iam").get_role(RoleName=arn.rsplit("/", 1)[1])
    except aws_errors() as error:
        if aws_not_found(error):
            raise UserError(
                f"no IAM role {arn}",
                field=ROLE_FIELD,
                fix="pass an existing role's ARN, or a role name to have it created",
            ) from None


def account_statements(ctx: Any, spec: Any) -> list[dict]:
    """The account policy statements a JobSpec's VPC and KMS keys need (see
    :mod:`.account_policy`); empty when it uses neither."""
    keys = [k for k in (spec.volume_kms_key, spec.output_kms_key) if k]
    needs = AccountNeeds(bool(spec.subnets)) | kms_needs(
        ctx.partition, ctx.region, ctx.account_id, keys
    )
    return statements(needs)


def role_warning(role_arn: str, account_id: str, partition: str) -> str | None:
    """One line for a role ARN of another account or partition: SageMaker accepts it only
    if that role trusts this account's SageMaker, which is worth a second look."""
    parts = role_arn.split(":")
    if len(parts) < 6:
        return None
    if parts[1] != partition:
        return (
            f"warning: role {role_arn} is in partition {parts[1]}, and the job runs in "
            f"{partition}; SageMaker cannot assume it"
        )
    if parts[4] != account_id:
        return (
            f"warning: role {role_arn} belongs to account {parts[4]}, not {account_id}; "
            "the job runs only if that role trusts SageMaker in this account"
        )
    return None


__all__ = [
    "ACCOUNT_POLICY_NAME",
    "KMS_ACTIONS",
    "MANAGED_TAG",
    "VPC_ACTIONS",
    "account_statements",
    "resolve_job_role",
    "resolve_role",
    "role_warning",
]
