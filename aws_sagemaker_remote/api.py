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
from .job.spec import JobSpec, build_spec
from .job.values import writable_file
from .keywords import SETTING_NAMES, check_keywords
from .settings import blame_environment, resolve
from .submission.handle import Job

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


# Settings that place channels by name; run_script places each channel by its key.
_PLACED_BY_KEY = ("input_mount", "output_mount", "module_mount")


def job_spec(
    script: str | os.PathLike,
    inputs: Mapping[str, Any] | None,
    outputs: Mapping[str, Any] | None,
    modules: Mapping[str, Any] | None,
    arguments: Sequence[str],
    settings: dict[str, Any],
    *,
    plain_script: bool = False,
) -> tuple[JobSpec, dict[str, Any], dict[str, str]]:
    """The JobSpec of keyword settings, the resolved settings and where each came from.

    ``plain_script``: channels are keyed by container path (:mod:`.job.container_channels`)
    and the script gets its arguments and nothing else."""
    from .processing.args import Channels, script_stem
    from .processing.channel_flags import check_channel_names

    if not isinstance(script, (str, os.PathLike)):
        raise KeywordError(f"takes a path (str or os.PathLike); got {script!r}", field="script")
    script = os.fspath(script)
    given = {"script": script, **settings}
    explicit = {name for name, value in given.items() if value is not None}
    values, origins = resolve(given, {"base_job_name": script_stem(script)})
    if plain_script:
        from .job.container_channels import container_channels

        for name in _PLACED_BY_KEY:
            if name in settings:
                raise KeywordError(
                    f"{name}= is not a keyword of run_script: key each channel by "
                    "its container path"
                )
        channels = Channels(
            container_channels(inputs, "input"), container_channels(outputs, "output"), {}
        )
    else:
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
            plain_script=plain_script,
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

    :param script: a script that calls
        :func:`~aws_sagemaker_remote.processing.sagemaker_processing_main` (for one that
        parses its own arguments, use :func:`run_script`).
    :param inputs: channel name -> a local file or directory, an ``s3://`` URI,
        ``job://JOB/OUTPUT`` or a :class:`~aws_sagemaker_remote.args.PathArgument`; the
        script receives each as its ``--NAME`` flag.
    :param outputs: channel name -> a local directory (downloaded there after a waited
        run), an ``s3://`` URI or a :class:`~aws_sagemaker_remote.args.PathArgument`.
    :param modules: name -> a package directory or ``.py`` file shipped with the script and
        put on ``PYTHONPATH``.
    :param arguments: the script's own arguments, before the channels' flags.
    :param wait: return only when the job has ended (see above).
    :param on_event: called with each :class:`~aws_sagemaker_remote.Event` (staging,
        creation, status, log lines) instead of printing.
    :param settings: every ``--sagemaker-*`` setting as a keyword of the same name:
        ``instance``, ``instance_count``, ``image``, ``role``, ``profile``, ``job_name``,
        ``base_job_name``, ``runtime_seconds``, ``volume_size``, ``python``,
        ``requirements``, ``configuration_script``, ``configuration_command``,
        ``s3_prefix``, ``env`` (a dict), ``tags`` (a dict), ``download``, ``output_json``,
        ``docker``, ``local_host_credentials``, ``follow_external_links``, ``subnets``,
        ``security_groups``, ``network_isolation``, ``inter_container_encryption``,
        ``volume_kms_key``, ``output_kms_key``, ``experiment``, ``trial``,
        ``experiment_run``, ``source_dir``, ``allow_secrets``, ``input_mount``,
        ``output_mount``, ``module_mount`` (:ref:`flags` says what each does). A setting
        left out takes its ``AWS_SAGEMAKER_REMOTE_<NAME>`` variable, then the code default.
    :returns: the :class:`Job`.
    """
    given = dict(settings, inputs=inputs, outputs=outputs, modules=modules)
    checked = _checked("submit", dict(given, arguments=arguments, wait=wait, on_event=on_event))
    wait = checked.pop("wait")
    inputs, outputs, modules = checked.pop("inputs"), checked.pop("outputs"), checked.pop("modules")
    arguments, on_event = checked.pop("arguments"), checked.pop("on_event")
    spec, values, origins = job_spec(script, inputs, outputs, modules, arguments, checked)
    _warn_if_plain(spec, on_event)
    return _submit(spec, values, origins, wait=wait, on_event=on_event)


def run_script(
    script: str | os.PathLike,
    *,
    inputs: Mapping[str, Any] | None = None,
    outputs: Mapping[str, Any] | None = None,
    arguments: Sequence[str] = (),
    wait: bool = False,
    on_event: Sink = None,
    **settings: Any,
) -> Job:
    """Run ``script`` unchanged as a processing job, as the SageMaker SDK's
    ``ScriptProcessor.run`` does: for a script that reads ``/opt/ml/processing/...`` itself
    and parses its own arguments (no ``sagemaker_processing_main``).

    :param script: the script to run; it ships with the local modules it imports (or all
        of ``source_dir=``).
    :param inputs: ``{"[NAME:]CONTAINER_PATH": SOURCE}``: SOURCE (a local file or
        directory, an ``s3://`` URI or ``job://JOB/OUTPUT``) is delivered into the
        directory CONTAINER_PATH, under ``/opt/ml/processing/`` (a file keeps its name).
        The channel is named after the path's last part unless NAME is given. A
        :class:`~aws_sagemaker_remote.args.PathArgument` as the value sets ``mode``,
        ``distribution`` and ``data_type`` too.
    :param outputs: ``{"[NAME:]CONTAINER_PATH": DESTINATION}``: what the script writes
        there goes to DESTINATION, an ``s3://`` URI, or a local directory (it lands on S3
        under the staging root, and a waited run downloads it there).
    :param arguments: the script's command line in the job, exactly: nothing is added.
    :param wait: return when the job has ended, as :func:`submit` does.
    :param on_event: called with each :class:`~aws_sagemaker_remote.Event` instead of
        printing.
    :param settings: every ``--sagemaker-*`` setting as a keyword (``instance="local"``,
        ``requirements=``, ``image=``...), as for :func:`submit`; but channels are placed
        by their keys, so there is no ``input_mount``, ``output_mount`` or
        ``module_mount``.
    :returns: the :class:`Job`; raises
        :class:`~aws_sagemaker_remote.errors.UserError` naming the keyword before anything
        is uploaded.
    """
    given = dict(settings, arguments=arguments, wait=wait, on_event=on_event)
    checked = _checked("run_script", given)
    wait = checked.pop("wait")
    arguments, on_event = checked.pop("arguments"), checked.pop("on_event")
    spec, values, origins = job_spec(
        script, inputs, outputs, None, arguments, checked, plain_script=True
    )
    return _submit(spec, values, origins, wait=wait, on_event=on_event)


def run_script_request(
    script: str | os.PathLike,
    *,
    inputs: Mapping[str, Any] | None = None,
    outputs: Mapping[str, Any] | None = None,
    arguments: Sequence[str] = (),
    on_event: Sink = None,
    **settings: Any,
) -> dict[str, Any]:
    """The CreateProcessingJob request :func:`run_script` would send, as :func:`request`
    gives :func:`submit`'s: nothing uploaded, no job created.

    :param script: as for :func:`run_script`.
    :param inputs: as for :func:`run_script`.
    :param outputs: as for :func:`run_script`.
    :param arguments: as for :func:`run_script`.
    :param on_event: receives the warnings and the notes of assumptions.
    :param settings: as for :func:`run_script`.
    :returns: the request, as boto3 would send it.
    """
    given = dict(settings, arguments=arguments, on_event=on_event)
    checked = _checked("run_script_request", given)
    arguments, on_event = checked.pop("arguments"), checked.pop("on_event")
    spec, _, origins = job_spec(
        script, inputs, outputs, None, arguments, checked, plain_script=True
    )
    return _request(spec, origins, on_event)


def _submit(
    spec: JobSpec,
    values: dict[str, Any],
    origins: dict[str, str],
    *,
    wait: bool,
    on_event: Sink,
) -> Job:
    from .submission import order

    with blame_environment(origins):
        job = order.submit(spec, on_event=on_event)
    output_json = values.get("output_json")
    if wait and values.get("download"):
        from .submission.planned_downloads import record

        record(job.name, job.local_outputs)  # for jobs wait, if this wait is cut short
    if not wait:
        if output_json:
            job.write_description(os.path.abspath(output_json))
        return job
    job.finish(
        job.follow(),
        download=bool(values.get("download")),
        output_json=os.path.abspath(output_json) if output_json else None,
    )
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

    :param script: as for :func:`submit`.
    :param inputs: as for :func:`submit`.
    :param outputs: as for :func:`submit`.
    :param modules: as for :func:`submit`.
    :param arguments: as for :func:`submit`.
    :param on_event: receives the warnings and the notes of assumptions.
    :param settings: as for :func:`submit`.
    :returns: the request, as boto3 would send it.
    """
    given = dict(settings, inputs=inputs, outputs=outputs, modules=modules)
    checked = _checked("request", dict(given, arguments=arguments, on_event=on_event))
    inputs, outputs, modules = checked.pop("inputs"), checked.pop("outputs"), checked.pop("modules")
    arguments, on_event = checked.pop("arguments"), checked.pop("on_event")
    spec, _, origins = job_spec(script, inputs, outputs, modules, arguments, checked)
    _warn_if_plain(spec, on_event)
    return _request(spec, origins, on_event)


def _warn_if_plain(spec: JobSpec, on_event: Sink) -> None:
    """A script that never names sagemaker_processing_main most likely parses its own
    arguments, which the channels' flags :func:`submit` adds would break: say so, and what
    runs it unchanged. (One that calls it through a module of its own is only told.)"""
    try:
        with open(spec.script, encoding="utf-8", errors="replace") as source:
            if "sagemaker_processing_main" in source.read():
                return
    except OSError:
        return
    from .events import emit

    emit(
        on_event,
        "warning",
        f"{os.path.basename(spec.script)} does not call sagemaker_processing_main: its job "
        "gets each channel as --NAME PATH and --sagemaker-run false after its arguments; "
        "run_script() runs a script that parses its own arguments unchanged",
    )


def _request(spec: JobSpec, origins: dict[str, str], on_event: Sink) -> dict[str, Any]:
    from .events import emit
    from .submission import order

    with blame_environment(origins):
        submission = order.prepare(spec, dry_run=True)
    for info in submission.infos:
        emit(on_event, "info", info)
    for warning in submission.warnings:
        emit(on_event, "warning", warning)
    for note in submission.notes:
        emit(on_event, "note", note)
    return submission.request


def attach(
    name: str, *, local: bool = False, profile: str | None = None, on_event: Sink = None
) -> Job:
    """A :class:`Job` for an existing job: on SageMaker, or on the local engine with
    ``local=True``. Raises :class:`~aws_sagemaker_remote.errors.NotFound` if there is none.

    :param name: the processing job's name.
    :param local: look on the local engine instead of SageMaker.
    :param profile: the AWS profile for SageMaker and S3 (default: the usual chain).
    :param on_event: receives the job's status changes and log lines while it is followed.
    :returns: the :class:`Job`; ``download()`` with no directory puts the outputs where a
        waited run on this machine meant to.
    """
    checked = check_keywords(
        {"name": name, "local": local, "profile": profile, "on_event": on_event},
        "attach",
        {"name", "local", "profile", "on_event"},
    )
    name, local, profile = checked["name"], checked["local"], checked["profile"]
    from .submission.planned_downloads import recall

    backend = backend_for(local=local, profile=profile)
    aws = getattr(backend, "ctx", None)  # SageMaker's account, reused for S3 downloads
    planned = recall(name)
    job = Job(name, backend, aws=aws, profile=profile, local_outputs=planned, on_event=on_event)
    job.describe()
    return job


def backend_for(*, local: bool, profile: str | None) -> Any:
    """The local engine, or SageMaker through the profile's account and region."""
    from .submission.backends import open_backend

    return open_backend(
        local=local, profile=profile, instead="{{local}} for the local engine's jobs"
    )


__all__ = ["attach", "request", "run_script", "run_script_request", "submit"]
