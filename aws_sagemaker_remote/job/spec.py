"""JobSpec: the settings, channels and arguments of a run, checked once and frozen.

Both front ends build it the same way: the processing command line from its parsed
flags, the Python API from keywords (:func:`build_spec` takes a settings mapping, the
channel values and the script's own arguments). Pure: it reads the file system only to
check that local paths exist. Everything remote (staging, the request, the backends) is
derived from a JobSpec and nothing else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, NamedTuple

from ..args import (
    DEFAULT_DATA_TYPE,
    DEFAULT_DISTRIBUTION,
    DEFAULT_INPUT_MODE,
    DEFAULT_OUTPUT_MODE,
    PathArgument,
    flag_for,
)
from ..errors import UserError
from ..script import layout
from ..settings import JOB_SETTINGS, LOCAL_INSTANCE
from .container_paths import ChannelPlaces
from .lineage import JOB_NAME, parse_job_uri
from .values import (
    checked_tags,
    container_path,
    existing_path,
    instance_type,
    key_values,
    no_blanks,
    role_name_or_arn,
    s3_uri,
    staging_prefix,
    where_relative,
    writable_dir,
)

TIMESTAMP_LENGTH = len("-20261125-190012-123")


class InputSpec(NamedTuple):
    """One input channel as the user gave it (before staging)."""

    name: str
    source: str  # absolute local path, s3:// URI or job://JOB/OUTPUT
    mode: str
    distribution: str
    data_type: str = "S3Prefix"  # or ManifestFile: source names a manifest of objects
    container_path: str = ""  # where the job sees it (build_spec sets it, from the mount)

    @property
    def flag(self) -> str:
        return flag_for(self.name)

    @property
    def field(self) -> str:
        return f"inputs.{self.name}"

    @property
    def is_local_path(self) -> bool:
        """A file or directory here (shipped by staging), not an s3:// or job:// URI."""
        return not self.source.startswith(("s3://", "job://"))


class OutputSpec(NamedTuple):
    """One output channel as the user gave it."""

    name: str
    download_dir: str | None  # where a waited run downloads it; None when given as s3://
    s3: str | None  # where it lands; None: derived from the job name
    mode: str
    container_path: str = ""  # where the job writes it (build_spec sets it, from the mount)

    @property
    def flag(self) -> str:
        return flag_for(self.name)

    @property
    def field(self) -> str:
        return f"outputs.{self.name}"


class ModuleSpec(NamedTuple):
    """One module directory (or file) shipped with the script."""

    name: str
    path: str  # absolute directory or .py file

    @property
    def flag(self) -> str:
        return flag_for(self.name)

    @property
    def field(self) -> str:
        return f"modules.{self.name}"


class JobSpec(NamedTuple):
    """Everything a run was asked for, from the parsed arguments: the one description of a job."""

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
    arguments: tuple[str, ...]  # the script's own arguments, verbatim
    env: tuple[tuple[str, str], ...]
    tags: tuple[tuple[str, str], ...]
    input_mount: str = layout.DEFAULT_INPUT_MOUNT
    output_mount: str = layout.DEFAULT_OUTPUT_MOUNT
    module_mount: str = layout.DEFAULT_MODULE_MOUNT
    s3_prefix: str | None = None
    docker: bool = False
    local_host_credentials: bool = False  # a local job gets this machine's credentials
    follow_external_links: bool = False  # ship what links out of a channel directory point to
    # What company accounts require, and how the code ships (settings.py).
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
    # The script parses its own arguments (``run``): the job passes it ``arguments`` and
    # nothing else, where a sagemaker_processing_main script also gets each channel's flag.
    plain_script: bool = False

    @property
    def on_local_engine(self) -> bool:
        """Runs on this machine's local engine (instance "local"), not on SageMaker."""
        return self.instance == LOCAL_INSTANCE


def job_name_for(
    job_name: str | None,
    base_job_name: str | None,
    now: datetime | None = None,
    *,
    base_is_explicit: bool = False,
) -> str:
    """The explicit job name, or the base name plus a millisecond timestamp."""
    if job_name:
        name = job_name
        if not JOB_NAME.fullmatch(name):
            raise UserError(
                f"{name!r} is not a valid job name",
                field="job_name",
                fix="use 1-63 letters, digits and hyphens, starting with a letter or digit",
            )
        return name
    now = now or datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%d-%H%M%S-") + f"{now.microsecond // 1000:03d}"
    base = base_job_name
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


# How each job setting is checked and normalised; a setting not named passes as it is.
_CHECKS: dict[str, Any] = {
    "instance": instance_type,
    "image": lambda v: no_blanks(v or None, "image", "an image URI"),
    "python": lambda v: no_blanks(v, "python", "an interpreter name"),
    "profile": lambda v: v or None,
    "role": role_name_or_arn,
    "requirements": lambda v: existing_path(v, "requirements"),
    "configuration_script": lambda v: existing_path(v, "configuration_script"),
    "configuration_command": lambda v: v or None,
    "env": lambda v: key_values(v, "env", "environment variables"),
    "tags": checked_tags,
    "input_mount": lambda v: container_path(v, "input_mount", mount=True),
    "output_mount": lambda v: container_path(v, "output_mount", mount=True),
    "module_mount": lambda v: container_path(v, "module_mount", mount=True),
    "s3_prefix": staging_prefix,
    "volume_kms_key": lambda v: no_blanks(v or None, "volume_kms_key", "a KMS key"),
    "output_kms_key": lambda v: no_blanks(v or None, "output_kms_key", "a KMS key"),
    "experiment": lambda v: no_blanks(v or None, "experiment", "an experiment name"),
    "trial": lambda v: no_blanks(v or None, "trial", "a trial name"),
    "experiment_run": lambda v: no_blanks(v or None, "experiment_run", "a run name"),
    "subnets": tuple,
    "security_groups": tuple,
}


def _input(
    name: str, declared: PathArgument, local_engine: bool, container_path: str
) -> InputSpec | None:
    value, field = declared.local, f"inputs.{name}"
    if not value:
        if not declared.optional:
            raise UserError(
                "is required and was left empty",
                field=field,
                fix="pass a local path or an s3:// URI",
            )
        return None
    if value.startswith("s3://"):
        source = s3_uri(value, field)
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
        source = existing_path(value, field, what="file or directory") or value
    mode = declared.mode or DEFAULT_INPUT_MODE
    if mode == "Pipe" and local_engine:
        raise UserError(
            "Pipe mode is not supported by the local engine",
            field=f"{field}.mode",
            fix="use File, or run on a SageMaker instance",
        )
    data_type = declared.data_type or DEFAULT_DATA_TYPE
    if data_type == "ManifestFile" and os.path.isdir(source):
        raise UserError(
            f"{value} is a directory; a ManifestFile input is one manifest file",
            field=f"{field}.data_type",
            fix='pass the manifest file (a JSON list: {"prefix": ...} then keys), or use S3Prefix',
        )
    distribution = declared.distribution or DEFAULT_DISTRIBUTION
    return InputSpec(name, source, mode, distribution, data_type, container_path)


def _output(name: str, declared: PathArgument, container_path: str) -> OutputSpec | None:
    value, field = declared.local, f"outputs.{name}"
    s3 = (
        None if declared.remote in (None, "", "default") else s3_uri(declared.remote, f"{field}.s3")
    )
    if not value and not s3:
        if not declared.optional:
            raise UserError(
                "is required and was left empty",
                field=field,
                fix="pass a local directory or an s3:// URI",
            )
        return None
    if value and value.startswith("s3://"):
        download_dir, s3 = None, s3 or s3_uri(value, field)
    else:
        download_dir = writable_dir(value, field) if value else None
    return OutputSpec(name, download_dir, s3, declared.mode or DEFAULT_OUTPUT_MODE, container_path)


def build_spec(
    settings: Mapping[str, Any],
    *,
    inputs: Mapping[str, PathArgument] | None = None,
    outputs: Mapping[str, PathArgument] | None = None,
    modules: Mapping[str, str | None] | None = None,
    arguments: Sequence[str] = (),
    explicit: Collection[str] = (),
    now: datetime | None = None,
    plain_script: bool = False,
) -> JobSpec:
    """Check the settings (name -> value, as :func:`..settings.resolve` gives them) and the
    channels, and freeze them into a JobSpec; raises UserError naming the field.

    ``explicit``: the settings the caller gave rather than left to a default.
    ``plain_script``: the script parses its own arguments (see :attr:`JobSpec.plain_script`).
    """
    script = existing_path(settings.get("script"), "script")
    if not script:
        raise UserError("is empty", field="script", fix="pass the script to run")
    local_engine = settings.get("instance") == LOCAL_INSTANCE
    places = ChannelPlaces(settings)
    spec_inputs, spec_outputs, spec_modules = [], [], []
    empty: list[str] = []  # optional channels left empty: the job is told so
    for name, declared in (inputs or {}).items():
        item = _input(name, declared, local_engine, places.input(name, declared))
        if item:
            spec_inputs.append(item)
        else:
            empty.append(f"inputs.{name}")
    for name, declared in (outputs or {}).items():
        out = _output(name, declared, places.output(name, declared))
        if out:
            spec_outputs.append(out)
        else:
            empty.append(f"outputs.{name}")
    for name, path in (modules or {}).items():
        checked = existing_path(path, f"modules.{name}", what="module")
        if checked:
            spec_modules.append(ModuleSpec(name, checked))
        else:
            empty.append(f"modules.{name}")
    places.check(spec_inputs, spec_outputs, spec_modules, settings)
    values = {
        name: _CHECKS.get(name, _same)(settings.get(name))
        for name in JOB_SETTINGS
        if name not in ("script", "job_name", "base_job_name")
    }
    values.update(account_settings(values, script))
    job_name = job_name_for(
        settings.get("job_name"),
        settings.get("base_job_name"),
        now,
        base_is_explicit="base_job_name" in explicit,
    )
    return JobSpec(
        script=script,
        job_name=job_name,
        inputs=tuple(spec_inputs),
        outputs=tuple(spec_outputs),
        modules=tuple(spec_modules),
        empty_channels=tuple(empty),
        arguments=tuple(arguments),
        plain_script=plain_script,
        **values,
    )


def _same(value: Any) -> Any:
    return value


def account_settings(values: Mapping[str, Any], script: str) -> dict[str, Any]:
    """What company accounts need, checked together: a VPC needs subnets and security
    groups, a run needs its experiment, the source directory holds the script."""
    subnets, groups = values.get("subnets") or (), values.get("security_groups") or ()
    if bool(subnets) != bool(groups):
        given, missing = ("subnets", "security_groups")[:: 1 if subnets else -1]
        raise UserError(
            f"is given without {{{{{missing}}}}}; a VPC job needs both",
            field=given,
            fix=f"pass {{{{{missing}}}}} too, or neither",
        )
    source_dir = values.get("source_dir") or None
    if source_dir:
        if not os.path.isdir(source_dir):
            raise UserError(
                f"{source_dir} is not a directory{where_relative(source_dir)}",
                field="source_dir",
                fix="pass the directory to ship as the code",
            )
        source_dir = os.path.abspath(source_dir)
        if source_dir in (os.path.abspath(os.sep), os.path.expanduser("~")):
            what = "the file system root" if source_dir == os.sep else "your home directory"
            raise UserError(
                f"{source_dir} is {what}; everything under it would ship as code",
                field="source_dir",
                fix="pass the project directory that holds the script",
            )
        if os.path.commonpath([source_dir, script]) != source_dir:
            raise UserError(
                f"{script} is not inside {source_dir}",
                field="source_dir",
                fix="pass a directory that holds the script",
            )
    if values.get("experiment_run") and not values.get("experiment"):
        raise UserError(
            "needs {{experiment}}",
            field="experiment_run",
            fix="pass the experiment the run belongs to",
        )
    return {"source_dir": source_dir}


def _nested(a: str, b: str, sep: str) -> bool:
    """``a`` and ``b`` are the same place, or one lies inside the other."""
    a, b = a.rstrip(sep) + sep, b.rstrip(sep) + sep
    return a.startswith(b) or b.startswith(a)


def check_overlaps(spec: JobSpec) -> None:
    """UserError when an output is, is inside or contains an input or a module, or is or
    contains the source directory.

    A waited run downloads outputs into their local directories: inside an input, they
    would ship again with it next time (and overwrite it); on S3, an output under an
    input's prefix becomes part of that input for the next job. Checked before anything
    is staged."""
    local: list[tuple[InputSpec | ModuleSpec, str]]
    local = [(c, os.path.realpath(c.source)) for c in spec.inputs if c.is_local_path]
    local += [(m, os.path.realpath(m.path)) for m in spec.modules]
    remote = [(c, c.source[len("s3://") :]) for c in spec.inputs if c.source.startswith("s3://")]
    code = os.path.realpath(spec.source_dir) if spec.source_dir else None
    for output in spec.outputs:
        if output.download_dir:
            where = os.path.realpath(output.download_dir)
            if code and _nested(code, where, os.sep) and len(where) <= len(code):
                # an output inside the code is left out of it (code.py); one above, refused
                raise UserError(
                    f"{output.download_dir} holds the code ({code}): its files would be "
                    "downloaded over the script and ship as code next time",
                    field=output.field,
                    fix="choose an output directory inside or beside the project, not above it",
                )
            for channel, path in local:
                if _nested(where, path, os.sep):
                    kind = "module" if isinstance(channel, ModuleSpec) else "input"
                    raise UserError(
                        f"{output.download_dir} overlaps the {kind} {path} "
                        f"({{{{{channel.field}}}}}): "
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
                        field=output.field if output.download_dir is None else f"{output.field}.s3",
                        fix="write the output outside every input's prefix",
                    )
