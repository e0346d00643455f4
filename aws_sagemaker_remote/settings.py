"""Every setting of a run, once: its name, kind, code default and help.

The command line (``--sagemaker-NAME``), the Python API (``NAME=``) and the environment
(``AWS_SAGEMAKER_REMOTE_NAME``) all derive from this table, so a new setting is one entry
here plus its JobSpec field. Precedence: code default < environment < what the caller gave.
Kept to the standard library (no dataclasses) because a plain local run imports it.
"""

from __future__ import annotations

import os

from .args import parse_bool
from .errors import UserError
from .script import layout

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
    from collections.abc import Iterator, Mapping
    from typing import Any, Literal

DEFAULT_ROLE = "aws-sagemaker-remote-processing-role"
DEFAULT_INSTANCE = "ml.t3.medium"
DEFAULT_RUNTIME_SECONDS = 60 * 60
DEFAULT_VOLUME_SIZE = 30
DEFAULT_PYTHON = "python3"
LOCAL_INSTANCE = "local"
ENV_PREFIX = "AWS_SAGEMAKER_REMOTE_"

# Where a value came from, for messages (a bad value from the environment says so).
DEFAULT, ENVIRONMENT, GIVEN = "default", "environment", "given"


class Setting:
    """One setting. ``kind``: bool, int, text or pairs (KEY=VALUE items, a dict in the API).

    ``scope`` "job" settings become JobSpec fields; "run" settings say how this run is
    driven (run here or remotely, wait, download) and never reach the job.
    """

    __slots__ = ("name", "kind", "default", "help", "scope", "flag")

    def __init__(self, name, kind, default, help, scope="job", flag=None):
        self.name = name
        self.kind = kind
        self.default = default
        self.help = help
        self.scope = scope
        self.flag = flag or "--sagemaker-" + name.replace("_", "-")

    @property
    def env_name(self) -> str | None:
        """The environment variable that overrides the code default (none for pairs)."""
        return None if self.kind == "pairs" else ENV_PREFIX + self.name.upper()

    def convert(self, value: Any) -> Any:
        """``value`` as this setting's kind; ValueError when it is not one."""
        if value is None or self.kind == "text":
            return value
        if self.kind == "bool":
            try:
                return parse_bool(value)
            except Exception:
                raise ValueError("yes/true/1 or no/false/0") from None
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise ValueError("a whole number")
            try:
                return int(value)
            except ValueError:
                raise ValueError("a whole number") from None
        return pairs(value)


def pairs(value: Any) -> tuple[tuple[str, str | None], ...]:  # None: no "=" (checked later)
    """A dict, ``KEY=VALUE`` strings, or (key, value) pairs, as (key, value) tuples (unchecked)."""
    if isinstance(value, dict):
        return tuple((str(k), str(v)) for k, v in value.items())
    items: list[tuple[str, str | None]] = []
    for item in value or ():
        if isinstance(item, str):
            key, sep, text = item.partition("=")
            items.append((key, text) if sep else (item, None))
        else:
            key, text = item
            items.append((str(key), str(text)))
    return tuple(items)


_S = Setting
SETTINGS = (
    _S("run", "bool", False, "run as a SageMaker Processing job instead of here", "run"),
    _S(
        "wait",
        "bool",
        True,
        "wait for the job: follow its status and logs, then fetch local outputs",
        "run",
    ),
    _S(
        "dry_run",
        "bool",
        False,
        "print the CreateProcessingJob request as JSON and stop: nothing "
        "uploaded, no job (needs no --sagemaker-run)",
        "run",
    ),
    _S(
        "download",
        "bool",
        True,
        "after a waited run, download outputs that were given as local paths",
        "run",
    ),
    _S(
        "instance",
        "text",
        DEFAULT_INSTANCE,
        f"instance type, or '{LOCAL_INSTANCE}' to run the same job on this machine",
    ),
    _S("instance_count", "int", 1, "number of instances"),
    _S(
        "image",
        "text",
        None,
        "container image URI (default: the AWS scikit-learn processing image of the region)",
    ),
    _S(
        "role",
        "text",
        DEFAULT_ROLE,
        "IAM role name or ARN the job runs as; a missing role is created",
    ),
    _S("profile", "text", None, "AWS profile for credentials and region"),
    _S("job_name", "text", "", "exact job name (default: the base name plus a timestamp)"),
    _S(
        "base_job_name",
        "text",
        None,
        "job name prefix; a timestamp is appended (default: the script's name)",
    ),
    _S(
        "runtime_seconds",
        "int",
        DEFAULT_RUNTIME_SECONDS,
        "stop the job after this many seconds (1..777600)",
    ),
    _S("volume_size", "int", DEFAULT_VOLUME_SIZE, "storage volume size in GB"),
    _S("python", "text", DEFAULT_PYTHON, "Python interpreter inside the container"),
    _S("script", "text", None, "the script the job runs"),
    _S("requirements", "text", None, "requirements file installed with pip inside the job"),
    _S(
        "configuration_script",
        "text",
        None,
        "bash script sourced inside the job before the script runs; its exports reach main",
    ),
    _S(
        "configuration_command",
        "text",
        None,
        "bash command run inside the job before the script (after the configuration script)",
    ),
    _S(
        "s3_prefix",
        "text",
        None,
        "S3 location for staged code and inputs "
        "(default: s3://sagemaker-<region>-<account>/aws-sagemaker-remote)",
    ),
    _S(
        "output_json",
        "text",
        None,
        "write the job's description (DescribeProcessingJob) to this JSON file",
        "run",
    ),
    _S("env", "pairs", (), "environment variable for the job (repeatable)"),
    _S("tags", "pairs", (), "tag for the job (repeatable)", flag="--sagemaker-tag"),
    _S("docker", "bool", False, "with a local instance, run the job's image in Docker"),
    _S(
        "local_host_credentials",
        "bool",
        False,
        "with a local instance, give the job this machine's AWS credentials instead of "
        "its role's (for debugging)",
    ),
    _S(
        "follow_external_links",
        "bool",
        False,
        "ship what symlinks inside an input or module directory point to when they lead "
        "outside it (otherwise such a link stops the submission)",
    ),
    _S(
        "input_mount",
        "text",
        layout.DEFAULT_INPUT_MOUNT,
        "where inputs appear inside the container",
    ),
    _S(
        "output_mount",
        "text",
        layout.DEFAULT_OUTPUT_MOUNT,
        "where outputs are written inside the container",
    ),
    _S(
        "module_mount",
        "text",
        layout.DEFAULT_MODULE_MOUNT,
        "where modules appear inside the container (put on PYTHONPATH)",
    ),
)
BY_NAME = {s.name: s for s in SETTINGS}
JOB_SETTINGS = tuple(s.name for s in SETTINGS if s.scope == "job")


def check_names(names: Any, what: str = "setting") -> None:
    """TypeError for a keyword that names no setting, as Python does for a bad keyword."""
    unknown = sorted(set(names) - set(BY_NAME))
    if unknown:
        raise TypeError(f"unknown {what}(s): {', '.join(unknown)}")


def resolve(
    given: Mapping[str, Any],
    code_defaults: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every setting's value and where it came from (default, environment or given).

    ``given`` wins over the environment, which wins over ``code_defaults`` and the table.
    Raises UserError naming the setting (and the variable) for a value of the wrong kind.
    """
    check_names(given)
    check_names(code_defaults or {})
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for setting in SETTINGS:
        name = setting.name
        if name in given and given[name] is not None:
            value, origin = given[name], GIVEN
        elif setting.env_name and environ.get(setting.env_name) is not None:
            value, origin = environ[setting.env_name], ENVIRONMENT
        else:
            value, origin = (code_defaults or {}).get(name, setting.default), DEFAULT
        origins[name] = origin
        try:
            values[name] = setting.convert(value)
        except ValueError as error:
            fix = "fix or unset the environment variable" if origin == ENVIRONMENT else None
            bad = UserError(f"{value!r} is not {error}", field=name, fix=fix)
            raise blamed(bad, origins) from None
    return values, origins


def blamed(error: UserError, origins: Mapping[str, str]) -> UserError:
    """``error``, saying which environment variable its value came from, if it did."""
    setting = BY_NAME.get(error.field or "")
    if setting and origins.get(setting.name) == ENVIRONMENT and error.origin is None:
        error.origin = setting.env_name
    return error


class blame_environment:
    """``with blame_environment(origins):`` errors about a setting taken from the environment
    name the variable, wherever they are raised (the spec, the request, AWS)."""

    def __init__(self, origins: Mapping[str, str]):
        self.origins = origins

    def __enter__(self) -> blame_environment:
        return self

    def __exit__(self, exc_type, exc, tb) -> Literal[False]:
        if isinstance(exc, UserError):
            blamed(exc, self.origins)
        return False


def job_settings(values: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """The (name, value) pairs that describe the job itself."""
    for name in JOB_SETTINGS:
        yield name, values.get(name)
