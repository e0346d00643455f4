"""Stop and MaxRuntime end the whole job: a parent that ignores SIGTERM and a child
that started a session of its own included."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from e2e.test_local_engine import (
    isolation,  # noqa: F401  (fixture)
    log_messages,
    make_request,
    stage_script,
    unique,
    wait_for,
    wait_status,
)

from aws_sagemaker_remote.backends.local import LocalBackend

pytestmark = pytest.mark.e2e  # real jobs, subprocesses or fault timeouts: seconds each

STUBBORN = """
import os, signal, subprocess, sys, time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", sys.argv[1]],
                 start_new_session=True)
print("started", flush=True)
time.sleep(600)
"""


def alive_with(token: str) -> bool:
    for proc in Path("/proc").iterdir():
        try:
            if token.encode() in (proc / "cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def start_stubborn(backend, max_runtime: int = 3600) -> tuple[str, str]:
    token = f"escaped-{uuid.uuid4().hex}"
    name = unique("stubborn")
    code = stage_script(unique("t"), STUBBORN)
    backend.create_job(make_request(name, code, args=[token], max_runtime=max_runtime))
    wait_for(lambda: "started" in log_messages(backend, name), what="the job to start")
    wait_for(lambda: alive_with(token), what="the escaped child")
    return name, token


def test_stop_ends_the_whole_tree(isolation):  # noqa: F811
    backend = LocalBackend()
    name, token = start_stubborn(backend)
    backend.stop_job(name)
    described = wait_status(backend, name, timeout=30)
    assert described["ProcessingJobStatus"] == "Stopped"
    wait_for(lambda: not alive_with(token), timeout=10, what="the escaped child to end")


def test_max_runtime_ends_the_whole_tree(isolation):  # noqa: F811
    backend = LocalBackend()
    name, token = start_stubborn(backend, max_runtime=3)
    described = wait_status(backend, name, timeout=40)
    assert described["ProcessingJobStatus"] == "Stopped"
    assert "MaxRuntimeExceeded" in described["FailureReason"]
    wait_for(lambda: not alive_with(token), timeout=10, what="the escaped child to end")
