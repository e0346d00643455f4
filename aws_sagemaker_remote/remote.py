"""The remote path: JobSpec -> staged channels -> CreateProcessingJob -> follow -> outputs.

Everything that can be checked is checked before the first byte is uploaded: the spec,
the S3 inputs, the request against the service model. Then, in order: the role, the
upload, the job. The same function drives SageMaker and the local engine; only the
backend and the staging location differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from .errors import UserError
from .localstore import LOCAL_STORE_BUCKET
from .processing.args import DEFAULT_INSTANCE, Channels
from .request import Target, check_request, render_request
from .spec import JobSpec, build_spec

PLACEHOLDER_ACCOUNT = "000000000000"
PLACEHOLDER_REGION = "us-east-1"
LOCAL_STORE_ROOT = f"s3://{LOCAL_STORE_BUCKET}"
LISTED_OBJECTS = 10  # outputs that stay on S3: how many objects to name after the job


@dataclass
class Where:
    """The account and region a run targets; ``aws`` is None when no AWS is involved."""

    region: str
    account_id: str
    aws: Any = None  # AwsContext
    note: str | None = None  # what a dry run had to guess, said once the request is valid

    @property
    def session(self):
        return self.aws.session if self.aws else None


def run_remotely(
    args: argparse.Namespace,
    *,
    parser: argparse.ArgumentParser,
    channels: Channels,
    argv: list[str],
) -> dict[str, Any] | None:
    """Submit the job (or print its request); returns the final description when waited."""
    spec = build_spec(args, parser=parser, channels=channels, argv=argv)
    where = _where(spec)
    staging_root = _staging_root(spec, where)
    backend = None
    if any(i.source.startswith("job://") for i in spec.inputs):
        backend = _backend(spec, where)
    s3_inputs = _resolve_s3_inputs(spec, where, backend)

    from .plan import plan_channels

    plan = plan_channels(spec, staging_root, s3_inputs)
    target = _target(spec, where, _output_root(spec, where))
    rendered = render_request(spec, plan.channels, target)
    check_request(rendered)
    if spec.dry_run:
        if where.note:
            print(where.note, file=sys.stderr)
        print(json.dumps(rendered.request, indent=2))
        return None

    if where.aws and not spec.is_local:
        from .roles import resolve_role

        buckets = sorted({_bucket(staging_root)} | _request_buckets(rendered.request))
        role_arn = resolve_role(where.aws, spec.role, buckets=buckets)
        if role_arn != target.role_arn:
            target = Target(
                target.image, role_arn, target.output_root, target.instance_type, target.tags
            )
            rendered = render_request(spec, plan.channels, target)
    _stage(plan.trees, staging_root, spec, where)
    backend = backend or _backend(spec, where)
    backend.create_job(rendered.request)
    _announce(spec, where, rendered.request, backend)
    if not spec.wait:
        _write_description(spec, backend)
        return None
    return _wait(spec, where, backend, rendered.request)


def _where(spec: JobSpec) -> Where:
    from .aws import peek_aws, resolve_aws

    needs_aws = (
        (not spec.is_local)
        or spec.s3_prefix
        or any(not i.is_local for i in spec.inputs if not _is_local_store(i.source))
        or any(o.s3 and not _is_local_store(o.s3) for o in spec.outputs)
    )
    if spec.dry_run and not spec.is_local:
        region, account = peek_aws(spec.profile)
        unknown = [what for what, value in (("region", region), ("account", account)) if not value]
        note = None
        if unknown:
            note = (
                f"dry run: AWS {' and '.join(unknown)} unknown (no credentials or region); "
                f"placeholders used: region {region or PLACEHOLDER_REGION}, "
                f"account {account or PLACEHOLDER_ACCOUNT}"
            )
        return Where(region or PLACEHOLDER_REGION, account or PLACEHOLDER_ACCOUNT, note=note)
    if needs_aws:
        aws = resolve_aws(spec.profile)
        return Where(aws.region, aws.account_id, aws)
    return Where(PLACEHOLDER_REGION, PLACEHOLDER_ACCOUNT)


def _is_local_store(uri: str) -> bool:
    return uri.startswith(LOCAL_STORE_ROOT + "/")


def _staging_root(spec: JobSpec, where: Where) -> str:
    if spec.s3_prefix:
        return spec.s3_prefix
    if spec.is_local:
        return f"{LOCAL_STORE_ROOT}/staging"
    return f"s3://sagemaker-{where.region}-{where.account_id}/aws-sagemaker-remote"


def _output_root(spec: JobSpec, where: Where) -> str:
    if spec.is_local and not spec.s3_prefix:
        return f"{LOCAL_STORE_ROOT}/jobs/{spec.job_name}"
    return f"{_staging_root(spec, where)}/jobs/{spec.job_name}"


def _target(spec: JobSpec, where: Where, output_root: str) -> Target:
    from .gittags import git_tags
    from .images import default_image

    image = spec.image or default_image(where.region)
    role = spec.role
    if not role.startswith("arn:"):
        from .aws import partition_of

        role = f"arn:{partition_of(where.region)}:iam::{where.account_id}:role/{role}"
    instance = spec.instance if not spec.is_local else DEFAULT_INSTANCE
    tags = {t["Key"]: t["Value"] for t in git_tags(spec.script)}
    tags.update(spec.tags)
    return Target(image, role, output_root, instance, tuple(tags.items()))


def _backend(spec: JobSpec, where: Where):
    if spec.is_local:
        from .backends.local import LocalBackend

        return LocalBackend(docker=spec.docker, profile=spec.profile)
    from .backends.sagemaker import SageMakerBackend

    return SageMakerBackend(where.aws)


def _resolve_s3_inputs(spec: JobSpec, where: Where, backend) -> dict[str, tuple[str, bool]]:
    """Input name -> (S3 URI, names one object) for inputs already on S3 (or job outputs)."""
    resolved: dict[str, tuple[str, bool]] = {}
    for spec_input in spec.inputs:
        if spec_input.is_local:
            continue
        uri = spec_input.source
        if uri.startswith("job://"):
            from .lineage import resolve_job_input

            resolved[spec_input.name] = (
                resolve_job_input(uri, backend, flag=spec_input.flag),
                False,
            )
            continue
        if _is_local_store(uri):
            from .localstore import local_store_path

            path = local_store_path(uri)
            if not path.exists():
                raise UserError(
                    f"{uri} does not exist in the local store",
                    flag=spec_input.flag,
                    fix="check the URI",
                )
            resolved[spec_input.name] = (uri, path.is_file())
        elif where.aws is None:  # dry run without credentials: cannot look
            resolved[spec_input.name] = (uri, False)
        else:
            from .s3objects import s3_input_kind

            resolved[spec_input.name] = (
                uri,
                s3_input_kind(where.session, uri, flag=spec_input.flag),
            )
    return resolved


def _bucket(uri: str) -> str:
    return uri[len("s3://") :].split("/", 1)[0]


def _request_buckets(request: dict[str, Any]) -> set[str]:
    uris = [i["S3Input"]["S3Uri"] for i in request.get("ProcessingInputs", [])]
    uris += [
        o["S3Output"]["S3Uri"] for o in request.get("ProcessingOutputConfig", {}).get("Outputs", [])
    ]
    return {_bucket(u) for u in uris}


def _stage(trees, staging_root: str, spec: JobSpec, where: Where) -> None:
    from .staging import ensure_bucket, upload_trees

    if not _is_local_store(staging_root + "/"):
        ensure_bucket(staging_root, session=where.session, region=where.region)
    report = upload_trees(trees, staging_root, session=where.session)
    print(report.summary(), file=sys.stderr)


def _announce(spec: JobSpec, where: Where, request: dict[str, Any], backend) -> None:
    name = spec.job_name
    print(f"created processing job {name}", file=sys.stderr)
    if spec.is_local:
        print(f"  follow: aws-sagemaker-remote jobs logs -f --local {name}", file=sys.stderr)
    else:
        region = where.region
        console = f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}"
        print(f"  console: {console}#/processing-jobs/{name}", file=sys.stderr)
        print(
            f"  logs: https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logsV2:log-groups/log-group/$252Faws$252Fsagemaker$252FProcessingJobs"
            f"$3FlogStreamNameFilter$3D{name}",
            file=sys.stderr,
        )
    for output in request.get("ProcessingOutputConfig", {}).get("Outputs", []):
        print(f"  output {output['OutputName']}: {output['S3Output']['S3Uri']}", file=sys.stderr)


def _write_description(spec: JobSpec, backend) -> dict[str, Any] | None:
    if not spec.output_json:
        return None
    description = backend.describe_job(spec.job_name)
    with open(spec.output_json, "w") as out:
        json.dump(description, out, indent=2, default=str)
    return description


def _wait(spec: JobSpec, where: Where, backend, request: dict[str, Any]) -> dict[str, Any]:
    from .follow import check_outcome, follow_job

    lines: list[str] = []
    poll = 0.2 if spec.is_local else 5.0
    description = follow_job(backend, spec.job_name, poll_seconds=poll, last_lines=lines)
    if spec.output_json:
        with open(spec.output_json, "w") as out:
            json.dump(description, out, indent=2, default=str)
    check_outcome(description, lines)
    _fetch_outputs(spec, where, request)
    return description


def _fetch_outputs(spec: JobSpec, where: Where, request: dict[str, Any]) -> None:
    from .downloads import download_prefix, list_prefix

    uris = {
        o["OutputName"]: o["S3Output"]["S3Uri"]
        for o in request.get("ProcessingOutputConfig", {}).get("Outputs", [])
    }
    for output in spec.outputs:
        uri = uris[output.name]
        if output.local and spec.download:
            count = download_prefix(where.session, uri, output.local)
            print(
                f"output {output.name}: {count} files downloaded to {output.local}", file=sys.stderr
            )
        else:
            listed = list_prefix(where.session, uri, limit=LISTED_OBJECTS + 1)
            print(f"output {output.name}: {uri}", file=sys.stderr)
            for item in listed[:LISTED_OBJECTS]:
                print(f"  {item.uri} ({item.size} bytes)", file=sys.stderr)
            if len(listed) > LISTED_OBJECTS:
                print("  ...", file=sys.stderr)


__all__ = ["run_remotely"]
