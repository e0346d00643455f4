"""A failing main's traceback is printed once, then the reason."""

from __future__ import annotations

import pytest
from conftest import run_script
from e2e.test_engine_e2e import LOCAL

pytestmark = pytest.mark.e2e  # real jobs, subprocesses or fault timeouts: seconds each


def test_the_traceback_is_printed_once_then_the_reason(tmp_path):
    script = tmp_path / "boom.py"
    script.write_text(
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args):\n"
        "    raise ValueError('boom')\n"
        "sagemaker_processing_main(main=main)\n"
    )
    done = run_script(script, *LOCAL, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.count("Traceback (most recent call last)") == 1
    assert done.stderr.count("ValueError: boom") == 2  # the log's last line, then the reason
    last = done.stderr.strip().splitlines()[-1]
    assert "reason: AlgorithmError: algo-1 exited with exit code 1: ValueError: boom" in last
