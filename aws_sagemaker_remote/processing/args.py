"""The command line of a processing script (public: ``sagemaker_processing_parser_for_docs``).

Every ``--sagemaker-*`` flag is declared here with its code default. A default may be
overridden from the environment (``AWS_SAGEMAKER_REMOTE_<FLAG>``, e.g.
``AWS_SAGEMAKER_REMOTE_ROLE``), and the command line overrides both. Each input, output
and module adds its own ``--NAME`` flag. Only ``argparse`` and our small modules are
imported, so a local run starts as fast as a plain script.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..args import (
    DATA_TYPES,
    DISTRIBUTIONS,
    INPUT_MODES,
    OUTPUT_MODES,
    PathArgument,
    as_path_argument,
    dest_for,
    flag_for,
    parse_bool,
)
from ..errors import UserError
from ..script import layout

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
    from typing import Any, Callable

DEFAULT_ROLE = "aws-sagemaker-remote-processing-role"
DEFAULT_INSTANCE = "ml.t3.medium"
DEFAULT_RUNTIME_SECONDS = 60 * 60
DEFAULT_VOLUME_SIZE = 30
DEFAULT_PYTHON = "python3"
LOCAL_INSTANCE = "local"
ENV_PREFIX = "AWS_SAGEMAKER_REMOTE_"


ENV_EPILOG = (
    f"Every --sagemaker-* flag takes its default from the environment variable "
    f"{ENV_PREFIX}<NAME> when it is set (--sagemaker-instance: {ENV_PREFIX}INSTANCE); "
    "the command line overrides it."
)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


class Channels:
    """The channels a script declares, normalised; what the parser and the run share."""

    def __init__(self, inputs: dict, outputs: dict, modules: dict):
        self.inputs = {k: as_path_argument(v, kind="input", name=k) for k, v in inputs.items()}
        self.outputs = {k: as_path_argument(v, kind="output", name=k) for k, v in outputs.items()}
        self.modules = {k: module_path(v) for k, v in modules.items()}


def module_path(value: Any) -> str:
    """A module may be given as a path or as an imported module object (its directory ships)."""
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    file = getattr(value, "__file__", None)
    if not file:
        raise TypeError(f"module {value!r} has no __file__ to ship")
    if os.path.basename(file) == "__init__.py":
        return os.path.dirname(file)
    return file


def env_name(flag: str) -> str:
    """``--sagemaker-instance`` -> ``AWS_SAGEMAKER_REMOTE_INSTANCE``."""
    return ENV_PREFIX + dest_for(flag)[len("sagemaker_") :].upper()


def _note_origin(action: argparse.Action) -> argparse.Action:
    """Mark a flag whose default came from its environment variable (``action.env_var``),
    so that an error about its value can name the variable rather than the flag."""
    name = env_name(action.option_strings[0])
    action.env_var = name if os.environ.get(name) is not None else None  # type: ignore[attr-defined]
    return action


def field_namer(parser: argparse.ArgumentParser, argv: list[str]) -> Callable[[str], str]:
    """:func:`flag_for_field`, but a value the command line did not give and the environment
    did is named as ``AWS_SAGEMAKER_REMOTE_X (the default of --sagemaker-x)``."""
    given = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    from_env = {
        action.option_strings[0]: action.env_var
        for action in parser._actions
        if getattr(action, "env_var", None)
        and not any(option in given for option in action.option_strings)
    }

    def name(field: str) -> str:
        flag = flag_for_field(field)
        if flag in from_env:
            return f"{from_env[flag]} (the default of {flag})"
        return flag

    return name


def _default(flag: str, code_default: Any, convert: Callable | None = None) -> Any:
    """Code default, unless the environment names another (precedence: code < env < argv)."""
    name = env_name(flag)
    value = os.environ.get(name)
    if value is None:
        return code_default
    if convert is None:
        return value
    try:
        return convert(value)
    except (ValueError, argparse.ArgumentTypeError):
        raise UserError(
            f"{name}: {value!r} is not a valid default for {flag}",
            fix="fix or unset the environment variable",
        ) from None


_FLAG_SPELLING = {"tags": "--sagemaker-tag"}  # fields whose flag is not the plain rule


def flag_for_field(field: str) -> str:
    """How this command line spells a field (``inputs.data.mode`` -> ``--data-mode``)."""
    kind, _, rest = field.partition(".")
    if kind in ("inputs", "outputs", "modules") and rest:
        name, _, attribute = rest.partition(".")
        return flag_for(name) + (f"-{attribute.replace('_', '-')}" if attribute else "")
    if field.startswith("-"):  # the script's own flag
        return field
    if field == "arguments":
        return "script arguments"
    return _FLAG_SPELLING.get(field, "--sagemaker-" + field.replace("_", "-"))


def _bool_flag(group, flag: str, default: bool, help: str) -> None:
    default = _default(flag, default, parse_bool)
    action = group.add_argument(
        flag,
        type=parse_bool,
        nargs="?",
        const=True,
        default=default,
        metavar="yes|no",
        help=f"{help} (default: {'yes' if default else 'no'})",
    )
    _note_origin(action)


def _flag(group, flag: str, default: Any, help: str, **kwargs: Any) -> None:
    default = _default(flag, default, kwargs.get("type"))
    shown = "" if default in (None, "") else f" (default: {default})"
    _note_origin(group.add_argument(flag, default=default, help=help + shown, **kwargs))


def add_sagemaker_arguments(
    parser: argparse.ArgumentParser,
    *,
    script: str,
    channels: Channels,
    run: bool = False,
    wait: bool = True,
    profile: str | None = None,
    role: str = DEFAULT_ROLE,
    image: str | None = None,
    instance: str = DEFAULT_INSTANCE,
    instance_count: int = 1,
    base_job_name: str | None = None,
    job_name: str | None = None,
    runtime_seconds: int = DEFAULT_RUNTIME_SECONDS,
    volume_size: int = DEFAULT_VOLUME_SIZE,
    python: str = DEFAULT_PYTHON,
    requirements: str | None = None,
    configuration_script: str | None = None,
    configuration_command: str | None = None,
    env: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    s3_prefix: str | None = None,
    input_mount: str = layout.DEFAULT_INPUT_MOUNT,
    output_mount: str = layout.DEFAULT_OUTPUT_MOUNT,
    module_mount: str = layout.DEFAULT_MODULE_MOUNT,
    follow_external_links: bool = False,
    **account: Any,
) -> None:
    """Declare every ``--sagemaker-*`` flag and one flag per channel on ``parser``.

    ``account``: the code defaults of :data:`ACCOUNT_FLAGS` (``subnets=``, ``source_dir=``...).
    """
    g = parser.add_argument_group("SageMaker", "Run this script as a SageMaker Processing job.")
    _bool_flag(g, "--sagemaker-run", run, "run as a SageMaker Processing job instead of here")
    _bool_flag(
        g,
        "--sagemaker-wait",
        wait,
        "wait for the job: follow its status and logs, then fetch local outputs",
    )
    _bool_flag(
        g,
        "--sagemaker-dry-run",
        False,
        "print the CreateProcessingJob request as JSON and stop: nothing uploaded, no job "
        "(needs no --sagemaker-run)",
    )
    _bool_flag(
        g,
        "--sagemaker-download",
        True,
        "after a waited run, download outputs that were given as local paths",
    )
    _flag(
        g,
        "--sagemaker-instance",
        instance,
        f"instance type, or '{LOCAL_INSTANCE}' to run the same job on this machine",
    )
    _flag(g, "--sagemaker-instance-count", instance_count, "number of instances", type=int)
    _flag(
        g,
        "--sagemaker-image",
        image,
        "container image URI (default: the AWS scikit-learn processing image of the region)",
    )
    _flag(
        g,
        "--sagemaker-role",
        role,
        "IAM role name or ARN the job runs as; a missing role is created",
    )
    _flag(g, "--sagemaker-profile", profile, "AWS profile for credentials and region")
    _flag(
        g,
        "--sagemaker-job-name",
        job_name or "",
        "exact job name (default: the base name plus a timestamp)",
    )
    _flag(
        g,
        "--sagemaker-base-job-name",
        base_job_name or _script_stem(script),
        "job name prefix; a timestamp is appended",
    )
    _flag(
        g,
        "--sagemaker-runtime-seconds",
        runtime_seconds,
        "stop the job after this many seconds (1..777600)",
        type=int,
    )
    _flag(g, "--sagemaker-volume-size", volume_size, "storage volume size in GB", type=int)
    _flag(g, "--sagemaker-python", python, "Python interpreter inside the container")
    _flag(g, "--sagemaker-script", script, "the script the job runs")
    _flag(
        g,
        "--sagemaker-requirements",
        requirements,
        "requirements file installed with pip inside the job",
    )
    _flag(
        g,
        "--sagemaker-configuration-script",
        configuration_script,
        "bash script sourced inside the job before the script runs; its exports reach main",
    )
    _flag(
        g,
        "--sagemaker-configuration-command",
        configuration_command,
        "bash command run inside the job before the script (after the configuration script)",
    )
    _flag(
        g,
        "--sagemaker-s3-prefix",
        s3_prefix,
        "S3 location for staged code and inputs (default: s3://sagemaker-<region>-<account>/aws-sagemaker-remote)",
    )
    _flag(
        g,
        "--sagemaker-output-json",
        None,
        "write the job's description (DescribeProcessingJob) to this JSON file",
    )
    g.add_argument(
        "--sagemaker-env",
        action="append",
        metavar="KEY=VALUE",
        default=[f"{k}={v}" for k, v in (env or {}).items()],
        help="environment variable for the job (repeatable)",
    )
    g.add_argument(
        "--sagemaker-tag",
        action="append",
        metavar="KEY=VALUE",
        default=[f"{k}={v}" for k, v in (tags or {}).items()],
        help="tag for the job (repeatable)",
    )
    _bool_flag(
        g,
        "--sagemaker-docker",
        False,
        "with --sagemaker-instance local, run the job's image in Docker",
    )
    _bool_flag(
        g,
        "--sagemaker-follow-external-links",
        follow_external_links,
        "ship what symlinks inside an input or module directory point to when they lead "
        "outside it (otherwise such a link stops the submission)",
    )
    _flag(g, "--sagemaker-input-mount", input_mount, "where inputs appear inside the container")
    _flag(
        g,
        "--sagemaker-output-mount",
        output_mount,
        "where outputs are written inside the container",
    )
    _flag(
        g,
        "--sagemaker-module-mount",
        module_mount,
        "where modules appear inside the container (put on PYTHONPATH)",
    )
    add_account_arguments(g, account)

    if channels.inputs:
        gi = parser.add_argument_group("inputs", "Local paths or s3:// URIs (or job://JOB/OUTPUT).")
        for name, arg in channels.inputs.items():
            flag = flag_for(name)
            gi.add_argument(
                flag,
                dest=name,
                default=arg.local,
                help=f"input {name}{' (optional)' if arg.optional else ''}"
                f" (default: {arg.local or 'none'})",
            )
            gi.add_argument(
                flag + "-mode",
                dest=f"{name}_mode",
                default=arg.mode or "File",
                type=_choice(flag + "-mode", INPUT_MODES),
                metavar="|".join(INPUT_MODES),
                help=f"how SageMaker delivers {name} (default: {arg.mode or 'File'})",
            )
            gi.add_argument(
                flag + "-distribution",
                dest=f"{name}_distribution",
                default=arg.distribution or "FullyReplicated",
                type=_choice(flag + "-distribution", DISTRIBUTIONS),
                metavar="|".join(DISTRIBUTIONS),
                help=f"how {name} is split across instances "
                f"(default: {arg.distribution or 'FullyReplicated'})",
            )
            gi.add_argument(
                flag + "-data-type",
                dest=f"{name}_data_type",
                default=arg.data_type or "S3Prefix",
                type=_choice(flag + "-data-type", DATA_TYPES),
                metavar="|".join(DATA_TYPES),
                help=f"S3Prefix: {name} is every object under it; ManifestFile: {name} is a "
                f"manifest listing the objects (default: {arg.data_type or 'S3Prefix'})",
            )
    if channels.outputs:
        go = parser.add_argument_group("outputs", "Local directories or s3:// URIs.")
        for name, arg in channels.outputs.items():
            flag = flag_for(name)
            go.add_argument(
                flag,
                dest=name,
                default=arg.local,
                help=f"output {name}: where main writes it here, and where a "
                f"waited remote run downloads it (default: {arg.local or 'none'})",
            )
            go.add_argument(
                flag + "-mode",
                dest=f"{name}_mode",
                default=arg.mode or "EndOfJob",
                type=_choice(flag + "-mode", OUTPUT_MODES),
                metavar="|".join(OUTPUT_MODES),
                help=f"when SageMaker uploads {name} (default: {arg.mode or 'EndOfJob'})",
            )
            go.add_argument(
                flag + "-s3",
                dest=f"{name}_s3",
                default=arg.remote,
                help=f"where {name} lands on S3 in a remote run; 'default' derives it "
                f"from the job name (default: {arg.remote})",
            )
    if channels.modules:
        gm = parser.add_argument_group(
            "modules", "Directories shipped with the job and put on PYTHONPATH."
        )
        for name, path in channels.modules.items():
            gm.add_argument(
                flag_for(name), dest=name, default=path, help=f"module {name} (default: {path})"
            )


def parse_ids(text: str | list | tuple) -> tuple[str, ...]:
    """``ID,ID`` (or a list in code) -> a tuple of non-empty IDs."""
    items = text.split(",") if isinstance(text, str) else list(text)
    ids = tuple(str(item).strip() for item in items if str(item).strip())
    for item in ids:
        if any(c.isspace() for c in item):
            raise argparse.ArgumentTypeError(f"{item!r} is not an ID")
    return ids


parse_ids.__name__ = "ID,ID"

# The request fields a company account may require: (flag, keyword, code default, type,
# help). Each is a --sagemaker-* flag with an AWS_SAGEMAKER_REMOTE_* default, and a keyword
# of sagemaker_processing_main; JobSpec and the request take them from the same names.
ACCOUNT_FLAGS: tuple[tuple[str, str, Any, Any, str], ...] = (
    (
        "--sagemaker-subnets",
        "subnets",
        (),
        parse_ids,
        "VPC subnet IDs for the job, comma-separated (with --sagemaker-security-groups)",
    ),
    (
        "--sagemaker-security-groups",
        "security_groups",
        (),
        parse_ids,
        "VPC security group IDs for the job, comma-separated (with --sagemaker-subnets)",
    ),
    (
        "--sagemaker-network-isolation",
        "network_isolation",
        False,
        bool,
        "run the container without network access",
    ),
    (
        "--sagemaker-inter-container-encryption",
        "inter_container_encryption",
        False,
        bool,
        "encrypt traffic between the job's instances",
    ),
    (
        "--sagemaker-volume-kms-key",
        "volume_kms_key",
        None,
        None,
        "KMS key (ID, ARN or alias) that encrypts the instances' storage volumes",
    ),
    (
        "--sagemaker-output-kms-key",
        "output_kms_key",
        None,
        None,
        "KMS key (ID, ARN or alias) that encrypts the outputs on S3",
    ),
    ("--sagemaker-experiment", "experiment", None, None, "SageMaker Experiments experiment name"),
    ("--sagemaker-trial", "trial", None, None, "SageMaker Experiments trial name"),
    (
        "--sagemaker-experiment-run",
        "experiment_run",
        None,
        None,
        "SageMaker Experiments run name (with --sagemaker-experiment)",
    ),
    (
        "--sagemaker-source-dir",
        "source_dir",
        None,
        None,
        "ship this whole directory as the code (the script must be in it); default: the "
        "script and the local modules it imports",
    ),
    (
        "--sagemaker-allow-secrets",
        "allow_secrets",
        False,
        bool,
        "ship .env files and private keys found in the code",
    ),
)
ACCOUNT_KEYWORDS = {keyword: default for _, keyword, default, _, _ in ACCOUNT_FLAGS}


def add_account_arguments(group, settings: dict[str, Any]) -> None:
    """The flags of :data:`ACCOUNT_FLAGS`, with code defaults from ``settings``."""
    unknown = set(settings) - set(ACCOUNT_KEYWORDS)
    if unknown:
        raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
    for flag, keyword, default, kind, help in ACCOUNT_FLAGS:
        value = settings.get(keyword, default)
        if kind is bool:
            _bool_flag(group, flag, bool(value), help)
        elif kind is parse_ids:
            value = parse_ids(value or ())
            default = _default(flag, value, parse_ids)
            action = group.add_argument(
                flag,
                type=parse_ids,
                default=default,
                metavar="ID,ID",
                help=help + (f" (default: {','.join(default)})" if default else ""),
            )
            _note_origin(action)
        else:
            _flag(group, flag, value, help)


def _choice(flag: str, choices: tuple[str, ...]) -> Callable[[str], str]:
    """Case-insensitive choice that reports the allowed values in one line."""
    by_lower = {c.lower(): c for c in choices}

    def parse(text: str) -> str:
        try:
            return by_lower[text.lower()]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(text.lower(), list(by_lower), n=1, cutoff=0.5)
            hint = f"; did you mean {by_lower[close[0]]}?" if close else ""
            raise argparse.ArgumentTypeError(
                f"{text!r} is not one of {', '.join(choices)}{hint}"
            ) from None

    parse.__name__ = flag
    return parse


def add_additional_arguments(parser: argparse.ArgumentParser, additional: list | None) -> None:
    """``[{'dest': '--filter-width', 'default': 32, 'help': ...}]`` or ``[(args, kwargs)]``."""
    for item in additional or []:
        if isinstance(item, dict):
            kwargs = dict(item)
            flag = kwargs.pop("dest")
            default = kwargs.get("default")
            if default is not None and "%(default)" not in kwargs.get("help", ""):
                kwargs["help"] = f"{kwargs.get('help', '')} (default: %(default)s)".strip()
            if "type" not in kwargs and "action" not in kwargs:
                if isinstance(default, bool):
                    kwargs.update(type=parse_bool, nargs="?", const=True)
                elif isinstance(default, (int, float)):
                    kwargs["type"] = type(default)
            parser.add_argument(flag, **kwargs)
        else:
            args, kwargs = item
            parser.add_argument(*args, **kwargs)


_CHANNEL_FLAGS = {
    "inputs": ("", "-mode", "-distribution"),
    "outputs": ("", "-mode", "-s3"),
    "modules": ("",),
}


def check_channel_names(declared: dict[str, dict]) -> None:
    """UserError naming the keyword when channels would clash on the command line.

    ``declared``: keyword (``inputs``...) -> the channels given for it. argparse would
    report these as a traceback, or not at all (a name in two keywords)."""
    kinds: dict[str, str] = {}
    flags: dict[str, str] = {}
    for keyword, channels in declared.items():
        for name in channels:
            where = f"{keyword}[{name!r}]"
            if not isinstance(name, str) or not name.strip("-_ "):
                raise UserError(f"{keyword}= has the channel name {name!r}; name it")
            if name in kinds:
                raise UserError(
                    f"the channel name {name!r} is declared in both {kinds[name]}= and {keyword}=",
                    fix="give every channel its own name",
                )
            kinds[name] = keyword
            for suffix in _CHANNEL_FLAGS[keyword]:
                flag = flag_for(name) + suffix
                if flag.startswith("--sagemaker-") or flag == "--help":
                    raise UserError(
                        f"{where} makes the flag {flag}, which belongs to the library",
                        fix="rename the channel",
                    )
                if flag in flags:
                    raise UserError(
                        f"{flags[flag]} and {where} both make the flag {flag}",
                        fix="rename one of the channels",
                    )
                flags[flag] = where


def _script_stem(script: str) -> str:
    return os.path.splitext(os.path.basename(script))[0] or "processing"


def build_parser(
    *,
    script: str,
    description: str | None = None,
    inputs: dict | None = None,
    outputs: dict | None = None,
    modules: dict | None = None,
    additional_arguments: list | None = None,
    argparse_callback: Callable[[argparse.ArgumentParser], Any] | None = None,
    **settings: Any,
) -> tuple[argparse.ArgumentParser, Channels]:
    """The whole parser of a processing script, and the channels it declared."""
    check_channel_names(
        {"inputs": inputs or {}, "outputs": outputs or {}, "modules": modules or {}}
    )
    channels = Channels(inputs or {}, outputs or {}, modules or {})
    parser = OneLineParser(description=description, allow_abbrev=False, epilog=ENV_EPILOG)
    add_sagemaker_arguments(parser, script=script, channels=channels, **settings)
    try:
        add_additional_arguments(parser, additional_arguments)
    except argparse.ArgumentError as error:
        raise UserError(f"additional_arguments=: {error}", fix="rename the argument") from None
    if argparse_callback:
        try:
            argparse_callback(parser)
        except argparse.ArgumentError as error:
            raise UserError(f"argparse_callback=: {error}", fix="rename the argument") from None
    return parser, channels


def sagemaker_processing_parser_for_docs() -> argparse.ArgumentParser:
    """The documented parser, with one input, one output and one module (for sphinx-argparse)."""
    parser, _ = build_parser(
        script="script.py",
        inputs={"input": "/path/to/input"},
        outputs={"output": "/path/to/output"},
        modules={"mymodule": "/path/to/mymodule"},
    )
    return parser


__all__ = ["sagemaker_processing_parser_for_docs", "PathArgument"]
