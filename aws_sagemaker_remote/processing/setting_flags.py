"""The ``--sagemaker-*`` flags of a parser, declared from the settings table, in groups.

One flag per setting of :mod:`..settings`, with its kind's parsing (``yes|no``,
``ID,ID``, ``KEY=VALUE``), a metavar that says what it takes and its default stated once.
``--help`` lists them after the script's own flags, in one group per question a user asks
of them. Shared by processing scripts and ``aws-sagemaker-remote run``; shipped into the
job with the parser (standard library only).
"""

from __future__ import annotations

import argparse

from ..args import dest_for, parse_bool
from ..settings import BY_NAME, SETTINGS, Setting, parse_ids

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
    from collections.abc import Collection
    from typing import Any


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
