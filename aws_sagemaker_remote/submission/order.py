"""The order of a submission: JobSpec -> checked request -> bucket, role, upload, job.

Everything that can be checked is checked before anything is created or uploaded
(:func:`prepare`: the spec, the S3 inputs and job:// references, the request against the
service model and what the backend itself refuses). Then, in order (:func:`submit`): the
staging bucket, the role, the upload, the job. The same functions drive SageMaker and the
local engine; only the backend and the staging location differ. Nothing here prints:
what there is to say goes to the caller's ``on_event``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from ..errors import Interrupted
from ..events import Sink, emit
from ..job.request import Rendered, Target, check_request, render_request
from ..job.sharding import sharding_warnings
from ..job.spec import JobSpec, check_overlaps
from ..settings import DEFAULT_INSTANCE
from ..storage.localstore import LOCAL_STORE_BUCKET
from ..storage.stores import needs_aws as _needs_aws
from ..wording import jobs_command
from .backends import open_backend
from .handle import Job
from .inputs import resolve_s3_inputs
from .where import Where

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")

PLACEHOLDER_ACCOUNT = "000000000000"
PLACEHOLDER_REGION = "us-east-1"
LOCAL_STORE_ROOT = f"s3://{LOCAL_STORE_BUCKET}"
NOTHING_SUBMITTED = (
    "interrupted before the job was created; nothing was submitted "
    "(files already staged are kept and not uploaded again)"
)


class Submission(NamedTuple):
    """A job checked in full and ready to create: its request and what creating it takes."""

    spec: JobSpec
    where: Where
    backend: Any  # None only for a dry run that cannot reach AWS
    staging_root: str
    plan: Any  # ChannelPlan: the channels and the trees to stage
    target: Target
    rendered: Rendered
    warnings: list[str]  # said before anything is created
    # round trips that refuse or pass (the job name is free), made beside staging's look
    checks: list[Callable[[], object]]

    @property
    def request(self) -> dict[str, Any]:
        """The CreateProcessingJob request (what a dry run prints)."""
        return self.rendered.request

    @property
    def infos(self) -> list[str]:
        """What the user may like to know and need not act on: what ships as code."""
        return [self.plan.code_summary] if self.plan.code_summary else []

    @property
    def notes(self) -> list[str]:
        """What a dry run had to assume (no credentials, unchecked inputs)."""
        return self.where.notes


def prepare(spec: JobSpec, *, dry_run: bool = False) -> Submission:
    """Check everything that can be checked, with nothing uploaded and no job created:
    the spec's inputs, job:// references, the request against the service model, and what
    the backend itself refuses. ``dry_run`` guesses what it cannot look up."""
    check_overlaps(spec)
    for output in spec.outputs:
        if output.s3:  # (not imported for a run without one: role_policy has dataclasses)
            from ..aws.role_policy import check_output_uri

            check_output_uri(output.s3, _output_s3_field(output))
    engine = _backend(spec, None) if spec.on_local_engine else None
    sources = _input_sources(spec, engine)
    where = _where(spec, sources, dry_run)
    backend = engine or (_backend(spec, where) if where.aws else None)
    staging_root = _staging_root(spec, where)
    s3_inputs = resolve_s3_inputs(spec, sources, where, backend, partial(_output_root_of, where))

    from ..job.channels import plan_channels

    plan = plan_channels(spec, staging_root, s3_inputs)
    target = _target(spec, where, _output_root(spec, where))
    rendered = render_request(spec, plan.channels, target)
    check_request(rendered)
    warnings: list[str] = []
    checks: list[Callable[[], object]] = []
    if backend is not None and (dry_run or backend is engine):
        # what only this backend refuses (Docker...), and what it records but cannot apply
        warnings += backend.check_request(rendered.request) or []
    elif backend is not None:  # SageMaker: the job name is free (a round trip, no warning)
        checks.append(partial(backend.check_request, rendered.request))
    warnings += _warnings(spec, where, rendered.request)
    single = {name: 1 for name, found in s3_inputs.items() if found.is_object}
    warnings += sharding_warnings(spec, {**single, **(plan.file_counts or {})})
    return Submission(spec, where, backend, staging_root, plan, target, rendered, warnings, checks)


def submit(spec: JobSpec, *, on_event: Sink = None) -> Job:
    """Check; then look at what is staged while the job name, the output buckets and the
    role are checked beside it; the staging bucket made if the look found none; then the
    upload and the job. The Job."""
    from ..diskspace import reported_full
    from ..storage.hashcache import hashing_reported
    from ..storage.localstore import state_dir

    created: list[str] = []
    try:
        with reported_full(state_dir()):  # the state, the hash cache, the local store
            with hashing_reported(lambda progress: emit(on_event, "progress", "", progress)):
                submission = prepare(spec)  # hashes what is to be staged: seconds for gigabytes
            return _create(submission, created, on_event)
    except KeyboardInterrupt:
        if created:
            follow = jobs_command("logs -f", spec.job_name, local=spec.on_local_engine)
            raise Interrupted(
                f"interrupted; job {spec.job_name} was created and keeps running",
                hint=f"follow: {follow}",
            ) from None
        raise Interrupted(NOTHING_SUBMITTED) from None


def _create(submission: Submission, created: list[str], on_event: Sink) -> Job:
    spec, where, rendered = submission.spec, submission.where, submission.rendered
    for info in submission.infos:
        emit(on_event, "info", info)
    for warning in submission.warnings:
        emit(on_event, "warning", warning)
    for note in submission.notes:
        emit(on_event, "note", f"note: {note}")
    staging_root = submission.staging_root
    from ..storage.stores import check_location, prepare_root

    for output in spec.outputs:
        if output.s3:
            check_location(output.s3, _output_s3_field(output))
    mistakes = [*submission.checks]  # what a user got wrong: refused before any change
    if where.aws:  # a dry run does not look: the buckets may be made before the real run
        from ..storage.buckets import check_output_buckets

        foreign = _foreign_outputs(spec, staging_root)
        mistakes.append(
            partial(check_output_buckets, foreign, session=where.session, region=where.region)
        )
    bucket = partial(prepare_root, staging_root, session=where.session, region=where.region)
    role: _RoleLookup | None = None
    beside: _Beside | None = None
    make_bucket: Callable[[], None] | None = None
    if where.aws and not spec.on_local_engine:
        role = _RoleLookup(submission, on_event)
        beside = _Beside(mistakes, role)
        make_bucket = bucket  # only when the look finds none, and after the checks passed
    else:  # the local engine's store answers at once: nothing to overlap
        for check in mistakes:
            check()
        bucket()
    from ..storage.hashcache import take_notes
    from ..storage.staging import upload_trees

    with _store_held(staging_root, submission.plan.trees):  # a prune keeps them meanwhile
        report = upload_trees(
            submission.plan.trees,
            staging_root,
            session=where.session,
            progress=lambda progress: emit(on_event, "progress", "", progress),
            while_looking=beside.start if beside else None,
            before_upload=beside.passed if beside else None,  # all checked while staging looks
            make_bucket=make_bucket,
        )
        if role is not None and role.arn != submission.target.role_arn:
            target = submission.target._replace(role_arn=role.arn)
            rendered = render_request(spec, submission.plan.channels, target)
        for note in take_notes():  # e.g. a corrupt hash cache was rebuilt
            emit(on_event, "note", f"note: {note}")
        emit(on_event, "staged", report.summary(), report)
        submission.backend.create_job(rendered.request)
        created.append(spec.job_name)
    if role is not None and role.managed:
        from ..aws.role_grants import confirm_grants

        confirm_grants(
            where.aws, role.arn, role.access, lambda line: emit(on_event, "role", line), role.extra
        )
    emit(on_event, "created", f"created processing job {spec.job_name}", rendered.request)
    return Job(
        spec.job_name,
        submission.backend,
        aws=where.aws,
        profile=spec.profile,
        local_outputs={o.name: o.download_dir for o in spec.outputs if o.download_dir},
        on_event=on_event,
    )


def _store_held(staging_root: str, trees: list[Any]) -> Any:
    """A lease on the trees a submission stages into the local store, until its job is
    recorded (see :mod:`.storage.leases`); nothing to hold for S3."""
    from contextlib import nullcontext

    if _needs_aws(staging_root):
        return nullcontext()
    from ..storage.leases import tree_lease

    return tree_lease(tree.digest for tree in trees)


def _on_thread(call: Callable[[], T], name: str) -> Future[T]:
    """``call`` started on a thread of its own, which ends with it: round trips to AWS made
    while staging looks at what is stored (the look needs none of them)."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix=name)
    future = pool.submit(call)
    pool.shutdown(wait=False)
    return future


class _Beside:
    """What a submission asks AWS while staging looks at what is stored (neither needs the
    other): the user's mistakes (job name, output buckets) on one thread, the role on
    another (its changes wait for the mistakes' checks). Started once the look is under way,
    so that their CPU does not delay its requests; :meth:`passed` raises what a check
    raised, with nothing sent or made yet."""

    def __init__(self, mistakes: list[Callable[[], object]], role: _RoleLookup):
        self.mistakes, self.role = mistakes, role
        self.checked: Future[list[object]] | None = None

    def start(self) -> Future[list[object]]:
        if self.checked is None:
            self.checked = _on_thread(lambda: [check() for check in self.mistakes], "asr-checks")
            self.role.start(after=self.checked.result)
        return self.checked

    def passed(self) -> None:
        self.start().result()  # (a look that never began still checks)
        self.role.result()


class _RoleLookup:
    """The job's role, resolved (created, its grants replaced) on a thread of its own while
    staging looks at what is already stored. :meth:`result` waits for it, and says what
    changed, before any upload."""

    def __init__(self, submission: Submission, on_event: Sink):
        from ..aws.manifests import manifest_listings
        from ..aws.role_policy import request_access
        from ..aws.roles import account_statements
        from ..storage.trees import tree_uri

        self.spec, self.where = submission.spec, submission.where
        request, root = submission.rendered.request, submission.staging_root
        staged = {
            tree_uri(root, tree) + entry.relpath: entry.source
            for tree in submission.plan.trees
            if len(tree.entries) == 1
            for entry in tree.entries
        }  # a manifest is staged as a tree of its own, not uploaded yet
        listed = manifest_listings(request, self.where.session, local=staged)
        self.access = request_access(request, root, listed)
        self.extra = account_statements(self.where.aws, self.spec)
        self.on_event = on_event
        self.lines: list[str] = []  # created, granted, replaced: said in result()
        self.arn, self.managed = "", False
        self.future: Future[tuple[str, bool]] | None = None

    def start(self, *, after: Callable[[], object]) -> None:
        """Resolve on a thread now: the reads go at once, but nothing is created or changed
        before ``after`` (the user's mistakes) passed."""
        from ..aws.roles import resolve_job_role

        def resolve() -> tuple[str, bool]:
            return resolve_job_role(
                self.where.aws,
                self.spec.role,
                access=self.access,
                extra=self.extra,
                notify=self.lines.append,
                before_change=after,
            )

        self.future = _on_thread(resolve, "asr-role")

    def result(self) -> None:
        assert self.future is not None  # started by _Beside.start
        self.arn, self.managed = self.future.result()
        for line in self.lines:
            emit(self.on_event, "role", line)


def _warnings(spec: JobSpec, where: Where, request: dict[str, Any]) -> list[str]:
    """What SageMaker may refuse after the job is created: an image outside the region's
    ECR, a role of another account or partition (said before anything is created)."""
    if spec.on_local_engine:
        return []
    from ..aws.images import image_warning
    from ..aws.partitions import partition_of
    from ..aws.roles import role_warning

    found = [image_warning(request["AppSpecification"]["ImageUri"], where.region)]
    if where.aws is not None:  # a placeholder account says nothing about the role's
        found.append(role_warning(request["RoleArn"], where.account_id, partition_of(where.region)))
    return [w for w in found if w]


def _input_sources(spec: JobSpec, local_backend) -> dict[str, str]:
    """Input name -> where its data is: a local path, an S3 URI, or a still open job:// URI.

    The local engine answers ``job://`` for its own jobs, with no AWS involved.
    """
    sources = {}
    for spec_input in spec.inputs:
        source = spec_input.source
        if local_backend is not None and source.startswith("job://"):
            from ..job.lineage import resolve_job_input

            source = resolve_job_input(source, local_backend, field=spec_input.field)
        sources[spec_input.name] = source
    return sources


def _where(spec: JobSpec, sources: dict[str, str], dry_run: bool) -> Where:
    """The account and region, from AWS only when something of the run lives there."""
    remote_data = [u for u in sources.values() if u.startswith(("s3://", "job://"))]
    remote_data += [o.s3 for o in spec.outputs if o.s3]
    needs_aws = (
        not spec.on_local_engine or bool(spec.s3_prefix) or any(_needs_aws(u) for u in remote_data)
    )
    if not needs_aws:
        if spec.profile:  # the job's credentials come from it: a typo is a mistake now
            from ..aws.session import session_for

            session_for(spec.profile)
        return Where(PLACEHOLDER_REGION, PLACEHOLDER_ACCOUNT)
    from ..aws.session import peek_aws, resolve_aws
    from ..boto import session_for

    if not dry_run:
        instead = None if spec.on_local_engine else "{{instance}} local to run on this machine"
        aws = resolve_aws(spec.profile, instead=instead)
        return Where(aws.region, aws.account_id, aws)
    if spec.profile:
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
    if spec.on_local_engine:
        return f"{LOCAL_STORE_ROOT}/staging"
    return f"s3://sagemaker-{where.region}-{where.account_id}/aws-sagemaker-remote"


def _output_root(spec: JobSpec, where: Where) -> str:
    if spec.on_local_engine and not spec.s3_prefix:
        return f"{LOCAL_STORE_ROOT}/jobs/{spec.job_name}"
    return f"{_staging_root(spec, where)}/jobs/{spec.job_name}"


def _output_root_of(where: Where, job_name: str) -> str:
    """Where a job of ours put its outputs by default (the dry run's guess for job://)."""
    return f"s3://sagemaker-{where.region}-{where.account_id}/aws-sagemaker-remote/jobs/{job_name}"


def _target(spec: JobSpec, where: Where, output_root: str) -> Target:
    from ..aws.gittags import git_tags
    from ..aws.images import default_image

    image = spec.image or default_image(where.region)
    role = spec.role
    if not role.startswith("arn:"):
        from ..aws.partitions import partition_of

        role = f"arn:{partition_of(where.region)}:iam::{where.account_id}:role/{role}"
    instance = spec.instance if not spec.on_local_engine else DEFAULT_INSTANCE
    tags = {t["Key"]: t["Value"] for t in git_tags(spec.script)}
    tags.update(spec.tags)
    return Target(image, role, output_root, instance, tuple(tags.items()))


def _backend(spec: JobSpec, where: Where | None):
    if spec.on_local_engine:
        return open_backend(
            local=True,
            profile=spec.profile,
            docker=spec.docker,
            host_credentials=spec.local_host_credentials,
        )
    assert where is not None  # only the local engine's backend is made before the account
    return open_backend(local=False, aws=where.aws)


def _bucket(uri: str) -> str:
    return uri[len("s3://") :].split("/", 1)[0]


def _output_s3_field(output: Any) -> str:
    """The field naming where an output lands on S3 (``--NAME-s3`` when it also downloads)."""
    return output.field if output.download_dir is None else f"{output.field}.s3"


def _foreign_outputs(spec: JobSpec, staging_root: str) -> list[tuple[str, str]]:
    """(field, URI) of outputs given as S3 URIs outside the staging bucket and the local
    store: their buckets must exist before the job does."""
    found = []
    for output in spec.outputs:
        uri = output.s3
        if uri and _needs_aws(uri) and _bucket(uri) != _bucket(staging_root):
            found.append((_output_s3_field(output), uri))
    return found


__all__ = ["Submission", "prepare", "submit"]
