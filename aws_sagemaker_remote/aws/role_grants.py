"""The S3 grants of a role this library manages: one inline policy per region, replaced
by each submission, and confirmed once the job exists.

The policy also names the region's logs, so a region has its own (a submission in
eu-west-1 never takes a grant from a job running in us-east-1). It holds what this job
needs merged with what the jobs still running as the role in the region need (asked of
SageMaker), because taking a prefix away from a running job would make it fail when it
writes its outputs. Two submissions at once could each replace the policy without the
other's job: so after creating its job, a submission lists the running jobs again (its own
among them) and puts back whatever is missing. When SageMaker cannot be asked, earlier
grants are kept and the new ones added. Every change is said through ``notify``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..awserrors import aws_error_answers, aws_error_message, aws_errors, aws_not_found
from ..boto import client_of
from ..errors import UserError
from .manifests import manifest_listings
from .role_policy import (
    POLICY_LIMIT,
    Access,
    policy_access,
    policy_text,
    processing_policy,
    request_access,
)
from .running_jobs import running_jobs

ROLE_FIELD = "role"
LEGACY_POLICY_NAME = "aws-sagemaker-remote-processing"  # one policy for all regions (0.1)
Notify = Callable[[str], None]


def policy_name(region: str) -> str:
    return f"{LEGACY_POLICY_NAME}-{region}"


def check_size(policy: dict, role: str) -> None:
    if len(policy_text(policy)) > POLICY_LIMIT:
        raise UserError(
            f"the policy role {role} needs for this job and the jobs running as it exceeds "
            f"IAM's {POLICY_LIMIT} characters",
            field=ROLE_FIELD,
            fix="wait for running jobs to end, stage inputs under {{s3_prefix}}, "
            "or pass a role of your own",
        )


def replace_grants(ctx: Any, iam: Any, found: dict, access: Access, notify: Notify) -> None:
    """Make the region's policy of a managed role grant exactly what its jobs need now."""
    arn, name = found["Arn"], found["RoleName"]
    try:
        regional = _granted(iam, name, policy_name(ctx.region))
        # the first submission in this region since an earlier version: its one policy
        legacy = _granted(iam, name, LEGACY_POLICY_NAME) if regional is None else None
        before = next((a for a in (regional, legacy) if a is not None), Access())
        wanted = (access | running_access(ctx, arn, fallback=before, notify=notify)).compact()
        if wanted != before or legacy is not None:
            _put(ctx, iam, name, arn, wanted)
    except aws_error_answers() as error:
        # The role works for what it had; the job may still succeed, so do not stop here.
        notify(f"warning: could not update role {arn}: {aws_error_message(error)}")
        return
    if wanted != before:
        added, removed = (wanted - before).describe(), (before - wanted).describe()
        changes = [f"granted {added}" if added else "", f"withdrew {removed}" if removed else ""]
        notify(f"updated role {arn}: " + "; ".join(c for c in changes if c))
    if legacy is not None:
        _drop_legacy(iam, found, notify)


def confirm_grants(
    ctx: Any, role_arn: str, access: Access, notify: Notify, extra: Sequence[dict] = ()
) -> None:
    """After the job was created: put back what a concurrent submission's policies lack,
    for this job (which a listing may not show yet) and for every job running as the role.
    ``extra``: this job's account statements (VPC, KMS keys)."""
    iam = client_of(ctx.session, "iam")
    name = role_arn.rsplit("/", 1)[1]
    if extra:
        from .account_policy import replace_account_policy

        try:
            role = {"RoleName": name, "Arn": role_arn}
            replace_account_policy(ctx, iam, role, extra, notify, keep_granted=True)
        except aws_errors() as error:
            notify(f"warning: could not confirm the grants of role {role_arn}: {error}")
    try:
        found = _granted(iam, name, policy_name(ctx.region))
        before = found if found is not None else Access()
        running = running_access(ctx, role_arn, fallback=Access(), notify=notify)
        wanted = (before | access | running).compact()
        if wanted == before:
            return
        _put(ctx, iam, name, role_arn, wanted)
    except aws_errors() as error:
        notify(f"warning: could not confirm the grants of role {role_arn}: {error}")
        return
    notify(
        f"role {role_arn} was changed by another submission meanwhile; granted "
        f"{(wanted - before).describe()} again"
    )


def _granted(iam: Any, role_name: str, policy: str) -> Access | None:
    """What the role's inline ``policy`` grants on S3; None when there is no such policy."""
    try:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy)["PolicyDocument"]
    except aws_error_answers() as error:
        if not aws_not_found(error):
            raise
        return None
    return policy_access(json.loads(document) if isinstance(document, str) else document).compact()


def _put(ctx: Any, iam: Any, role_name: str, arn: str, access: Access) -> None:
    policy = processing_policy(ctx.partition, ctx.region, ctx.account_id, access)
    check_size(policy, arn)
    iam.put_role_policy(
        RoleName=role_name, PolicyName=policy_name(ctx.region), PolicyDocument=policy_text(policy)
    )


def _drop_legacy(iam: Any, found: dict, notify: Notify) -> None:
    """The one policy of an earlier version (all regions, grants piled up) goes, once its
    region's policy is in place."""
    try:
        iam.delete_role_policy(RoleName=found["RoleName"], PolicyName=LEGACY_POLICY_NAME)
    except aws_error_answers() as error:
        notify(f"warning: could not remove the policy {LEGACY_POLICY_NAME}: {error}")
        return
    notify(
        f"removed the policy {LEGACY_POLICY_NAME} of role {found['Arn']} (an earlier version's, "
        "for every region); its grants are per region now"
    )


def running_access(ctx: Any, role_arn: str, *, fallback: Access, notify: Notify) -> Access:
    """What the jobs still running as ``role_arn`` in this region need; ``fallback`` (the
    earlier grants) when SageMaker cannot be asked, so that nothing is taken away."""
    try:
        jobs = running_jobs(ctx, role_arn)
    except aws_errors() as error:
        notify(
            f"note: cannot list running processing jobs ({error}); role {role_arn} keeps its "
            "earlier S3 grants"
        )
        return fallback
    needed = Access()
    for job in jobs:
        needed |= request_access(job, manifests=manifest_listings(job, ctx.session))
    return needed
