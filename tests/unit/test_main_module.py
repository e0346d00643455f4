"""``python -m aws_sagemaker_remote`` is the ``aws-sagemaker-remote`` command: the same
parser, the same one-line errors and exit codes."""

from __future__ import annotations

import sys

import pytest

from aws_sagemaker_remote import __version__


def run_module(monkeypatch, *argv: str) -> int:
    """What ``python -m aws_sagemaker_remote *argv`` does: run the module's body (it has
    no ``if __name__`` guard, so importing it afresh runs the command)."""
    monkeypatch.setattr(sys, "argv", ["aws-sagemaker-remote", *argv])
    monkeypatch.delitem(sys.modules, "aws_sagemaker_remote.__main__", raising=False)
    with pytest.raises(SystemExit) as done:
        from aws_sagemaker_remote import __main__  # noqa: F401
    return done.value.code or 0


def test_version(monkeypatch, capsys):
    assert run_module(monkeypatch, "--version") == 0
    assert capsys.readouterr().out.strip() == f"aws-sagemaker-remote {__version__}"


def test_a_usage_mistake_is_one_line_naming_the_option_and_exit_2(monkeypatch, capsys):
    assert run_module(monkeypatch, "jobs", "list", "--max", "0") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--max" in err and "Traceback" not in err


def test_a_command_that_succeeds_exits_0(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    assert run_module(monkeypatch, "jobs", "list", "--local", "--json") == 0
    assert capsys.readouterr().out.strip() == "[]"
