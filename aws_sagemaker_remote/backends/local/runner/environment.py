"""The environment variables of a local job: what a processing container has, nothing more.

A container starts from its image's environment, not from the shell of whoever submitted
the job: the submitter's variables (a laptop-only setting, ``AWS_SECRET_ACCESS_KEY``) must
not reach the job. A job gets a minimal ``PATH`` (its own environment's ``bin`` first),
``HOME`` (a directory of the instance's own, so ``~/.aws`` is not read), ``LANG``, the
variables SageMaker sets (``AWS_REGION``, ``AWS_DEFAULT_REGION``, ``HOSTNAME``), the
credentials endpoint's variables, then the request's Environment, which wins: it is the
way to give a job anything more. ``AWS_ENDPOINT_URL*`` passes through, since it names
which AWS the engine itself talks to (an emulator); it carries no secret.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# the region a job gets when none is configured (the placeholder of offline runs)
DEFAULT_REGION = "us-east-1"


def job_environment(
    request: dict,
    *,
    host: str,
    region: str,
    bin_dir: Path,
    home: Path,
    extra: dict[str, str],
    submitter: dict[str, str],
) -> dict[str, str]:
    """Every variable the job's entrypoint starts with; ``extra``: credentials, mapping."""
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{BASE_PATH}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "HOSTNAME": host,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "PYTHONUNBUFFERED": "1",  # lines reach the log stream as they are printed
    }
    env.update({k: v for k, v in submitter.items() if k.startswith("AWS_ENDPOINT_URL")})
    env.update(extra)
    env.update(request.get("Environment") or {})
    return env


def configured_region(submitter: dict[str, str], profile: str | None) -> str:
    """The region of this machine's AWS configuration, read without botocore."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if submitter.get(name):
            return submitter[name]
    home = Path(submitter.get("HOME") or os.path.expanduser("~"))
    config_file = Path(submitter.get("AWS_CONFIG_FILE") or home / ".aws" / "config")
    profile = profile or submitter.get("AWS_PROFILE") or "default"
    if config_file.is_file():
        import configparser  # only with a file to read: most offline jobs have none

        parser = configparser.RawConfigParser()
        try:
            parser.read(config_file)
        except configparser.Error:
            return DEFAULT_REGION
        section = profile if profile == "default" else f"profile {profile}"
        if parser.has_option(section, "region"):
            return parser.get(section, "region")
    return DEFAULT_REGION
