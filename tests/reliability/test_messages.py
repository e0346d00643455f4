"""Messages that point at the right thing. Each test reproduces one rough edge a
new user hit; the engine and moto server really run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import boto3
import pytest
from conftest import run_script
from scripts import write_script

from aws_sagemaker_remote import __version__
from aws_sagemaker_remote.job.lineage import short_reason

DRY = ("--sagemaker-run", "true", "--sagemaker-dry-run", "true")
LOCAL = ("--sagemaker-run", "true", "--sagemaker-instance", "local")
NAME_STAMP = r"-\d{8}-\d{6}-\d{3}"


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a\n")
    write_script(
        tmp_path,
        'inputs={"input": "data"}, outputs={"output": "out"},'
        ' additional_arguments=[{"dest": "--width", "default": 32, "help": "how wide"}],',
    )
    return tmp_path


def error_line(done) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len([line for line in lines if "error:" in line]) == 1, done.stderr
    return lines[-1]


def cli(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", *args],
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


@pytest.mark.e2e
def test_a_value_from_the_environment_is_named_as_such(project, no_aws_env):
    env = {**no_aws_env, "AWS_SAGEMAKER_REMOTE_INSTANCE": "ml.m5.larg"}
    line = error_line(run_script(project / "job.py", *DRY, cwd=project, env=env))
    assert "--sagemaker-instance (from AWS_SAGEMAKER_REMOTE_INSTANCE):" in line
    # given on the command line, the flag is named
    line = error_line(
        run_script(
            project / "job.py", *DRY, "--sagemaker-instance", "ml.m5.larg", cwd=project, env=env
        )
    )
    assert "error: --sagemaker-instance:" in line and "AWS_SAGEMAKER_REMOTE" not in line


@pytest.mark.e2e
def test_enumerations_suggest_the_closest_value(project, no_aws_env):
    line = error_line(
        run_script(
            project / "job.py",
            *DRY,
            "--sagemaker-instance",
            "ml.m5.larg",
            cwd=project,
            env=no_aws_env,
        )
    )
    assert "did you mean 'ml.m5.large'?" in line
    assert len(line) < 300  # not 207 values
    line = error_line(run_script(project / "job.py", "--input-mode", "Pip", cwd=project))
    assert "did you mean Pipe?" in line


@pytest.mark.e2e
def test_file_or_directory_and_relative_to_what(project, no_aws_env):
    line = error_line(
        run_script(project / "job.py", *DRY, "--input", "missing", cwd=project, env=no_aws_env)
    )
    assert f"missing does not exist (relative to {project})" in line
    assert "file or directory" in line
    line = error_line(
        run_script(
            project / "job.py",
            *DRY,
            "--sagemaker-requirements",
            "data",
            cwd=project,
            env=no_aws_env,
        )
    )
    assert "--sagemaker-requirements" in line and "is a directory" in line


@pytest.mark.e2e
@pytest.mark.parametrize(
    "script_name, base",
    [("日本.py", "processing"), ("my script.py", "my-script"), ("café.py", "cafe")],
)
def test_any_script_name_gives_a_valid_job_name(tmp_path, no_aws_env, script_name, base):
    write_script(tmp_path, "", name=script_name)
    done = run_script(tmp_path / script_name, *DRY, cwd=tmp_path, env=no_aws_env)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(base + NAME_STAMP, json.loads(done.stdout)["ProcessingJobName"])


@pytest.mark.e2e
def test_an_explicit_base_job_name_is_cleaned_the_same_way(tmp_path, no_aws_env):
    write_script(tmp_path, "")
    done = run_script(
        tmp_path / "job.py",
        *DRY,
        "--sagemaker-base-job-name",
        "my base_name",
        cwd=tmp_path,
        env=no_aws_env,
    )
    assert done.returncode == 0, done.stderr
    assert re.fullmatch("my-base-name" + NAME_STAMP, json.loads(done.stdout)["ProcessingJobName"])
    line = error_line(
        run_script(
            tmp_path / "job.py",
            *DRY,
            "--sagemaker-base-job-name",
            "日本",
            cwd=tmp_path,
            env=no_aws_env,
        )
    )
    assert "--sagemaker-base-job-name" in line


@pytest.mark.e2e
def test_help_shows_user_defaults_and_the_environment(project):
    done = run_script(project / "job.py", "--help", cwd=project)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "how wide (default: 32)" in text
    assert "AWS_SAGEMAKER_REMOTE_<NAME>" in text and "AWS_SAGEMAKER_REMOTE_INSTANCE" in text


@pytest.mark.e2e
def test_version():
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"aws-sagemaker-remote {__version__}"


@pytest.mark.e2e
def test_a_closed_pipe_is_not_a_traceback(tmp_path):
    read, write = os.pipe()
    os.close(read)  # like `| head` that has already exited: every write gets EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "list", "--local", "--json"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write)
    assert "BrokenPipeError" not in done.stderr and "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if not line.startswith("no local jobs")] == []


@pytest.mark.e2e
def test_logs_of_a_job_without_streams_says_so(moto_reset):
    sm = boto3.client("sagemaker")
    sm.create_processing_job(
        ProcessingJobName="no-streams",
        ProcessingResources={
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.t3.medium",
                "VolumeSizeInGB": 1,
            }
        },
        AppSpecification={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/i:1"},
        RoleArn="arn:aws:iam::123456789012:role/r",
    )
    done = cli("jobs", "logs", "no-streams")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "job no-streams has no log streams yet" in done.stderr


@pytest.mark.e2e
def test_without_waiting_the_job_name_is_on_stdout_and_counts_agree(project):
    done = run_script(project / "job.py", *LOCAL, "--sagemaker-wait", "false", cwd=project)
    assert done.returncode == 0, done.stderr
    name = done.stdout.strip()
    assert re.fullmatch("job" + NAME_STAMP, name)
    assert f"created processing job {name}" in done.stderr
    waited = cli("jobs", "wait", "--local", "--poll-seconds", "0.05", name)
    assert waited.returncode == 0, waited.stderr
    fetched = cli("jobs", "download", "--local", name, "--output", str(project / "dl"))
    assert "output: 1 file from" in fetched.stderr, fetched.stderr
    done = run_script(project / "job.py", *LOCAL, cwd=project)
    assert "output output: 1 file downloaded to" in done.stderr, done.stderr


SLEEPY = """
import time
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    time.sleep(600)

if __name__ == "__main__":
    sagemaker_processing_main(main=main)
"""


@pytest.mark.e2e
def test_max_runtime_names_the_flag_that_raises_the_limit(tmp_path):
    (tmp_path / "sleepy.py").write_text(SLEEPY)
    done = run_script(
        tmp_path / "sleepy.py", *LOCAL, "--sagemaker-runtime-seconds", "1", cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr
    assert "MaxRuntimeExceeded" in done.stderr
    assert "a longer --sagemaker-runtime-seconds raises the limit" in done.stderr


@pytest.mark.e2e
def test_job_uri_of_a_local_job_in_a_plain_local_run(project, moto_reset):
    done = run_script(
        project / "job.py", *LOCAL, "--sagemaker-job-name", "lineage-src", cwd=project
    )
    assert done.returncode == 0, done.stderr
    uri = "job://lineage-src/output"
    line = error_line(run_script(project / "job.py", "--input", uri, cwd=project))
    assert "names a job of the local engine" in line and "--sagemaker-instance local" in line
    done = run_script(
        project / "job.py", "--input", uri, "--sagemaker-instance", "local", cwd=project
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.e2e
def test_a_failed_source_job_gives_a_short_reason(project):
    env = {**os.environ, "FAIL_MAIN": "1"}
    done = run_script(
        project / "job.py",
        *LOCAL,
        "--sagemaker-job-name",
        "failed-src",
        "--sagemaker-env",
        "FAIL_MAIN=1",
        cwd=project,
        env=env,
    )
    assert done.returncode == 1
    line = error_line(
        run_script(project / "job.py", *LOCAL, "--input", "job://failed-src/output", cwd=project)
    )
    assert "status Failed" in line and "RuntimeError: main failed on purpose" in line
    assert "Traceback" not in line and len(line) < 400


def test_short_reason_keeps_the_first_and_last_lines():
    reason = (
        "AlgorithmError: algo-1 exited with exit code 1. Last lines of its output:\n"
        'Traceback (most recent call last):\n  File "job.py", line 3\nValueError: bad'
    )
    assert short_reason(reason) == (
        "AlgorithmError: algo-1 exited with exit code 1. Last lines of its output: ValueError: bad"
    )
    assert short_reason(None) is None
    assert len(short_reason("x" * 500)) == 160


@pytest.mark.e2e
def test_an_image_outside_ecr_and_a_foreign_role_are_warned(project, moto_reset):
    done = run_script(
        project / "job.py",
        *DRY,
        "--sagemaker-image",
        "docker.io/library/python:3.11",
        "--sagemaker-role",
        "arn:aws:iam::999999999999:role/theirs",
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, done.stderr
    assert "is not an Amazon ECR image" in warnings[0]
    assert "belongs to account 999999999999" in warnings[1]
    done = run_script(
        project / "job.py",
        *DRY,
        "--sagemaker-image",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mine:1",
        cwd=project,
    )
    assert "is in the ECR of eu-west-1, and the job runs in us-east-1" in done.stderr
    done = run_script(project / "job.py", *DRY, cwd=project)
    assert "warning:" not in done.stderr
