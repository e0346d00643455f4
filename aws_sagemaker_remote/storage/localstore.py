"""The local store: S3 URIs of one reserved bucket that live in a directory of this machine.

With ``--sagemaker-instance local`` and no S3 location asked for, staging writes to
``s3://LOCAL_STORE_BUCKET/...`` and the local engine reads from it, so the job request
keeps valid S3 URIs while nothing leaves the machine. The directory is
``<state dir>/store/<key>``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Callable

LOCAL_STORE_BUCKET = "aws-sagemaker-remote-local-store"
PARTIAL_PREFIX = ".partial-"  # files being written; readers of the store skip them
STATE_ENV = "AWS_SAGEMAKER_REMOTE_HOME"


def state_dir() -> Path:
    """Where the job store, the local store and caches live (created on first use)."""
    explicit = os.environ.get(STATE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(base) / "aws-sagemaker-remote"


def is_local_store_uri(uri: str) -> bool:
    return uri.startswith(f"s3://{LOCAL_STORE_BUCKET}/") or uri == f"s3://{LOCAL_STORE_BUCKET}"


def local_store_path(uri: str) -> Path:
    """The file or directory standing for a local-store URI."""
    if not is_local_store_uri(uri):
        raise ValueError(f"not a local-store URI: {uri}")
    key = uri[len(f"s3://{LOCAL_STORE_BUCKET}") :].lstrip("/")
    return state_dir() / "store" / key


def atomic_write(target: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write through a temporary name and rename, so a half-written file never appears."""
    import tempfile  # not at the top: readers of the store should not pay for it

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=PARTIAL_PREFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.chmod(temp, 0o644)  # mkstemp's 0600 would follow the file out of the store
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
