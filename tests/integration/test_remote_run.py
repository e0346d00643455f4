"""``--sagemaker-run true`` against moto server: staging once, the job, following, outputs.

moto executes nothing: where a job would write logs or outputs, the test writes them
through the same server, as the job would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import boto3
import pytest
from conftest import ctrl_c_as_in_a_terminal, run_script
from scripts import write_script

ACCOUNT = "123456789012"
BUCKET = f"sagemaker-us-east-1-{ACCOUNT}"
ROOT = f"s3://{BUCKET}/aws-sagemaker-remote"
KWARGS = """
    inputs={"input": "data"},
    outputs={"output": "out"},
    modules={"helpers": "helpers"},
"""
REMOTE = ("--sagemaker-run", "true")


@pytest.fixture()
def project(tmp_path, moto_reset):
    data = tmp_path / "data"
    for i in range(50):
        (data / f"d{i % 5}").mkdir(parents=True, exist_ok=True)
        (data / f"d{i % 5}" / f"f{i:03}.txt").write_text(f"file {i}\n" * (i + 1))
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("X = 1\n")
    write_script(tmp_path, KWARGS)
    return tmp_path


def submit(project, *args):
    return run_script(project / "job.py", *REMOTE, *args, cwd=project)


def objects(s3) -> dict[str, str]:
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["ETag"]
    return found


def staged_counts(stderr: str) -> tuple[int, int]:
    match = re.search(r"staged (\d+) files? .*? uploaded(?:, (\d+) copied)?", stderr)
    assert match, stderr
    return int(match.group(1)), int(match.group(2) or 0)


@pytest.mark.e2e
def test_the_job_is_the_dry_run_request_and_staged_bytes_match(project, s3):
    dry = submit(project, "--sagemaker-dry-run", "true", "--sagemaker-job-name", "job-a")
    assert dry.returncode == 0, dry.stderr
    expected = json.loads(dry.stdout)
    done = submit(project, "--sagemaker-wait", "false", "--sagemaker-job-name", "job-a")
    assert done.returncode == 0, done.stderr
    job = boto3.client("sagemaker").describe_processing_job(ProcessingJobName="job-a")
    for member in (
        "AppSpecification",
        "ProcessingInputs",
        "ProcessingOutputConfig",
        "RoleArn",
        "StoppingCondition",
    ):
        assert job[member] == expected[member], member
    assert (
        "console.aws.amazon.com/sagemaker/home?region=us-east-1#/processing-jobs/job-a"
        in done.stderr
    )
    assert f"output output: {ROOT}/jobs/job-a/output" in done.stderr
    role = boto3.client("iam").get_role(RoleName="aws-sagemaker-remote-processing-role")["Role"]
    assert role["Arn"] == expected["RoleArn"]
    assert "sagemaker.amazonaws.com" in json.dumps(role["AssumeRolePolicyDocument"])

    data_uri = next(
        i["S3Input"]["S3Uri"] for i in expected["ProcessingInputs"] if i["InputName"] == "input"
    )
    prefix = data_uri[len(f"s3://{BUCKET}/") :]
    for path in (project / "data").rglob("*.txt"):
        key = prefix + path.relative_to(project / "data").as_posix()
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == path.read_bytes()


@pytest.mark.e2e
def test_a_rerun_uploads_nothing_and_one_changed_file_uploads_one(project, s3):
    first = submit(project, "--sagemaker-wait", "false", "--sagemaker-job-name", "run-1")
    assert first.returncode == 0, first.stderr
    assert staged_counts(first.stderr)[0] > 50
    before = objects(s3)

    again = submit(project, "--sagemaker-wait", "false", "--sagemaker-job-name", "run-2")
    assert again.returncode == 0, again.stderr
    assert staged_counts(again.stderr) == (0, 0)
    assert objects(s3) == before  # same keys, same ETags: nothing written

    (project / "data" / "d3" / "f013.txt").write_text("changed\n")
    changed = submit(project, "--sagemaker-wait", "false", "--sagemaker-job-name", "run-3")
    assert changed.returncode == 0, changed.stderr
    assert staged_counts(changed.stderr) == (1, 49)  # the rest is copied server-side
    added = set(objects(s3)) - set(before)
    assert len([k for k in added if k.endswith("f013.txt")]) == 1


def put_logs(job: str, lines: list[str]) -> None:
    logs = boto3.client("logs")
    group = "/aws/sagemaker/ProcessingJobs"
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    stream = f"{job}/algo-1-{int(time.time())}"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(lines)],
    )


@pytest.mark.e2e
def test_a_waited_run_follows_logs_and_downloads_outputs(project, s3):
    job = "waited-1"
    # The job's part: its log lines and its output files, written where SageMaker would.
    s3.create_bucket(Bucket=BUCKET)
    put_logs(job, ["reading input", "wrote 2 files"])
    s3.put_object(
        Bucket=BUCKET, Key=f"aws-sagemaker-remote/jobs/{job}/output/result.txt", Body=b"42\n"
    )
    s3.put_object(
        Bucket=BUCKET, Key=f"aws-sagemaker-remote/jobs/{job}/output/sub/more.txt", Body=b"x"
    )
    done = submit(
        project,
        "--sagemaker-job-name",
        job,
        "--output",
        project / "results",
        "--sagemaker-output-json",
        project / "job.json",
    )
    assert done.returncode == 0, done.stderr
    assert "reading input" in done.stderr and "wrote 2 files" in done.stderr
    assert "Completed" in done.stderr
    assert (project / "results" / "result.txt").read_bytes() == b"42\n"
    assert (project / "results" / "sub" / "more.txt").read_bytes() == b"x"
    assert json.loads((project / "job.json").read_text())["ProcessingJobName"] == job


@pytest.mark.e2e
def test_jobs_cli_sees_the_submitted_job(project):
    assert (
        submit(project, "--sagemaker-wait", "false", "--sagemaker-job-name", "cli-1").returncode
        == 0
    )
    listing = subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "list", "--json"],
        capture_output=True,
        text=True,
    )
    assert "cli-1" in {j["ProcessingJobName"] for j in json.loads(listing.stdout)}


@pytest.mark.e2e
@pytest.mark.parametrize(
    "case",
    ["no-credentials", "no-region", "unknown-profile", "missing-s3-input", "missing-job-input"],
)
def test_mistakes_are_user_errors_with_nothing_uploaded_and_no_job(project, no_aws_env, case, s3):
    import os

    env, args = dict(os.environ), []
    if case == "no-credentials":
        env = {**no_aws_env, "AWS_DEFAULT_REGION": "us-east-1"}
        fragment = "error: no AWS credentials found"
    elif case == "no-region":
        env = {k: v for k, v in env.items() if k not in ("AWS_DEFAULT_REGION", "AWS_REGION")}
        fragment = "--sagemaker-profile: no AWS region configured"
    elif case == "unknown-profile":
        args = ["--sagemaker-profile", "nobody"]
        fragment = "--sagemaker-profile: no AWS profile named 'nobody'"
    elif case == "missing-s3-input":
        s3.create_bucket(Bucket="inputs-bucket")
        args = ["--input", "s3://inputs-bucket/nothing"]
        fragment = "--input: s3://inputs-bucket/nothing does not exist"
    else:
        args = ["--input", "job://no-such-job/output"]
        fragment = "--input"
    done = run_script(project / "job.py", *REMOTE, *args, cwd=project, env=env)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], done.stderr
    assert BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert boto3.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"] == []


@pytest.mark.e2e
def test_outputs_left_on_s3_are_listed_after_a_waited_run(project, s3):
    s3.create_bucket(Bucket="results-bucket")
    s3.put_object(Bucket="results-bucket", Key="run/x/part-0.csv", Body=b"1,2\n")
    done = submit(
        project, "--sagemaker-job-name", "listed-1", "--output", "s3://results-bucket/run/x"
    )
    assert done.returncode == 0, done.stderr
    assert "output output: s3://results-bucket/run/x" in done.stderr
    assert "s3://results-bucket/run/x/part-0.csv (4 bytes)" in done.stderr


@pytest.mark.e2e
def test_ctrl_c_before_the_job_exists_says_nothing_was_submitted(project):
    import os
    import signal
    import socket
    import sys

    silent = socket.socket()  # accepts connections, never answers: the run blocks on AWS
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{silent.getsockname()[1]}"}
    proc = subprocess.Popen(
        [sys.executable, str(project / "job.py"), *REMOTE],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=ctrl_c_as_in_a_terminal,
    )  # fmt: skip
    try:
        silent.settimeout(30)
        connection, _ = silent.accept()  # the run is now waiting on its first AWS call
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
        silent.close()
    connection.close()
    assert proc.returncode == 130
    assert stderr.strip().splitlines() == [
        "job.py: error: interrupted before the job was created; nothing was submitted "
        "(files already staged are kept and not uploaded again)"
    ]


@pytest.mark.e2e
def test_a_job_name_already_taken_is_refused_before_staging(project, s3):
    assert (
        submit(project, "--sagemaker-wait", "false", "--sagemaker-job-name", "taken-1").returncode
        == 0
    )
    keys = objects(s3)
    (project / "data" / "d0" / "new.txt").write_text("new\n")
    done = submit(project, "--sagemaker-wait", "false", "--sagemaker-job-name", "taken-1")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "job.py: error: --sagemaker-job-name: a processing job named taken-1 already exists "
        "(choose another name, or leave the flag out to get a fresh one)"
    ]
    assert objects(s3) == keys  # nothing staged
