"""An AWS endpoint that never answers is one line naming it, exit 3, never silence.

A fault proxy in front of moto server holds every request to one service (STS, IAM,
SageMaker, CloudWatch Logs) read and unanswered. Every AWS call is bounded (connect and
read timeouts, a few attempts: under a minute by default); the tests shorten the bound
through AWS_SAGEMAKER_REMOTE_AWS_TIMEOUT and check the message and the exit code, not the
time. A submission stopped there has uploaded nothing and created no job.
"""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest
from conftest import run_script
from faultproxy import FaultProxy
from scripts import write_script

pytestmark = pytest.mark.e2e  # subprocesses against moto server and a stalling proxy

BOUND = {"AWS_SAGEMAKER_REMOTE_AWS_TIMEOUT": "1", "AWS_SAGEMAKER_REMOTE_AWS_ATTEMPTS": "1"}
NEVER = 90  # seconds: far beyond the bound; before the bound existed, the calls hung here


@pytest.fixture()
def frozen(moto_server, moto_reset):
    """A proxy that holds every request it gets; its URL."""
    proxy = FaultProxy(moto_server)
    proxy.add("stall")
    try:
        yield proxy.url
    finally:
        proxy.close()


def env_with(service: str, url: str) -> dict[str, str]:
    return {**os.environ, **BOUND, f"AWS_ENDPOINT_URL_{service}": url}


def assert_names_endpoint(done: subprocess.CompletedProcess, url: str, service: str) -> None:
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.strip().splitlines() if "error" in line]
    assert len(lines) == 1, done.stderr
    assert url in lines[0] and service in lines[0], lines[0]


def jobs(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=NEVER,
    )


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a\n")
    write_script(tmp_path, 'inputs={"input": "data"}, outputs={"output": "out"},')
    return tmp_path


def submit(project, env):
    return run_script(
        project / "job.py",
        "--sagemaker-run",
        "true",
        "--sagemaker-wait",
        "false",
        env=env,
        cwd=project,
        timeout=NEVER,
    )


def nothing_made() -> None:
    assert boto3.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"] == []
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def test_a_frozen_sts_endpoint_is_one_line_naming_it(project, frozen):
    done = submit(project, env_with("STS", frozen))
    assert_names_endpoint(done, frozen, "STS")
    nothing_made()


def test_a_frozen_iam_endpoint_is_one_line_naming_it(project, frozen):
    done = submit(project, env_with("IAM", frozen))
    assert_names_endpoint(done, frozen, "IAM")
    nothing_made()


def test_jobs_list_against_a_frozen_sagemaker_endpoint_is_one_line_naming_it(frozen):
    done = jobs("list", env=env_with("SAGEMAKER", frozen))
    assert_names_endpoint(done, frozen, "SageMaker")


def test_jobs_logs_against_a_frozen_logs_endpoint_is_one_line_naming_it(frozen):
    from integration.test_sagemaker_backend import processing_request

    boto3.client("sagemaker").create_processing_job(**processing_request("frozen-logs"))
    done = jobs("logs", "frozen-logs", env=env_with("CLOUDWATCH_LOGS", frozen))
    assert_names_endpoint(done, frozen, "CloudWatch Logs")
