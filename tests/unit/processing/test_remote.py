"""``--sagemaker-run`` / ``--sagemaker-dry-run`` over the Python API, in this process: a dry
run prints the request on stdout and sends nothing; what a submission has to say goes to
stderr with fields spelled as flags; where to follow the job is announced."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from aws_sagemaker_remote.cli.flags import flag_for_field
from aws_sagemaker_remote.events import Event
from aws_sagemaker_remote.processing import sagemaker_processing_main
from aws_sagemaker_remote.processing.remote import _Announcer
from aws_sagemaker_remote.storage.localstore import LocalStore
from aws_sagemaker_remote.submission.handle import Job

from ..submission.memory import MemoryBackend


@pytest.fixture()
def script(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("alpha\n")
    path = tmp_path / "job.py"
    path.write_text("")
    return path


def never(args):
    raise AssertionError("main must not run on the remote path")


def remote(script, *argv: str):
    return sagemaker_processing_main(
        never,
        script=str(script),
        inputs={"input": "data"},
        outputs={"output": "out"},
        argv=["--sagemaker-instance", "local", *argv],
    )


def test_a_dry_run_prints_the_request_and_sends_nothing(script, capsys):
    assert remote(script, "--sagemaker-dry-run", "true", "--sagemaker-job-name", "dry-1") is None
    out = capsys.readouterr().out
    request = json.loads(out)
    assert request["ProcessingJobName"] == "dry-1"
    assert {c["InputName"] for c in request["ProcessingInputs"]} >= {"code", "input"}
    assert LocalStore().list_sync("") == [], "nothing uploaded"
    from aws_sagemaker_remote.backends.local import LocalBackend

    assert LocalBackend().list_jobs() == [], "no job created"


def test_an_output_json_that_cannot_be_written_is_refused_naming_its_flag(script, capsys):
    with pytest.raises(SystemExit) as done:
        remote(
            script,
            "--sagemaker-dry-run",
            "true",
            "--sagemaker-output-json",
            str(script.parent / "no" / "d.json"),
        )
    captured = capsys.readouterr()
    assert done.value.code == 2 and captured.out == ""
    assert "--sagemaker-output-json" in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_events_are_printed_on_stderr_with_flags_for_fields(capsys):
    announcer = _Announcer(flag_for_field)
    announcer(Event("warning", "{{instance}} is not what you think"))
    announcer(Event("note", "note: {{inputs.data}} was assumed"))
    err = capsys.readouterr().err.splitlines()
    assert err == ["--sagemaker-instance is not what you think", "note: --data was assumed"]


def test_the_announcement_says_how_to_follow_the_job_and_where_outputs_go(capsys):
    request = {
        "ProcessingOutputConfig": {
            "Outputs": [{"OutputName": "out", "S3Output": {"S3Uri": "s3://bucket/jobs/j/out"}}]
        }
    }
    announcer = _Announcer(flag_for_field)
    announcer(Event("created", "created processing job j", request))
    assert capsys.readouterr().err == "", "the created event is announced with the job"
    announcer.announce(Job("j", MemoryBackend(local=True)))
    local = capsys.readouterr().err
    assert "jobs logs -f j --local" in local and "s3://bucket/jobs/j/out" in local
    assert "console.aws.amazon.com" not in local

    sagemaker = Job("j", MemoryBackend(), aws=SimpleNamespace(region="eu-west-1"))
    announcer.announce(sagemaker)
    remote_lines = capsys.readouterr().err
    assert "--local" not in remote_lines
    assert (
        "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1"
        "#/processing-jobs/j" in remote_lines
    )
