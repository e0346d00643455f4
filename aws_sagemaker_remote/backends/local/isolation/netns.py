"""Network isolation for a local job: each worker in a network namespace of its own.

SageMaker runs a job with ``NetworkConfig.EnableNetworkIsolation`` in a container without
network access; its inputs and outputs are still moved by the platform. The local engine
does the same on Linux: the runner (outside the namespace) fetches inputs and uploads
outputs, and each worker starts in a network namespace of its own, where only a loopback
interface that is down exists: ``--net`` beside the engine's other namespaces
(:func:`.sandbox.namespace_command`), or, where the engine maps paths instead, under
``unshare --user --net`` (:func:`wrap_command`). Docker gets ``--network none``.
Where neither is possible the job is refused (:mod:`.checks`), never run with a network.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from typing import Any

UNSHARE_NETWORK = ("--user", "--map-root-user", "--net")


def isolated(request: dict[str, Any]) -> bool:
    return bool((request.get("NetworkConfig") or {}).get("EnableNetworkIsolation"))


@functools.lru_cache(maxsize=1)
def _unshare() -> str | None:
    """The unshare binary, if it can make a network namespace here (tried once)."""
    if not sys.platform.startswith("linux"):
        return None
    found = shutil.which("unshare")
    if found is None:
        return None
    try:
        tried = subprocess.run(
            [found, *UNSHARE_NETWORK, "true"], capture_output=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if tried.returncode == 0 else None


def available() -> bool:
    """Whether a worker can be started without network access on this machine."""
    return _unshare() is not None


def wrap_command(request: dict[str, Any], command: list[str]) -> list[str]:
    """The worker's command, in a network namespace of its own when the job asks for it."""
    if not isolated(request):
        return command
    unshare = _unshare()
    if unshare is None:  # checks.py refused the job already; never run it with a network
        raise RuntimeError("network isolation was asked for but unshare cannot provide it")
    return [unshare, *UNSHARE_NETWORK, "--", *command]


def docker_options(request: dict[str, Any]) -> list[str]:
    """``docker run`` options for the job's network."""
    return ["--network", "none"] if isolated(request) else []
