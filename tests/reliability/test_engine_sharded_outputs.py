"""Several instances writing the same file names to one output keep one instance's files:
the submission warns, the job's log says which files collided, and a subfolder per
instance (its host name) keeps every instance's files. A sharded input with fewer objects
than instances leaves an instance idle: said at submission and in the log."""

from __future__ import annotations

import pytest
from conftest import run_script
from e2e.test_engine_e2e import LOCAL

pytestmark = pytest.mark.e2e  # real jobs of two instances

WRITES = """
import json, os
from aws_sagemaker_remote.args import PathArgument
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    opt_ml = os.environ.get("AWS_SAGEMAKER_REMOTE_OPT_ML", "/opt/ml")
    host = json.load(open(os.path.join(opt_ml, "config", "resourceconfig.json")))["current_host"]
    out = os.path.join(args.output, host) if args.per_host else args.output
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "part.txt"), "w") as f:
        f.write(f"from {host}\\n")

if __name__ == "__main__":
    sagemaker_processing_main(
        main=main,
        inputs={"input": PathArgument("data", distribution="ShardedByS3Key")},
        outputs={"output": "out"},
        additional_arguments=[{"dest": "--per-host", "type": int, "default": 0}],
        base_job_name="sharded",
    )
"""


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "only.txt").write_text("one object\\n")
    (tmp_path / "writes.py").write_text(WRITES)
    return tmp_path


def run(project, *args):
    return run_script(
        project / "writes.py", *LOCAL, "--sagemaker-instance-count", "2", *args, cwd=project
    )


def test_one_prefix_for_two_instances_is_warned_and_the_collision_said(project):
    done = run(project)
    assert done.returncode == 0, done.stderr
    assert "warning: 2 instances upload --output to one S3 prefix" in done.stderr
    assert "warning: --input has 1 file for 2 instances with ShardedByS3Key" in done.stderr
    assert "algo-2 got none" in done.stderr  # said again in the job's log
    assert "1 file(s) of output output were written by several instances (part.txt)" in (
        done.stderr
    )
    assert (project / "out" / "part.txt").read_text() == "from algo-2\n"


def test_a_subfolder_per_instance_keeps_every_instances_files(project):
    done = run(project, "--per-host", "1")
    assert done.returncode == 0, done.stderr
    assert "written by several instances" not in done.stderr
    for host in ("algo-1", "algo-2"):
        assert (project / "out" / host / "part.txt").read_text() == f"from {host}\n"
