"""A local job's ``/opt/ml`` on this machine: where a container path lands under its
stand-in, and what our bootstrap entrypoint asks for.

The runner, the isolation and the caches all need these two readings of the request; they
live here, below all three, so none of them imports another's module for them.
"""

from __future__ import annotations

from ...script.bootstrap import Options, parse_arguments
from ...storage.containment import segment_problem

BOOTSTRAP_SUFFIX = "/aws_sagemaker_remote/script/bootstrap.py"


class TransferError(Exception):
    """Data could not be fetched, placed or stored; the job fails with a ClientError."""


def bootstrap_options(entrypoint: list[str]) -> Options | None:
    """What our bootstrap is asked for when it is the entrypoint (``python3 .../bootstrap.py``);
    None for another entrypoint, or a malformed one (the bootstrap says so when it runs)."""
    if len(entrypoint) < 2 or not entrypoint[1].endswith(BOOTSTRAP_SUFFIX):
        return None
    try:
        return parse_arguments(entrypoint[2:])[0]
    except ValueError:
        return None


def container_relpath(container_path: str) -> str:
    """``/opt/ml/processing/x`` -> ``processing/x`` (relative to the /opt/ml stand-in)."""
    rel = container_path
    if container_path.startswith("/opt/ml"):
        rel = container_path[len("/opt/ml") :]
    rel = rel.strip("/")
    problem = segment_problem(rel)
    if problem:
        raise TransferError(f"container path {container_path!r}: {problem}")
    return rel
