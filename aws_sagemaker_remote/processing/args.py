"""The command line of a processing script (public: ``sagemaker_processing_parser_for_docs``).

Every ``--sagemaker-*`` flag is declared from the settings table (:mod:`..settings`) with
its code default. A default may be overridden from the environment
(``AWS_SAGEMAKER_REMOTE_<NAME>``, e.g. ``AWS_SAGEMAKER_REMOTE_ROLE``), and the command line
overrides both. Each input, output
and module adds its own ``--NAME`` flag. Only ``argparse`` and our small modules are
imported, so a local run starts as fast as a plain script.
"""

from __future__ import annotations

import argparse
import os
import posixpath
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
from ..settings import BY_NAME, ENV_PREFIX, SETTINGS, Setting, parse_ids, resolve

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
    from collections.abc import Collection
    from typing import Any, Callable


ENV_EPILOG = (
    f"Every --sagemaker-* flag takes its default from the environment variable "
    f"{ENV_PREFIX}<NAME> when it is set (--sagemaker-instance: {ENV_PREFIX}INSTANCE); "
    "the command line overrides it."
)


# What the usage line says for the --sagemaker-* flags it leaves out.
_SAGEMAKER_USAGE = argparse.Action(["--sagemaker-*"], dest="sagemaker", metavar="...")
_CHANNEL_USAGE = argparse.Action(["--NAME-*"], dest="channel", metavar="...")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit 2 (no usage dump).

    ``origins`` says, per setting, whether its default came from the code or the
    environment (see :mod:`..settings`), so an error about it can name the variable.
    """

    origins: dict = {}
    _checking = False  # inside add_argument
    channel_names: frozenset[str] = frozenset()  # dests of the channels' own flags
    channel_dests: frozenset[str] = frozenset()  # and of all their flags (-mode...)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        self._checking = True
        try:
            return super().add_argument(*args, **kwargs)
        finally:
            self._checking = False

    def _get_formatter(self) -> argparse.HelpFormatter:
        """add_argument makes a formatter only to check the new flag's metavar; a default
        one imports shutil (bz2, lzma: a few ms of every run, in the job too) to learn the
        terminal's width, which only help and usage need."""
        if self._checking:
            return self.formatter_class(prog=self.prog, width=80)  # type: ignore[call-arg]
        return super()._get_formatter()

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)

    def format_usage(self) -> str:
        formatter = self._get_formatter()
        formatter.add_usage(self.usage, self._usage_actions(), self._mutually_exclusive_groups)
        return formatter.format_help()

    def format_help(self) -> str:
        """argparse's help, but the usage names the script's own flags and channels and
        sums up the library's as ``[--sagemaker-* ...]``; their groups come last."""
        formatter = self._get_formatter()
        formatter.add_usage(self.usage, self._usage_actions(), self._mutually_exclusive_groups)
        formatter.add_text(self.description)
        for group in self._action_groups:
            formatter.start_section(group.title)
            formatter.add_text(group.description)
            formatter.add_arguments(group._group_actions)
            formatter.end_section()
        formatter.add_text(self.epilog)
        return formatter.format_help()

    def _usage_actions(self) -> list[argparse.Action]:
        """What the usage line spells out: the script's own flags, then each channel's
        flag; a channel's other flags and the ``--sagemaker-*`` flags are summed up (a
        usage of every flag is 30 lines)."""
        library = [a for a in self._actions if a.dest.startswith("sagemaker_")]
        channels = [a for a in self._actions if a.dest in self.channel_dests]
        own = [a for a in self._actions if a not in library and a not in channels]
        shown = own + [a for a in channels if a.dest in self.channel_names]
        if len(shown) < len(channels) + len(own):
            shown.append(_CHANNEL_USAGE)
        return shown + ([_SAGEMAKER_USAGE] if library else [])


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


def setting_dest(setting: Setting) -> str:
    """Where argparse puts a setting: ``--sagemaker-tag`` -> ``args.sagemaker_tag``."""
    return dest_for(setting.flag)


def _add_setting(group: Any, setting: Setting, default: Any) -> None:
    """One ``--sagemaker-*`` flag, declared from the settings table."""
    if setting.kind == "bool":
        group.add_argument(
            setting.flag,
            type=parse_bool,
            nargs="?",
            const=True,
            default=default,
            metavar="yes|no",
            help=f"{setting.help} (default: {'yes' if default else 'no'})",
        )
    elif setting.kind == "ids":
        group.add_argument(
            setting.flag,
            type=_ids,
            default=default,
            metavar="ID,ID",
            help=setting.help + (f" (default: {','.join(default)})" if default else ""),
        )
    elif setting.kind == "pairs":
        group.add_argument(
            setting.flag,
            action="append",
            metavar="KEY=VALUE",
            default=[f"{k}={v}" for k, v in default],
            help=setting.help,
        )
    else:
        stated = "(default:" in setting.help  # the help says the default in words
        shown = "" if default in (None, "") or stated else f" (default: {default})"
        group.add_argument(
            setting.flag,
            default=default,
            type=int if setting.kind == "int" else None,
            metavar=_METAVARS.get(setting.name),
            help=setting.help + shown,
        )


def _ids(text: str) -> tuple[str, ...]:
    """argparse type: ``ID,ID``."""
    try:
        return parse_ids(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not {error}") from None


# The --sagemaker-* flags in --help, after the script's own flags and channels: one group
# per question a user asks of them. A setting left out lands in the last group.
SETTING_GROUPS = (
    (
        "SageMaker: where and how this run goes",
        "Run this script as a SageMaker Processing job (or on the local engine) instead of here.",
        ("run", "dry_run", "wait", "download", "output_json"),
    ),
    (
        "SageMaker: the job",
        None,
        (
            "instance",
            "instance_count",
            "image",
            "role",
            "profile",
            "job_name",
            "base_job_name",
            "runtime_seconds",
            "volume_size",
            "python",
            "env",
            "tags",
        ),
    ),
    (
        "SageMaker: the code and its environment",
        None,
        (
            "script",
            "source_dir",
            "requirements",
            "configuration_script",
            "configuration_command",
            "allow_secrets",
            "follow_external_links",
            "s3_prefix",
        ),
    ),
    ("SageMaker: the local engine", None, ("docker", "local_host_credentials")),
    (
        "SageMaker: networks, encryption and experiments",
        None,
        (
            "subnets",
            "security_groups",
            "network_isolation",
            "inter_container_encryption",
            "volume_kms_key",
            "output_kms_key",
            "experiment",
            "trial",
            "experiment_run",
        ),
    ),
    (
        "SageMaker: container paths",
        "Where channels appear inside the job; --NAME-container-path sets one channel's.",
        ("input_mount", "output_mount", "module_mount"),
    ),
)
_METAVARS = {
    "instance": "TYPE",
    "instance_count": "N",
    "image": "URI",
    "role": "NAME|ARN",
    "profile": "PROFILE",
    "job_name": "NAME",
    "base_job_name": "PREFIX",
    "runtime_seconds": "SECONDS",
    "volume_size": "GB",
    "python": "PYTHON",
    "script": "FILE",
    "source_dir": "DIR",
    "requirements": "FILE",
    "configuration_script": "FILE",
    "configuration_command": "COMMAND",
    "s3_prefix": "S3_URI",
    "output_json": "FILE",
    "volume_kms_key": "KEY",
    "output_kms_key": "KEY",
    "experiment": "NAME",
    "trial": "NAME",
    "experiment_run": "NAME",
    "input_mount": "DIR",
    "output_mount": "DIR",
    "module_mount": "DIR",
}


def add_settings(
    parser: argparse.ArgumentParser,
    defaults: dict[str, Any],
    *,
    leave_out: Collection[str] = (),
) -> list[argparse._ArgumentGroup]:
    """One ``--sagemaker-*`` flag per setting (but ``leave_out``), in :data:`SETTING_GROUPS`;
    returns the groups, so a caller can put them where it wants them in the help."""
    placed = {name for _, _, names in SETTING_GROUPS for name in names}
    rest = tuple(s.name for s in SETTINGS if s.name not in placed)
    groups = []
    for index, (title, description, names) in enumerate(SETTING_GROUPS):
        if index == len(SETTING_GROUPS) - 1:
            names = names + rest
        wanted = [BY_NAME[name] for name in names if name not in leave_out]
        if not wanted:
            continue
        group = parser.add_argument_group(title, description)
        for setting in wanted:
            _add_setting(group, setting, defaults[setting.name])
        groups.append(group)
    return groups


def add_sagemaker_arguments(
    parser: argparse.ArgumentParser,
    *,
    script: str,
    channels: Channels,
    **code_defaults: Any,
) -> dict[str, str]:
    """Declare one flag per channel and every ``--sagemaker-*`` flag on ``parser``.

    ``code_defaults`` are the script's own defaults of settings (``instance="local"``);
    the environment overrides them. Returns where each default came from.
    """
    code_defaults["script"] = code_defaults.get("script") or script
    code_defaults["base_job_name"] = code_defaults.get("base_job_name") or script_stem(script)
    defaults, origins = resolve({}, code_defaults)
    mounts = (defaults["input_mount"], defaults["output_mount"])
    _add_input_flags(parser, channels, mounts)
    _add_output_flags(parser, channels, mounts)
    if channels.modules:
        gm = parser.add_argument_group(
            "modules", "Directories shipped with the job and put on PYTHONPATH."
        )
        for name, path in channels.modules.items():
            gm.add_argument(
                flag_for(name),
                dest=name,
                default=path,
                metavar="DIR",
                help=f"the module {name}: a package directory or .py file (default: {path})",
            )
    add_settings(parser, defaults)
    return origins


def _add_input_flags(parser: argparse.ArgumentParser, channels: Channels, mounts: tuple) -> None:
    """``--NAME`` and its ``-mode``, ``-distribution``, ``-data-type`` and ``-container-path``."""
    if channels.inputs:
        gi = parser.add_argument_group("inputs", "Local paths or s3:// URIs (or job://JOB/OUTPUT).")
        for name, arg in channels.inputs.items():
            flag = flag_for(name)
            gi.add_argument(
                flag,
                dest=name,
                default=arg.local,
                metavar="PATH|URI",
                help=f"where {name} comes from{' (optional)' if arg.optional else ''}"
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
            _add_container_path_flag(gi, name, arg, mounts[0])


def _add_output_flags(parser: argparse.ArgumentParser, channels: Channels, mounts: tuple) -> None:
    """``--NAME`` and its ``-mode``, ``-s3`` and ``-container-path``."""
    if channels.outputs:
        go = parser.add_argument_group("outputs", "Local directories or s3:// URIs.")
        for name, arg in channels.outputs.items():
            flag = flag_for(name)
            go.add_argument(
                flag,
                dest=name,
                default=arg.local,
                metavar="DIR|URI",
                help=f"where main writes {name} here, and where a waited remote run "
                f"downloads it (default: {arg.local or 'none'})",
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
                metavar="S3_URI",
                help=f"where {name} lands on S3 in a remote run; 'default' derives it "
                f"from the job name (default: {arg.remote})",
            )
            _add_container_path_flag(go, name, arg, mounts[1])


def _add_container_path_flag(group: Any, name: str, arg: PathArgument, mount: str) -> None:
    group.add_argument(
        flag_for(name) + "-container-path",
        dest=f"{name}_container_path",
        default=arg.container_path,
        metavar="PATH",
        help=f"where {name} is inside the job, under /opt/ml/processing/ "
        f"(default: {arg.container_path or posixpath.join(mount, name)})",
    )


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


def script_stem(script: str) -> str:
    return os.path.splitext(os.path.basename(script))[0] or "processing"


def channel_dests(channels: Channels) -> set[str]:
    """Where argparse puts each flag of each channel (``data``, ``data_mode``...)."""
    dests = set(channels.modules)
    for kind, names in (("inputs", channels.inputs), ("outputs", channels.outputs)):
        for name in names:
            dests |= {name + suffix.replace("-", "_") for suffix in _CHANNEL_FLAGS[kind]}
    return dests


_CHANNEL_FLAGS = {
    "inputs": ("", "-mode", "-distribution", "-data-type", "-container-path"),
    "outputs": ("", "-mode", "-s3", "-container-path"),
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
    parser.origins = add_sagemaker_arguments(parser, script=script, channels=channels, **settings)
    parser.channel_names = frozenset([*channels.inputs, *channels.outputs, *channels.modules])
    parser.channel_dests = frozenset(channel_dests(channels))
    try:
        add_additional_arguments(parser, additional_arguments)
    except argparse.ArgumentError as error:
        raise UserError(f"additional_arguments=: {error}", fix="rename the argument") from None
    if argparse_callback:
        try:
            argparse_callback(parser)
        except argparse.ArgumentError as error:
            raise UserError(f"argparse_callback=: {error}", fix="rename the argument") from None
    _library_groups_last(parser)
    return parser, channels


def _library_groups_last(parser: argparse.ArgumentParser) -> None:
    """The script's own groups (from ``argparse_callback``) before the ``--sagemaker-*`` ones."""
    groups = parser._action_groups
    library = [g for g in groups if (g.title or "").startswith("SageMaker")]
    parser._action_groups = [g for g in groups if g not in library] + library


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
