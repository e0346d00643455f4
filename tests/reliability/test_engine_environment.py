"""A local job gets a container's environment and its role's credentials, not the
submitting shell's variables and keys."""

from __future__ import annotations

import json

import boto3
import pytest
from e2e.test_local_engine import (
    STORE,
    make_request,
    s3_output,
    stage_script,
    store_file,
    unique,
    wait_status,
)

from aws_sagemaker_remote.backends.local import LocalBackend

pytestmark = pytest.mark.e2e  # real jobs, subprocesses or fault timeouts: seconds each

# Reads the credentials endpoint the way an SDK does (no SDK in the job's Python needed).
REPORT = """
import json, os, sys, urllib.request

env = dict(os.environ)
credentials = None
url = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
if url:
    request = urllib.request.Request(
        url, headers={"Authorization": env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
    try:
        credentials = json.load(urllib.request.urlopen(request, timeout=30))
    except urllib.error.HTTPError as error:
        credentials = {"error": error.code, "body": error.read().decode()}
json.dump({"env": env, "credentials": credentials}, open(sys.argv[1] + "/report.json", "w"))
"""


def run_report(backend: LocalBackend, env: dict | None = None) -> dict:
    prefix, name = unique("t"), unique("env")
    request = make_request(
        name,
        stage_script(prefix, REPORT),
        outputs=[s3_output("out", f"{STORE}/{prefix}/out", "/opt/ml/processing/output")],
        args=["/opt/ml/processing/output"],
        env=env,
    )
    request["RoleArn"] = "arn:aws:iam::123456789012:role/job-role"
    backend.create_job(request)
    described = wait_status(backend, name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    report = json.loads(store_file(f"{prefix}/out/report.json").read_text())
    report["described"] = described
    return report


def test_the_submitting_shells_variables_and_keys_do_not_reach_the_job(monkeypatch, moto_reset):
    monkeypatch.setenv("LAPTOP_ONLY", "from my shell")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "my-own-secret")
    report = run_report(LocalBackend(), env={"GIVEN": "by the request"})
    env = report["env"]

    assert "LAPTOP_ONLY" not in env
    assert "my-own-secret" not in json.dumps(report["env"])
    assert "AWS_SECRET_ACCESS_KEY" not in env and "AWS_ACCESS_KEY_ID" not in env
    assert env["GIVEN"] == "by the request"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["HOSTNAME"] == "algo-1" and env["LANG"] == "C.UTF-8"
    job_dir = report["described"]["LocalEngine"]["JobDirectory"]
    assert env["HOME"] == f"{job_dir}/algo-1/home"
    assert env["PATH"].split(":")[0] == f"{job_dir}/algo-1/env/bin"


def test_the_job_gets_its_roles_temporary_credentials(moto_reset):
    report = run_report(LocalBackend())
    credentials = report["credentials"]

    assert report["described"]["LocalEngine"]["Credentials"] == "assumed-role"
    assert credentials["AccessKeyId"] != "testing" and credentials["Token"]
    assumed = boto3.client(
        "sts",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["Token"],
    ).get_caller_identity()
    assert assumed["Arn"].startswith("arn:aws:sts::123456789012:assumed-role/job-role/")


def test_host_credentials_only_when_asked_for(moto_reset):
    report = run_report(LocalBackend(host_credentials=True))

    assert report["described"]["LocalEngine"]["Credentials"] == "host"
    assert report["credentials"]["AccessKeyId"] == "testing"


def test_offline_the_job_gets_no_credentials_at_all(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    report = run_report(LocalBackend())

    assert report["described"]["LocalEngine"]["Credentials"] == "none"
    assert report["credentials"] is None
    assert not any(
        k.startswith(("AWS_ACCESS", "AWS_SECRET", "AWS_CONTAINER")) for k in report["env"]
    )


@pytest.mark.parametrize("token", ["", "wrong"])
def test_the_credentials_endpoint_answers_only_its_token(token):
    import urllib.error
    import urllib.request

    from aws_sagemaker_remote.backends.local.runner.credentials import (
        CredentialsEndpoint,
        CredentialSource,
    )

    endpoint = CredentialsEndpoint(CredentialSource(None, None, "j", host=True), print)
    try:
        url = endpoint.environment()["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        request = urllib.request.Request(url, headers={"Authorization": token})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403
    finally:
        endpoint.close()
