"""Container paths are checked once, before anything is staged, by the rule both SageMaker
and the local engine keep: absolute, plain, under /opt/ml/processing/, no two channels in
one place. The dry run used to print requests with such paths that the engine refused."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.processing import sagemaker_processing_main

DRY = ["--sagemaker-dry-run", "true", "--sagemaker-instance", "local"]


@pytest.fixture()
def script(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a\n")
    path = tmp_path / "job.py"
    path.write_text("")
    return path


def dry_run(script, capsys, *argv):
    with pytest.raises(SystemExit) as caught:
        sagemaker_processing_main(
            main=print,
            script=str(script),
            inputs={"data": str(script.parent / "data")},
            outputs={"out": str(script.parent / "out")},
            argv=[*DRY, *argv],
        )
    captured = capsys.readouterr()
    assert caught.value.code == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert captured.out == ""  # no request printed
    return lines[0]


@pytest.mark.parametrize(
    "flag", ["--sagemaker-input-mount", "--sagemaker-output-mount", "--sagemaker-module-mount"]
)
@pytest.mark.parametrize(
    "value",
    ["relative/dir", "/opt/ml/x", "../../etc", "/", "/opt/ml/processing/../../etc", "/opt/ml//p"],
)
def test_a_mount_the_engine_would_refuse_is_refused_first(script, capsys, flag, value):
    line = dry_run(script, capsys, flag, value)
    assert f"error: {flag}: " in line and "/opt/ml/processing/" in line


@pytest.mark.parametrize(
    "flag, value, blamed",
    [
        ("--sagemaker-input-mount", "/opt/ml/processing/code", "--data"),
        ("--sagemaker-input-mount", "/opt/ml/processing/output/out", "--out"),
        ("--sagemaker-output-mount", "/opt/ml/processing/input/data", "--out"),
    ],
)
def test_two_channels_in_one_place_are_refused(script, capsys, flag, value, blamed):
    line = dry_run(script, capsys, flag, value)
    # the mount that put the later channel there is blamed, and the channel is named
    assert "error: --sagemaker-" in line and "-mount: " in line
    assert f"({blamed}) overlaps" in line


def test_a_mount_may_be_the_processing_directory_itself():
    from aws_sagemaker_remote.job.values import container_path

    assert container_path("/opt/ml/processing/", "input_mount", mount=True) == "/opt/ml/processing"
    assert container_path("/opt/ml/processing/in/", "input_mount") == "/opt/ml/processing/in"
