"""Run ``main(args)`` here, or hand the parsed arguments to the remote path.

The local path imports nothing beyond argparse and our small modules unless a channel is
an ``s3://`` URI; the remote path (staging, the job request, the backends) is imported
only when ``--sagemaker-run`` asks for it.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..cli.flags import flag_for_field
from ..errors import Error, KeywordError, UserError, exit_on_error, keyword_name
from ..keywords import SETTING_NAMES, check_keywords
from ..script.layout import IN_JOB_ENV
from .args import Channels, build_parser

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
    from typing import Any, Callable


def script_defining(main: Callable) -> str:
    """The file that defines ``main``: the default script (no ``inspect`` import needed)."""
    module = sys.modules.get(getattr(main, "__module__", ""), None)
    file = getattr(module, "__file__", None) or getattr(
        getattr(main, "__code__", None), "co_filename", None
    )
    if not file:
        raise KeywordError(
            "is missing, and the file that defines main is unknown",
            field="script",
            fix="pass script=__file__",
        )
    return os.path.abspath(file)


# The keywords of sagemaker_processing_main: its own, and every setting's code default.
KEYWORDS = SETTING_NAMES | {
    "main",
    "script",
    "description",
    "inputs",
    "outputs",
    "modules",
    "dependencies",
    "additional_arguments",
    "argparse_callback",
    "argv",
}


def sagemaker_processing_main(
    main: Callable[[argparse.Namespace], Any],
    script: str | None = None,
    description: str | None = None,
    inputs: dict | None = None,
    outputs: dict | None = None,
    modules: dict | None = None,
    dependencies: dict | None = None,
    additional_arguments: list | None = None,
    argparse_callback: Callable[[argparse.ArgumentParser], Any] | None = None,
    argv: list[str] | None = None,
    **settings: Any,
) -> Any:
    """Parse the command line, then run ``main(args)`` here or as a SageMaker Processing job.

    :param main: called with the parsed ``argparse.Namespace`` (here, or inside the job).
    :param script: the script the job runs (default: the file that defines ``main``).
    :param description: the parser's description, shown by ``--help``.
    :param inputs: channel name -> default: a local path, an ``s3://`` URI,
        ``job://JOB/OUTPUT``, ``None`` or :data:`~aws_sagemaker_remote.args.OPTIONAL`
        (may be left empty), or a :class:`~aws_sagemaker_remote.args.PathArgument`. Each
        adds ``--NAME``, ``--NAME-mode``, ``--NAME-distribution``, ``--NAME-data-type``
        and ``--NAME-container-path``.
    :param outputs: channel name -> default: a local directory, an ``s3://`` URI, a
        ``(local, s3)`` pair or a :class:`~aws_sagemaker_remote.args.PathArgument`. Each
        adds ``--NAME``, ``--NAME-mode``, ``--NAME-s3`` and ``--NAME-container-path``.
    :param modules: name -> a package directory, a ``.py`` file or an imported module,
        shipped with the script and put on ``PYTHONPATH``; each adds ``--NAME``.
    :param dependencies: the original package's name for ``modules``.
    :param additional_arguments: the script's own flags, as dicts whose ``dest`` is the
        flag (``{"dest": "--filter-width", "default": 32}``) or ``(args, kwargs)`` pairs
        for ``add_argument``.
    :param argparse_callback: called with the parser, to add anything else.
    :param argv: the command line to parse (default: ``sys.argv[1:]``).
    :param settings: the code defaults of the ``--sagemaker-*`` flags: ``run``, ``wait``,
        ``image``, ``instance``, ``instance_count``, ``role``, ``profile``, ``job_name``,
        ``base_job_name``, ``runtime_seconds``, ``volume_size``, ``python``,
        ``requirements``, ``configuration_script``, ``configuration_command``, ``env``,
        ``tags``, ``s3_prefix``, ``input_mount``, ``output_mount``, ``module_mount``,
        ``local_host_credentials``, and what company accounts need: ``subnets``,
        ``security_groups``, ``network_isolation``, ``inter_container_encryption``,
        ``volume_kms_key``, ``output_kms_key``, ``experiment``, ``trial``,
        ``experiment_run``, ``source_dir``, ``allow_secrets``.
    :returns: what ``main`` returns on a local run.
    """
    prog = os.path.basename(sys.argv[0]) or "aws-sagemaker-remote"
    given = dict(
        settings,
        main=main,
        script=script,
        description=description,
        inputs=inputs,
        outputs=outputs,
        modules=modules,
        dependencies=dependencies,
        additional_arguments=additional_arguments,
        argparse_callback=argparse_callback,
        argv=argv,
    )
    try:  # a mistake in the script's own code is named as the keyword it wrote
        checked = check_keywords(given, "sagemaker_processing_main", KEYWORDS)
        script = os.path.abspath(checked["script"]) if script else script_defining(main)
    except KeywordError as error:
        exit_on_error(error, prog=prog, name=keyword_name)
    settings = {name: checked[name] for name in settings}
    argv = list(sys.argv[1:] if argv is None else checked["argv"])
    try:
        parser, channels = build_parser(
            script=script,
            description=description,
            inputs=checked["inputs"],
            outputs=checked["outputs"],
            modules={**(checked["dependencies"] or {}), **(checked["modules"] or {})},
            additional_arguments=additional_arguments,
            argparse_callback=argparse_callback,
            **settings,
        )
    except KeywordError as error:
        exit_on_error(error, prog=prog, name=keyword_name)
    except Error as error:
        exit_on_error(error, prog=prog, name=flag_for_field)
    args = parser.parse_args(argv)
    try:
        if args.sagemaker_run or args.sagemaker_dry_run:  # a dry run prints the request
            from .remote import run_remotely

            return run_remotely(args, parser=parser, channels=channels, argv=argv)
        return run_locally(args, channels, main)
    except Error as error:
        exit_on_error(error, prog=parser.prog, name=flag_for_field)


def in_job() -> bool:
    """True when this script runs inside a processing job (SageMaker or the local engine),
    False in a plain local run. The job's bootstrap sets the variable."""
    return os.environ.get(IN_JOB_ENV) == "1"


def run_locally(args: argparse.Namespace, channels: Channels, main: Callable) -> Any:
    """Call ``main(args)`` in this process; ``s3://`` channels go through temporary copies."""
    if in_job():  # the settings the job really runs with, not the code defaults
        from ..script.jobconfig import apply_job_config, read_job_config

        apply_job_config(args, read_job_config() or {})
    else:
        _importable_modules(args, channels)
    remote_inputs: dict[str, str] = {}
    remote_outputs: dict[str, str] = {}
    for name, declared in channels.inputs.items():
        value = getattr(args, name)
        if not value:
            _require_optional(f"inputs.{name}", declared.optional, "a local path or an s3:// URI")
            setattr(args, name, None)
        elif value.startswith(("s3://", "job://")):
            remote_inputs[name] = value
        elif not os.path.exists(value):
            where = "" if os.path.isabs(value) else f" (relative to {os.getcwd()})"
            raise UserError(
                f"{value} does not exist{where}",
                field=f"inputs.{name}",
                fix="pass an existing file or directory, or an s3:// URI",
            )
    for name, declared in channels.outputs.items():
        value = getattr(args, name)
        if not value:
            _require_optional(
                f"outputs.{name}", declared.optional, "a local directory or an s3:// URI"
            )
            setattr(args, name, None)
        elif value.startswith("s3://"):
            remote_outputs[name] = value
        else:
            _make_output_dir(name, value)
    if not (remote_inputs or remote_outputs):
        return _call_main(main, args)

    from .s3_mirror import S3Mirror

    with S3Mirror(profile=args.sagemaker_profile, instance=args.sagemaker_instance) as mirror:
        for name, uri in remote_inputs.items():
            setattr(args, name, mirror.fetch(uri, field=f"inputs.{name}"))
        for name, uri in remote_outputs.items():
            setattr(args, name, mirror.output_dir(name, uri, field=f"outputs.{name}"))
        result = _call_main(main, args)
        mirror.upload_outputs()
        return result


def _call_main(main: Callable, args: argparse.Namespace) -> Any:
    """``main(args)``; inside a job, a module it cannot import gets a hint of why."""
    try:
        return main(args)
    except ModuleNotFoundError as error:
        if in_job():
            print(missing_module_hint(error.name or ""), file=sys.stderr, flush=True)
        raise


def missing_module_hint(name: str) -> str:
    """Why a module of the user's may be missing in the job, and how to ship it."""
    top = name.partition(".")[0] or "?"
    return (
        f"[aws-sagemaker-remote] hint: {top!r} is not in the job: a local module ships when "
        "the script or its shipped modules import it by name (import, "
        "importlib.import_module('literal')); ship a module loaded another way as a module "
        "channel (modules=), or the whole directory with --sagemaker-source-dir"
    )


def _importable_modules(args: argparse.Namespace, channels: Channels) -> None:
    """Each module importable as in the job, whose PYTHONPATH holds each module's parent:
    after the script's own directory, before what is installed."""
    parents = []
    for name in channels.modules:
        path = getattr(args, name, None)
        if path and os.path.exists(path):
            parent = os.path.dirname(os.path.abspath(path.rstrip(os.sep) or path))
            if parent not in sys.path and parent not in parents:
                parents.append(parent)
    if parents:
        sys.path[1:1] = parents
        existing = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(parents + ([existing] if existing else []))


def _require_optional(field: str, optional: bool, what: str) -> None:
    if not optional:
        raise UserError("is required and was left empty", field=field, fix=f"pass {what}")


def _make_output_dir(name: str, path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise UserError(
            f"cannot create {path}: {error.strerror}",
            field=f"outputs.{name}",
            fix="pass a writable directory",
        ) from None
