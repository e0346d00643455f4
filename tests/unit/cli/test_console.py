"""``aws-sagemaker-remote console``: one line with the URL, Ctrl-C ends it cleanly, and a
mistake is one line naming the flag, exit 2."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

from conftest import ctrl_c_as_in_a_terminal
from consolekit import fetch, record

COMMAND = [sys.executable, "-m", "aws_sagemaker_remote", "console"]


def test_no_credentials_is_one_line_naming_the_profile_flag(no_aws_env):
    done = subprocess.run(
        [*COMMAND, "--port", "0"], env=no_aws_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no AWS credentials" in lines[0] and "--profile" in lines[0]
    assert done.stdout == ""


def test_a_port_in_use_is_one_line_naming_the_port_flag(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*COMMAND, "--local", "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert f"127.0.0.1:{port}" in line and "--port" in line and "Traceback" not in line


def test_local_console_serves_the_engines_jobs_until_ctrl_c(tmp_path, monkeypatch):
    import os

    from aws_sagemaker_remote.backends.local import LocalBackend

    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    record(LocalBackend(), "cli-listed")
    process = subprocess.Popen(
        [*COMMAND, "--local", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        preexec_fn=ctrl_c_as_in_a_terminal,
    )
    try:
        line = process.stdout.readline()
        url = line.split()[0]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/_console/")
        assert "cli-listed" in fetch(url).text
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and "Traceback" not in err
