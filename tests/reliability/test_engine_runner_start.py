"""Issue 9 (speed): the runner is forked from the submitting process where that is safe,
and a forked runner is what a fresh one was: its own session and streams, none of the
submitter's descriptors, recognised as a runner by every other process."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_local_engine import (
    log_messages,
    make_request,
    stage_script,
    unique,
    wait_for,
    wait_status,
)

from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.backends.local.processes import (
    RUNNER_COMM,
    RUNNER_MODULE,
    RUNNER_START_ENV,
    fork_safe,
)

pytestmark = pytest.mark.e2e  # real jobs: seconds each

SLEEPER = "import time\nprint('started', flush=True)\ntime.sleep(600)\n"
QUICK = "print('done', flush=True)\n"


def start_sleeper(backend: LocalBackend) -> tuple[str, int]:
    name = unique("sleeper")
    backend.create_job(make_request(name, stage_script(unique("t"), SLEEPER)))
    wait_for(lambda: "started" in log_messages(backend, name), what="the job to start")
    return name, backend.describe_job(name)["LocalEngine"]["RunnerPid"]


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
    read_end, write_end = os.pipe()  # a fork copies it, inheritable or not
    pipe = f"pipe:[{os.fstat(write_end).st_ino}]"
    backend = LocalBackend()
    try:
        name, pid = start_sleeper(backend)
        assert Path(f"/proc/{pid}/comm").read_text().strip() == RUNNER_COMM  # it was forked
        held = descriptors(pid)
        assert pipe not in held.values(), held
        log = str(backend.store.job_dir(name) / "runner.log")
        assert held[1] == held[2] == log
        assert os.getsid(pid) == pid  # a session of its own: a stop signals its group
        stop(backend, name)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_another_process_recognises_a_forked_runner_as_alive(private_state):
    backend = LocalBackend()
    name, pid = start_sleeper(backend)
    assert RUNNER_MODULE.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    # another process does not know the pid as its child: it must tell by /proc, and a
    # runner it took for dead would have its job marked Failed
    code = (
        "import sys; from aws_sagemaker_remote.backends.local import LocalBackend; "
        "print(LocalBackend().describe_job(sys.argv[1])['ProcessingJobStatus'])"
    )
    seen = subprocess.run(
        [sys.executable, "-c", code, name], capture_output=True, text=True, check=True
    )
    assert seen.stdout.strip() == "InProgress", seen.stderr
    stop(backend, name)


def test_a_forked_runner_killed_is_noticed(private_state):
    backend = LocalBackend()
    name, pid = start_sleeper(backend)
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


def test_no_fork_from_a_process_with_threads_or_open_state_files(private_state):
    log = private_state / "runner.log"
    private_state.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as handle:
        root = private_state.resolve()
        assert fork_safe(root, handle.fileno())
        release = threading.Event()
        worker = threading.Thread(target=release.wait)
        worker.start()
        try:
            assert not fork_safe(root, handle.fileno())
        finally:
            release.set()
            worker.join()
        with open(private_state / "jobs.sqlite", "ab"):
            assert not fork_safe(root, handle.fileno())  # SQLite's lock state is per process
        assert fork_safe(root, handle.fileno())


def test_a_forked_runner_completes_a_job(private_state):
    backend = LocalBackend()
    name = unique("quick")
    backend.create_job(make_request(name, stage_script(unique("t"), QUICK)))
    described = wait_status(backend, name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert "done" in log_messages(backend, name)
    runner_log = (backend.store.job_dir(name) / "runner.log").read_text()
    assert "(forked from the submitting process)" in runner_log
