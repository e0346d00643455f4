"""A job that ended Failed: ``jobs wait --no-logs`` shows its last lines as lines, and
``jobs download`` says nothing was produced and exits 1."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import run_script
from e2e.test_engine_e2e import LOCAL

pytestmark = pytest.mark.e2e  # a real local job and subprocesses

FAILING = """
from aws_sagemaker_remote.processing import sagemaker_processing_main

def helper():
    raise ValueError("boom")

def main(args):
    print("started")
    helper()

if __name__ == "__main__":
    sagemaker_processing_main(main=main, outputs={"output": "out"}, base_job_name="failing")
"""


def jobs(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture()
def failed_job(tmp_path) -> str:
    script = tmp_path / "failing.py"
    script.write_text(FAILING)
    done = run_script(script, *LOCAL, "--sagemaker-wait", "false", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    name = done.stdout.strip()
    assert jobs("wait", name, "--local").returncode == 1
    return name


def test_wait_without_logs_keeps_the_traceback_lines(failed_job):
    done = jobs("wait", failed_job, "--local", "--no-logs")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert f"aws-sagemaker-remote: error: job {failed_job} ended Failed; reason: " in lines[1]
    assert "last log lines:" in lines
    assert "  Traceback (most recent call last):" in lines
    assert "  ValueError: boom" in lines
    assert any(line.startswith('    File "') for line in lines)  # the job's own indent kept
    assert max(len(line) for line in lines) < 400


def test_download_of_a_failed_job_says_nothing_was_produced(failed_job, tmp_path):
    into = tmp_path / "fetched"
    done = jobs("download", failed_job, "--local", "--output", into)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"job {failed_job} ended Failed and produced no outputs" in done.stderr
    assert not into.exists()
