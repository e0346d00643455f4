"""The README's script runs as written: here, and as a dry run."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, run_script


def readme_script() -> str:
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return next(b for b in blocks if "additional_arguments" in b)


def project(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a\n")
    (tmp_path / "src" / "mylib").mkdir(parents=True)
    (tmp_path / "src" / "mylib" / "__init__.py").write_text("")
    (tmp_path / "requirements.txt").write_text("\n")
    (tmp_path / "setup.sh").write_text("export READY=1\n")
    (tmp_path / "readme_job.py").write_text(readme_script())
    return tmp_path / "readme_job.py"


@pytest.mark.e2e
def test_the_readme_script_runs_locally(tmp_path):
    done = run_script(project(tmp_path), "--big", "data", "--filter-width", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["data", "out", "3"]


@pytest.mark.e2e
def test_the_readme_script_dry_runs_without_aws(tmp_path, no_aws_env):
    done = run_script(
        project(tmp_path),
        "--sagemaker-run",
        "--sagemaker-dry-run",
        "--seed",
        "7",
        cwd=tmp_path,
        env=no_aws_env,
    )
    assert done.returncode == 0, done.stderr
    request = json.loads(done.stdout)
    assert request["AppSpecification"]["ContainerArguments"][:2] == ["--seed", "7"]
    inputs = {i["InputName"]: i["S3Input"] for i in request["ProcessingInputs"]}
    assert inputs["big"]["S3Uri"] == "s3://bucket/big/"  # unchecked: assumed a directory
    assert inputs["big"]["S3DataDistributionType"] == "ShardedByS3Key"
    assert "extra" not in inputs  # OPTIONAL and left empty: not shipped


@pytest.mark.e2e
def test_the_readme_python_api_example_runs_on_the_local_engine(tmp_path):
    import shutil
    import subprocess
    import sys

    text = (REPO / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "asr." in b)
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    done = subprocess.run(
        [sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "55 words, 37 distinct" in done.stdout.splitlines()  # the job's log, printed
    expected = (REPO / "tests" / "expected" / "wordcount-counts.tsv").read_bytes()
    assert (tmp_path / "out" / "counts.tsv").read_bytes() == expected
