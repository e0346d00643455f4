"""``serve``'s options, read in this process: the account, port and key pair checked, a
key pair required beyond loopback, the region from the environment; each mistake one
line naming its flag, exit 2. (Running the server is tests/server/test_serve_command.py.)"""

from __future__ import annotations

import socket

import pytest

from aws_sagemaker_remote.cli import serve
from aws_sagemaker_remote.errors import UserError


def config(*argv: str):
    return serve._config(serve.build_parser().parse_args(list(argv)))


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--account-id", "12345"], "--account-id"),
        (["--port", "70000"], "--port"),
        (["--access-key-id", "AKID"], "--secret-access-key"),
        (["--secret-access-key", "s"], "--access-key-id"),
        (["--host", "0.0.0.0"], "--host"),
    ],
)
def test_a_mistake_is_one_line_naming_its_flag_and_exit_2(capsys, argv, flag):
    with pytest.raises(SystemExit) as exit:
        serve.main(argv)
    assert exit.value.code == 2
    said = capsys.readouterr().err.strip()
    assert len(said.splitlines()) == 1 and flag in said


def test_a_key_pair_turns_signature_checks_on_and_allows_other_hosts(monkeypatch):
    monkeypatch.delenv(serve.KEY_ID_ENV, raising=False)
    made = config("--host", "0.0.0.0", "--access-key-id", "AKID", "--secret-access-key", "s")
    assert made.verify_signatures
    assert (made.access_key_id, made.secret_access_key) == ("AKID", "s")
    plain = config()
    assert not plain.verify_signatures and plain.access_key_id == "local"


def test_the_region_of_arns_is_the_flags_then_the_environments(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-north-1")
    assert config().region == "eu-north-1"
    assert config("--region", "ap-east-1").region == "ap-east-1"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert config().region == "us-east-1"


@pytest.mark.parametrize(
    "host, loopback",
    [("localhost", True), ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True),
     ("0.0.0.0", False), ("10.0.0.1", False), ("example.com", False)],
)  # fmt: skip
def test_loopback_addresses_are_told_apart(host, loopback):
    assert serve.is_loopback(host) is loopback


def test_binding_a_port_in_use_names_the_port_flag():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(UserError) as error:
            serve._bind(lambda request: None, "127.0.0.1", taken.getsockname()[1])
    assert error.value.field == "port" and "already in use" in error.value.message
