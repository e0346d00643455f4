"""The Python API: ``submit``, ``attach`` and ``request``, keywords instead of flags.

Every ``--sagemaker-*`` setting is a keyword of the same name (``instance=``,
``s3_prefix=``), with the same code defaults and the same ``AWS_SAGEMAKER_REMOTE_*``
environment defaults; channels have the meaning they have in ``sagemaker_processing_main``.
The keywords go through the same spec builder as the command line, so both front ends
describe a job identically. Nothing here prints; pass ``on_event`` to hear progress.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from .events import Sink
from .job.spec import JobSpec, build_spec
from .job.values import writable_file
from .settings import blame_environment, resolve
from .submission.handle import Job

# Settings that say how a command-line run is driven; the API has its own words for them.
_NOT_KEYWORDS = {
    "run": "submit() always submits",
    "dry_run": "use request() to get the request without submitting",
    "script": "pass the script as the first argument",
}


def _spec(
    script: str | os.PathLike,
    inputs: Mapping[str, Any] | None,
    outputs: Mapping[str, Any] | None,
    modules: Mapping[str, Any] | None,
    arguments: Sequence[str],
    settings: dict[str, Any],
) -> tuple[JobSpec, dict[str, Any], dict[str, str]]:
    """The JobSpec of keyword settings, the resolved settings and where each came from."""
    from .processing.args import Channels, check_channel_names, script_stem

    for name, why in _NOT_KEYWORDS.items():
        if name in settings:
            raise TypeError(f"{name}= is not a keyword of the Python API: {why}")
    if isinstance(arguments, str):
        raise TypeError("arguments= is a list of strings, e.g. ['--min-count', '2']")
    script = os.fspath(script)
    given = {"script": script, **settings}
    explicit = {name for name, value in given.items() if value is not None}
    values, origins = resolve(given, {"base_job_name": script_stem(script)})
    declared = {"inputs": dict(inputs or {}), "outputs": dict(outputs or {})}
    declared["modules"] = dict(modules or {})
    check_channel_names(declared)
    channels = Channels(declared["inputs"], declared["outputs"], declared["modules"])
    with blame_environment(origins):
        spec = build_spec(
            values,
            inputs=channels.inputs,
            outputs=channels.outputs,
            modules=channels.modules,
            arguments=[str(a) for a in arguments],
            explicit=explicit | {n for n, o in origins.items() if o == "environment"},
        )
        writable_file(values.get("output_json"), "output_json")
    return spec, values, origins


def submit(
    script: str | os.PathLike,
    *,
    inputs: Mapping[str, Any] | None = None,
    outputs: Mapping[str, Any] | None = None,
    modules: Mapping[str, Any] | None = None,
    arguments: Sequence[str] = (),
    wait: bool = False,
    on_event: Sink = None,
    **settings: Any,
) -> Job:
    """Submit ``script`` as a processing job (``instance="local"``: on this machine).

    Everything is checked before anything is uploaded or created; a mistake raises
    :class:`~aws_sagemaker_remote.errors.UserError` naming the keyword. With ``wait=True``
    the call returns when the job has ended, raises
    :class:`~aws_sagemaker_remote.errors.JobFailed` unless it completed, and downloads the
    outputs given as local paths (unless ``download=False``).
    """
    from .submission import order

    spec, values, origins = _spec(script, inputs, outputs, modules, arguments, settings)
    with blame_environment(origins):
        job = order.submit(spec, on_event=on_event)
    output_json = values.get("output_json")
    if not wait:
        if output_json:
            job.write_description(os.path.abspath(output_json))
        return job
    description = job.follow()
    if output_json:
        job.write_description(os.path.abspath(output_json), description)
    failure = job.failure(description)
    if failure is not None:
        raise failure
    if values.get("download") and job.local_outputs:
        job.download()
    return job


def request(
    script: str | os.PathLike,
    *,
    inputs: Mapping[str, Any] | None = None,
    outputs: Mapping[str, Any] | None = None,
    modules: Mapping[str, Any] | None = None,
    arguments: Sequence[str] = (),
    on_event: Sink = None,
    **settings: Any,
) -> dict[str, Any]:
    """The CreateProcessingJob request :func:`submit` would send (what a dry run prints).

    Nothing is uploaded and no job is created. Without AWS credentials the account and
    region are placeholders; each such assumption is an ``on_event`` note.
    """
    from .events import emit
    from .submission import order

    spec, _, origins = _spec(script, inputs, outputs, modules, arguments, settings)
    with blame_environment(origins):
        submission = order.prepare(spec, dry_run=True)
    for warning in submission.warnings:
        emit(on_event, "warning", warning)
    for note in submission.notes:
        emit(on_event, "note", note)
    return submission.request


def attach(
    name: str, *, local: bool = False, profile: str | None = None, on_event: Sink = None
) -> Job:
    """A :class:`Job` for an existing job: on SageMaker, or on the local engine with
    ``local=True``. Raises :class:`~aws_sagemaker_remote.errors.NotFound` if there is none."""
    backend = backend_for(local=local, profile=profile)
    aws = getattr(backend, "ctx", None)  # SageMaker's account, reused for S3 downloads
    job = Job(name, backend, aws=aws, profile=profile, on_event=on_event)
    job.describe()
    return job


def backend_for(*, local: bool, profile: str | None) -> Any:
    """The local engine, or SageMaker through the profile's account and region."""
    from .submission.backends import open_backend

    return open_backend(local=local, profile=profile)


__all__ = ["attach", "request", "submit"]
