"""Job names the local engine must refuse, a corrupt job store."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import run_script
from scripts import write_script

from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.errors import UserError


@pytest.fixture()
def state(tmp_path, monkeypatch):
    home = tmp_path / "state"
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(home))
    return home


def _request(name: str) -> dict:
    return {
        "ProcessingJobName": name,
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.t3.medium",
                "VolumeSizeInGB": 1,
            }
        },
        "AppSpecification": {
            "ImageUri": "python:3",
            "ContainerEntrypoint": [sys.executable, "-c", "print('hi')"],
        },
        "RoleArn": "arn:aws:iam::000000000000:role/r",
    }


@pytest.mark.e2e
@pytest.mark.parametrize("name", [".", "..", "a/../..", "-x", "x" * 64, "a b"])
def test_the_local_backend_refuses_names_that_are_not_job_names(state, name):
    keep = state / "jobs" / "earlier" / "runner.log"
    keep.parent.mkdir(parents=True)
    keep.write_text("kept\n")
    backend = LocalBackend()
    with pytest.raises(UserError) as caught:
        backend.create_job(_request(name))
    assert caught.value.field == "job_name"
    assert keep.read_text() == "kept\n"  # nothing under the state directory was deleted
    assert backend.list_jobs() == []  # and nothing was recorded
    for read in (backend.log_streams, backend.describe_job):
        with pytest.raises(UserError):
            read(name)


def test_the_sagemaker_backend_refuses_them_before_calling_aws(moto_reset):
    from aws_sagemaker_remote.aws.session import resolve_aws
    from aws_sagemaker_remote.backends.sagemaker import SageMakerBackend

    backend = SageMakerBackend(resolve_aws(None))
    for name in ("..", "a/b"):
        with pytest.raises(UserError) as caught:
            backend.create_job(_request(name))
        assert caught.value.field == "job_name"
        with pytest.raises(UserError) as caught:
            backend.check_request(_request(name))
        assert caught.value.field == "job_name"


def _one_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


@pytest.mark.e2e
def test_a_garbage_job_store_is_one_line_naming_the_file(state, tmp_path):
    state.mkdir()
    db = state / "jobs.sqlite"
    db.write_bytes(b"this is not a database, just garbage " * 100)
    env = {**__import__("os").environ, "AWS_SAGEMAKER_REMOTE_HOME": str(state)}
    listed = subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "list", "--local"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    line = _one_line(listed)
    assert str(db) in line and "move" in line

    script = write_script(tmp_path, 'outputs={"output": "out"},')
    submitted = run_script(
        script, "--sagemaker-run", "true", "--sagemaker-instance", "local", env=env, cwd=tmp_path
    )
    line = _one_line(submitted)
    assert str(db) in line and "move" in line
    assert db.read_bytes().startswith(b"this is not a database")  # left for the user to look at
