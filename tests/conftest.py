"""One moto server per test session, on 127.0.0.1, reached over real HTTP.

Every process the tests start inherits the environment set here: the endpoint, dummy
credentials, a region, no instance-metadata probing, and a private state directory.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, deadline_s: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("moto server did not start in time")


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session", autouse=True)
def aws_environment(moto_server, tmp_path_factory):
    """Point boto3 (ours and the subprocesses') at moto server, never at AWS."""
    home = tmp_path_factory.mktemp("home")
    env = {
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_SAGEMAKER_REMOTE_HOME": str(home / "state"),
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        os.environ.pop(name, None)
    os.environ.update(env)
    yield env


@pytest.fixture()
def moto_reset(moto_server):
    """Start the test with an empty emulated account."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    yield moto_server


def moto_auth(url: str, count: str) -> None:
    """Make moto check credentials for the next ``count`` requests ("0": from now on;
    "inf": never again). The setting is server-wide: tests turn it off in ``finally``."""
    request = urllib.request.Request(
        f"{url}/moto-api/reset-auth",
        data=count.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture()
def s3(moto_reset):
    import boto3

    return boto3.client("s3")


@pytest.fixture()
def no_aws_env(tmp_path):
    """An environment with no AWS credentials, region or endpoint at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["AWS_CONFIG_FILE"] = str(tmp_path / "no-aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "no-aws-credentials")
    env["AWS_SAGEMAKER_REMOTE_HOME"] = str(tmp_path / "state")
    return env


def ctrl_c_as_in_a_terminal() -> None:
    """``preexec_fn`` of a child a test sends SIGINT: a test run started in the background
    (``cmd &`` in a script) ignores SIGINT, and its children would inherit that."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_script(script, *args, env=None, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    """Run a Python script in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )
