"""The ``jobs`` command in this process, on an empty local engine: its parser, what it
refuses (one line naming the option, exit 2, nothing done) and what it prints where
(results on stdout, status on stderr)."""

from __future__ import annotations

import argparse
import json

import pytest

from aws_sagemaker_remote.cli import jobs


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))


def exits(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``aws-sagemaker-remote *argv``; (exit code, stdout, stderr)."""
    try:
        code = jobs.main(list(argv)) or 0
    except SystemExit as done:
        code = done.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "soon", ""])
def test_poll_seconds_must_be_a_positive_finite_number(text):
    with pytest.raises(argparse.ArgumentTypeError):
        jobs._positive(text)


def test_poll_seconds_accepts_fractions():
    assert jobs._positive("0.5") == 0.5 and jobs._positive("3") == 3.0


def test_durations_have_units_or_are_refused():
    assert jobs._duration("90s") == 90 and jobs._duration("30m") == 1800
    assert jobs._duration("12h") == 12 * 3600 and jobs._duration("7d") == 7 * 86400
    for text in ("soon", "-5m", "1y"):
        with pytest.raises(argparse.ArgumentTypeError):
            jobs._duration(text)


def test_the_parser_knows_every_command_and_its_options():
    parser = jobs.build_parser()
    args = parser.parse_args(["jobs", "logs", "-f", "--local", "--poll-seconds", "2", "j1"])
    assert (args.command, args.name, args.follow, args.local, args.poll_seconds) == (
        "logs",
        "j1",
        True,
        True,
        2.0,
    )
    args = parser.parse_args(["jobs", "download", "j1", "--name", "out", "--output", "d"])
    assert (args.output_name, args.output) == ("out", "d")
    args = parser.parse_args(["jobs", "prune", "--local", "--keep", "2", "--older-than", "1h"])
    assert (args.keep, args.older_than) == (2, 3600.0)
    assert parser.parse_args(["jobs", "list"]).max == 20
    assert parser.parse_args(["jobs", "wait", "j", "--no-logs"]).no_logs is True
    assert set(jobs._COMMANDS) == {
        "list", "describe", "logs", "wait", "stop", "rm", "prune", "download"
    }  # fmt: skip


def test_help_lists_the_other_commands(capsys):
    code, out, _ = exits(capsys, "--help")
    assert code == 0
    for command in ("jobs", "run", "serve", "console"):
        assert command in out


@pytest.mark.parametrize(
    "argv, option",
    [
        (["jobs", "list", "--max", "0", "--local"], "--max"),
        (["jobs", "prune", "--local", "--keep", "-1"], "--keep"),
        (["jobs", "prune"], "--local"),
        (["jobs", "logs", "--poll-seconds", "0", "j"], "--poll-seconds"),
        (["jobs", "prune", "--local", "--older-than", "soon"], "--older-than"),
    ],
)
def test_a_mistake_is_one_line_naming_the_option(capsys, argv, option):
    code, out, err = exits(capsys, *argv)
    assert code == 2 and out == ""
    assert option in one_line(err)


def test_a_missing_command_is_a_usage_error(capsys):
    code, _, err = exits(capsys, "jobs")
    assert code == 2 and one_line(err)


@pytest.mark.parametrize("command", ["describe", "logs", "wait", "stop", "download"])
def test_a_job_that_does_not_exist_is_one_line_and_exit_2(capsys, command):
    code, out, err = exits(capsys, "jobs", command, "--local", "no-such-job")
    assert code == 2 and out == ""
    assert "no-such-job" in one_line(err)


def test_listing_an_empty_engine(capsys):
    code, out, err = exits(capsys, "jobs", "list", "--local", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, err = exits(capsys, "jobs", "list", "--local")
    assert code == 0 and out == "", "no table for no jobs"
    assert "no local jobs" in err, "it says so, on stderr"


def test_pruning_an_empty_engine_reports_on_stderr(capsys):
    code, out, err = exits(capsys, "jobs", "prune", "--local")
    assert code == 0 and out == "" and err.strip()
    code, out, err = exits(capsys, "jobs", "rm", "--local", "no-such-job")
    assert code == 2 and out == "" and "no-such-job" in one_line(err)


def test_a_dry_run_prune_of_an_empty_engine_says_it_in_one_line(capsys):
    code, out, err = exits(capsys, "jobs", "prune", "--local", "--dry-run")
    assert code == 0 and out == ""
    assert one_line(err) == (
        "would remove 0 jobs, 0 staged trees, 0 cached compiled modules and 0 job "
        "environments, 0 B to free"
    )


def test_rm_and_prune_refuse_sagemaker_naming_local(capsys):
    code, out, err = exits(capsys, "jobs", "prune", "--keep", "1")
    assert code == 2 and out == ""
    assert one_line(err) == (
        "aws-sagemaker-remote: error: --local: jobs prune removes local jobs only (add --local)"
    )
