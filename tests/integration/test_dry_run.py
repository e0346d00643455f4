"""``--sagemaker-run true --sagemaker-dry-run true``: the exact request, nothing else."""

from __future__ import annotations

import json
import re

import pytest
from conftest import run_script
from scripts import write_script

from aws_sagemaker_remote.job.model_checks import find_violations

KWARGS = """
    inputs={"input": "data", "table": "table.csv", "extra": OPTIONAL},
    outputs={"output": "out", "report": "s3://reports-bucket/r"},
    modules={"helpers": "helpers"},
    requirements="requirements.txt",
    configuration_script="setup.sh",
    configuration_command="echo configured",
    additional_arguments=[{"dest": "--filter-width", "default": 32, "help": "width"},
                          {"dest": "--label", "default": "x"}],
"""
DRY = ("--sagemaker-run", "true", "--sagemaker-dry-run", "true")


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "a.txt").write_text("a\n")
    (tmp_path / "data" / "sub" / "b.txt").write_text("b\n")
    (tmp_path / "table.csv").write_text("x,y\n")
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("X = 1\n")
    (tmp_path / "requirements.txt").write_text("\n")
    (tmp_path / "setup.sh").write_text("export ENV_LABEL=configured\n")
    write_script(tmp_path, KWARGS)
    return tmp_path


def dry_run(project, *args, env=None):
    return run_script(project / "job.py", *DRY, *args, cwd=project, env=env)


def request_of(done) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # the whole of stdout is one JSON object


@pytest.mark.e2e
def test_dry_run_without_credentials_prints_a_valid_request(project, no_aws_env):
    done = dry_run(project, "--filter-width", "7", env=no_aws_env)
    request = request_of(done)
    assert find_violations(request) == []
    assert "placeholders used" in done.stderr and "000000000000" in done.stderr
    assert re.fullmatch(r"job-\d{8}-\d{6}-\d{3}", request["ProcessingJobName"])
    assert (
        request["RoleArn"] == "arn:aws:iam::000000000000:role/aws-sagemaker-remote-processing-role"
    )
    app = request["AppSpecification"]
    assert app["ImageUri"] == (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    )
    assert app["ContainerEntrypoint"] == [
        "python3",
        "/opt/ml/processing/code/aws_sagemaker_remote/script/bootstrap.py",
        "--script",
        "/opt/ml/processing/code/job.py",
        "--python-path",
        "/opt/ml/processing/modules/helpers",
        "--requirements",
        "/opt/ml/processing/requirements/requirements.txt",
        "--configuration-script",
        "/opt/ml/processing/configuration/setup.sh",
        "--configuration-command",
        "echo configured",
        "--",
    ]
    assert app["ContainerArguments"] == [
        "--filter-width",
        "7",
        "--helpers",
        "/opt/ml/processing/modules/helpers/helpers",
        "--input",
        "/opt/ml/processing/input/input",
        "--table",
        "/opt/ml/processing/input/table/table.csv",
        "--output",
        "/opt/ml/processing/output/output",
        "--report",
        "/opt/ml/processing/output/report",
        "--extra",
        "",
        "--sagemaker-run",
        "false",
    ]
    names = [i["InputName"] for i in request["ProcessingInputs"]]
    assert names == ["code", "requirements", "configuration", "module-helpers", "input", "table"]
    root = "s3://sagemaker-us-east-1-000000000000/aws-sagemaker-remote"
    for item in request["ProcessingInputs"]:
        assert re.fullmatch(re.escape(root) + r"/trees/[0-9a-f]{64}/", item["S3Input"]["S3Uri"])
    outputs = {o["OutputName"]: o["S3Output"] for o in request["ProcessingOutputConfig"]["Outputs"]}
    assert outputs["output"]["S3Uri"] == f"{root}/jobs/{request['ProcessingJobName']}/output"
    assert outputs["report"]["S3Uri"] == "s3://reports-bucket/r"
    assert outputs["output"]["S3UploadMode"] == "EndOfJob"


@pytest.mark.e2e
def test_staged_keys_follow_content_only(project, no_aws_env):
    first = request_of(dry_run(project, env=no_aws_env))
    again = request_of(dry_run(project, env=no_aws_env))
    (project / "data" / "a.txt").write_text("changed\n")
    changed = request_of(dry_run(project, env=no_aws_env))

    def uris(request):
        return {i["InputName"]: i["S3Input"]["S3Uri"] for i in request["ProcessingInputs"]}

    assert uris(first) == uris(again)
    differ = {k for k in uris(first) if uris(first)[k] != uris(changed)[k]}
    assert differ == {"input"}


@pytest.mark.e2e
def test_dry_run_with_credentials_uploads_nothing_and_creates_no_job(project, moto_reset):
    import boto3

    done = dry_run(
        project,
        "--sagemaker-job-name",
        "exact-name-1",
        "--sagemaker-env",
        "MODE=fast",
        "--sagemaker-tag",
        "team=ml",
    )
    request = request_of(done)
    assert request["ProcessingJobName"] == "exact-name-1"
    assert (
        request["RoleArn"] == "arn:aws:iam::123456789012:role/aws-sagemaker-remote-processing-role"
    )
    assert request["Environment"]["MODE"] == "fast"
    assert {"Key": "team", "Value": "ml"} in request["Tags"]
    assert "placeholders" not in done.stderr
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("sagemaker").list_processing_jobs()["ProcessingJobSummaries"] == []


LIMIT_CASES = [
    (
        ["--sagemaker-job-name", "bad_name"],
        "--sagemaker-job-name: 'bad_name' is not a valid job name",
    ),
    (["--sagemaker-job-name", "x" * 64], "--sagemaker-job-name"),
    (["--sagemaker-runtime-seconds", "0"], "--sagemaker-runtime-seconds: is 0; at least 1 allowed"),
    (["--sagemaker-runtime-seconds", "777601"], "--sagemaker-runtime-seconds"),
    (["--sagemaker-runtime-seconds", "1h"], "--sagemaker-runtime-seconds: invalid int value"),
    (["--label", "w" * 257], "is 257 characters; at most 256 allowed"),
    (["--sagemaker-env", "LONG=" + "v" * 257], "--sagemaker-env"),
    (["--sagemaker-env", "1BAD=x"], "--sagemaker-env"),
    (["--sagemaker-env", "novalue"], "--sagemaker-env: 'novalue' is not KEY=VALUE"),
    ([a for i in range(51) for a in ("--sagemaker-tag", f"k{i}=v")], "--sagemaker-tag"),
    (["--sagemaker-tag", "bad#key=v"], "--sagemaker-tag"),
    (["--sagemaker-tag", "aws:x=1"], "--sagemaker-tag: tag key 'aws:x' uses the reserved prefix"),
    (["--sagemaker-python", ""], "--sagemaker-python: '' is not an interpreter name"),
    (
        ["--sagemaker-image", "not an image"],
        "--sagemaker-image: 'not an image' is not an image URI",
    ),
    (
        ["--sagemaker-requirements", "missing.txt"],
        "--sagemaker-requirements: missing.txt does not exist",
    ),
    (
        ["--sagemaker-configuration-script", "nope.sh"],
        "--sagemaker-configuration-script: nope.sh does not exist",
    ),
    (["--helpers", "no-such-dir"], "--helpers: no-such-dir does not exist"),
    (["--input", "s3://x"], "--input: 's3://x' is not a valid S3 URI"),
    (
        ["--input", "ftp://host/x"],
        "--input: 'ftp://host/x' is neither a local path nor an s3:// URI",
    ),
    (["--output-s3", "out-bucket/x"], "--output-s3: 'out-bucket/x' is not a valid S3 URI"),
    (
        ["--input", "job://no_such/x"],
        "--input: 'no_such' in 'job://no_such/x' is not a processing job name",
    ),
    (["--sagemaker-instance", "ml.bogus.large"], "--sagemaker-instance"),
    (["--sagemaker-instance-count", "0"], "--sagemaker-instance-count"),
]


@pytest.mark.e2e
@pytest.mark.parametrize("argv,fragment", LIMIT_CASES, ids=[c[1][:40] for c in LIMIT_CASES])
def test_mistakes_are_one_line_user_errors_before_anything_happens(
    project, no_aws_env, argv, fragment
):
    done = dry_run(project, *argv, env=no_aws_env)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert fragment in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_too_many_channels_names_the_limit(tmp_path, no_aws_env):
    inputs = ", ".join(f"'in{i}': 'd'" for i in range(10))
    write_script(tmp_path, f"inputs={{{inputs}}}")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    done = run_script(tmp_path / "job.py", *DRY, cwd=tmp_path, env=no_aws_env)
    assert done.returncode == 2
    assert "11 input channels" in done.stderr and "at most 10" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.e2e
def test_arguments_after_a_double_dash_stay_last(tmp_path, no_aws_env):
    write_script(
        tmp_path,
        "argparse_callback=lambda p: p.add_argument('rest', nargs='*'),\n"
        "additional_arguments=[{'dest': '--label', 'default': 'x'}],",
    )
    done = run_script(
        tmp_path / "job.py",
        *DRY,
        "--label",
        "L",
        "--",
        "pos1",
        "--not-a-flag",
        cwd=tmp_path,
        env=no_aws_env,
    )
    arguments = request_of(done)["AppSpecification"]["ContainerArguments"]
    assert arguments == ["--label", "L", "--sagemaker-run", "false", "--", "pos1", "--not-a-flag"]


@pytest.mark.e2e
def test_a_job_input_in_a_dry_run_without_aws_is_a_said_assumption(project, no_aws_env):
    done = dry_run(project, "--input", "job://prep-1/features/train", env=no_aws_env)
    request = request_of(done)
    uri = next(
        i["S3Input"]["S3Uri"] for i in request["ProcessingInputs"] if i["InputName"] == "input"
    )
    assert uri == (
        "s3://sagemaker-us-east-1-000000000000/aws-sagemaker-remote/jobs/prep-1/features/train"
    )
    assert "--input job://prep-1/features/train assumed at its default location" in done.stderr


@pytest.mark.e2e
def test_a_bad_default_in_the_environment_is_one_line(project, no_aws_env):
    env = {**no_aws_env, "AWS_SAGEMAKER_REMOTE_RUN": "maybe"}
    done = run_script(project / "job.py", cwd=project, env=env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "job.py: error: --sagemaker-run (from AWS_SAGEMAKER_REMOTE_RUN): 'maybe' is not "
        "yes/true/1 or no/false/0 (fix or unset the environment variable)"
    ]


@pytest.mark.e2e
def test_a_dry_run_alone_prints_the_request_and_runs_nothing(project, no_aws_env):
    done = run_script(
        project / "job.py", "--sagemaker-dry-run", "true", cwd=project, env=no_aws_env
    )
    assert json.loads(done.stdout)["ProcessingJobName"].startswith("job-")
    assert not (project / "out").exists()  # main did not run


OUTPUT_CASES = [
    (["--output", "table.csv"], "--output: {project}/table.csv exists and is not a directory"),
    (["--sagemaker-output-json", "no/such/dir/x.json"], "--sagemaker-output-json: cannot write"),
    (["--sagemaker-output-json", "data"], "--sagemaker-output-json: cannot write"),
    (["--sagemaker-profile", "nosuch"], "--sagemaker-profile: no AWS profile named 'nosuch'"),
    (["--label", "x" * 300], "--label: is 300 characters; at most 256 allowed"),
]


@pytest.mark.e2e
@pytest.mark.parametrize("argv,fragment", OUTPUT_CASES, ids=[c[1][:30] for c in OUTPUT_CASES])
def test_paths_and_profiles_are_checked_before_anything(project, no_aws_env, argv, fragment):
    done = dry_run(project, *argv, env=no_aws_env)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment.format(project=project) in lines[0], done.stderr


@pytest.mark.e2e
def test_a_hundred_environment_variables_fit(project, no_aws_env):
    env_args = [a for i in range(100) for a in ("--sagemaker-env", f"V{i}=x")]
    request = request_of(dry_run(project, *env_args, env=no_aws_env))
    assert len(request["Environment"]) == 100 and "PYTHONUNBUFFERED" not in request["Environment"]
