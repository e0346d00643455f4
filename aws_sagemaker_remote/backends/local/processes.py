"""The runner processes, seen from the backend: started, known alive, cleaned up after.

A runner is detached on purpose (its job outlives the submitting command), so the backend
cannot simply wait for it. It starts one (:func:`start_runner`), and later asks whether a
recorded pid is still that runner (:func:`runner_alive`, through ``/proc`` where there is
one, since pids are reused) and kills what a dead runner left behind
(:func:`kill_leftovers`). Runners started by this process are kept to reap their exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

from ...script.layout import OPT_ML_ENV
from ...storage.localstore import STATE_ENV
from .sandbox import MARKER_ENV
from .store import JobRecord, JobStore

RUNNER_MODULE = "aws_sagemaker_remote.backends.local.runner"

# Runners started by this process, so their exit is noticed (and reaped) here.
_children: dict[int, subprocess.Popen] = {}


def start_runner(name: str, store: JobStore, log: IO[bytes]) -> int:
    """Start the detached runner of job ``name``, output to ``log``; its pid. OSError if not."""
    runner = subprocess.Popen(
        [sys.executable, "-m", RUNNER_MODULE, name],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_runner_env(store),
        start_new_session=True,
        close_fds=True,
    )
    _children[runner.pid] = runner
    return runner.pid


def reap() -> None:
    """Collect the exit of runners this process started, so none lingers as a zombie."""
    for pid, child in list(_children.items()):
        if child.poll() is not None:
            del _children[pid]


def runner_alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's process took the pid: the runner is gone
    proc = Path(f"/proc/{pid}")
    if Path("/proc/self").exists():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):
                return False
            if RUNNER_MODULE.encode() not in (proc / "cmdline").read_bytes():
                return False
        except (OSError, IndexError):
            return False
    return True


def kill_leftovers(record: JobRecord, job_dir: Path) -> None:
    """SIGKILL the process groups of a dead runner's workers (if they are still its own)."""
    markers = [f"{name}={job_dir}{os.sep}".encode() for name in (OPT_ML_ENV, MARKER_ENV)]
    check = Path("/proc/self/environ").exists()
    for pid in record.worker_pids:
        if check:
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes()
                if not any(marker in environ for marker in markers):
                    continue
            except OSError:
                continue
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def _runner_env(store: JobStore) -> dict[str, str]:
    env = dict(os.environ)
    env[STATE_ENV] = str(store.root)
    root = str(Path(__file__).resolve().parents[3])
    importable = {str(Path(p).resolve()) for p in sys.path[1:] if p}
    if root not in importable:  # for the runner only: a job's environment starts afresh
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env
