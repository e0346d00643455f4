"""One flag per channel of a processing script, and the names channels may take.

An input adds ``--NAME`` and ``--NAME-mode``, ``-distribution``, ``-data-type`` and
``-container-path``; an output ``--NAME`` and ``--NAME-mode``, ``-s3`` and
``-container-path``. Shipped into the job with the parser (standard library only).
"""

from __future__ import annotations

import argparse
import os
import posixpath

from ..args import (
    DATA_TYPES,
    DEFAULT_DATA_TYPE,
    DEFAULT_DISTRIBUTION,
    DEFAULT_INPUT_MODE,
    DEFAULT_OUTPUT_MODE,
    DISTRIBUTIONS,
    INPUT_MODES,
    OUTPUT_MODES,
    PathArgument,
    as_path_argument,
    flag_for,
)
from ..errors import KeywordError, UserError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
    from typing import Any, Callable


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


def add_input_flags(parser: argparse.ArgumentParser, channels: Channels, mounts: tuple) -> None:
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
            _choice_flag(gi, flag, "-mode", f"{name}_mode", arg.mode or DEFAULT_INPUT_MODE,
                         INPUT_MODES, f"how SageMaker delivers {name}")  # fmt: skip
            _choice_flag(gi, flag, "-distribution", f"{name}_distribution",
                         arg.distribution or DEFAULT_DISTRIBUTION, DISTRIBUTIONS,
                         f"how {name} is split across instances")  # fmt: skip
            _choice_flag(gi, flag, "-data-type", f"{name}_data_type",
                         arg.data_type or DEFAULT_DATA_TYPE, DATA_TYPES,
                         f"S3Prefix: {name} is every object under it; ManifestFile: {name} "
                         "is a manifest listing the objects")  # fmt: skip
            _add_container_path_flag(gi, name, arg, mounts[0])


def _choice_flag(
    group: Any, flag: str, suffix: str, dest: str, default: str, choices: tuple, what: str
) -> None:
    """``--NAME-mode`` and the like: one of ``choices``, its default stated once."""
    group.add_argument(
        flag + suffix,
        dest=dest,
        default=default,
        type=_choice(flag + suffix, choices),
        metavar="|".join(choices),
        help=f"{what} (default: {default})",
    )


def add_output_flags(parser: argparse.ArgumentParser, channels: Channels, mounts: tuple) -> None:
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
            _choice_flag(go, flag, "-mode", f"{name}_mode", arg.mode or DEFAULT_OUTPUT_MODE,
                         OUTPUT_MODES, f"when SageMaker uploads {name}")  # fmt: skip
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


def _unfit_name(name: str) -> bool:
    """``/``, ``..``, a leading ``-`` or a control character: no directory of its own."""
    return (
        name in (".", "..") or name.startswith("-") or any(c in "/\\" or ord(c) < 32 for c in name)
    )


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
