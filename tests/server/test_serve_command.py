"""The ``serve`` command itself: its one line, its mistakes, Ctrl-C, restarts, keys."""

from __future__ import annotations

import socket
import subprocess

import pytest
from botocore.exceptions import ClientError

from .conftest import job_request, serve_command, start_serve, wait_for_end

pytestmark = pytest.mark.e2e


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("aws-sagemaker-remote serve: error: ")
    return lines[0]


def test_one_line_then_ctrl_c_stops_it_cleanly(tmp_path):
    server = start_serve(tmp_path / "state")
    assert server.url.startswith("http://127.0.0.1:")
    assert server.proc.stdout.readable()
    code, err = server.stop()
    assert code == 0
    assert "Traceback" not in err


def test_a_port_in_use_names_the_flag(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            serve_command("--port", str(port)), capture_output=True, text=True, timeout=60
        )
    line = one_line_error(done)
    assert "--port" in line and str(port) in line
    assert done.stdout == ""


def test_beyond_loopback_a_key_pair_is_required(tmp_path):
    done = subprocess.run(
        serve_command("--host", "0.0.0.0"), capture_output=True, text=True, timeout=60
    )
    line = one_line_error(done)
    assert "--host" in line and "--access-key-id" in line
    done = subprocess.run(
        serve_command("--account-id", "12"), capture_output=True, text=True, timeout=60
    )
    assert "--account-id" in one_line_error(done)


def test_the_account_is_configurable_and_roles_survive_a_restart(tmp_path):
    server = start_serve(tmp_path / "state", "--account-id", "123456789012")
    try:
        assert server.client("sts").get_caller_identity()["Account"] == "123456789012"
        iam = server.client("iam")
        arn = iam.create_role(RoleName="jobs", AssumeRolePolicyDocument='{"Statement": []}')
        assert arn["Role"]["Arn"] == "arn:aws:iam::123456789012:role/jobs"
        iam.put_role_policy(RoleName="jobs", PolicyName="s3", PolicyDocument='{"Statement": []}')
    finally:
        server.stop()
    server = start_serve(tmp_path / "state", "--account-id", "123456789012")
    try:
        iam = server.client("iam")
        policy = iam.get_role_policy(RoleName="jobs", PolicyName="s3")
        assert policy["PolicyDocument"] == {"Statement": []}
        with pytest.raises(ClientError) as raised:
            iam.get_role(RoleName="nobody")
        assert raised.value.response["Error"]["Code"] == "NoSuchEntity"
        given = server.client("sts").assume_role(
            RoleArn="arn:aws:iam::123456789012:role/jobs", RoleSessionName="test"
        )
        assert given["Credentials"]["AccessKeyId"].startswith("ASIA")
    finally:
        server.stop()


def test_a_job_keeps_running_across_a_restart(tmp_path):
    server = start_serve(tmp_path / "state")
    name = "outlives-its-server"
    try:
        sagemaker = server.client("sagemaker")
        code = "import time; time.sleep(2); print('done')"
        sagemaker.create_processing_job(**job_request(name, code))
    finally:
        assert server.stop()[0] == 0
    server = start_serve(tmp_path / "state")
    try:
        described = wait_for_end(server.client("sagemaker"), name)
        assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    finally:
        server.stop()


def test_a_key_pair_refuses_requests_not_signed_with_it(tmp_path):
    server = start_serve(
        tmp_path / "state", "--access-key-id", "AKIDSERVE", "--secret-access-key", "s3cret"
    )
    try:
        import boto3

        def sts(key: str, secret: str):
            return boto3.client(
                "sts",
                endpoint_url=server.url,
                region_name="us-east-1",
                aws_access_key_id=key,
                aws_secret_access_key=secret,
            )

        assert sts("AKIDSERVE", "s3cret").get_caller_identity()["Account"] == "000000000000"
        for key, secret, code in (
            ("AKIDSERVE", "wrong", "SignatureDoesNotMatch"),
            ("AKIDOTHER", "s3cret", "InvalidClientTokenId"),
        ):
            with pytest.raises(ClientError) as raised:
                sts(key, secret).get_caller_identity()
            assert raised.value.response["Error"]["Code"] == code
        sagemaker = server.client("sagemaker")  # signed with the default local key
        with pytest.raises(ClientError) as raised:
            sagemaker.list_processing_jobs()
        assert raised.value.response["Error"]["Code"] == "InvalidClientTokenId"

        given = sts("AKIDSERVE", "s3cret").assume_role(
            RoleArn="arn:aws:iam::000000000000:role/r", RoleSessionName="session"
        )["Credentials"]
        temporary = boto3.client(
            "sagemaker",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id=given["AccessKeyId"],
            aws_secret_access_key=given["SecretAccessKey"],
            aws_session_token=given["SessionToken"],
        )
        assert temporary.list_processing_jobs()["ProcessingJobSummaries"] == []

        import urllib.request

        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server.url}/some-bucket/key", timeout=30)
        assert refused.value.code == 403
        assert b"MissingAuthenticationToken" in refused.value.read()
    finally:
        server.stop()
