"""``sagemaker_processing_main`` on the local path, in this process: ``main(args)`` gets
the parsed channels, outputs are made, what is missing is one line naming its flag (exit
2, ``main`` never called), and modules import as they would in the job."""

from __future__ import annotations

import os
import sys

import pytest

from aws_sagemaker_remote.args import OPTIONAL, PathArgument
from aws_sagemaker_remote.processing.main import (
    in_job,
    sagemaker_processing_main,
    script_defining,
)
from aws_sagemaker_remote.script.layout import IN_JOB_ENV
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET


class Recorder:
    """A ``main`` that keeps the arguments it was called with."""

    def __init__(self, result=None):
        self.calls: list = []
        self.result = result

    def __call__(self, args):
        self.calls.append(args)
        return self.result


@pytest.fixture()
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(IN_JOB_ENV, raising=False)
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("alpha\n")
    script = tmp_path / "job.py"
    script.write_text("")
    return script


def run(script, argv, main=None, **declared):
    main = main or Recorder("result")
    declared.setdefault("inputs", {"input": "data"})
    declared.setdefault("outputs", {"output": "out"})
    returned = sagemaker_processing_main(main, script=str(script), argv=argv, **declared)
    return main, returned


def one_line_exit(capsys, call) -> str:
    """Run ``call``; it must exit 2 with one line on stderr; that line."""
    with pytest.raises(SystemExit) as done:
        call()
    err = capsys.readouterr().err.strip()
    assert done.value.code == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_a_local_run_calls_main_with_the_channels_and_returns_its_result(project, tmp_path):
    main, returned = run(project, [])
    assert returned == "result"
    (args,) = main.calls
    assert args.input == "data" and os.path.isdir(args.input)
    assert args.output == "out" and (tmp_path / "out").is_dir(), "outputs are made for main"
    assert args.sagemaker_run is False


def test_flags_override_the_declared_paths(project, tmp_path):
    (tmp_path / "other").mkdir()
    main, _ = run(project, ["--input", "other", "--output", str(tmp_path / "o2" / "deep")])
    assert main.calls[0].input == "other"
    assert (tmp_path / "o2" / "deep").is_dir()


def test_a_missing_input_names_its_flag_and_where_it_looked(project, tmp_path, capsys):
    main = Recorder()
    err = one_line_exit(capsys, lambda: run(project, ["--input", "nope"], main))
    assert "--input" in err and "nope" in err and str(tmp_path) in err
    assert main.calls == []


def test_a_required_input_left_empty_names_its_flag(project, capsys):
    main = Recorder()
    err = one_line_exit(capsys, lambda: run(project, ["--input", ""], main))
    assert "--input" in err and main.calls == []


def test_optional_channels_left_empty_are_none(project):
    main, _ = run(
        project,
        ["--extra", "", "--maybe", ""],
        inputs={"input": "data", "extra": OPTIONAL},
        outputs={"output": "out", "maybe": PathArgument("maybe_out", optional=True)},
    )
    args = main.calls[0]
    assert args.extra is None and args.maybe is None
    assert not os.path.exists("maybe_out")


def test_an_output_that_cannot_be_made_names_its_flag(project, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    main = Recorder()
    err = one_line_exit(capsys, lambda: run(project, ["--output", "file/sub"], main))
    assert "--output" in err and main.calls == []


def test_a_mistake_in_the_declaration_exits_2_before_parsing(project, capsys):
    main = Recorder()
    both = {"data": "data"}
    err = one_line_exit(capsys, lambda: run(project, [], main, inputs=both, outputs=both))
    assert "'data'" in err and main.calls == []


def test_modules_import_as_in_the_job(project, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("PYTHONPATH", "")  # recorded, so what the run sets is undone
    (tmp_path / "libs" / "helperlib").mkdir(parents=True)
    (tmp_path / "libs" / "helperlib" / "__init__.py").write_text("ANSWER = 42\n")
    seen = []

    def main(args):
        import helperlib

        seen.append((args.helperlib, helperlib.ANSWER))

    try:
        run(project, [], main, dependencies={"helperlib": str(tmp_path / "libs" / "helperlib")})
    finally:
        sys.modules.pop("helperlib", None)
    assert seen == [(str(tmp_path / "libs" / "helperlib"), 42)]
    assert sys.path[1] == str(tmp_path / "libs")
    assert os.environ["PYTHONPATH"] == str(tmp_path / "libs")


def test_a_local_store_input_reaches_main_as_a_local_copy(project, tmp_path):
    import asyncio

    from aws_sagemaker_remote.storage.localstore import LocalStore

    asyncio.run(LocalStore().put_bytes("in/x.csv", b"1,2\n"))
    read = []

    def main(args):
        read.append(open(os.path.join(args.input, "x.csv"), "rb").read())

    run(project, ["--input", f"s3://{LOCAL_STORE_BUCKET}/in/"], main)
    assert read == [b"1,2\n"]


def test_in_job_follows_the_variable_the_bootstrap_sets(monkeypatch):
    monkeypatch.delenv(IN_JOB_ENV, raising=False)
    assert in_job() is False
    monkeypatch.setenv(IN_JOB_ENV, "1")
    assert in_job() is True
    monkeypatch.setenv(IN_JOB_ENV, "0")
    assert in_job() is False


def test_the_default_script_is_the_file_that_defines_main():
    assert script_defining(Recorder.__call__) == os.path.abspath(__file__)
    namespace: dict = {}
    exec(compile("def main(args): pass", "/somewhere/job.py", "exec"), namespace)
    assert script_defining(namespace["main"]) == "/somewhere/job.py"
    with pytest.raises(TypeError):
        script_defining(object())
