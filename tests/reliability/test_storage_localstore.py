"""Local-store keys are contained, modes are kept, the
state directory is private."""

from __future__ import annotations

import os

import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.storage.localstore import (
    LOCAL_STORE_BUCKET,
    local_store_path,
    state_dir,
)
from aws_sagemaker_remote.storage.staging import upload_trees
from aws_sagemaker_remote.storage.trees import scan_tree, tree_uri

from .conftest import write

STORE = f"s3://{LOCAL_STORE_BUCKET}"


@pytest.mark.parametrize("key", ["../../x", "jobs/../../x", "a/./b", "/abs"])
def test_a_local_store_key_cannot_leave_the_store(key, private_state):
    with pytest.raises(UserError):
        local_store_path(f"{STORE}/{key}")
    assert not (private_state.parent / "x").exists()


def test_an_output_uri_with_dots_is_refused_before_anything_is_written(tmp_path, private_state):
    from aws_sagemaker_remote.backends.local.runner.transfer import Locations
    from aws_sagemaker_remote.uris import parse_s3_uri

    source = write(tmp_path / "f", b"data")
    with pytest.raises(Exception) as raised:
        Locations().put_all([(source, parse_s3_uri(f"{STORE}/../../escaped"))])
    assert "local-store key" in str(raised.value)
    assert not (private_state.parent / "escaped").exists()
    assert not (tmp_path / "escaped").exists()


def test_file_modes_are_kept_in_the_store(tmp_path):
    secret = write(tmp_path / "data" / "secret", b"private")
    os.chmod(secret, 0o600)
    tool = write(tmp_path / "data" / "tool.sh", b"#!/bin/sh\n")
    os.chmod(tool, 0o755)
    tree = scan_tree(tmp_path / "data")
    upload_trees([tree], f"{STORE}/staging", progress=False)
    folder = local_store_path(tree_uri(f"{STORE}/staging", tree))
    assert os.stat(folder / "secret").st_mode & 0o777 == 0o600
    assert os.stat(folder / "tool.sh").st_mode & 0o777 == 0o755


def test_the_state_directory_is_private(private_state):
    assert state_dir() == private_state
    assert os.stat(private_state).st_mode & 0o777 == 0o700
