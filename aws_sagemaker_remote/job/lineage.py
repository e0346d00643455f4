"""Job lineage: ``job://JOB-NAME/OUTPUT-NAME`` names another job's output as an input.

The URI resolves, through the backend's DescribeProcessingJob, to the S3 URI where that
output landed (a prefix ending in "/"), so chaining jobs needs no copy-pasted S3 paths. A
path after the output name selects something inside it: ``job://prep/features/train``.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import NotFound, UserError
from ..wording import jobs_command
from .status import COMPLETED, UNSUCCESSFUL

SCHEME = "job://"
# The service model's pattern, compiled as the model checks compile it (re.ASCII: the same
# matches for these ASCII classes), so a submission compiles it once, not twice.
JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", re.ASCII)
_FORM = "job://JOB-NAME/OUTPUT-NAME"


def checked_job_name(name: object) -> str:
    """``name`` if it is a SageMaker job name, else UserError. Every backend checks the
    names it is handed (the Python API is not only the CLI); the local engine's become
    directory names, so ``.``, ``..`` or a ``/`` must never get as far as a path."""
    if not isinstance(name, str) or not JOB_NAME.fullmatch(name):
        raise UserError(
            f"{name!r} is not a processing job name",
            field="job_name",
            fix="use 1-63 letters, digits and hyphens, starting with a letter or digit",
        )
    return name


def is_job_uri(text: str) -> bool:
    return text.startswith(SCHEME)


def parse_job_uri(uri: str, field: str = "inputs") -> tuple[str, str, str]:
    """(job name, output name, path inside the output) of a ``job://`` URI, or UserError."""
    job_name, _, rest = uri[len(SCHEME) :].partition("/")
    output_name, _, subpath = rest.partition("/")
    if not job_name or not output_name:
        raise UserError(f"{uri!r} names no job output", field=field, fix=f"write {_FORM}")
    if not JOB_NAME.fullmatch(job_name):
        raise UserError(
            f"{job_name!r} in {uri!r} is not a processing job name",
            field=field,
            fix=f"write {_FORM}",
        )
    return job_name, output_name, subpath


def short_reason(reason: str | None, limit: int = 160) -> str | None:
    """A failure reason in one short line: its first line, and the last line of the output
    it quotes (an exception's ``RuntimeError: ...``), rather than a flattened traceback."""
    if not reason:
        return None
    lines = [line.strip() for line in reason.strip().splitlines() if line.strip()]
    text = lines[0].rstrip(":.")
    if len(lines) > 1:
        text += f": {lines[-1]}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def resolve_job_input(uri: str, backend: Any, field: str = "inputs") -> str:
    """The S3 URI a ``job://`` URI stands for; any other URI is returned unchanged."""
    if not is_job_uri(uri):
        return uri
    job_name, output_name, subpath = parse_job_uri(uri, field)
    local = backend.local  # the commands a hint names take --local
    try:
        description = backend.describe_job(job_name)
    except NotFound as error:
        raise UserError(
            f"{uri}: {error.message}",
            field=field,
            fix=f"see the jobs with `{jobs_command('list', local=local)}`",
        ) from None
    status = description.get("ProcessingJobStatus")
    if status != COMPLETED:
        reason = short_reason(description.get("FailureReason"))
        raise UserError(
            f"{uri}: job {job_name} has not completed (status {status}"
            + (f": {reason})" if reason else ")"),
            field=field,
            fix="use a completed job's output"
            + (
                f", or wait for it with `{jobs_command('wait', job_name, local=local)}`"
                if status not in UNSUCCESSFUL
                else ""
            ),
        )
    outputs = {
        output.get("OutputName"): output.get("S3Output", {}).get("S3Uri")
        for output in description.get("ProcessingOutputConfig", {}).get("Outputs", [])
    }
    location = outputs.get(output_name)
    if not location:
        known = ", ".join(sorted(name for name, s3 in outputs.items() if name and s3)) or "none"
        raise UserError(
            f"{uri}: job {job_name} has no output named {output_name!r}",
            field=field,
            fix=f"its outputs: {known}",
        )
    # An output is a directory: its prefix ends in "/", or SageMaker would also deliver
    # the keys of a sibling output whose name starts with this one's (clean, clean_v2).
    # A path inside it keeps the caller's "/" (or its absence: it may name one object).
    inside = subpath.lstrip("/")
    return f"{location.rstrip('/')}/{inside}" if inside.strip("/") else location.rstrip("/") + "/"
