"""Channels named by their place in the container: what ``run`` and ``run_script`` take.

A script written for the SageMaker SDK reads ``/opt/ml/processing/...`` literally and
parses its own arguments, so its channels are given as the SDK gives them: a container
path and where the data comes from (``ProcessingInput(source, destination)``) or goes to
(``ProcessingOutput(source, destination)``). Each becomes the same channel a
``sagemaker_processing_main`` script declares (a :class:`PathArgument` with its
``container_path``), named after the last part of its path unless named
(``NAME:CONTAINER_PATH``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from ..args import PathArgument
from ..errors import UserError
from ..script import layout
from .values import container_path

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
RESERVED = (layout.CODE_CHANNEL, layout.REQUIREMENTS_CHANNEL, layout.CONFIGURATION_CHANNEL)


def split_channel(text: str, kind: str) -> tuple[str, str]:
    """``[NAME:]CONTAINER_PATH=WHERE`` -> (``[NAME:]CONTAINER_PATH``, WHERE), as typed on a
    command line. ``kind``: "input" or "output", for messages."""
    place, sep, where = text.partition("=")
    what = "SOURCE" if kind == "input" else "DESTINATION"
    if not sep or not place or not where:
        raise UserError(
            f"{text!r} is not [NAME:]CONTAINER_PATH={what}",
            field=f"{kind}s",
            fix=f"e.g. /opt/ml/processing/{kind}={'data' if kind == 'input' else 'out'}",
        )
    return place, where


def channel_place(place: str, kind: str) -> tuple[str, str]:
    """``[NAME:]CONTAINER_PATH`` -> (name, container path), both checked."""
    name, sep, path = place.partition(":")
    if not sep:
        name, path = "", place
    path = path.rstrip("/") or path
    container_path(path, f"{kind}s")
    name = name or path.rsplit("/", 1)[-1]
    where = f"{{{{{kind}s}}}} {place}"
    if not NAME.fullmatch(name):
        raise UserError(
            f"{where}: {name!r} cannot name a channel",
            fix=f"name it: NAME:{path}, with letters, digits, '.', '_' and '-'",
        )
    if kind == "input" and (name in RESERVED or name.startswith(layout.MODULE_CHANNEL_PREFIX)):
        raise UserError(
            f"{where}: the channel name {name!r} is reserved for the job's code",
            fix=f"name it: NAME:{path}",
        )
    return name, path


def container_channels(given: Mapping[str, Any] | None, kind: str) -> dict[str, PathArgument]:
    """``{"[NAME:]CONTAINER_PATH": source or PathArgument}`` -> channel name -> PathArgument.

    ``kind`` is "input" or "output"."""
    channels: dict[str, PathArgument] = {}
    for place, value in (given or {}).items():
        name, path = channel_place(str(place), kind)
        if name in channels:
            raise UserError(
                f"two {kind}s are named {name!r}",
                field=f"{kind}s",
                fix=f"name one of them: NAME:{path}",
            )
        channels[name] = _declared(value, path, f"{kind}s[{place!r}]")
    return channels


def _declared(value: Any, path: str, where: str) -> PathArgument:
    if isinstance(value, PathArgument):
        if value.container_path and value.container_path.rstrip("/") != path:
            raise UserError(
                f"{where} has the container_path {value.container_path!r}",
                fix="give the container path once, as the key",
            )
        from ..args import check_keywords

        check_keywords(value, where)
        return PathArgument(
            value.local,
            remote=value.remote,
            mode=value.mode,
            distribution=value.distribution,
            data_type=value.data_type,
            container_path=path,
        )
    if isinstance(value, (str, os.PathLike)):
        return PathArgument(os.fspath(value), container_path=path)
    raise UserError(
        f"{where} is {value!r}",
        fix="pass a local path, an s3:// URI (or job:// for an input) or a PathArgument",
    )
