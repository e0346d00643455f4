"""Where a waited run meant to download a job's outputs, kept on this machine until done.

A run that waits downloads each output given as a local path to that path once the job
completes. If the wait is cut short (Ctrl-C, a closed laptop), the job goes on and the
paths would be lost; so they are recorded at submission in ``<state dir>/downloads/
<job>.json``, never in the job's request or tags (local paths are this machine's business,
and tags have a narrow character set). ``jobs wait`` finishes what the run would have
done, and ``jobs download`` without ``--output`` puts the outputs there. Once they are
there (by the run itself, or later), the record is dropped: only runs cut short leave one.
"""

from __future__ import annotations

import json
from pathlib import Path


def _path(job_name: str) -> Path:
    from ..storage.localstore import state_dir

    return state_dir() / "downloads" / f"{job_name}.json"


def record(job_name: str, paths: dict[str, str]) -> None:
    """Remember ``paths`` (output name -> absolute local path) for ``job_name``."""
    if not paths:
        return
    from ..storage.localstore import atomic_write

    text = json.dumps({"outputs": paths}, indent=1).encode()
    try:
        atomic_write(_path(job_name), lambda out: out.write(text), mode=0o600)
    except OSError:
        pass  # a convenience for later: never worth failing a submission for


def recall(job_name: str) -> dict[str, str]:
    """Output name -> the path the run meant; empty when nothing is pending."""
    try:
        data = json.loads(_path(job_name).read_text())
        return {str(k): str(v) for k, v in data["outputs"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def forget(job_name: str) -> None:
    """The outputs are where the run meant them to be (or the job was removed)."""
    try:
        _path(job_name).unlink()
    except OSError:
        pass
