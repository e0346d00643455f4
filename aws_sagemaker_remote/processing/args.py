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
from ..errors import KeywordError, UserError
from ..settings import ENV_PREFIX, SETTINGS, Setting, parse_ids, resolve

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
    from typing import Any, Callable


ENV_EPILOG = (
    f"Every --sagemaker-* flag takes its default from the environment variable "
    f"{ENV_PREFIX}<NAME> when it is set (--sagemaker-instance: {ENV_PREFIX}INSTANCE); "
    "the command line overrides it."
)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit 2 (no usage dump).

    ``origins`` says, per setting, whether its default came from the code or the
    environment (see :mod:`..settings`), so an error about it can name the variable.
    """

    origins: dict = {}
    _checking = False  # inside add_argument

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
        shown = "" if default in (None, "") else f" (default: {default})"
        group.add_argument(
            setting.flag,
            default=default,
            type=int if setting.kind == "int" else None,
            help=setting.help + shown,
        )


def _ids(text: str) -> tuple[str, ...]:
    """argparse type: ``ID,ID``."""
    try:
        return parse_ids(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not {error}") from None


def add_sagemaker_arguments(
    parser: argparse.ArgumentParser,
    *,
    script: str,
    channels: Channels,
    **code_defaults: Any,
) -> dict[str, str]:
    """Declare every ``--sagemaker-*`` flag and one flag per channel on ``parser``.

    ``code_defaults`` are the script's own defaults of settings (``instance="local"``);
    the environment overrides them. Returns where each default came from.
    """
    code_defaults["script"] = code_defaults.get("script") or script
    code_defaults["base_job_name"] = code_defaults.get("base_job_name") or script_stem(script)
    defaults, origins = resolve({}, code_defaults)
    g = parser.add_argument_group("SageMaker", "Run this script as a SageMaker Processing job.")
    for setting in SETTINGS:
        _add_setting(g, setting, defaults[setting.name])
    _add_input_flags(parser, channels)
    _add_output_flags(parser, channels)
    if channels.modules:
        gm = parser.add_argument_group(
            "modules", "Directories shipped with the job and put on PYTHONPATH."
        )
        for name, path in channels.modules.items():
            gm.add_argument(
                flag_for(name), dest=name, default=path, help=f"module {name} (default: {path})"
            )
    return origins


def _add_input_flags(parser: argparse.ArgumentParser, channels: Channels) -> None:
    """``--NAME``, ``--NAME-mode``, ``--NAME-distribution`` and ``--NAME-data-type`` per input."""
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


def _add_output_flags(parser: argparse.ArgumentParser, channels: Channels) -> None:
    """``--NAME``, ``--NAME-mode`` and ``--NAME-s3`` per output."""
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


def _unfit_name(name: str) -> bool:
    """``/``, ``..``, a leading ``-`` or a control character: no directory of its own."""
    return (
        name in (".", "..") or name.startswith("-") or any(c in "/\\" or ord(c) < 32 for c in name)
    )


_CHANNEL_FLAGS = {
    "inputs": ("", "-mode", "-distribution", "-data-type"),
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
            if _unfit_name(name):  # a name is a directory of the container and a flag
                raise KeywordError(
                    f"has the channel name {name!r}, which cannot be a directory name and a flag",
                    field=keyword,
                    fix="name it with letters, digits, _ and -, starting with a letter or digit",
                )
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
    parser.origins = add_sagemaker_arguments(parser, script=script, channels=channels, **settings)
    try:
        add_additional_arguments(parser, additional_arguments)
    except argparse.ArgumentError as error:
        raise KeywordError(
            f"{error}", field="additional_arguments", fix="rename the argument"
        ) from None
    except (TypeError, ValueError) as error:  # what argparse says of a bad add_argument call
        raise KeywordError(f"{error}", field="additional_arguments") from None
    if argparse_callback:
        try:
            argparse_callback(parser)
        except argparse.ArgumentError as error:
            raise KeywordError(
                f"{error}", field="argparse_callback", fix="rename the argument"
            ) from None
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
