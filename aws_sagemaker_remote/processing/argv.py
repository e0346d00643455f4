"""From a parsed command line to what every front end hands the spec: settings, channels,
and the script's own arguments.

The command line is one front end of :func:`..job.spec.build_spec`, the Python API the
other; this module is the part only the command line needs: which flags the library owns,
which settings were typed rather than defaulted, and the user's arguments verbatim.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..args import PathArgument
from ..settings import ENVIRONMENT, GIVEN, SETTINGS
from .args import Channels
from .channel_flags import channel_dests
from .setting_flags import setting_dest


class CommandLine:
    """A parsed command line, seen as settings (name -> value), channels and arguments."""

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        parser: argparse.ArgumentParser,
        channels: Channels,
        argv: list[str],
    ):
        owned = own_flags(parser, channels)
        self.arguments, typed = split_arguments(argv, owned)
        self.settings: dict[str, Any] = {}
        self.origins: dict[str, str] = dict(getattr(parser, "origins", {}))
        self.explicit: set[str] = set()
        for setting in SETTINGS:
            dest = setting_dest(setting)
            self.settings[setting.name] = getattr(args, dest)
            if dest in typed:
                self.origins[setting.name] = GIVEN
            if self.origins.get(setting.name) in (GIVEN, ENVIRONMENT):
                self.explicit.add(setting.name)
        self.settings["env"] = _pairs(self.settings["env"])
        self.settings["tags"] = _pairs(self.settings["tags"])
        self.inputs = {
            name: PathArgument(
                getattr(args, name),
                optional=declared.optional,
                mode=getattr(args, f"{name}_mode"),
                distribution=getattr(args, f"{name}_distribution"),
                data_type=getattr(args, f"{name}_data_type"),
                container_path=getattr(args, f"{name}_container_path"),
            )
            for name, declared in channels.inputs.items()
        }
        self.outputs = {
            name: PathArgument(
                getattr(args, name),
                remote=getattr(args, f"{name}_s3"),
                optional=declared.optional,
                mode=getattr(args, f"{name}_mode"),
                container_path=getattr(args, f"{name}_container_path"),
            )
            for name, declared in channels.outputs.items()
        }
        self.modules = {name: getattr(args, name) for name in channels.modules}


def _pairs(items: list[str] | None) -> tuple[tuple[str, str | None], ...]:
    from ..settings import pairs

    return pairs(items or [])


def own_flags(parser: argparse.ArgumentParser, channels: Channels) -> dict[str, argparse.Action]:
    """Option strings the library owns (not passed through to the job), with their actions."""
    dests = channel_dests(channels)
    owned = {}
    for action in parser._actions:
        if action.dest.startswith("sagemaker_") or action.dest in dests:
            for option in action.option_strings:
                owned[option] = action
    return owned


def split_arguments(
    argv: list[str], owned: dict[str, argparse.Action]
) -> tuple[tuple[str, ...], set[str]]:
    """The user's own arguments from ``argv``, verbatim (everything our flags did not
    consume), and the dests of our flags that were typed."""
    kept: list[str] = []
    typed: set[str] = set()
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
        else:
            typed.add(action.dest)
            if not has_value and action.nargs is None:
                i += 1  # skip its value too
            elif not has_value and action.nargs == "?":
                if i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                    i += 1
        i += 1
    return tuple(kept), typed
