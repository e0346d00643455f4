"""How the command line spells fields: the one mapping from a field to a flag.

Errors and notes name fields (``instance``, ``inputs.data.mode``, ``{{s3_prefix}}``); the
processing command line spells them as its flags (``--sagemaker-instance``, ``--data-mode``)
and the ``jobs`` command as its options (``--profile``). Standard library only: a plain
local run renders its errors with it.
"""

from __future__ import annotations

from ..args import flag_for

CHANNEL_KINDS = ("inputs", "outputs", "modules")


def flag_for_field(field: str) -> str:
    """The processing command line's flag for ``field``: ``inputs.data.mode`` -> ``--data-mode``."""
    kind, _, rest = field.partition(".")
    if kind in CHANNEL_KINDS and rest:
        name, _, attribute = rest.partition(".")
        return flag_for(name) + (f"-{attribute.replace('_', '-')}" if attribute else "")
    if field.startswith("-"):  # the script's own flag, spelled the same everywhere
        return field
    if field == "arguments":
        return "script arguments"
    from ..settings import BY_NAME

    setting = BY_NAME.get(field)
    return setting.flag if setting else flag_for(field)


# The jobs command's own options, and the API keywords it spells differently.
_JOBS_OPTIONS = {
    "job_name": "NAME",
    "dir": "--output",
    "output": "--name",
    "profile": "--profile",
    "local": "--local",
    "max": "--max",
}


def jobs_option_for_field(field: str) -> str:
    """The ``jobs`` command's spelling: its own options, a job's NAME; any other field (a
    channel, a setting of the job) as the processing command line spells it."""
    return _JOBS_OPTIONS.get(field) or flag_for_field(field)


# ``serve``'s options, by the fields its errors name.
_SERVE_OPTIONS = {
    "port": "--port",
    "host": "--host",
    "account_id": "--account-id",
    "region": "--region",
    "access_key_id": "--access-key-id",
    "secret_access_key": "--secret-access-key",
}


def serve_option_for_field(field: str) -> str:
    """The ``serve`` command's spelling of a field."""
    return _SERVE_OPTIONS.get(field) or flag_for_field(field)


def run_option_for_field(field: str) -> str:
    """``aws-sagemaker-remote run``'s spelling: a channel by its ``--input``/``--output``
    (and the channel's name), the script as SCRIPT, other settings as their flags."""
    kind, _, rest = field.partition(".")
    if kind in ("inputs", "outputs"):
        flag = "--" + kind[:-1]
        name, _, attribute = rest.partition(".")
        if attribute in ("mode", "distribution", "data_type"):
            flag += "-" + attribute.replace("_", "-")
        return f"{flag} {name}" if name else flag
    if field == "script":
        return "SCRIPT"
    if field == "arguments":
        return "the script's arguments (after --)"
    return flag_for_field(field)
