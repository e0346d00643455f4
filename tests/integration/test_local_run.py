"""``python script.py``: main runs here with the paths as given; s3:// channels via temp copies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import run_script
from scripts import write_script

KWARGS = """
    inputs={"input": "in", "extra": OPTIONAL},
    outputs={"output": "out"},
    additional_arguments=[{"dest": "--filter-width", "default": 32, "help": "width"}],
"""


def seen(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.e2e
def test_local_run_calls_main_with_paths_as_given(tmp_path):
    script = write_script(tmp_path, KWARGS)
    (tmp_path / "in").mkdir()
    done = run_script(script, "--filter-width", "7", cwd=tmp_path)
    args = seen(done)
    assert args["input"] == "in" and args["output"] == "out"
    assert args["extra"] is None and args["filter_width"] == 7
    assert json.loads((tmp_path / "out" / "seen.json").read_text()) == args


@pytest.mark.e2e
def test_sagemaker_run_false_is_a_local_run(tmp_path):
    script = write_script(tmp_path, KWARGS)
    (tmp_path / "in").mkdir()
    for value in ("false", "no", "0", "NO"):
        assert seen(run_script(script, "--sagemaker-run", value, cwd=tmp_path))["input"] == "in"


@pytest.mark.e2e
def test_missing_local_input_is_one_line_user_error(tmp_path):
    script = write_script(tmp_path, KWARGS)
    done = run_script(script, "--input", "nowhere", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"job.py: error: --input: nowhere does not exist (relative to {tmp_path}) "
        "(pass an existing file or directory, or an s3:// URI)"
    ]


@pytest.mark.e2e
def test_required_channel_left_empty_is_user_error(tmp_path):
    script = write_script(tmp_path, KWARGS)
    done = run_script(script, "--input", "", cwd=tmp_path)
    assert done.returncode == 2
    assert "--input: is required and was left empty" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.e2e
def test_local_run_imports_no_boto3(tmp_path):
    script = write_script(tmp_path, KWARGS)
    (tmp_path / "in").mkdir()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "aws_sagemaker_remote.processing" in imported
    heavy = {"boto3", "botocore", "s3transfer", "sqlite3", "dataclasses", "inspect", "tempfile"}
    heavy |= {"shutil", "asyncio"}  # shutil: argparse imports it for the terminal width
    assert not heavy & imported, heavy & imported


@pytest.mark.e2e
def test_s3_input_and_output_in_a_local_run(tmp_path, s3):
    s3.create_bucket(Bucket="in-bucket")
    s3.create_bucket(Bucket="out-bucket")
    s3.put_object(Bucket="in-bucket", Key="data/a.txt", Body=b"alpha\n")
    s3.put_object(Bucket="in-bucket", Key="data/sub/b.txt", Body=b"beta\n")
    s3.put_object(Bucket="in-bucket", Key="one.csv", Body=b"x,y\n")
    script = tmp_path / "mirror_job.py"
    script.write_text(
        "import os, shutil\n"
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args):\n"
        "    shutil.copytree(args.input, os.path.join(args.output, 'tree'))\n"
        "    shutil.copy(args.single, os.path.join(args.output, 'single.csv'))\n"
        "    print('single', os.path.basename(args.single))\n"
        "sagemaker_processing_main(main=main, inputs={'input': 'x', 'single': 'y'},\n"
        "                          outputs={'output': 'o'})\n"
    )
    done = run_script(
        script,
        "--input",
        "s3://in-bucket/data",
        "--single",
        "s3://in-bucket/one.csv",
        "--output",
        "s3://out-bucket/results/run1",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "single one.csv" in done.stdout

    def body(key):
        return s3.get_object(Bucket="out-bucket", Key=key)["Body"].read()

    assert body("results/run1/tree/a.txt") == b"alpha\n"
    assert body("results/run1/tree/sub/b.txt") == b"beta\n"
    assert body("results/run1/single.csv") == b"x,y\n"


@pytest.mark.e2e
def test_failing_main_uploads_nothing_and_keeps_partial_output(tmp_path, s3):
    s3.create_bucket(Bucket="out-bucket")
    script = tmp_path / "fail.py"
    script.write_text(
        "import os\n"
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args):\n"
        "    open(os.path.join(args.output, 'partial.txt'), 'w').write('half')\n"
        "    raise SystemExit(3)\n"
        "sagemaker_processing_main(main=main, outputs={'output': 'o'})\n"
    )
    done = run_script(script, "--output", "s3://out-bucket/never", cwd=tmp_path)
    assert done.returncode == 3
    assert s3.list_objects_v2(Bucket="out-bucket").get("KeyCount") == 0
    kept = [line for line in done.stderr.splitlines() if "partial output kept in" in line]
    assert len(kept) == 1
    partial = kept[0].rsplit("partial output kept in ", 1)[1]
    with open(f"{partial}/partial.txt") as f:
        assert f.read() == "half"
    shutil.rmtree(os.path.dirname(os.path.dirname(partial)))  # what the user would do


@pytest.mark.e2e
def test_malformed_and_missing_s3_uris_are_user_errors(tmp_path, s3):
    s3.create_bucket(Bucket="in-bucket")
    script = write_script(tmp_path, KWARGS)
    done = run_script(script, "--input", "s3://Bad_Bucket/x", cwd=tmp_path)
    assert (
        done.returncode == 2 and "--input: 's3://Bad_Bucket/x' is not a valid S3 URI" in done.stderr
    )
    done = run_script(script, "--input", "s3://in-bucket/nothing-here", cwd=tmp_path)
    assert done.returncode == 2
    assert "--input: s3://in-bucket/nothing-here does not exist" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_an_s3_output_without_credentials_fails_before_main_runs(tmp_path, no_aws_env):
    script = tmp_path / "marks.py"
    script.write_text(
        "import os\n"
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args):\n"
        "    open('main-ran', 'w').close()\n"
        "sagemaker_processing_main(main=main, outputs={'output': 'o'})\n"
    )
    env = {**no_aws_env, "AWS_DEFAULT_REGION": "us-east-1"}
    done = run_script(script, "--output", "s3://out-bucket/x", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "no AWS credentials found" in done.stderr
    assert not (tmp_path / "main-ran").exists()
