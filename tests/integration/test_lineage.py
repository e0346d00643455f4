"""job://JOB/OUTPUT inputs resolve to the S3 URI where that job's output landed."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.aws.session import resolve_aws
from aws_sagemaker_remote.backends.sagemaker import SageMakerBackend
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.lineage import resolve_job_input
from integration.test_sagemaker_backend import processing_request


@pytest.fixture()
def backend(moto_reset) -> SageMakerBackend:
    backend = SageMakerBackend(resolve_aws(None))
    backend.create_job(
        processing_request(
            "prep", outputs={"features": "s3://b/prep/features", "stats": "s3://b/prep/stats/"}
        )
    )
    return backend


def _error(uri, backend, field="inputs.input") -> UserError:
    with pytest.raises(UserError) as caught:
        resolve_job_input(uri, backend, field=field)
    assert caught.value.field == field
    assert "\n" not in caught.value.one_line()
    return caught.value


@pytest.mark.e2e
def test_output_of_a_completed_job(backend):
    assert resolve_job_input("job://prep/features", backend) == "s3://b/prep/features/"
    assert resolve_job_input("job://prep/stats", backend) == "s3://b/prep/stats/"


@pytest.mark.e2e
def test_a_path_inside_the_output(backend):
    assert resolve_job_input("job://prep/features/train/", backend) == "s3://b/prep/features/train/"
    assert resolve_job_input("job://prep/features/a.csv", backend) == "s3://b/prep/features/a.csv"


@pytest.mark.e2e
def test_other_uris_pass_through(backend):
    assert resolve_job_input("s3://b/raw", backend) == "s3://b/raw"
    assert resolve_job_input("data/local", backend) == "data/local"


@pytest.mark.e2e
@pytest.mark.parametrize("uri", ["job://", "job://prep", "job://prep/", "job:///features"])
def test_malformed(backend, uri):
    assert "job://JOB-NAME/OUTPUT-NAME" in _error(uri, backend, field="inputs.train").one_line()


@pytest.mark.e2e
def test_invalid_job_name(backend):
    assert "not a processing job name" in _error("job://bad_name!/out", backend).one_line()


@pytest.mark.e2e
def test_no_such_job(backend):
    text = _error("job://ghost/features", backend).one_line()
    assert "no processing job named ghost" in text and "jobs list" in text


@pytest.mark.e2e
def test_job_that_did_not_complete(backend):
    backend.stop_job("prep")
    text = _error("job://prep/features", backend).one_line()
    assert "has not completed (status Stopped)" in text


@pytest.mark.e2e
def test_unknown_output_lists_the_outputs(backend):
    error = _error("job://prep/model", backend)
    assert "no output named 'model'" in error.message
    assert error.fix == "its outputs: features, stats"


class _RunningBackend:
    local = True  # its jobs are the local engine's: the hint's command says --local

    def describe_job(self, job_name):
        return {"ProcessingJobName": job_name, "ProcessingJobStatus": "InProgress"}


def test_running_job_suggests_waiting():
    text = _error("job://busy/out", _RunningBackend()).one_line()
    assert "status InProgress" in text and "aws-sagemaker-remote jobs wait busy --local" in text
