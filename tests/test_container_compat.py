"""What runs inside the job must run on the image's Python (3.8+) with no third-party package."""

from __future__ import annotations

import ast
import sys

import pytest
from conftest import REPO

from aws_sagemaker_remote.plan import JOB_SIDE_MODULES, library_tree

PACKAGE = REPO / "aws_sagemaker_remote"
IN_THE_JOB = list(JOB_SIDE_MODULES)


@pytest.mark.parametrize("relpath", IN_THE_JOB)
def test_job_side_modules_parse_as_python_3_8(relpath):
    source = (PACKAGE / relpath).read_text()
    ast.parse(source, feature_version=(3, 8))


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


def test_the_code_bundle_ships_exactly_the_job_side_modules():
    shipped = {e.relpath for e in library_tree().entries}
    assert shipped == {f"aws_sagemaker_remote/{m}" for m in JOB_SIDE_MODULES}
