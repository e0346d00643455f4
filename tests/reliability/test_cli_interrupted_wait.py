"""Ctrl-C during a waited run leaves the job running and says the exact command that
puts its outputs where the run would have; ``jobs wait`` downloads them there."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ctrl_c_as_in_a_terminal
from e2e.test_engine_e2e import LOCAL

pytestmark = pytest.mark.e2e  # a real local job and subprocesses

GATED = """
import os, time
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    opt_ml = os.environ.get("AWS_SAGEMAKER_REMOTE_OPT_ML", "/opt/ml")
    gate = os.path.join(opt_ml, "output", "go")
    print("waiting for the gate", flush=True)
    deadline = time.monotonic() + 120
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "result.txt"), "w") as f:
        f.write("made by the job\\n")

if __name__ == "__main__":
    sagemaker_processing_main(main=main, outputs={"output": "results/here"}, base_job_name="gated")
"""


def jobs(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def interrupt_once_waiting(script: Path, cwd: Path) -> tuple[str, str]:
    """Run ``script`` waited on the engine; Ctrl-C once the job runs. (job name, stderr)."""
    run = subprocess.Popen(
        [sys.executable, str(script), *LOCAL],
        cwd=cwd,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        preexec_fn=ctrl_c_as_in_a_terminal,
    )
    seen = []
    try:
        for line in run.stderr:  # the job blocks at its gate: no line is long in coming
            seen.append(line)
            if "waiting for the gate" in line:
                break
        run.send_signal(signal.SIGINT)
        rest = run.communicate(timeout=60)[1]
    finally:
        if run.poll() is None:
            run.kill()
    said = "".join(seen) + rest
    assert run.returncode == 130, said
    name = re.search(r"created processing job (\S+)", said).group(1)
    return name, said


def open_gate(name: str) -> None:
    job_dir = Path(os.environ["AWS_SAGEMAKER_REMOTE_HOME"]) / "jobs" / name
    (job_dir / "algo-1" / "opt" / "ml" / "output" / "go").write_text("")


@pytest.mark.parametrize("fetch", ["wait", "download"])
def test_ctrl_c_says_the_download_command_and_it_puts_outputs_where_the_run_would(tmp_path, fetch):
    script = tmp_path / "gated.py"
    script.write_text(GATED)
    name, said = interrupt_once_waiting(script, tmp_path)
    last = said.strip().splitlines()[-1]
    assert "the job keeps running" in last
    assert "output to results/here" in last
    assert f"aws-sagemaker-remote jobs download {name} --local" in last
    assert f"aws-sagemaker-remote jobs wait {name} --local" in last
    assert not (tmp_path / "results").exists()

    open_gate(name)
    if fetch == "download":  # the job ends first; then the command Ctrl-C gave
        assert jobs("wait", name, "--local", "--no-download").returncode == 0
        assert not (tmp_path / "results").exists()
    done = subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", fetch, name, "--local"],
        cwd="/",  # the paths are the run's, not relative to where the command runs
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = tmp_path / "results" / "here" / "result.txt"
    assert result.read_bytes() == b"made by the job\n"
    assert done.stdout.strip() == str(tmp_path / "results" / "here")

    result.unlink()  # done: waiting again does not download again
    assert jobs("wait", name, "--local").returncode == 0
    assert not result.exists()
