"""The runner is forked from the submitting process where that is safe,
and a forked runner is what a fresh one was: its own session and streams, none of the
submitter's descriptors, recognised as a runner by every other process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from e2e.test_local_engine import (
    log_messages,
    make_request,
    stage_script,
    unique,
    wait_for,
    wait_status,
)

from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.backends.local.submitting.processes import (
    RUNNER_COMM,
    RUNNER_MODULE,
    RUNNER_START_ENV,
)

pytestmark = pytest.mark.e2e  # real jobs: seconds each

SLEEPER = "import time\nprint('started', flush=True)\ntime.sleep(600)\n"
QUICK = "print('done', flush=True)\n"
# The submitting process: a fresh interpreter with one thread, as a command line is (this
# test process may hold threads other tests left, and then it is not forked from).
SUBMITTER = """
import json, os, sys
from aws_sagemaker_remote.backends.local import LocalBackend

read_end, write_end = os.pipe()  # a fork copies it, inheritable or not
print(os.fstat(write_end).st_ino, flush=True)
LocalBackend().create_job(json.loads(sys.argv[1]))
"""


def submit_from_a_command(source: str) -> tuple[str, int]:
    """(job name, inode of a pipe the submitting process held), the submitter ended."""
    name = unique("job")
    request = make_request(name, stage_script(unique("t"), source))
    done = subprocess.run(
        [sys.executable, "-c", SUBMITTER, json.dumps(request)],
        capture_output=True,
        text=True,
        check=True,
    )
    return name, int(done.stdout.split()[0])


def start_sleeper(backend: LocalBackend) -> tuple[str, int]:
    name = unique("sleeper")
    backend.create_job(make_request(name, stage_script(unique("t"), SLEEPER)))
    return name, wait_started(backend, name)


def wait_started(backend: LocalBackend, name: str) -> int:
    wait_for(lambda: "started" in log_messages(backend, name), what="the job to start")
    return backend.describe_job(name)["LocalEngine"]["RunnerPid"]


def stop(backend: LocalBackend, name: str) -> None:
    backend.stop_job(name)
    assert wait_status(backend, name)["ProcessingJobStatus"] == "Stopped"


def descriptors(pid: int) -> dict[int, str]:
    found = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            found[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
    return found


def test_forked_runner_holds_none_of_the_submitters_descriptors(private_state):
    backend = LocalBackend()
    name, pipe = submit_from_a_command(SLEEPER)
    pid = wait_started(backend, name)
    assert Path(f"/proc/{pid}/comm").read_text().strip() == RUNNER_COMM  # it was forked
    held = descriptors(pid)
    assert f"pipe:[{pipe}]" not in held.values(), held
    log = str(backend.store.job_dir(name) / "runner.log")
    assert held[1] == held[2] == log
    assert os.getsid(pid) == pid  # a session of its own: a stop signals its group
    stop(backend, name)


def test_another_process_recognises_a_forked_runner_as_alive(private_state):
    backend = LocalBackend()  # not the runner's parent: it must tell by /proc
    name, _ = submit_from_a_command(SLEEPER)
    pid = wait_started(backend, name)
    assert RUNNER_MODULE.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    # a runner taken for dead would have its job marked Failed
    assert backend.describe_job(name)["ProcessingJobStatus"] == "InProgress"
    stop(backend, name)


def test_a_forked_runner_killed_is_noticed(private_state):
    backend = LocalBackend()
    name, _ = submit_from_a_command(SLEEPER)
    pid = wait_started(backend, name)
    os.kill(pid, 9)
    described = wait_status(backend, name)
    assert described["ProcessingJobStatus"] == "Failed"
    assert f"runner (pid {pid}) ended without recording" in described["FailureReason"]


def test_exec_asked_for_starts_a_fresh_interpreter(private_state, monkeypatch):
    monkeypatch.setenv(RUNNER_START_ENV, "exec")
    backend = LocalBackend()
    name, pid = start_sleeper(backend)
    assert RUNNER_MODULE.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    stop(backend, name)
    assert "(started afresh)" in (backend.store.job_dir(name) / "runner.log").read_text()


FORK_SAFE = """
import sys, threading
from pathlib import Path
from aws_sagemaker_remote.backends.local.submitting.processes import fork_safe

root = Path(sys.argv[1]).resolve()
with open(root / "runner.log", "ab") as log:
    assert fork_safe(root, log.fileno())
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    assert not fork_safe(root, log.fileno())
    release.set()
    worker.join()
    with open(root / "jobs.sqlite", "ab"):
        assert not fork_safe(root, log.fileno())  # SQLite's lock state is per process
    assert fork_safe(root, log.fileno())
print("checked")
"""


def test_no_fork_from_a_process_with_threads_or_open_state_files(private_state):
    private_state.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", FORK_SAFE, str(private_state)], capture_output=True, text=True
    )
    assert done.stdout.strip() == "checked", done.stderr


def test_a_forked_runner_completes_a_job(private_state):
    backend = LocalBackend()
    name, _ = submit_from_a_command(QUICK)
    described = wait_status(backend, name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert "done" in log_messages(backend, name)
    runner_log = (backend.store.job_dir(name) / "runner.log").read_text()
    assert "(forked from the submitting process)" in runner_log
