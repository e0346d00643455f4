"""The AWS CLI v1 against ``serve``: SageMaker, CloudWatch Logs and S3 commands."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import job_request, wait_for_end

pytestmark = [pytest.mark.e2e, pytest.mark.compat]


def aws_cli() -> str:
    beside = Path(sys.executable).parent / "aws"
    found = str(beside) if beside.is_file() else shutil.which("aws")
    if found is None:
        pytest.skip("the AWS CLI is not installed (pip install -e '.[compat]')")
    return found


def aws(serve, *args: str) -> str:
    done = subprocess.run(
        [aws_cli(), *args, "--output", "json"],
        capture_output=True,
        text=True,
        env=serve.env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sagemaker_and_logs_commands(serve, job_name):
    sagemaker = serve.client("sagemaker")
    sagemaker.create_processing_job(**job_request(job_name, "print('from the cli test')"))
    wait_for_end(sagemaker, job_name)
    listed = json.loads(
        aws(serve, "sagemaker", "list-processing-jobs", "--name-contains", job_name)
    )
    assert [s["ProcessingJobName"] for s in listed["ProcessingJobSummaries"]] == [job_name]
    described = json.loads(
        aws(serve, "sagemaker", "describe-processing-job", "--processing-job-name", job_name)
    )
    assert described["ProcessingJobStatus"] == "Completed"
    streams = json.loads(
        aws(
            serve,
            "logs",
            "describe-log-streams",
            "--log-group-name",
            "/aws/sagemaker/ProcessingJobs",
            "--log-stream-name-prefix",
            f"{job_name}/",
        )
    )["logStreams"]
    events = json.loads(
        aws(
            serve,
            "logs",
            "get-log-events",
            "--log-group-name",
            "/aws/sagemaker/ProcessingJobs",
            "--log-stream-name",
            streams[0]["logStreamName"],
            "--start-from-head",
        )
    )["events"]
    assert "from the cli test" in [e["message"] for e in events]


def test_s3_cp_round_trip(serve, tmp_path, job_name):
    original = tmp_path / "up.bin"
    original.write_bytes(bytes(range(256)) * 4096 + b"tail")
    aws(serve, "s3", "mb", f"s3://cli-{job_name}")
    aws(serve, "s3", "cp", str(original), f"s3://cli-{job_name}/dir/up.bin")
    listed = aws(serve, "s3", "ls", f"s3://cli-{job_name}/dir/")
    assert "up.bin" in listed
    aws(serve, "s3", "cp", f"s3://cli-{job_name}/dir/up.bin", str(tmp_path / "down.bin"))
    assert (tmp_path / "down.bin").read_bytes() == original.read_bytes()
