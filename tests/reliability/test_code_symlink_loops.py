"""Directory links that lead back into their own ancestors, inside shipped code.

``sub/up -> ..`` once sent the code walk round forever (even in a dry run) and
``pkg/self -> .`` shipped the package dozens of times. A loop is found by the (device,
inode) of the directories on the way down and skipped: each file ships once, under the
path without the loop, as the tree scan of an input does.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from aws_sagemaker_remote.job.code import select_code, select_directory

SCRIPT = """
import pkg
from aws_sagemaker_remote.processing import sagemaker_processing_main

if __name__ == "__main__":
    sagemaker_processing_main(main=print, script=__file__)
"""


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "job.py").write_text(SCRIPT)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "util.py").write_text("X = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.txt").write_text("d\n")
    return tmp_path


def test_a_link_to_the_parent_is_walked_once(project):
    (project / "sub" / "up").symlink_to("..")
    (project / "sub" / "side").symlink_to("../pkg")  # two ways to pkg: no loop, both ship
    selection = select_code(str(project / "job.py"), source_dir=str(project))
    assert selection.relpaths == (
        "job.py",
        "pkg/__init__.py",
        "pkg/util.py",
        "sub/data.txt",
        "sub/side/__init__.py",
        "sub/side/util.py",
    )


def test_a_link_to_itself_ships_each_file_once(project):
    (project / "pkg" / "self").symlink_to(".")
    selection = select_code(str(project / "job.py"))
    assert selection.relpaths == ("job.py", "pkg/__init__.py", "pkg/util.py")
    module = select_directory(str(project / "pkg"), field="modules.pkg")
    assert module.relpaths == ("__init__.py", "util.py")


def test_a_dry_run_over_a_looping_source_dir_ends(project, no_aws_env):
    (project / "sub" / "up").symlink_to("..")
    (project / "sub" / "again").symlink_to("../sub")
    (project / "pkg" / "self").symlink_to(".")
    command = [sys.executable, "job.py", "--sagemaker-dry-run", "true"]
    command += ["--sagemaker-instance", "local", "--sagemaker-source-dir", "."]
    try:
        done = subprocess.run(
            command, cwd=project, env=no_aws_env, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the dry run never ended: the code walk went round a symlink loop")
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)
    assert f"code: {project} (4 files, .gitignore honoured)" in done.stderr
