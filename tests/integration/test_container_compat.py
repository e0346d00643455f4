"""What runs inside the job must run on the image's Python (3.7+) with no third-party package."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO

from aws_sagemaker_remote.job.channels import JOB_SIDE_MODULES, library_tree

PACKAGE = REPO / "aws_sagemaker_remote"
IN_THE_JOB = list(JOB_SIDE_MODULES)


@pytest.mark.parametrize("relpath", IN_THE_JOB)
def test_job_side_modules_parse_as_python_3_7(relpath):
    source = (PACKAGE / relpath).read_text()
    ast.parse(source, feature_version=(3, 7))


@pytest.mark.e2e
@pytest.mark.parametrize("relpath", IN_THE_JOB)
def test_job_side_modules_import_only_stdlib_and_the_package(relpath):
    tree = ast.parse((PACKAGE / relpath).read_text())
    top_level = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            top_level |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            top_level.add(node.module.split(".")[0])
    # typing only under TYPE_CHECKING; __future__ is a compiler directive
    assert top_level - {"__future__", "typing"} <= set(sys.stdlib_module_names)


@pytest.mark.e2e
def test_the_code_bundle_ships_exactly_the_job_side_modules():
    shipped = {e.relpath for e in library_tree().entries}
    assert shipped == {f"aws_sagemaker_remote/{m}" for m in JOB_SIDE_MODULES}


def runnable_python(version: str) -> str | None:
    """Python ``version`` when this machine has one that actually runs (a pyenv shim of an
    unselected version exists but fails, so each candidate is run)."""
    import glob

    candidates = sorted(
        glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/python{version}"))
    )
    candidates.append(shutil.which(f"python{version}") or "")
    for path in filter(None, candidates):
        try:
            done = subprocess.run(
                [path, "-c", "import sys; print(sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0 and done.stdout.strip() == str(tuple(map(int, version.split(".")))):
            return path
    return None


@pytest.mark.e2e
@pytest.mark.parametrize("version", ["3.7", "3.8"])
def test_the_shipped_code_runs_a_job_on_old_pythons(tmp_path, version):
    """The code channel exactly as shipped, run by the bootstrap under Python 3.7 and 3.8."""
    python = runnable_python(version)
    if python is None:
        pytest.skip(f"no runnable Python {version} on this machine")
    code = tmp_path / "opt/ml/processing/code"
    for entry in library_tree().entries:
        target = code / entry.relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry.source, target)
    shutil.copyfile(REPO / "examples/wordcount.py", code / "wordcount.py")
    shutil.copytree(REPO / "examples/data", tmp_path / "opt/ml/processing/input/input")
    done = subprocess.run(
        [python, str(code / "aws_sagemaker_remote/script/bootstrap.py"),
         "--script", "/opt/ml/processing/code/wordcount.py", "--",
         "--input", "/opt/ml/processing/input/input",
         "--output", "/opt/ml/processing/output/output", "--sagemaker-run", "false"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ["PATH"], "AWS_SAGEMAKER_REMOTE_OPT_ML": str(tmp_path / "opt/ml")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    produced = (tmp_path / "opt/ml/processing/output/output/counts.tsv").read_bytes()
    assert produced == (REPO / "tests/expected/wordcount-counts.tsv").read_bytes()
