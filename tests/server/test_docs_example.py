"""The boto3 example of docs/local-sagemaker.rst runs as written against ``serve``."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO

pytestmark = pytest.mark.e2e


def test_the_docs_boto3_example_runs_as_written(serve, tmp_path):
    page = (REPO / "docs" / "local-sagemaker.rst").read_text()
    section = page.split("\nboto3\n-----\n", 1)[1]
    block = re.search(r"\.\. code-block:: python\n\n(.*?)\n(?=\S)", section, flags=re.S)
    assert block is not None
    script = tmp_path / "example.py"
    script.write_text(textwrap.dedent(block.group(1)))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=serve.env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "b'6'"
