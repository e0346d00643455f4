"""A local job's log keeps stdout and stderr in the order they were written, as a
container's log driver does with one terminal for both."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import run_script
from e2e.test_engine_e2e import LOCAL

pytestmark = pytest.mark.e2e  # a real local job


def test_prints_and_a_traceback_interleave_in_the_order_written(tmp_path):
    script = tmp_path / "order.py"
    script.write_text(
        "import sys\n"
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args):\n"
        "    for i in range(200):\n"
        "        print(f'out {i}')\n"
        "        print(f'err {i}', file=sys.stderr)\n"
        "    print('last words before the error')\n"
        "    raise ValueError('boom')\n"
        "sagemaker_processing_main(main=main, base_job_name='order')\n"
    )
    done = run_script(script, *LOCAL, "--sagemaker-wait", "false", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    name = done.stdout.strip()
    waited = subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "wait", "--local", name],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert waited.returncode == 1, waited.stderr
    logs = subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "logs", "--local", name],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in logs.stdout.splitlines() if line.startswith(("out ", "err "))]
    assert lines == [f"{kind} {i}" for i in range(200) for kind in ("out", "err")]
    tail = logs.stdout.splitlines()
    words = tail.index("last words before the error")
    assert tail[words + 1] == "Traceback (most recent call last):"
    assert tail[-1] == "ValueError: boom"
