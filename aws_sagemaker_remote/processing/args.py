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

from ..args import PathArgument, flag_for, parse_bool
from ..errors import KeywordError
from ..settings import ENV_PREFIX, resolve
from .channel_flags import (
    Channels,
    add_input_flags,
    add_output_flags,
    channel_dests,
    check_channel_names,
)
from .setting_flags import add_settings

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
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
    add_input_flags(parser, channels, mounts)
    add_output_flags(parser, channels, mounts)
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
    _library_groups_last(parser)
    return parser, channels


def _library_groups_last(parser: argparse.ArgumentParser) -> None:
    """The script's own groups (from ``argparse_callback``) before the ``--sagemaker-*`` ones."""
    groups = parser._action_groups
    library = [g for g in groups if (g.title or "").startswith("SageMaker")]
    parser._action_groups = [g for g in groups if g not in library] + library


def sagemaker_processing_parser_for_docs() -> argparse.ArgumentParser:
    """The documented parser, with one input, one output and one module: the docs' flag
    reference (docs/_ext/flagref.py) renders it, and sphinx-argparse can."""
    parser, _ = build_parser(
        script="script.py",
        inputs={"input": "/path/to/input"},
        outputs={"output": "/path/to/output"},
        modules={"mymodule": "/path/to/mymodule"},
    )
    return parser


__all__ = ["sagemaker_processing_parser_for_docs", "PathArgument"]
