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

from .errors import KeywordError
from .events import Sink
from .handle import Job
from .job.spec import JobSpec, build_spec
from .job.values import writable_file
from .keywords import SETTING_NAMES, check_keywords
from .settings import blame_environment, resolve

# Settings that say how a command-line run is driven; the API has its own words for them.
_NOT_KEYWORDS = {
    "run": "submit() always submits",
    "dry_run": "use request() to get the request without submitting",
    "script": "pass the script as the first argument",
}
_KEYWORDS = (SETTING_NAMES - set(_NOT_KEYWORDS)) | {
    "inputs",
    "outputs",
    "modules",
    "arguments",
    "on_event",
}


def _checked(surface: str, keywords: dict[str, Any]) -> dict[str, Any]:
    """The keywords of ``submit`` or ``request``, each of a type it takes (keywords.py)."""
    for name, why in _NOT_KEYWORDS.items():
        if name in keywords:
            raise KeywordError(f"{name}= is not a keyword of the Python API: {why}")
    return check_keywords(keywords, surface, _KEYWORDS)


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

    if not isinstance(script, (str, os.PathLike)):
        raise KeywordError(f"takes a path (str or os.PathLike); got {script!r}", field="script")
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
            arguments=list(arguments),
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
    from . import jobs

    given = dict(settings, inputs=inputs, outputs=outputs, modules=modules)
    checked = _checked("submit", dict(given, arguments=arguments, wait=wait, on_event=on_event))
    wait = checked.pop("wait")
    inputs, outputs, modules = checked.pop("inputs"), checked.pop("outputs"), checked.pop("modules")
    arguments, on_event = checked.pop("arguments"), checked.pop("on_event")
    spec, values, origins = _spec(script, inputs, outputs, modules, arguments, checked)
    with blame_environment(origins):
        job = jobs.submit(spec, on_event=on_event)
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
    from . import jobs
    from .events import emit

    given = dict(settings, inputs=inputs, outputs=outputs, modules=modules)
    checked = _checked("request", dict(given, arguments=arguments, on_event=on_event))
    inputs, outputs, modules = checked.pop("inputs"), checked.pop("outputs"), checked.pop("modules")
    arguments, on_event = checked.pop("arguments"), checked.pop("on_event")
    spec, _, origins = _spec(script, inputs, outputs, modules, arguments, checked)
    with blame_environment(origins):
        submission = jobs.prepare(spec, dry_run=True)
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
    checked = check_keywords(
        {"name": name, "local": local, "profile": profile, "on_event": on_event},
        "attach",
        {"name", "local", "profile", "on_event"},
    )
    name, local, profile = checked["name"], checked["local"], checked["profile"]
    backend = backend_for(local=local, profile=profile)
    aws = getattr(backend, "ctx", None)  # SageMaker's account, reused for S3 downloads
    job = Job(name, backend, aws=aws, profile=profile, on_event=on_event)
    job.describe()
    return job


def backend_for(*, local: bool, profile: str | None) -> Any:
    """The local engine, or SageMaker through the profile's account and region."""
    if local:
        from .backends.local import LocalBackend

        return LocalBackend(profile=profile)
    from .aws.session import resolve_aws
    from .backends.sagemaker import SageMakerBackend

    return SageMakerBackend(resolve_aws(profile))


__all__ = ["attach", "request", "submit"]
