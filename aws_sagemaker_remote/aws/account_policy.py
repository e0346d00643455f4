"""What VPC jobs and KMS keys need of a managed role: a second inline policy, replaced by
each submission from what the jobs running as the role need now.

A job in a VPC needs the ENI actions SageMaker uses there; a job with KMS keys (its volume,
its outputs) needs Decrypt and GenerateDataKey on them. These are granted while a job
needs them and withdrawn once none does, as the S3 grants are (:mod:`.role_grants`):
the running jobs are asked of SageMaker, and when it cannot be asked the earlier grants are
kept. A key named by an alias is granted through ``kms:ResourceAliases`` on the keys of the
alias's own account and region, never on every key of that name anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..awserrors import aws_error_answers, aws_error_message, aws_errors, aws_not_found

ACCOUNT_POLICY_NAME = "aws-sagemaker-remote-account"
VPC_ACTIONS = (  # "Give SageMaker Access to Resources in your Amazon VPC"
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
)
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class AccountNeeds:
    """VPC network interfaces, key ARNs and alias ARNs (``arn:...:kms:R:A:alias/N``)."""

    vpc: bool = False
    keys: frozenset[str] = frozenset()
    aliases: frozenset[str] = frozenset()

    def __or__(self, other: AccountNeeds) -> AccountNeeds:
        return AccountNeeds(
            self.vpc or other.vpc, self.keys | other.keys, self.aliases | other.aliases
        )

    def __sub__(self, other: AccountNeeds) -> AccountNeeds:
        return AccountNeeds(
            self.vpc and not other.vpc, self.keys - other.keys, self.aliases - other.aliases
        )

    def describe(self) -> str:
        """``VPC network interfaces and KMS keys k1, alias a`` ("" when nothing)."""
        parts = ["VPC network interfaces"] if self.vpc else []
        names = sorted(self.keys) + sorted(self.aliases)
        if names:
            parts.append("KMS keys " + ", ".join(names))
        return " and ".join(parts)


NOTHING = AccountNeeds()


def kms_needs(partition: str, region: str, account_id: str, keys: Iterable[str]) -> AccountNeeds:
    """Keys given as an ID, key ARN, alias name or alias ARN, as ARNs: a short form is of
    this account and region, an ARN keeps its own."""
    arns: set[str] = set()
    aliases: set[str] = set()
    for key in keys:
        if key.startswith("arn:"):
            (aliases if ":alias/" in key else arns).add(key)
        elif key.startswith("alias/"):
            aliases.add(f"arn:{partition}:kms:{region}:{account_id}:{key}")
        else:
            arns.add(f"arn:{partition}:kms:{region}:{account_id}:key/{key}")
    return AccountNeeds(False, frozenset(arns), frozenset(aliases))


def request_needs(partition: str, region: str, account_id: str, request: dict) -> AccountNeeds:
    """What the job of a CreateProcessingJob request (or a DescribeProcessingJob answer)
    needs: its VPC, its volume and output keys."""
    vpc = bool(((request.get("NetworkConfig") or {}).get("VpcConfig") or {}).get("Subnets"))
    cluster = (request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    keys = [
        cluster.get("VolumeKmsKeyId"),
        (request.get("ProcessingOutputConfig") or {}).get("KmsKeyId"),
    ]
    return AccountNeeds(vpc) | kms_needs(partition, region, account_id, [k for k in keys if k])


def _alias_groups(aliases: Iterable[str]) -> dict[str, list[str]]:
    """Key resource (``arn:P:kms:R:A:key/*``) -> the alias names of that account and region."""
    groups: dict[str, list[str]] = {}
    for alias in sorted(aliases):
        head, _, name = alias.partition(":alias/")
        groups.setdefault(f"{head}:key/*", []).append(f"alias/{name}")
    return groups


def statements(needs: AccountNeeds) -> list[dict]:
    """The policy statements granting ``needs``; empty when there is nothing to grant."""
    found: list[dict[str, Any]] = []
    if needs.vpc:
        found.append(
            {
                "Sid": "VpcNetworkInterfaces",
                "Effect": "Allow",
                "Action": list(VPC_ACTIONS),
                "Resource": "*",
            }
        )
    if needs.keys:
        found.append(
            {
                "Sid": "UseKmsKeys",
                "Effect": "Allow",
                "Action": list(KMS_ACTIONS),
                "Resource": sorted(needs.keys),
            }
        )
    groups = _alias_groups(needs.aliases)
    for n, (resource, names) in enumerate(sorted(groups.items())):
        found.append(
            {
                "Sid": "UseKmsAliases" + (str(n) if len(groups) > 1 else ""),
                "Effect": "Allow",
                "Action": list(KMS_ACTIONS),
                "Resource": resource,
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": names}},
            }
        )
    return found


def granted(document: dict) -> AccountNeeds:
    """What a policy made by :func:`statements` grants (earlier versions' too)."""
    vpc, keys, aliases = False, set[str](), set[str]()
    for statement in document.get("Statement", []):
        sid, resource = statement.get("Sid", ""), statement.get("Resource")
        resources = [resource] if isinstance(resource, str) else list(resource or [])
        if sid == "VpcNetworkInterfaces":
            vpc = True
        elif sid == "UseKmsKeys":
            keys |= set(resources)
        elif sid.startswith("UseKmsAliases"):
            condition = statement.get("Condition", {}).get("ForAnyValue:StringEquals", {})
            names = condition.get("kms:ResourceAliases", [])
            names = [names] if isinstance(names, str) else names
            for where in resources:  # "*": an earlier version's, of no account or region
                head = where[: -len(":key/*")] if where.endswith(":key/*") else "arn:*:kms:*:*"
                aliases |= {f"{head}:{name}" for name in names}
    return AccountNeeds(vpc, frozenset(keys), frozenset(aliases))


def current_grants(iam: Any, role_name: str) -> AccountNeeds | None:
    """What the role's account policy grants now; None when it has none."""
    try:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=ACCOUNT_POLICY_NAME)
    except aws_error_answers() as error:
        if not aws_not_found(error):
            raise
        return None
    body = document["PolicyDocument"]
    return granted(json.loads(body) if isinstance(body, str) else body)


def running_needs(ctx: Any, role_arn: str, fallback: AccountNeeds) -> AccountNeeds:
    """What the jobs running as ``role_arn`` need; ``fallback`` when SageMaker cannot say."""
    from .running_jobs import running_jobs

    try:
        jobs = running_jobs(ctx, role_arn)
    except aws_errors():
        return fallback
    needs = NOTHING
    for job in jobs:
        needs |= request_needs(ctx.partition, ctx.region, ctx.account_id, job)
    return needs


def replace_account_policy(
    ctx: Any,
    iam: Any,
    role: dict,
    extra: Sequence[dict],
    notify,
    *,
    keep_granted: bool = False,
) -> None:
    """Make the account policy of a managed role grant what this job (``extra``, from
    :func:`~.roles.account_statements`) and the jobs running as it need, and no more.
    ``keep_granted``: only add (after the job was created: a concurrent submission may have
    replaced the policy without this job)."""
    name, arn = role["RoleName"], role["Arn"]
    have = current_grants(iam, name)
    wanted = granted({"Statement": list(extra)})
    if have is None and wanted == NOTHING:
        return  # nothing granted, nothing needed: no question for SageMaker
    before = have or NOTHING
    wanted |= running_needs(ctx, arn, fallback=before)
    if keep_granted:
        wanted |= before
    if wanted == before and have is not None:
        return
    try:
        if wanted == NOTHING:
            iam.delete_role_policy(RoleName=name, PolicyName=ACCOUNT_POLICY_NAME)
        else:
            policy = {"Version": "2012-10-17", "Statement": statements(wanted)}
            iam.put_role_policy(
                RoleName=name, PolicyName=ACCOUNT_POLICY_NAME, PolicyDocument=json.dumps(policy)
            )
    except aws_error_answers() as error:  # the job may still work (a key policy may allow it)
        notify(
            f"warning: could not grant role {arn} what the job needs: {aws_error_message(error)}"
        )
        return
    added, removed = (wanted - before).describe(), (before - wanted).describe()
    changes = [
        f"granted role {arn} {added}" if added else "",
        f"withdrew {removed}" if removed else "",
    ]
    said = "; ".join(c for c in changes if c)
    if said:
        notify(said if added else f"role {arn}: {said}")
