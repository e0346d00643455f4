"""A local job's environment is a container's, not the submitter's shell: a minimal PATH
and HOME, SageMaker's variables, the endpoint, then the request's Environment, which wins;
the region is read from the AWS configuration without botocore."""

from __future__ import annotations

from pathlib import Path

from aws_sagemaker_remote.backends.local.runner.environment import (
    BASE_PATH,
    DEFAULT_REGION,
    configured_region,
    job_environment,
)


def test_the_submitters_variables_stay_out_but_the_endpoint_and_the_requests_come_in():
    submitter = {
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:5001",
        "VIRTUAL_ENV": "/home/me/venv",
        "HOME": "/home/me",
    }
    env = job_environment(
        {"Environment": {"GREETING": "hi", "LANG": "fr_FR.UTF-8"}},
        host="algo-2",
        region="eu-west-1",
        bin_dir=Path("/env/bin"),
        home=Path("/job/home"),
        extra={"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/credentials"},
        submitter=submitter,
    )
    assert "AWS_SECRET_ACCESS_KEY" not in env and "VIRTUAL_ENV" not in env
    assert env["PATH"] == f"/env/bin:{BASE_PATH}"
    assert env["HOME"] == "/job/home"
    assert (env["HOSTNAME"], env["AWS_REGION"], env["AWS_DEFAULT_REGION"]) == (
        "algo-2",
        "eu-west-1",
        "eu-west-1",
    )
    assert env["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:5001"
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].endswith("/credentials")
    assert (env["GREETING"], env["LANG"]) == ("hi", "fr_FR.UTF-8")


def test_the_region_comes_from_the_environment_then_the_profiles_config(tmp_path):
    config = tmp_path / "config"
    config.write_text("[default]\nregion = ca-central-1\n[profile work]\nregion = sa-east-1\n")
    files = {"AWS_CONFIG_FILE": str(config), "HOME": str(tmp_path)}
    assert configured_region({**files, "AWS_DEFAULT_REGION": "eu-west-3"}, None) == "eu-west-3"
    assert configured_region(files, None) == "ca-central-1"
    assert configured_region(files, "work") == "sa-east-1"
    assert configured_region({**files, "AWS_PROFILE": "work"}, None) == "sa-east-1"
    assert configured_region(files, "absent") == DEFAULT_REGION


def test_no_or_a_broken_config_is_the_default_region(tmp_path):
    assert configured_region({"HOME": str(tmp_path)}, None) == DEFAULT_REGION
    broken = tmp_path / "config"
    broken.write_text("region = nowhere\n")  # no section header
    assert configured_region({"AWS_CONFIG_FILE": str(broken)}, None) == DEFAULT_REGION
