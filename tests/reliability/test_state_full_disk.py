"""A full disk under the engine's state is one line naming the disk, never a traceback;
nothing is left half-written, and a job whose runner hits it is recorded as Failed with
the reason. Each test mounts a small tmpfs of its own (skipped where mounting is not
allowed) as the state directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from e2e.test_local_engine import (
    STORE,
    log_messages,
    make_request,
    s3_output,
    stage_script,
    unique,
    wait_status,
)

from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.errors import UserError

pytestmark = pytest.mark.e2e  # real jobs and submissions on a real, small file system


def _mount_small(path: Path, size: str) -> None:
    path.mkdir(parents=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")


@pytest.fixture()
def small_state(tmp_path, monkeypatch, request):
    """A state directory on a tmpfs of ``request.param`` (default 64m: a job environment fits),
    unmounted at the end."""
    disk = tmp_path / "small"
    _mount_small(disk, getattr(request, "param", "64m"))
    state = disk / "state"
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(state))
    try:
        yield state
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def fill(disk: Path) -> Path:
    """Every byte of the disk taken by one file (removed to give the room back)."""
    filler = disk / "filler"
    with open(filler, "ab", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0" * 512)
                f.flush()
        except OSError:
            pass
    return filler


SUBMITS = """
import os
from aws_sagemaker_remote.processing import sagemaker_processing_main
def main(args):
    open(os.path.join(args.output, "n.txt"), "w").write(str(len(os.listdir(args.input))))
sagemaker_processing_main(main=main, inputs={"input": "data"}, outputs={"output": "out"})
"""


@pytest.mark.parametrize("small_state", ["3m"], indirect=True)
def test_staging_onto_a_full_disk_is_one_line_naming_it(small_state, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "big.bin").write_bytes(os.urandom(4 * 1024 * 1024))
    (tmp_path / "job.py").write_text(SUBMITS)
    done = subprocess.run(
        [sys.executable, "job.py", "--sagemaker-run", "true", "--sagemaker-instance", "local"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_SAGEMAKER_REMOTE_HOME": str(small_state)},
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "error:" in line]
    assert "no space left on the disk holding" in line and str(small_state.parent) in line
    assert "AWS_SAGEMAKER_REMOTE_HOME" in line
    partial = [p for p in small_state.rglob("*") if p.name.startswith((".partial", ".asr"))]
    assert partial == []  # nothing half-written is left behind
    assert LocalBackend().list_jobs() == []  # and no job was recorded


def test_recording_a_job_on_a_full_disk_is_one_line_and_leaves_no_job(small_state):
    backend = LocalBackend()
    code = stage_script(unique("full"), "print('hello')\n")
    first = unique("full")
    backend.create_job(make_request(first, code))
    wait_status(backend, first, timeout=120)
    filler = fill(small_state.parent)
    name = unique("full")
    with pytest.raises(UserError) as raised:
        backend.create_job(make_request(name, code))
    assert "no space left on the disk holding" in raised.value.one_line()
    filler.unlink()
    assert [job["ProcessingJobName"] for job in backend.list_jobs()] == [first]
    assert not backend.store.job_dir(name).exists()


# Writes its output, then fills the disk (to the last block) and ends well: the runner's
# upload of the output (into the local store, on the same disk) and its records hit the
# full disk, not the job.
FILLS = """
with open("/opt/ml/processing/output/result.txt", "w") as f:
    f.write("x" * 100000)
with open("/opt/ml/output/fill", "ab", buffering=0) as f:
    for size in (65536, 512):
        try:
            while True:
                f.write(b"\\0" * size)
        except OSError as error:
            print("filled:", error, flush=True)
"""


def test_a_runner_that_hits_a_full_disk_records_the_job_failed_with_the_reason(small_state):
    backend = LocalBackend()
    prefix = unique("full")
    name = unique("full")
    request = make_request(
        name,
        stage_script(prefix, FILLS),
        outputs=[s3_output("out", f"{STORE}/{prefix}/out", "/opt/ml/processing/output")],
    )
    backend.create_job(request)
    described = wait_status(backend, name, timeout=120)
    log = (backend.store.job_dir(name) / "runner.log").read_text()
    assert described["ProcessingJobStatus"] == "Failed", log
    reason = described["FailureReason"]
    assert reason.startswith("ClientError: "), (reason, log_messages(backend, name))
    assert "No space left on device" in reason or "no space left" in reason, reason
    assert "Traceback" not in log, log
