"""Symlinks inside an input or module directory.

A link that stays inside the tree is followed; a link that leaves it (say to ``~/.ssh``)
stops the submission before anything is uploaded, in one line naming the link, unless the
user opts in with ``--sagemaker-follow-external-links yes`` (``follow_external_links=``).
"""

from __future__ import annotations

import json
import os

import pytest
from conftest import run_script
from scripts import write_script

from aws_sagemaker_remote.storage.trees import ExternalLink, scan_tree

REMOTE = ("--sagemaker-run", "true", "--sagemaker-wait", "false")


@pytest.fixture()
def project(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "a.txt").write_text("a\n")
    (data / "inner_dir").symlink_to(data / "sub", target_is_directory=True)
    (data / "inner_file.txt").symlink_to("sub/a.txt")  # relative, stays inside
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    secret = tmp_path / "home" / ".ssh"
    secret.mkdir(parents=True)
    (secret / "id_ed25519").write_text("PRIVATE KEY\n")
    write_script(tmp_path, 'inputs={"input": "data"}, modules={"lib": "lib"},')
    return tmp_path


def test_links_inside_the_tree_are_followed(project):
    tree = scan_tree(project / "data")
    assert [e.relpath for e in tree.entries] == ["inner_dir/a.txt", "inner_file.txt", "sub/a.txt"]
    assert len({e.sha256 for e in tree.entries}) == 1


@pytest.mark.e2e
@pytest.mark.parametrize(
    "where, link, target",
    [
        ("data", "keys", "home/.ssh"),  # a directory outside
        ("data/sub", "id", "home/.ssh/id_ed25519"),  # a file outside, one level down
        ("lib", "vendored", "home/.ssh"),  # in a module
    ],
)
def test_a_link_leaving_the_tree_stops_the_submission(project, moto_reset, s3, where, link, target):
    (project / where / link).symlink_to(project / target)
    done = run_script(project / "job.py", *REMOTE, cwd=project)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    flag = "--lib" if where == "lib" else "--input"
    assert lines[0].split(": ")[2] == flag
    assert link in lines[0] and "--sagemaker-follow-external-links" in lines[0]
    assert s3.list_buckets()["Buckets"] == []  # nothing uploaded, no staging bucket


def test_a_relative_link_climbing_out_is_caught(project):
    (project / "data" / "sub" / "up").symlink_to("../../home/.ssh")
    with pytest.raises(ExternalLink) as caught:
        scan_tree(project / "data")
    assert caught.value.relpath == "sub/up"
    assert caught.value.target == os.path.realpath(project / "home" / ".ssh")


@pytest.mark.e2e
def test_opting_in_ships_what_the_link_points_to(project, moto_reset, s3):
    (project / "data" / "keys").symlink_to(project / "home" / ".ssh")
    dry = run_script(
        project / "job.py",
        "--sagemaker-dry-run",
        "true",
        "--sagemaker-follow-external-links",
        "yes",
        cwd=project,
    )
    assert dry.returncode == 0, dry.stderr
    done = run_script(
        project / "job.py", *REMOTE, "--sagemaker-follow-external-links", "yes", cwd=project
    )
    assert done.returncode == 0, done.stderr
    request = json.loads(dry.stdout)
    uri = next(i for i in request["ProcessingInputs"] if i["InputName"] == "input")["S3Input"][
        "S3Uri"
    ]
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    body = s3.get_object(Bucket=bucket, Key=prefix + "keys/id_ed25519")["Body"].read()
    assert body == b"PRIVATE KEY\n"


@pytest.mark.e2e
def test_the_keyword_opts_in_too(project, no_aws_env):
    (project / "data" / "keys").symlink_to(project / "home" / ".ssh")
    write_script(
        project,
        'inputs={"input": "data"}, modules={"lib": "lib"}, follow_external_links=True,',
    )
    done = run_script(
        project / "job.py", "--sagemaker-dry-run", "true", cwd=project, env=no_aws_env
    )
    assert done.returncode == 0, done.stderr
