"""A value that came from an ``AWS_SAGEMAKER_REMOTE_*`` variable is named as such
in its error (before, the error named only the flag, which the user never typed)."""

from __future__ import annotations

import pytest
from conftest import run_script
from scripts import write_script

import aws_sagemaker_remote as asr
from aws_sagemaker_remote.errors import UserError


@pytest.mark.e2e
def test_the_command_line_names_the_variable_of_a_bad_default(tmp_path, no_aws_env):
    script = write_script(tmp_path, 'inputs={"input": "in"}')
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("a\n")
    env = {**no_aws_env, "AWS_SAGEMAKER_REMOTE_INSTANCE_COUNT": "0"}
    done = run_script(script, "--sagemaker-dry-run", "true", cwd=tmp_path, env=env)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(
        "job.py: error: --sagemaker-instance-count (from AWS_SAGEMAKER_REMOTE_INSTANCE_COUNT): "
    )
    typed = run_script(
        script, "--sagemaker-dry-run", "true", "--sagemaker-instance-count", "0", cwd=tmp_path,
        env=env,
    )  # fmt: skip
    assert typed.returncode == 2
    assert typed.stderr.startswith("job.py: error: --sagemaker-instance-count: ")


@pytest.mark.e2e
def test_the_api_names_the_variable_of_a_bad_default(tmp_path, monkeypatch):
    script = tmp_path / "job.py"
    script.write_text("print('hi')\n")
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_ROLE", "no spaces allowed")
    with pytest.raises(UserError) as caught:
        asr.request(str(script), job_name="env-role-1")
    assert caught.value.field == "role"
    assert str(caught.value).startswith("role= (from AWS_SAGEMAKER_REMOTE_ROLE): ")
    given = asr.request(str(script), job_name="env-role-2", role="arn:aws:iam::123456789012:role/r")
    assert given["RoleArn"] == "arn:aws:iam::123456789012:role/r"
