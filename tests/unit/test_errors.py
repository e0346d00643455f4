"""Every error carries its message and, apart from it, a hint (what to do next); the one
line a person reads joins them the way each kind of error always said them, and the
command line prints that line in one place with the error's exit code."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.errors import (
    Error,
    Interrupted,
    JobFailed,
    NotFound,
    ServiceError,
    UserError,
    exit_on_error,
)


def test_a_hint_follows_the_message_in_parentheses():
    error = Interrupted("interrupted; job j was created and keeps running", hint="follow: cmd")
    assert error.message == "interrupted; job j was created and keeps running"
    assert error.hint == "follow: cmd"
    assert str(error) == "interrupted; job j was created and keeps running (follow: cmd)"
    assert error.one_line() == str(error)


def test_without_a_hint_the_message_is_all():
    error = ServiceError("S3 at http://x failed", endpoint="http://x")
    assert error.hint is None and str(error) == "S3 at http://x failed"
    assert Error("plain").one_line() == "plain"


def test_fix_is_the_hint_of_a_user_error_under_its_old_name():
    error = UserError("is not a port", field="port", fix="use 1-65535")
    assert error.hint == error.fix == "use 1-65535"
    assert UserError("is not a port", hint="use 1-65535").fix == "use 1-65535"
    error.fix = "use 8080"
    assert error.hint == "use 8080"
    assert isinstance(NotFound("no job"), Error) and NotFound("no job").hint is None


def test_a_user_error_names_its_field_then_message_then_hint():
    error = UserError("must be 0 or more", field="keep", fix="pass {{keep}} 0")
    assert error.one_line(lambda field: f"--{field}") == "--keep: must be 0 or more (pass --keep 0)"
    assert str(error) == "keep=: must be 0 or more (pass keep= 0)"  # the Python API's words


def test_a_failed_job_says_its_hint_after_its_reasons_and_then_its_last_lines():
    error = JobFailed(
        "job j ended Stopped; reason: MaxRuntimeExceeded",
        hint="a longer {{runtime_seconds}} raises the limit",
        last_lines=["working", "  still working"],
    )
    assert str(error) == (
        "job j ended Stopped; reason: MaxRuntimeExceeded; "
        "a longer {{runtime_seconds}} raises the limit\n"
        "last log lines:\n  working\n    still working"
    )
    first, *rest = error.one_line(lambda field: "--sagemaker-runtime-seconds").split("\n")
    assert first.endswith("; a longer --sagemaker-runtime-seconds raises the limit")
    assert rest == ["last log lines:", "  working", "    still working"]
    assert JobFailed("job j ended Failed").last_lines == []


def test_the_command_line_prints_message_and_hint_on_one_line_with_the_exit_code(capsys):
    with pytest.raises(SystemExit) as done:
        exit_on_error(
            UserError("is not a port", field="port", fix="use {{port}} 0"),
            "prog",
            name=lambda field: f"--{field}",
        )
    assert done.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "prog: error: --port: is not a port (use --port 0)\n"

    with pytest.raises(SystemExit) as done:
        exit_on_error(Interrupted("interrupted", hint="run again"), "prog")
    assert done.value.code == 130
    assert capsys.readouterr().err == "prog: error: interrupted (run again)\n"
