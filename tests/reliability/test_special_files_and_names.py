"""What the audit of hostile inputs found: a fifo or device given as a file (reading it
would never end), a loop of file links inside an input, a role name IAM would refuse, the
file system root or the home directory as the source directory, and a module named on
purpose inside a directory that an enclosing work tree's .gitignore ignores."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import aws_sagemaker_remote as asr
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.storage.trees import scan_tree


@pytest.fixture()
def project(tmp_path):
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "a.txt").write_text("a\n")
    (root / "job.py").write_text("")
    return root


def refused(project, field: str, **keywords) -> str:
    with pytest.raises(UserError) as caught:
        asr.request(project / "job.py", instance="local", **keywords)
    assert caught.value.field == field, caught.value
    return caught.value.one_line()


# A request in a child process, so that a submission that would never end fails the test.
REQUEST = """
import json, sys
import aws_sagemaker_remote as asr
from aws_sagemaker_remote.errors import UserError
try:
    asr.request(sys.argv[1], instance="local", **json.loads(sys.argv[2]))
except UserError as error:
    print(error.field, error.one_line())
"""


def refused_in_a_child(project, field: str, env=None, **keywords) -> str:
    command = [sys.executable, "-c", REQUEST, str(project / "job.py"), json.dumps(keywords)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=60, env=env, cwd=project
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the request never ended")
    assert done.stdout.startswith(field + " "), done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize(
    "keyword, field",
    [
        ("requirements", "requirements"),
        ("configuration_script", "configuration_script"),
        ("inputs", "inputs.data"),
    ],
)
def test_a_fifo_is_refused_not_read_forever(project, keyword, field):
    os.mkfifo(project / "pipe")
    value = str(project / "pipe")
    given = {"inputs": {"data": value}} if keyword == "inputs" else {keyword: value}
    assert "not a regular file" in refused_in_a_child(project, field, **given)


@pytest.mark.parametrize("keyword", ["requirements", "configuration_script"])
def test_a_device_is_not_a_file(project, keyword):
    assert "not a regular file" in refused(project, keyword, **{keyword: "/dev/null"})


def test_a_file_that_cannot_be_read_is_named(project):
    (project / "data" / "mem").symlink_to("/proc/self/mem")  # open works, read fails (EIO)
    line = refused(
        project, "inputs.data", inputs={"data": str(project / "data")}, follow_external_links=True
    )
    assert f"cannot read {project / 'data' / 'mem'}: " in line


def test_a_loop_of_file_links_in_an_input_ships_nothing_of_it(project):
    (project / "data" / "x").symlink_to("y")
    (project / "data" / "y").symlink_to("x")
    assert [e.relpath for e in scan_tree(project / "data").entries] == ["a.txt"]


@pytest.mark.parametrize(
    "role", ["r" * 65, "has space", "arn:aws:iam::123456789012:role/" + "r" * 65]
)
def test_a_role_name_iam_refuses_is_refused(project, role):
    assert "is not a role name IAM takes" in refused(project, "role", role=role)


def test_a_role_path_in_an_arn_is_fine(project):
    request = asr.request(
        project / "job.py", instance="local", role="arn:aws:iam::123456789012:role/team/runner"
    )
    assert request["RoleArn"].endswith("role/team/runner")


def test_the_root_or_home_is_no_source_dir(project):
    line = refused_in_a_child(project, "source_dir", source_dir="/")
    assert "the file system root" in line
    env = dict(os.environ, HOME=str(project))
    line = refused_in_a_child(project, "source_dir", env=env, source_dir=str(project))
    assert "your home directory" in line


def test_a_named_module_inside_an_ignored_directory_ships(tmp_path, project):
    tree = tmp_path / "tools"
    package = tree / "versions" / "lib" / "mylib"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    (tree / ".gitignore").write_text("versions/\n")
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    request = asr.request(project / "job.py", instance="local", modules={"mylib": package})
    names = [i["InputName"] for i in request["ProcessingInputs"]]
    assert "module-mylib" in names


@pytest.mark.parametrize("name", ["a/b", "..", "-x", "tab\there"])
def test_a_channel_name_that_cannot_be_a_directory_is_refused(project, name):
    line = refused(project, "inputs", inputs={name: str(project / "data")})
    assert "cannot be a directory name and a flag" in line
