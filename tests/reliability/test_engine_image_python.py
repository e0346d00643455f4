"""A local job runs under its image's Python, read from the image's published tag; a tag
the engine does not know is a guess, said in one line, never a silent host Python."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import run_script
from e2e.test_engine_e2e import LOCAL

from aws_sagemaker_remote.aws.images import default_image
from aws_sagemaker_remote.backends.local.caches.pythons import image_python

SKLEARN = default_image("us-east-1").rsplit(":", 1)[0]

PRINTS_PYTHON = """
import sys
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    print("python %d.%d" % sys.version_info[:2])

if __name__ == "__main__":
    sagemaker_processing_main(main=main, base_job_name="which-python")
"""


@pytest.mark.parametrize(
    "tag, python",
    [
        ("0.20.0-cpu-py3", "3.7"),
        ("0.23-1-cpu-py3", "3.7"),
        ("1.0-1-cpu-py3", "3.8"),
        ("1.2-1-cpu-py3", "3.9"),
        ("1.4-2-cpu-py3", "3.10"),
    ],
)
def test_every_published_scikit_learn_tag_has_its_python(tag, python):
    assert image_python(f"{SKLEARN}:{tag}") == (python, None)


def test_a_python_in_the_tag_is_read():
    image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310"
    assert image_python(image) == ("3.10", None)
    assert image_python("python:3.12-slim") == ("3.12", None)


def test_an_unknown_tag_is_a_guess_that_says_so():
    python, said = image_python(f"{SKLEARN}:1.5-2-cpu-py3")
    assert python == "3.10"
    assert said and "'1.5-2-cpu-py3'" in said and "guessing Python 3.10" in said
    python, said = image_python("registry.example/team/custom:latest")
    assert python is None and said and "this machine's Python" in said


@pytest.mark.e2e
def test_a_job_of_an_unknown_tag_says_which_python_it_guessed(tmp_path):
    (tmp_path / "which.py").write_text(PRINTS_PYTHON)
    image = f"{SKLEARN}:1.5-2-cpu-py3"
    done = run_script(
        tmp_path / "which.py", *LOCAL, "--sagemaker-image", image, cwd=tmp_path, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "guessing Python 3.10, as in its nearest known version 1.4-2" in done.stderr
    name = next(
        line.split()[-1] for line in done.stderr.splitlines() if "created processing job" in line
    )
    described = json.loads(
        subprocess.run(
            [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "describe", "--local", name],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    )
    ran = described["LocalEngine"]["Python"]
    # 3.10 where this machine has it; else the host's, and the log says 3.10 was not found
    assert f"python {'.'.join(ran.split('.')[:2])}" in done.stderr
    assert ran.startswith("3.10.") or "Python 3.10 was not found" in done.stderr
