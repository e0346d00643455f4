"""``serve`` in tests: as a real subprocess on a free 127.0.0.1 port (``serve``,
``start_serve``), and its S3 face alone in this process (``s3_face_server``).

Each server has its own state directory; clients reach it the way a user's would, through
the endpoint it prints (``AWS_ENDPOINT_URL``) and dummy credentials. One server serves the
whole session (jobs get unique names); tests that stop or restart a server start their own.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ctrl_c_as_in_a_terminal

from aws_sagemaker_remote.server.http import HttpServer
from aws_sagemaker_remote.server.s3 import s3_face
from aws_sagemaker_remote.storage.localbuckets import LocalBuckets

REGION = "us-east-1"
KEY = "local"


class Serve:
    """A running ``serve`` process: its endpoint, state directory and the environment of a
    client pointed at it."""

    def __init__(self, proc: subprocess.Popen, url: str, state: Path):
        self.proc = proc
        self.url = url
        self.state = state
        self.env = client_env(url)

    def client(self, service: str, **config):
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=KEY,
            aws_secret_access_key=KEY,
            config=Config(retries={"max_attempts": 1}, **config),
        )

    def stop(self, sig: int | None = None) -> tuple[int, str]:
        """Stop the server (SIGINT by default: Ctrl-C); its exit code and stderr."""
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(sig or signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        err = self.proc.stderr.read() if self.proc.stderr else ""
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        return self.proc.returncode, err


def client_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID=KEY,
        AWS_SECRET_ACCESS_KEY=KEY,
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "aws_sagemaker_remote", "serve", *args]


def start_serve(state: Path, *args: str, deadline_s: float = 60.0) -> Serve:
    """Start a server with ``state`` as its state directory; wait for its one line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env["AWS_SAGEMAKER_REMOTE_HOME"] = str(state)
    proc = subprocess.Popen(
        serve_command("--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        preexec_fn=ctrl_c_as_in_a_terminal,
    )
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=deadline_s):
            proc.kill()
            raise RuntimeError("serve printed nothing in time")
    line = proc.stdout.readline()
    if "export AWS_ENDPOINT_URL=" not in line:
        proc.kill()
        raise RuntimeError(f"serve did not start: {line!r} {proc.stderr.read()}")
    return Serve(proc, line.rsplit("AWS_ENDPOINT_URL=", 1)[1].strip(), state)


@pytest.fixture(scope="session")
def serve(tmp_path_factory):
    server = start_serve(tmp_path_factory.mktemp("serve") / "state")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def job_name() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def job_request(name: str, code: str = "print('hello')", **members) -> dict:
    """A CreateProcessingJob request whose entrypoint is ``python3 -c code``."""
    request = {
        "ProcessingJobName": name,
        "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
        "AppSpecification": {
            # an image whose tag names this interpreter's Python: no guess to note in the log
            "ImageUri": f"000000000000.dkr.ecr.us-east-1.amazonaws.com/python:{PYTHON}",
            "ContainerEntrypoint": ["python3", "-c", code],
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 1,
            }
        },
    }
    request.update(members)
    return request


def wait_for_end(sagemaker, name: str, deadline_s: float = 120.0) -> dict:
    """DescribeProcessingJob once the job has ended (polled, with a deadline)."""
    deadline = time.monotonic() + deadline_s
    while True:
        described = sagemaker.describe_processing_job(ProcessingJobName=name)
        if described["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return described
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} still {described['ProcessingJobStatus']}")
        time.sleep(0.05)


@dataclass
class S3Face:
    url: str
    root: Path  # the buckets' directory
    errors: list[str]  # tracebacks the server logged: every test expects none

    def client(self, **config):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
        )


@pytest.fixture()
def s3_face_server(tmp_path) -> Iterator[S3Face]:
    errors: list[str] = []
    root = tmp_path / "buckets"
    server = HttpServer(s3_face(LocalBuckets(root)), "127.0.0.1", 0, on_error=errors.append)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield S3Face(server.url, root, errors)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert errors == [], errors[0] if errors else ""


@pytest.fixture()
def s3c(s3_face_server):
    """A boto3 client of the S3 face, with one bucket ``data``."""
    client = s3_face_server.client()
    client.create_bucket(Bucket="data")
    return client
