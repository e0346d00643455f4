"""The remote path of ``sagemaker_processing_main`` in this process, on the local engine:
the job really runs; waiting downloads outputs given as local paths byte for byte and
returns the final description; not waiting prints the job's name on stdout; a failed job
is exit 1 with its reason."""

from __future__ import annotations

import json

import pytest

# imported at collection, while stderr is the session's: its status lines default to the
# stderr of import time (see tests/reliability/test_waiting_follows_redirected_stderr.py)
import aws_sagemaker_remote.cli.follow  # noqa: F401, I001
from aws_sagemaker_remote.processing import sagemaker_processing_main

pytestmark = pytest.mark.e2e  # the local engine runs jobs

SCRIPT = """\
import os
import sys
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    print("reading", os.listdir(args.input))
    if os.path.exists(os.path.join(args.input, "fail")):
        sys.exit("asked to fail")
    with open(os.path.join(args.input, "a.txt"), "rb") as source:
        data = source.read()
    with open(os.path.join(args.output, "upper.txt"), "wb") as target:
        target.write(data.upper())

if __name__ == "__main__":
    sagemaker_processing_main(main=main, inputs={"input": "data"}, outputs={"output": "out"})
"""


@pytest.fixture()
def script(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_bytes(b"alpha\nbeta\n")
    path = tmp_path / "job.py"
    path.write_text(SCRIPT)
    return path


def never(args):
    raise AssertionError("main runs in the job, not here")


def remote(script, *argv: str):
    return sagemaker_processing_main(
        never,
        script=str(script),
        inputs={"input": "data"},
        outputs={"output": "out"},
        argv=["--sagemaker-run", "true", "--sagemaker-instance", "local", *argv],
    )


def test_a_waited_job_downloads_its_outputs_and_returns_its_description(script, tmp_path, capsys):
    description_file = tmp_path / "description.json"
    final = remote(script, "--output", "got", "--sagemaker-output-json", str(description_file))
    assert final["ProcessingJobStatus"] == "Completed"
    assert (tmp_path / "got" / "upper.txt").read_bytes() == b"ALPHA\nBETA\n"
    assert (
        json.loads(description_file.read_text())["ProcessingJobName"]
        == (final["ProcessingJobName"])
    )
    assert final["ProcessingJobName"] in capsys.readouterr().err, "where to follow it"


def test_not_waiting_prints_the_job_name_for_scripts(script, capsys):
    assert remote(script, "--sagemaker-wait", "false", "--sagemaker-job-name", "nowait-1") is None
    assert capsys.readouterr().out.strip().splitlines()[-1] == "nowait-1"
    from aws_sagemaker_remote.api import attach

    assert attach("nowait-1", local=True).wait(poll_seconds=0.05) == "Completed"


def test_a_failed_job_exits_1_with_its_reason(script, tmp_path, capsys):
    (tmp_path / "data" / "fail").write_text("")
    with pytest.raises(SystemExit) as done:
        remote(script)
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert "asked to fail" in err
    assert not (tmp_path / "out" / "upper.txt").exists()
