"""The IAM role a processing job runs as: an ARN as given, or a name resolved or created.

A role this library creates trusts only SageMaker and may do only what a processing job
needs: read and write objects in the job's buckets, write its CloudWatch logs and pull its
image from ECR. It is tagged, so that a later run needing another bucket can widen that
role's policy (and only that role's: a role the user made is never modified).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ..errors import ServiceError, UserError
from .session import error_code, error_message

ROLE_FIELD = "role"
MANAGED_TAG = "aws-sagemaker-remote:managed"
POLICY_NAME = "aws-sagemaker-remote-processing"

# SageMaker's RoleArn pattern (botocore's service model).
_ROLE_ARN = re.compile(r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_ROLE_PATH = re.compile(r"(/[\x21-\x7e]*)?/")

TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def processing_policy(partition: str, region: str, account_id: str, buckets: Sequence[str]) -> dict:
    """The least-privilege inline policy of a role this library creates."""
    buckets = sorted(set(buckets))
    statements: list[dict[str, Any]] = []
    if buckets:
        statements += [
            {
                "Sid": "ListJobBuckets",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": [f"arn:{partition}:s3:::{b}" for b in buckets],
            },
            {
                "Sid": "ReadWriteJobObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                "Resource": [f"arn:{partition}:s3:::{b}/*" for b in buckets],
            },
        ]
    statements += [
        {
            "Sid": "WriteJobLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:{partition}:logs:{region}:{account_id}:log-group:/aws/sagemaker/*",
        },
        {
            "Sid": "EcrLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
        {
            "Sid": "PullImage",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchCheckLayerAvailability",
            ],
            "Resource": "*",
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def policy_buckets(policy: dict) -> set[str]:
    """The buckets a policy made by :func:`processing_policy` grants."""
    for statement in policy.get("Statement", []):
        if statement.get("Sid") == "ListJobBuckets":
            resources = statement.get("Resource", [])
            if isinstance(resources, str):
                resources = [resources]
            return {r.rsplit(":::", 1)[-1] for r in resources}
    return set()


def resolve_role(ctx: Any, role: str, *, buckets: Sequence[str], out: TextIO = sys.stderr) -> str:
    """The ARN of ``role`` (an ARN or a role name), creating the role when it is missing."""
    from botocore.exceptions import BotoCoreError, ClientError

    if role.startswith("arn:"):
        if not _ROLE_ARN.fullmatch(role):
            raise UserError(
                f"{role!r} is not an IAM role ARN",
                field=ROLE_FIELD,
                fix="pass arn:aws:iam::ACCOUNT:role/NAME or a role name",
            )
        _check_role_exists(ctx, role)
        return role
    path, _, name = role.rpartition("/")
    path = f"/{path.strip('/')}/" if path.strip("/") else "/"
    if not _ROLE_NAME.fullmatch(name) or not _ROLE_PATH.fullmatch(path):
        raise UserError(
            f"{role!r} is not a valid IAM role name",
            field=ROLE_FIELD,
            fix="use letters, digits and +=,.@_- (at most 64), or pass a role ARN",
        )
    iam = ctx.session.client("iam")
    try:
        try:
            found = iam.get_role(RoleName=name)["Role"]
        except ClientError as error:
            if error_code(error) != "NoSuchEntity":
                raise
        else:
            _widen_managed_role(ctx, iam, found, buckets, out)
            return found["Arn"]
        created = iam.create_role(
            RoleName=name,
            Path=path,
            AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
            Description="SageMaker processing jobs run by aws-sagemaker-remote",
            Tags=[{"Key": MANAGED_TAG, "Value": "true"}],
        )["Role"]
        iam.put_role_policy(
            RoleName=name,
            PolicyName=POLICY_NAME,
            PolicyDocument=json.dumps(
                processing_policy(ctx.partition, ctx.region, ctx.account_id, buckets)
            ),
        )
    except ClientError as error:
        raise UserError(
            f"cannot resolve role {role!r}: {error_message(error)}",
            field=ROLE_FIELD,
            fix="pass the ARN of an existing SageMaker execution role, or get iam:GetRole, "
            "iam:CreateRole and iam:PutRolePolicy permissions",
        ) from None
    except BotoCoreError as error:
        raise ServiceError(
            f"cannot reach IAM: {error} (a network or service fault: run again)"
        ) from None
    print(f"created IAM role {created['Arn']} for SageMaker processing jobs", file=out)
    return created["Arn"]


def _widen_managed_role(
    ctx: Any, iam: Any, found: dict, buckets: Sequence[str], out: TextIO
) -> None:
    """Grant a role this library created access to buckets it did not have yet."""
    from botocore.exceptions import ClientError

    try:
        tags = found.get("Tags")
        if tags is None:  # GetRole includes the tags; be lenient with emulators
            tags = iam.list_role_tags(RoleName=found["RoleName"]).get("Tags", [])
        if not any(t.get("Key") == MANAGED_TAG for t in tags):
            return
        try:
            document = iam.get_role_policy(RoleName=found["RoleName"], PolicyName=POLICY_NAME)[
                "PolicyDocument"
            ]
            granted = policy_buckets(
                json.loads(document) if isinstance(document, str) else document
            )
        except ClientError as error:
            if error_code(error) != "NoSuchEntity":
                raise
            granted = set()
        missing = set(buckets) - granted
        if not missing:
            return
        policy = processing_policy(ctx.partition, ctx.region, ctx.account_id, granted | missing)
        iam.put_role_policy(
            RoleName=found["RoleName"], PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy)
        )
    except ClientError as error:
        # The role works for what it had; the job may still succeed, so do not stop here.
        print(
            f"warning: could not update the policy of role {found['Arn']}: {error_message(error)}",
            file=out,
        )
        return
    print(f"granted role {found['Arn']} access to {', '.join(sorted(missing))}", file=out)


def _check_role_exists(ctx: Any, arn: str) -> None:
    """A role ARN of the caller's own account must name a role that exists; one we may not
    look up, or of another account, is SageMaker's to judge."""
    from botocore.exceptions import BotoCoreError, ClientError

    if arn.split(":")[4] != ctx.account_id:
        return
    try:
        ctx.session.client("iam").get_role(RoleName=arn.rsplit("/", 1)[1])
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            raise UserError(
                f"no IAM role {arn}",
                field=ROLE_FIELD,
                fix="pass an existing role's ARN, or a role name to have it created",
            ) from None
    except BotoCoreError:
        pass
