"""The remote path: JobSpec -> staged channels -> CreateProcessingJob -> follow -> outputs.

Everything that can be checked is checked before anything is created or uploaded: the
spec, the S3 inputs and job:// references, the request against the service model and what
the backend itself refuses. Then, in order: the staging bucket, the role, the upload, the
job. The same function drives SageMaker and the local engine; only the
backend and the staging location differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from .errors import Interrupted, UserError, render_fields
from .job.request import Target, check_request, render_request
from .job.spec import JobSpec, build_spec, check_overlaps
from .processing.args import DEFAULT_INSTANCE, Channels, flag_for_field
from .storage.localstore import LOCAL_STORE_BUCKET
from .storage.store import needs_aws as _needs_aws

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
    notes: list[str] = field(default_factory=list)  # what a dry run had to guess

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
    created: list[str] = []
    try:
        return _submit(spec, created)
    except KeyboardInterrupt:
        if created:
            raise Interrupted(
                f"interrupted; job {spec.job_name} was created and keeps running "
                f"(follow: aws-sagemaker-remote jobs logs -f{' --local' if spec.is_local else ''} "
                f"{spec.job_name})"
            ) from None
        raise Interrupted(
            "interrupted before the job was created; nothing was submitted "
            "(files already staged are kept and not uploaded again)"
        ) from None


def _submit(spec: JobSpec, created: list[str]) -> dict[str, Any] | None:
    check_overlaps(spec)
    local_backend = _backend(spec, None) if spec.is_local else None
    sources = _input_sources(spec, local_backend)
    where = _where(spec, sources)
    backend = local_backend or (_backend(spec, where) if where.aws else None)
    staging_root = _staging_root(spec, where)
    s3_inputs = _resolve_s3_inputs(spec, sources, where, backend)

    from .job.channels import plan_channels

    plan = plan_channels(spec, staging_root, s3_inputs)
    target = _target(spec, where, _output_root(spec, where))
    rendered = render_request(spec, plan.channels, target)
    check_request(rendered)
    if backend is not None:
        backend.check_request(rendered.request)  # what only this backend refuses (Docker...)
    if spec.dry_run:
        for note in where.notes:
            print(f"dry run: {render_fields(note, flag_for_field)}", file=sys.stderr)
        print(json.dumps(rendered.request, indent=2))
        return None

    if where.aws:
        from .aws.buckets import check_output_buckets

        check_output_buckets(
            _foreign_outputs(spec, staging_root), session=where.session, region=where.region
        )
    from .storage.store import check_location, prepare_root

    for output in spec.outputs:
        if output.s3:
            check_location(
                output.s3, output.field if output.local is None else f"{output.field}.s3"
            )
    prepare_root(staging_root, session=where.session, region=where.region)
    if where.aws and not spec.is_local:
        from .aws.role_policy import request_access
        from .aws.roles import resolve_role

        role_arn = resolve_role(
            where.aws,
            spec.role,
            access=request_access(rendered.request, staging_root),
            notify=lambda line: print(line, file=sys.stderr),
        )
        if role_arn != target.role_arn:
            target = Target(
                target.image, role_arn, target.output_root, target.instance_type, target.tags
            )
            rendered = render_request(spec, plan.channels, target)
    _stage(plan.trees, staging_root, where)
    backend.create_job(rendered.request)
    created.append(spec.job_name)
    _announce(spec, where, rendered.request)
    if not spec.wait:
        if spec.output_json:
            _write_json(spec.output_json, backend.describe_job(spec.job_name))
        return None
    return _wait(spec, where, backend, rendered.request)


def _input_sources(spec: JobSpec, local_backend) -> dict[str, str]:
    """Input name -> where its data is: a local path, an S3 URI, or a still open job:// URI.

    The local engine answers ``job://`` for its own jobs, with no AWS involved.
    """
    sources = {}
    for spec_input in spec.inputs:
        source = spec_input.source
        if local_backend is not None and source.startswith("job://"):
            from .job.lineage import resolve_job_input

            source = resolve_job_input(source, local_backend, field=spec_input.field)
        sources[spec_input.name] = source
    return sources


def _where(spec: JobSpec, sources: dict[str, str]) -> Where:
    """The account and region, from AWS only when something of the run lives there."""
    from .aws.session import peek_aws, resolve_aws

    remote_data = [u for u in sources.values() if u.startswith(("s3://", "job://"))]
    remote_data += [o.s3 for o in spec.outputs if o.s3]
    needs_aws = not spec.is_local or bool(spec.s3_prefix) or any(_needs_aws(u) for u in remote_data)
    if not needs_aws:
        return Where(PLACEHOLDER_REGION, PLACEHOLDER_ACCOUNT)
    if not spec.dry_run:
        aws = resolve_aws(spec.profile)
        return Where(aws.region, aws.account_id, aws)
    if spec.profile:
        from .aws.session import session_for

        session_for(spec.profile)  # an unknown profile is a mistake, not a placeholder
    region, account = peek_aws(spec.profile)
    if region and account:
        aws = resolve_aws(spec.profile)
        return Where(aws.region, aws.account_id, aws)
    unknown = " and ".join(w for w, v in (("region", region), ("account", account)) if not v)
    note = (
        f"AWS {unknown} unknown (no credentials or region); placeholders used: "
        f"region {region or PLACEHOLDER_REGION}, account {account or PLACEHOLDER_ACCOUNT}"
    )
    return Where(region or PLACEHOLDER_REGION, account or PLACEHOLDER_ACCOUNT, notes=[note])


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


def _output_root_of(where: Where, job_name: str) -> str:
    """Where a job of ours put its outputs by default (the dry run's guess for job://)."""
    return f"s3://sagemaker-{where.region}-{where.account_id}/aws-sagemaker-remote/jobs/{job_name}"


def _target(spec: JobSpec, where: Where, output_root: str) -> Target:
    from .aws.gittags import git_tags
    from .aws.images import default_image

    image = spec.image or default_image(where.region)
    role = spec.role
    if not role.startswith("arn:"):
        from .aws.session import partition_of

        role = f"arn:{partition_of(where.region)}:iam::{where.account_id}:role/{role}"
    instance = spec.instance if not spec.is_local else DEFAULT_INSTANCE
    tags = {t["Key"]: t["Value"] for t in git_tags(spec.script)}
    tags.update(spec.tags)
    return Target(image, role, output_root, instance, tuple(tags.items()))


def _backend(spec: JobSpec, where: Where | None):
    if spec.is_local:
        from .backends.local import LocalBackend

        return LocalBackend(docker=spec.docker, profile=spec.profile)
    from .backends.sagemaker import SageMakerBackend

    return SageMakerBackend(where.aws)


def _resolve_s3_inputs(
    spec: JobSpec, sources: dict[str, str], where: Where, backend
) -> dict[str, tuple[str, bool]]:
    """Input name -> (S3 URI, names one object) for inputs already on S3 (or job outputs)."""
    resolved: dict[str, tuple[str, bool]] = {}
    for spec_input in spec.inputs:
        uri = sources[spec_input.name]
        if spec_input.is_local:
            continue
        if uri.startswith("job://"):
            if backend is None:  # a dry run without AWS: where our jobs put their outputs
                from .job.lineage import parse_job_uri

                job, output, inside = parse_job_uri(uri, spec_input.field)
                guess = "/".join(p for p in (_output_root_of(where, job), output, inside) if p)
                resolved[spec_input.name] = (guess if inside else guess + "/", False)
                where.notes.append(
                    f"{{{{{spec_input.field}}}}} {uri} assumed at its default location"
                )
                continue
            from .job.lineage import resolve_job_input

            uri = resolve_job_input(uri, backend, field=spec_input.field)
        if where.aws is None and _needs_aws(uri):  # a dry run without credentials cannot look
            resolved[spec_input.name] = (_as_directory(uri), False)
            where.notes.append(f"{{{{{spec_input.field}}}}} {uri} not checked; assumed a directory")
        else:
            session = where.session if _needs_aws(uri) else None
            resolved[spec_input.name] = _s3_input(session, uri, spec_input.field)
    return resolved


def _as_directory(uri: str) -> str:
    """A directory's prefix ends in "/": SageMaker delivers every key starting with an
    S3Prefix, so ``s3://b/clean`` would bring ``clean_v2/...`` along."""
    return uri if uri.endswith("/") else uri + "/"


def _s3_input(session, uri: str, field: str) -> tuple[str, bool]:
    """(the URI to send, names one object): one object as given, a directory with "/"."""
    from .storage.s3objects import s3_input_kind

    is_object = s3_input_kind(session, uri, field=field)
    if is_object or uri.endswith("/"):
        return uri, is_object
    try:
        s3_input_kind(session, _as_directory(uri), field=field)
    except UserError:  # no such directory: a key prefix ending inside a name (s3://b/data/tr)
        print(
            f"note: {uri} is neither an object nor a directory; the job gets every key "
            "that starts with it",
            file=sys.stderr,
        )
        return uri, False
    return _as_directory(uri), False


def _bucket(uri: str) -> str:
    return uri[len("s3://") :].split("/", 1)[0]


def _foreign_outputs(spec: JobSpec, staging_root: str) -> list[tuple[str, str]]:
    """(field, URI) of outputs given as S3 URIs outside the staging bucket and the local
    store: their buckets must exist before the job does."""
    found = []
    for output in spec.outputs:
        uri = output.s3
        if uri and _needs_aws(uri) and _bucket(uri) != _bucket(staging_root):
            found.append((output.field if output.local is None else f"{output.field}.s3", uri))
    return found


def _stage(trees, staging_root: str, where: Where) -> None:
    from .cli.progress import ProgressPrinter
    from .storage.hashcache import take_notes
    from .storage.staging import upload_trees

    for note in take_notes():
        print(f"note: {note}", file=sys.stderr)
    report = upload_trees(trees, staging_root, session=where.session, progress=ProgressPrinter())
    print(report.summary(), file=sys.stderr)


def _announce(spec: JobSpec, where: Where, request: dict[str, Any]) -> None:
    name = spec.job_name
    print(f"created processing job {name}", file=sys.stderr)
    local = " --local" if spec.is_local else ""
    print(f"  follow: aws-sagemaker-remote jobs logs -f{local} {name}", file=sys.stderr)
    if not spec.is_local:
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


def _write_json(path: str, description: dict[str, Any]) -> None:
    from .backends import to_json

    with open(path, "w") as out:
        out.write(to_json(description) + "\n")


def _wait(spec: JobSpec, where: Where, backend, request: dict[str, Any]) -> dict[str, Any]:
    from .cli.follow import check_outcome, follow_job

    lines: list[str] = []
    poll = 0.05 if spec.is_local else 5.0  # a local describe is one SQLite read
    description = follow_job(backend, spec.job_name, poll_seconds=poll, last_lines=lines)
    if spec.output_json:
        _write_json(spec.output_json, description)
    check_outcome(description, lines)
    _fetch_outputs(spec, where, request)
    return description


def _fetch_outputs(spec: JobSpec, where: Where, request: dict[str, Any]) -> None:
    from .storage.downloads import download_prefix, list_prefix

    uris = {
        o["OutputName"]: o["S3Output"]["S3Uri"]
        for o in request.get("ProcessingOutputConfig", {}).get("Outputs", [])
    }
    for output in spec.outputs:
        uri = uris[output.name]
        if output.local and spec.download:
            from .cli.progress import ProgressPrinter

            report = download_prefix(where.session, uri, output.local, progress=ProgressPrinter())
            for line in report.lines(f"output {output.name}", output.local):
                print(line, file=sys.stderr)
        else:
            listed = list_prefix(where.session, uri, limit=LISTED_OBJECTS + 1)
            print(f"output {output.name}: {uri}", file=sys.stderr)
            for item in listed[:LISTED_OBJECTS]:
                print(f"  {item.uri} ({item.size} bytes)", file=sys.stderr)
            if len(listed) > LISTED_OBJECTS:
                print("  ...", file=sys.stderr)


__all__ = ["run_remotely"]
