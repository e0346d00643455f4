"""This library's own ``--sagemaker-run true`` against ``serve``: stage, create, follow,
download, with a SageMaker that really runs the job."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import EXAMPLES

pytestmark = pytest.mark.e2e


def test_wordcount_on_the_local_sagemaker_matches_a_local_run(serve, tmp_path):
    script = EXAMPLES / "wordcount.py"
    env = dict(serve.env, AWS_SAGEMAKER_REMOTE_HOME=str(tmp_path / "client-state"))
    here = subprocess.run(
        [sys.executable, str(script), "--output", str(tmp_path / "here")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert here.returncode == 0, here.stderr
    remote = subprocess.run(
        [
            sys.executable,
            str(script),
            "--sagemaker-run",
            "true",
            "--sagemaker-instance",
            "ml.m5.large",
            "--sagemaker-wait",
            "true",
            "--output",
            str(tmp_path / "there"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert remote.returncode == 0, remote.stderr
    assert "created processing job wordcount-" in remote.stderr
    assert "words," in remote.stderr + remote.stdout  # the job's own line, followed
    assert ": Completed" in remote.stderr
    counts = (tmp_path / "there" / "counts.tsv").read_bytes()
    assert counts == (tmp_path / "here" / "counts.tsv").read_bytes()
    assert counts  # the job wrote something, and it came back
