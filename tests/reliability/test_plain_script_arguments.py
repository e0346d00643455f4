"""A script that parses its own arguments and reads ``/opt/ml/processing/...`` itself (the
SageMaker SDK's kind) runs unchanged: its job passes exactly its arguments, nothing else.

Before ``run``, such a script could only be submitted as a processing script, whose job
appends ``--NAME /opt/ml/processing/... --sagemaker-run false``: a strict ``parse_args()``
refuses those, and an option ``--train-test-split-ratio`` takes the appended ``--train``
for its abbreviation and fails on ``invalid float value``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

import aws_sagemaker_remote as asr

# Written as an SDK ScriptProcessor script: strict argparse, container paths literally.
SDK_SCRIPT = """\
import argparse
import json
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--train-test-split-ratio", type=float, required=True)
parser.add_argument("--label", default="")
args = parser.parse_args()  # strict: any argument it does not know fails the job

source = "/opt/ml/processing/input/train"
train_dir, test_dir = "/opt/ml/processing/train", "/opt/ml/processing/test"
for name in sorted(os.listdir(source)):
    with open(os.path.join(source, name), "rb") as f:
        lines = f.read().splitlines(keepends=True)
    cut = int(len(lines) * (1 - args.train_test_split_ratio))
    with open(os.path.join(train_dir, name), "wb") as f:
        f.writelines(lines[:cut])
    with open(os.path.join(test_dir, name), "wb") as f:
        f.writelines(lines[cut:])
with open(os.path.join(train_dir, "argv.json"), "w") as f:
    json.dump(sys.argv[1:], f)
"""
ARGUMENTS = ["--train-test-split-ratio", "0.25", "--label", "a b -- c"]


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_bytes(
        b"".join(b"%d,%d\n" % (i, i * i) for i in range(40))
    )
    (tmp_path / "data" / "more.csv").write_bytes(b"x,y\r\n1,2\r\n3,4\r\n5,6\r\n")
    (tmp_path / "preprocess.py").write_text(SDK_SCRIPT)
    return tmp_path


def expected_split(path, ratio: float) -> tuple[bytes, bytes]:
    lines = path.read_bytes().splitlines(keepends=True)
    cut = int(len(lines) * (1 - ratio))
    return b"".join(lines[:cut]), b"".join(lines[cut:])


def run_cli(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "run", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.mark.e2e
def test_an_sdk_script_with_a_strict_parser_runs_unchanged_on_the_local_engine(project):
    done = run_cli(
        "preprocess.py",
        "--input", "/opt/ml/processing/input/train=data",
        "--output", "/opt/ml/processing/train=out/train",
        "--output", "/opt/ml/processing/test=out/test",
        "--sagemaker-instance", "local",
        "--sagemaker-job-name", f"plain-{uuid.uuid4().hex[:10]}",
        "--", *ARGUMENTS,
        cwd=project,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Completed" in done.stderr
    assert json.loads((project / "out" / "train" / "argv.json").read_text()) == ARGUMENTS
    for name in ("rows.csv", "more.csv"):
        train, test = expected_split(project / "data" / name, 0.25)
        assert (project / "out" / "train" / name).read_bytes() == train
        assert (project / "out" / "test" / name).read_bytes() == test
    assert sorted(p.name for p in (project / "out" / "test").iterdir()) == ["more.csv", "rows.csv"]


def test_the_request_carries_exactly_the_scripts_arguments(project):
    request = asr.run_script_request(
        project / "preprocess.py",
        inputs={"/opt/ml/processing/input/train": str(project / "data")},
        outputs={"/opt/ml/processing/train": str(project / "out")},
        arguments=ARGUMENTS,
        instance="local",
    )
    app = request["AppSpecification"]
    assert app["ContainerArguments"] == ARGUMENTS
    assert app["ContainerEntrypoint"][-1] == "--"  # the bootstrap's own options end there
    inputs = {i["InputName"]: i["S3Input"]["LocalPath"] for i in request["ProcessingInputs"]}
    assert inputs["train"] == "/opt/ml/processing/input/train"
    output = request["ProcessingOutputConfig"]["Outputs"][0]
    assert (output["OutputName"], output["S3Output"]["LocalPath"]) == (
        "train",
        "/opt/ml/processing/train",
    )


def test_a_script_without_arguments_gets_none(project):
    request = asr.run_script_request(
        project / "preprocess.py",
        inputs={"/opt/ml/processing/input/train": str(project / "data")},
        instance="local",
    )
    # ContainerArguments holds at least one item in the service model: left out, not [].
    assert "ContainerArguments" not in request["AppSpecification"]


@pytest.mark.e2e
def test_on_sagemaker_the_job_created_is_the_dry_runs_request(project, moto_reset):
    import boto3

    common = (
        "preprocess.py",
        "--input", "/opt/ml/processing/input/train=data",
        "--output", "/opt/ml/processing/train=s3://results-bucket/train",
        "--sagemaker-job-name", "plain-on-sagemaker",
    )  # fmt: skip
    boto3.client("s3").create_bucket(Bucket="results-bucket")
    dry = run_cli(*common, "--sagemaker-dry-run", "true", "--", *ARGUMENTS, cwd=project)
    assert dry.returncode == 0, dry.stderr
    expected = json.loads(dry.stdout)
    done = run_cli(*common, "--sagemaker-wait", "false", "--", *ARGUMENTS, cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "plain-on-sagemaker"
    job = boto3.client("sagemaker").describe_processing_job(ProcessingJobName="plain-on-sagemaker")
    assert job["AppSpecification"]["ContainerArguments"] == ARGUMENTS
    for member in ("AppSpecification", "ProcessingInputs", "ProcessingOutputConfig", "RoleArn"):
        assert job[member] == expected[member], member


def test_submitting_it_as_a_processing_script_says_what_runs_it_unchanged(project):
    events = []
    request = asr.request(
        project / "preprocess.py",
        inputs={"train": str(project / "data")},
        arguments=ARGUMENTS,
        instance="local",
        on_event=events.append,
    )
    warnings = [e.text for e in events if e.kind == "warning"]
    assert any(
        "preprocess.py does not call sagemaker_processing_main" in w and "run_script()" in w
        for w in warnings
    ), warnings
    assert request["AppSpecification"]["ContainerArguments"][:4] == ARGUMENTS  # as documented
