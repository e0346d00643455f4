"""What a role this library manages may do, as data: pure, no I/O.

A processing job reads its inputs (and the objects their manifests list), writes its
outputs, reads the staging prefix, writes CloudWatch logs and pulls its image. It never
writes the staging prefix: its trees are what later jobs run and copy from, so only a job's
own output prefixes are writable. :class:`Access` holds the S3 part as
``bucket/key-pattern`` strings, derived from a CreateProcessingJob request with SageMaker's
own matching: an input S3Uri delivers every key starting with it (``<key>*``), an output
lands below its URI (``<key>/*``). IAM reads ``*`` and ``?`` in a resource as wildcards
and has no escape for them, so an output URI holding one is refused
(:func:`check_output_uri`) rather than granted wider than it reads. The trust policy admits
SageMaker only on behalf of this account's processing jobs (the confused-deputy conditions).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import UserError

POLICY_LIMIT = 10_240  # IAM: characters of all inline policies of one role
WILDCARDS = ("*", "?")  # IAM's, in a resource ARN; S3 keys may hold them, IAM cannot escape
MANIFEST_EXACT = 20  # a manifest listing more objects is granted their common prefix


@dataclass(frozen=True)
class Access:
    """S3 access as ``bucket/key-pattern`` strings ("*" matches anything)."""

    read: frozenset[str] = frozenset()  # inputs, manifests' objects, the staging prefix
    write: frozenset[str] = frozenset()  # outputs
    read_write: frozenset[str] = frozenset()  # (earlier versions: the staging prefix)

    def __or__(self, other: Access) -> Access:
        return Access(
            self.read | other.read, self.write | other.write, self.read_write | other.read_write
        )

    def __sub__(self, other: Access) -> Access:
        return Access(
            self.read - other.read, self.write - other.write, self.read_write - other.read_write
        )

    def compact(self) -> Access:
        """The same access without patterns that another one already covers."""
        both = _uncovered(self.read_write, ())
        return Access(_uncovered(self.read, both), _uncovered(self.write, both), both)

    def describe(self) -> str:
        """``read s3://b/in/*; write s3://b/out/*`` for a message ("" when empty)."""
        parts = [
            f"{kind} " + ", ".join(f"s3://{p}" for p in sorted(patterns))
            for kind, patterns in (
                ("read", self.read),
                ("write", self.write),
                ("read/write", self.read_write),
            )
            if patterns
        ]
        return "; ".join(parts)


NO_ACCESS = Access()


def _covers(pattern: str, other: str) -> bool:
    return pattern == other or (pattern.endswith("*") and other.startswith(pattern[:-1]))


def _uncovered(patterns: Iterable[str], stronger: Iterable[str]) -> frozenset[str]:
    stronger = list(stronger)
    kept: list[str] = []
    for p in sorted(set(patterns), key=len):  # shorter patterns first: they cover more
        if not any(_covers(q, p) for q in [*stronger, *kept]):
            kept.append(p)
    return frozenset(kept)


def _pattern(uri: str, suffix: str) -> str:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return f"{bucket}/{key}{suffix}"


def check_output_uri(uri: str, field: str) -> None:
    """An output URI the role's policy can grant exactly: a UserError naming ``field`` for
    one holding ``*`` or ``?`` (``s3://b/*`` would be granted as ``b/*/*``: all of b)."""
    found = sorted({c for c in WILDCARDS if c in uri})
    if found:
        shown = " and ".join(repr(c) for c in found)
        raise UserError(
            f"{uri}: {shown} in an output location would be a wildcard in the IAM policy "
            "that lets the job write there",
            field=field,
            fix="name one prefix, without * or ?",
        )


def manifest_objects(body: bytes) -> list[str]:
    """The S3 URIs a SageMaker manifest file lists (``[{"prefix": "s3://b/p/"}, "rel",
    ...]``); [] for a body that is no such manifest (SageMaker refuses it, not IAM)."""
    try:
        items = json.loads(body)
    except ValueError:
        return []
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return []
    prefix = items[0].get("prefix")
    if not isinstance(prefix, str) or not prefix.startswith("s3://"):
        return []
    return [prefix + rel for rel in items[1:] if isinstance(rel, str) and rel]


def manifest_reads(uris: Iterable[str]) -> frozenset[str]:
    """What reading a manifest's objects takes: each object (with SageMaker's matching,
    a key is also the start of the keys it delivers), or, for more than
    :data:`MANIFEST_EXACT`, the longest prefix they share in each bucket."""
    uris = sorted(set(uris))
    if len(uris) <= MANIFEST_EXACT:
        return frozenset(_pattern(u, "") for u in uris)
    by_bucket: dict[str, list[str]] = {}
    for uri in uris:
        bucket, _, key = uri[len("s3://") :].partition("/")
        by_bucket.setdefault(bucket, []).append(key)
    return frozenset(f"{b}/{os.path.commonprefix(keys)}*" for b, keys in by_bucket.items())


def request_access(
    request: dict[str, Any],
    staging_root: str | None = None,
    manifests: dict[str, list[str]] | None = None,
) -> Access:
    """The S3 access the job of a CreateProcessingJob request needs, plus read on
    ``staging_root`` (where staging puts its trees). ``manifests``: manifest URI -> the
    object URIs it lists (read too)."""
    inputs = [
        i["S3Input"]["S3Uri"] for i in request.get("ProcessingInputs") or [] if "S3Input" in i
    ]
    outputs = [
        o["S3Output"]["S3Uri"]
        for o in (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        if "S3Output" in o
    ]
    staging = [staging_root.rstrip("/") + "/"] if staging_root else []
    listed = [uri for uris in (manifests or {}).values() for uri in uris]
    return Access(
        frozenset(_pattern(u, "*") for u in [*inputs, *staging]) | manifest_reads(listed),
        frozenset(_pattern(u.rstrip("/"), "/*") for u in outputs),
    ).compact()


def trust_policy(partition: str, account_id: str) -> dict:
    """SageMaker may assume the role, and only for processing jobs of this account."""
    jobs = f"arn:{partition}:sagemaker:*:{account_id}:processing-job/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": jobs},
                },
            }
        ],
    }


def processing_policy(partition: str, region: str, account_id: str, access: Access) -> dict:
    """The inline policy of a managed role: ``access`` on S3, the job's logs, ECR pulls."""
    access = access.compact()
    readable = sorted(access.read | access.read_write)
    writable = sorted(access.write | access.read_write)
    keys_by_bucket: dict[str, list[str]] = {}
    for pattern in readable:
        bucket, _, key = pattern.partition("/")
        keys_by_bucket.setdefault(bucket, []).append(key)
    statements: list[dict[str, Any]] = [
        {  # SageMaker lists an input's prefix; only those prefixes may be listed
            "Sid": f"ListJobInputs{n}",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:{partition}:s3:::{bucket}",
            "Condition": {"StringLike": {"s3:prefix": keys}},
        }
        for n, (bucket, keys) in enumerate(sorted(keys_by_bucket.items()))
    ]
    if readable:
        statements.append(
            {
                "Sid": "ReadJobObjects",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": [f"arn:{partition}:s3:::{p}" for p in readable],
            }
        )
    if writable:
        statements.append(
            {
                "Sid": "WriteJobObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                "Resource": [f"arn:{partition}:s3:::{p}" for p in writable],
            }
        )
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


def policy_access(policy: dict) -> Access:
    """The S3 access a policy made by :func:`processing_policy` grants."""

    def resources(sid: str) -> set[str]:
        for statement in policy.get("Statement", []):
            if statement.get("Sid") == sid:
                found = statement.get("Resource", [])
                found = [found] if isinstance(found, str) else found
                return {r.split(":::", 1)[1] for r in found if ":::" in r}
        return set()

    read, write = resources("ReadJobObjects"), resources("WriteJobObjects")
    both = (read & write) | resources("ReadWriteJobObjects")  # as earlier versions wrote it
    return Access(frozenset(read - both), frozenset(write - both), frozenset(both))


def policy_text(policy: dict) -> str:
    return json.dumps(policy, separators=(",", ":"))
