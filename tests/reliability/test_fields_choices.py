"""A value checked against a set is refused with the nearest choice ("did you mean"), and
a mistyped instance is refused before credentials are looked for."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import run_script
from scripts import write_script

from aws_sagemaker_remote import request
from aws_sagemaker_remote.args import PathArgument
from aws_sagemaker_remote.errors import UserError

RUN = ("--sagemaker-run", "true")


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a\n")
    write_script(tmp_path, 'inputs={"input": "data"}, outputs={"output": "out"},')
    return tmp_path


@pytest.mark.e2e
@pytest.mark.parametrize(
    "typed, meant",
    [("lcoal", "local"), ("m5.large", "ml.m5.large"), ("ml.t3.medum", "ml.t3.medium")],
)
def test_a_mistyped_instance_is_blamed_before_missing_credentials(
    project, no_aws_env, typed, meant
):
    done = run_script(
        project / "job.py", *RUN, "--sagemaker-instance", typed, cwd=project, env=no_aws_env
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("job.py: error: --sagemaker-instance: ")
    assert f"did you mean '{meant}'?" in line
    assert "credentials" not in line
    state = project / "state"  # no_aws_env's state directory
    assert not (state / "store").exists() and not (state / "jobs.sqlite").exists()


@pytest.mark.e2e
def test_no_credentials_suggests_the_local_engine(project, no_aws_env):
    env = dict(no_aws_env, AWS_DEFAULT_REGION="us-east-1")
    done = run_script(project / "job.py", *RUN, cwd=project, env=env)
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert "error: no AWS credentials found" in line
    assert "--sagemaker-profile PROFILE" in line and "--sagemaker-instance local" in line


@pytest.mark.parametrize(
    "keyword, typed, meant",
    [
        ("mode", "Fiel", "File"),
        ("distribution", "ShardedByS3", "ShardedByS3Key"),
        ("data_type", "S3prefx", "S3Prefix"),
    ],
)
def test_channel_values_of_the_api_suggest_the_nearest(project, keyword, typed, meant):
    channel = PathArgument(str(project / "data"), **{keyword: typed})
    with pytest.raises(UserError) as raised:
        request(
            project / "job.py",
            instance="local",
            inputs={"input": channel},
            outputs={"output": str(project / "out")},
        )
    assert f"did you mean {meant!r}?" in str(raised.value)
    assert str(raised.value).startswith("inputs['input']")


def test_an_instance_typed_in_the_api_names_the_keyword(project):
    with pytest.raises(UserError) as raised:
        request(project / "job.py", instance="Local", inputs={"input": str(project / "data")})
    assert str(raised.value).startswith("instance=: 'Local' is neither 'local'")
    assert "did you mean 'local'?" in str(raised.value)


@pytest.mark.e2e
def test_a_mistyped_yes_or_no_suggests_the_nearest(project):
    done = run_script(project / "job.py", "--sagemaker-run", "ture", cwd=project)
    assert done.returncode == 2
    line = done.stderr.strip().splitlines()[-1]
    assert "--sagemaker-run" in line and "got 'ture'; did you mean 'true'?" in line


@pytest.mark.e2e
def test_a_mistyped_output_name_of_a_job_suggests_the_nearest(project):
    done = run_script(
        project / "job.py", "--sagemaker-run", "true", "--sagemaker-instance", "local", cwd=project
    )
    assert done.returncode == 0, done.stderr
    said = done.stderr.splitlines()
    name = next(line.split()[-1] for line in said if "created processing job" in line)
    fetched = subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "download", name, "--local"]
        + ["--name", "outptu", "--output", str(project / "fetched")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert fetched.returncode == 2
    line = fetched.stderr.strip()
    assert "--name: job" in line and "no output named 'outptu'; did you mean 'output'?" in line
