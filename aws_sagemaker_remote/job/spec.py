"""JobSpec: the parsed command line, checked once, frozen into one description of the job.

Pure: it reads the file system only to check that local paths exist. Everything remote
(staging, the request, the backends) is derived from a JobSpec and nothing else.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from ..args import flag_for
from ..errors import UserError
from ..processing.args import LOCAL_INSTANCE, Channels
from ..script import layout
from ..storage.localstore import LOCAL_STORE_BUCKET
from .lineage import JOB_NAME, parse_job_uri
from .s3uri import checked_s3_uri

TIMESTAMP_LENGTH = len("-20261125-190012-123")


@dataclass(frozen=True)
class InputSpec:
    name: str
    source: str  # absolute local path, s3:// URI or job://JOB/OUTPUT
    mode: str
    distribution: str
    data_type: str = "S3Prefix"  # or ManifestFile: source names a manifest of objects

    @property
    def flag(self) -> str:
        return flag_for(self.name)

    @property
    def field(self) -> str:
        return f"inputs.{self.name}"

    @property
    def is_local(self) -> bool:
        return not self.source.startswith(("s3://", "job://"))


@dataclass(frozen=True)
class OutputSpec:
    name: str
    local: str | None  # where a waited run downloads it; None when given as s3://
    s3: str | None  # where it lands; None: derived from the job name
    mode: str

    @property
    def flag(self) -> str:
        return flag_for(self.name)

    @property
    def field(self) -> str:
        return f"outputs.{self.name}"


@dataclass(frozen=True)
class ModuleSpec:
    name: str
    path: str  # absolute directory or .py file

    @property
    def flag(self) -> str:
        return flag_for(self.name)

    @property
    def field(self) -> str:
        return f"modules.{self.name}"


@dataclass(frozen=True)
class JobSpec:
    script: str
    job_name: str
    instance: str
    instance_count: int
    image: str | None
    role: str
    profile: str | None
    volume_size: int
    runtime_seconds: int
    python: str
    requirements: str | None
    configuration_script: str | None
    configuration_command: str | None
    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...]
    modules: tuple[ModuleSpec, ...]
    empty_channels: tuple[str, ...]  # fields of optional channels left empty ("inputs.x")
    passthrough: tuple[str, ...]  # the user's own arguments, verbatim
    env: tuple[tuple[str, str], ...]
    tags: tuple[tuple[str, str], ...]
    input_mount: str = layout.DEFAULT_INPUT_MOUNT
    output_mount: str = layout.DEFAULT_OUTPUT_MOUNT
    module_mount: str = layout.DEFAULT_MODULE_MOUNT
    s3_prefix: str | None = None
    wait: bool = True
    dry_run: bool = False
    download: bool = True
    output_json: str | None = None
    docker: bool = False
    follow_external_links: bool = False  # ship what links out of a channel directory point to
    # What company accounts require (processing.args.ACCOUNT_FLAGS) and how code ships.
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    network_isolation: bool = False
    inter_container_encryption: bool = False
    volume_kms_key: str | None = None
    output_kms_key: str | None = None
    experiment: str | None = None
    trial: str | None = None
    experiment_run: str | None = None
    source_dir: str | None = None
    allow_secrets: bool = False

    @property
    def is_local(self) -> bool:
        return self.instance == LOCAL_INSTANCE


def job_name_for(
    args: argparse.Namespace, now: datetime | None = None, *, base_is_explicit: bool = False
) -> str:
    """The explicit job name, or the base name plus a millisecond timestamp."""
    if args.sagemaker_job_name:
        name = args.sagemaker_job_name
        if not JOB_NAME.fullmatch(name):
            raise UserError(
                f"{name!r} is not a valid job name",
                field="job_name",
                fix="use 1-63 letters, digits and hyphens, starting with a letter or digit",
            )
        return name
    now = now or datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%d-%H%M%S-") + f"{now.microsecond // 1000:03d}"
    base = args.sagemaker_base_job_name
    limit = 63 - TIMESTAMP_LENGTH
    if base and JOB_NAME.fullmatch(base) and len(base) <= limit:
        return f"{base}-{stamp}"
    cleaned = clean_base_job_name(base or "", limit)
    if not cleaned:
        if base_is_explicit:
            raise UserError(
                f"{base!r} has no letter or digit to make a job name of",
                field="base_job_name",
                fix=f"use at most {limit} letters, digits and hyphens",
            )
        cleaned = "processing"  # a script named 日本.py: nothing of its name is usable
    return f"{cleaned}-{stamp}"


def clean_base_job_name(text: str, limit: int = 63 - TIMESTAMP_LENGTH) -> str:
    """A valid job name prefix from any text: accents dropped (``café`` -> ``cafe``), every
    run of other characters one hyphen (``my script`` -> ``my-script``), cut to ``limit``."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-zA-Z0-9]+", "-", ascii_text).strip("-")[:limit].strip("-")


def own_flags(parser: argparse.ArgumentParser, channels: Channels) -> dict[str, argparse.Action]:
    """Option strings the library owns (not passed through to the job), with their actions."""
    channel_dests = set()
    for name in channels.inputs:
        channel_dests |= {name, f"{name}_mode", f"{name}_distribution", f"{name}_data_type"}
    for name in channels.outputs:
        channel_dests |= {name, f"{name}_mode", f"{name}_s3"}
    channel_dests |= set(channels.modules)
    owned = {}
    for action in parser._actions:
        if action.dest.startswith("sagemaker_") or action.dest in channel_dests:
            for option in action.option_strings:
                owned[option] = action
    return owned


def passthrough_arguments(argv: list[str], owned: dict[str, argparse.Action]) -> list[str]:
    """The user's own arguments from ``argv``, verbatim: everything our flags did not consume."""
    kept: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            kept.extend(argv[i:])
            break
        option, has_value, _ = token.partition("=")
        action = owned.get(option)
        if action is None:
            kept.append(token)
        elif not has_value and action.nargs is None:
            i += 1  # skip its value too
        elif not has_value and action.nargs == "?":
            if i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                i += 1
        i += 1
    return kept


def _key_values(items: list[str], field: str, kind: str) -> tuple[tuple[str, str], ...]:
    pairs: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(
                f"{item!r} is not KEY=VALUE", field=field, fix=f"write {kind} as KEY=VALUE"
            )
        pairs[key] = value
    return tuple(pairs.items())


def _s3(uri: str, field: str) -> str:
    checked_s3_uri(uri, field)
    return uri


def where_relative(path: str) -> str:
    """`` (relative to /cwd)`` for a relative path, so the message says where it looked."""
    return "" if os.path.isabs(path) else f" (relative to {os.getcwd()})"


def _existing(path: str | None, field: str, *, what: str = "file") -> str | None:
    """The absolute path of an existing ``what``: "file", "file or directory", or "module"
    (a directory or a .py file)."""
    if not path:
        return None
    if not os.path.exists(path):
        raise UserError(
            f"{path} does not exist{where_relative(path)}",
            field=field,
            fix=f"pass an existing {'directory or .py file' if what == 'module' else what}",
        )
    if what == "module" and not (os.path.isdir(path) or path.endswith(".py")):
        raise UserError(
            f"{path} is neither a directory nor a .py file",
            field=field,
            fix="pass the module's package directory or its .py file",
        )
    if what == "file" and os.path.isdir(path):
        raise UserError(f"{path} is a directory", field=field, fix="pass a file")
    return os.path.abspath(path)


def _writable_dir(path: str, field: str) -> str:
    """A directory we can create or write into later; checked now, before anything is sent."""
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise UserError(
            f"{path} exists and is not a directory",
            field=field,
            fix="pass a directory, or a path that does not exist yet",
        )
    parent = path
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(
            f"cannot write under {parent}",
            field=field,
            fix="pass a path in a directory you can write to",
        )
    return path


def _writable_file(path: str | None, field: str) -> str | None:
    if not path:
        return None
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    if os.path.isdir(path) or not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise UserError(
            f"cannot write the file {path}",
            field=field,
            fix="pass a file path in an existing directory you can write to",
        )
    return path


def _no_blanks(value: str | None, field: str, what: str) -> str | None:
    if value is not None and (not value.strip() or any(c.isspace() for c in value)):
        raise UserError(f"{value!r} is not {what}", field=field, fix=f"pass {what}")
    return value


def _tags(items: list[str]) -> tuple[tuple[str, str], ...]:
    tags = _key_values(items, "tags", "tags")
    for key, _ in tags:
        if key.lower().startswith("aws:"):
            raise UserError(
                f"tag key {key!r} uses the reserved prefix aws:",
                field="tags",
                fix="choose a key without the aws: prefix",
            )
    return tags


def build_spec(
    args: argparse.Namespace,
    *,
    parser: argparse.ArgumentParser,
    channels: Channels,
    argv: list[str],
    now: datetime | None = None,
) -> JobSpec:
    """Check the parsed command line and freeze it into a JobSpec (raises UserError)."""
    base_is_explicit = any(
        a == "--sagemaker-base-job-name" or a.startswith("--sagemaker-base-job-name=") for a in argv
    )
    script = _existing(args.sagemaker_script, "script")
    if not script:
        raise UserError("is empty", field="script", fix="pass the script to run")
    local = args.sagemaker_instance == LOCAL_INSTANCE
    inputs, outputs, modules, empty = [], [], [], []
    for name, declared in channels.inputs.items():
        value, field = getattr(args, name), f"inputs.{name}"
        if not value:
            if not declared.optional:
                raise UserError(
                    "is required and was left empty",
                    field=field,
                    fix="pass a local path or an s3:// URI",
                )
            empty.append(field)
            continue
        if value.startswith("s3://"):
            source = _s3(value, field)
        elif value.startswith("job://"):
            parse_job_uri(value, field)
            source = value
        elif "://" in value:
            raise UserError(
                f"{value!r} is neither a local path nor an s3:// URI",
                field=field,
                fix="pass a local path, s3://bucket/key or job://JOB/OUTPUT",
            )
        else:
            source = _existing(value, field, what="file or directory")
        mode = getattr(args, f"{name}_mode")
        if mode == "Pipe" and local:
            raise UserError(
                "Pipe mode is not supported by the local engine",
                field=f"{field}.mode",
                fix="use File, or run on a SageMaker instance",
            )
        data_type = getattr(args, f"{name}_data_type", "S3Prefix")
        if data_type == "ManifestFile" and os.path.isdir(source):
            raise UserError(
                f"{value} is a directory; a ManifestFile input is one manifest file",
                field=f"{field}.data_type",
                fix='pass the manifest file (a JSON list: {"prefix": ...} then keys), '
                "or use S3Prefix",
            )
        inputs.append(
            InputSpec(name, source, mode, getattr(args, f"{name}_distribution"), data_type)
        )
    for name, declared in channels.outputs.items():
        value, field = getattr(args, name), f"outputs.{name}"
        s3 = getattr(args, f"{name}_s3")
        s3 = None if s3 in (None, "", "default") else _s3(s3, f"{field}.s3")
        if not value and not s3:
            if not declared.optional:
                raise UserError(
                    "is required and was left empty",
                    field=field,
                    fix="pass a local directory or an s3:// URI",
                )
            empty.append(field)
            continue
        if value and value.startswith("s3://"):
            local_path, s3 = None, s3 or _s3(value, field)
        else:
            local_path = _writable_dir(value, field) if value else None
        outputs.append(OutputSpec(name, local_path, s3, getattr(args, f"{name}_mode")))
    for name in channels.modules:
        path = _existing(getattr(args, name), f"modules.{name}", what="module")
        if path:
            modules.append(ModuleSpec(name, path))
        else:
            empty.append(f"modules.{name}")
    prefix = args.sagemaker_s3_prefix
    if prefix:
        prefix = _s3(prefix.rstrip("/"), "s3_prefix")
        if prefix.startswith(f"s3://{LOCAL_STORE_BUCKET}"):
            raise UserError(
                "names the local store's reserved bucket",
                field="s3_prefix",
                fix="leave it out to use the local store",
            )
    return JobSpec(
        script=script,
        job_name=job_name_for(args, now, base_is_explicit=base_is_explicit),
        instance=args.sagemaker_instance,
        instance_count=args.sagemaker_instance_count,
        image=_no_blanks(args.sagemaker_image or None, "image", "an image URI"),
        role=args.sagemaker_role,
        profile=args.sagemaker_profile or None,
        volume_size=args.sagemaker_volume_size,
        runtime_seconds=args.sagemaker_runtime_seconds,
        python=_no_blanks(args.sagemaker_python, "python", "an interpreter name"),
        requirements=_existing(args.sagemaker_requirements, "requirements"),
        configuration_script=_existing(args.sagemaker_configuration_script, "configuration_script"),
        configuration_command=args.sagemaker_configuration_command or None,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        modules=tuple(modules),
        empty_channels=tuple(empty),
        passthrough=tuple(passthrough_arguments(argv, own_flags(parser, channels))),
        env=_key_values(args.sagemaker_env, "env", "environment variables"),
        tags=_tags(args.sagemaker_tag),
        input_mount=args.sagemaker_input_mount.rstrip("/"),
        output_mount=args.sagemaker_output_mount.rstrip("/"),
        module_mount=args.sagemaker_module_mount.rstrip("/"),
        s3_prefix=prefix or None,
        wait=args.sagemaker_wait,
        dry_run=args.sagemaker_dry_run,
        download=args.sagemaker_download,
        output_json=_writable_file(args.sagemaker_output_json, "output_json"),
        docker=args.sagemaker_docker,
        follow_external_links=args.sagemaker_follow_external_links,
        **account_settings(args, script),
    )


def _blank_free(value: str | None, field: str, what: str) -> str | None:
    return _no_blanks(value or None, field, what)


def account_settings(args: argparse.Namespace, script: str) -> dict:
    """The JobSpec fields of ``processing.args.ACCOUNT_FLAGS``, checked."""
    subnets, groups = tuple(args.sagemaker_subnets), tuple(args.sagemaker_security_groups)
    if bool(subnets) != bool(groups):
        given, missing = ("subnets", "security_groups")[:: 1 if subnets else -1]
        raise UserError(
            f"is given without {{{{{missing}}}}}; a VPC job needs both",
            field=given,
            fix=f"pass {{{{{missing}}}}} too, or neither",
        )
    source_dir = args.sagemaker_source_dir or None
    if source_dir:
        if not os.path.isdir(source_dir):
            raise UserError(
                f"{source_dir} is not a directory",
                field="source_dir",
                fix="pass the directory to ship as the code",
            )
        source_dir = os.path.abspath(source_dir)
        if os.path.commonpath([source_dir, script]) != source_dir:
            raise UserError(
                f"{script} is not inside {source_dir}",
                field="source_dir",
                fix="pass a directory that holds the script",
            )
    if args.sagemaker_experiment_run and not args.sagemaker_experiment:
        raise UserError(
            "needs {{experiment}}",
            field="experiment_run",
            fix="pass the experiment the run belongs to",
        )
    return dict(
        subnets=subnets,
        security_groups=groups,
        network_isolation=args.sagemaker_network_isolation,
        inter_container_encryption=args.sagemaker_inter_container_encryption,
        volume_kms_key=_blank_free(args.sagemaker_volume_kms_key, "volume_kms_key", "a KMS key"),
        output_kms_key=_blank_free(args.sagemaker_output_kms_key, "output_kms_key", "a KMS key"),
        experiment=_blank_free(args.sagemaker_experiment, "experiment", "an experiment name"),
        trial=_blank_free(args.sagemaker_trial, "trial", "a trial name"),
        experiment_run=_blank_free(args.sagemaker_experiment_run, "experiment_run", "a run name"),
        source_dir=source_dir,
        allow_secrets=args.sagemaker_allow_secrets,
    )


def _nested(a: str, b: str, sep: str) -> bool:
    """``a`` and ``b`` are the same place, or one lies inside the other."""
    a, b = a.rstrip(sep) + sep, b.rstrip(sep) + sep
    return a.startswith(b) or b.startswith(a)


def check_overlaps(spec: JobSpec) -> None:
    """UserError when an output is, is inside or contains an input or a module.

    A waited run downloads outputs into their local directories: inside an input, they
    would ship again with it next time (and overwrite it); on S3, an output under an
    input's prefix becomes part of that input for the next job. Checked before anything
    is staged."""
    local = [(c, os.path.realpath(c.source)) for c in spec.inputs if c.is_local]
    local += [(m, os.path.realpath(m.path)) for m in spec.modules]
    remote = [(c, c.source[len("s3://") :]) for c in spec.inputs if c.source.startswith("s3://")]
    for output in spec.outputs:
        if output.local:
            where = os.path.realpath(output.local)
            for channel, path in local:
                if _nested(where, path, os.sep):
                    kind = "module" if isinstance(channel, ModuleSpec) else "input"
                    raise UserError(
                        f"{output.local} overlaps the {kind} {path} ({{{{{channel.field}}}}}): "
                        "its files would be downloaded into what the next run ships",
                        field=output.field,
                        fix="choose an output directory outside every input and module",
                    )
        if output.s3:
            where = output.s3[len("s3://") :]
            for channel, key in remote:
                if _nested(where, key, "/"):
                    raise UserError(
                        f"{output.s3} overlaps the input {channel.source} "
                        f"({{{{{channel.field}}}}}): the next job reading it would get this "
                        "job's outputs too",
                        field=output.field if output.local is None else f"{output.field}.s3",
                        fix="write the output outside every input's prefix",
                    )
