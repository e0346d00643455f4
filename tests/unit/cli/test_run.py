"""``aws-sagemaker-remote run``: its mistakes are one line naming the flag, exit 2, with
nothing staged and no job; its dry run prints the request with exactly the script's
arguments. In this process (the dispatcher's ``main``), against the local engine's store
under the test's state directory: no server."""

from __future__ import annotations

import json

import pytest

from aws_sagemaker_remote.cli import main as cli_main
from aws_sagemaker_remote.cli.flags import run_option_for_field

DRY = ("--sagemaker-instance", "local", "--sagemaker-dry-run", "true")


@pytest.fixture()
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("1,2\n")
    (tmp_path / "job.py").write_text("import sys\nprint(sys.argv)\n")
    return tmp_path


def run(capsys, *args) -> tuple[int, str, str]:
    try:
        code = cli_main(["run", *args])
    except SystemExit as leaving:
        code = leaving.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(capsys, *args) -> str:
    code, out, err = run(capsys, *args)
    assert code == 2, err
    assert out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aws-sagemaker-remote run: error: "), err
    return lines[0]


def test_the_dry_run_prints_the_request_with_only_the_scripts_arguments(project, capsys):
    code, out, err = run(
        capsys,
        "job.py",
        "--input", "raw:/opt/ml/processing/input=data",
        "--input-distribution", "raw=ShardedByS3Key",
        "--output", "/opt/ml/processing/output/results=s3://bucket/results",
        "--output-mode", "results=continuous",
        *DRY,
        "--", "--abc", "--", "x",
    )  # fmt: skip
    assert code == 0, err
    request = json.loads(out)
    assert request["AppSpecification"]["ContainerArguments"] == ["--abc", "--", "x"]
    raw = next(i for i in request["ProcessingInputs"] if i["InputName"] == "raw")["S3Input"]
    assert raw["LocalPath"] == "/opt/ml/processing/input"
    assert raw["S3DataDistributionType"] == "ShardedByS3Key"
    (output,) = request["ProcessingOutputConfig"]["Outputs"]
    assert output == {
        "OutputName": "results",
        "S3Output": {
            "S3Uri": "s3://bucket/results",
            "LocalPath": "/opt/ml/processing/output/results",
            "S3UploadMode": "Continuous",
        },
    }


@pytest.mark.parametrize(
    "args,expected",
    [
        (
            ["--input", "/data/train=data"],
            "--input: '/data/train' is not under /opt/ml/processing/",
        ),
        (["--input", "/opt/ml/processing/a/../b=data"], "--input: '/opt/ml/processing/a/../b' has"),
        (["--input", "/opt/ml/processing/train"], "--input: '/opt/ml/processing/train' is not"),
        (["--output", "/opt/ml/processing/out"], "is not [NAME:]CONTAINER_PATH=DESTINATION"),
        (["--input", "/opt/ml/processing/train=nowhere"], "--input train: nowhere does not exist"),
        (
            ["--input", "/opt/ml/processing/in=data", "--output", "/opt/ml/processing/in/x=out"],
            "--output x: /opt/ml/processing/in/x (--output x) overlaps /opt/ml/processing/in",
        ),
        (
            ["--input", "/opt/ml/processing/code/x=data"],
            "overlaps /opt/ml/processing/code (the job's code)",
        ),
        (
            ["--input", "/opt/ml/processing/a/x=data", "--input", "/opt/ml/processing/b/x=data"],
            "two inputs are named 'x' (name one of them: NAME:/opt/ml/processing/b/x)",
        ),
        (
            ["--input", "/opt/ml/processing/input/code=data"],
            "the channel name 'code' is reserved for the job's code",
        ),
        (["--input", "/opt/ml/processing/t=data", "--input-mode", "t=pipes"], "--input-mode t:"),
        (["--input", "/opt/ml/processing/t=data", "--input-mode", "u=Pipe"], "names no input"),
        (["--sagemaker-input-mount", "/opt/ml/processing/x"], "--input places each input"),
        (["--sagemaker-run", "true"], "run always runs SCRIPT as a job"),
        (["--train-test-split-ratio", "0.2"], "the script's own arguments go after --"),
        (["--sagemaker-instance-count", "two"], "--sagemaker-instance-count: invalid int"),
    ],
)
def test_a_mistake_is_one_line_naming_the_flag(project, capsys, args, expected):
    line = one_line_error(capsys, "job.py", *args, *DRY)
    assert expected in line
    assert not (project / "state").exists() or not any((project / "state").rglob("trees"))


def test_a_missing_script_is_named(project, capsys):
    assert "SCRIPT: missing.py does not exist" in one_line_error(capsys, "missing.py", *DRY)


def test_run_spells_fields_as_its_own_flags():
    assert run_option_for_field("inputs.train") == "--input train"
    assert run_option_for_field("inputs.train.container_path") == "--input train"
    assert run_option_for_field("inputs.train.distribution") == "--input-distribution train"
    assert run_option_for_field("outputs.out.s3") == "--output out"
    assert run_option_for_field("instance") == "--sagemaker-instance"
    assert run_option_for_field("script") == "SCRIPT"


def test_too_many_arguments_are_the_scripts_arguments(project, capsys):
    line = one_line_error(capsys, "job.py", *DRY, "--", *map(str, range(101)))
    assert "error: the script's arguments: has 101 items; at most 100 allowed" in line
