"""job/values.py: container paths and role names."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.values import (
    container_path,
    distinct_container_paths,
    role_name_or_arn,
)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "rel",
        "/opt/ml/x",
        "/opt/ml/processing",
        "/opt/ml/processing/a/../b",
        "/opt/ml/processing//a",
    ],
)
def test_container_paths_refused(path):
    with pytest.raises(UserError) as caught:
        container_path(path, "inputs.d")
    assert caught.value.field == "inputs.d"


def test_long_container_path_refused():
    with pytest.raises(UserError, match="at most 256"):
        container_path("/opt/ml/processing/" + "a" * 250, "inputs.d")


def test_overlapping_channels_blame_the_later_one():
    with pytest.raises(UserError) as caught:
        distinct_container_paths(
            [
                ("/opt/ml/processing/code", "script", "the job's code"),
                ("/opt/ml/processing/code/d", "inputs.d", "the input d"),
            ]
        )
    assert caught.value.field == "inputs.d"
    assert "overlaps the job's code" in caught.value.message
    distinct_container_paths(
        [
            ("/opt/ml/processing/in/a", "inputs.a", "a"),
            ("/opt/ml/processing/in/ab", "inputs.ab", "ab"),
        ]
    )


def test_role_names():
    assert role_name_or_arn("my-role") == "my-role"
    assert role_name_or_arn("arn:aws:iam::123456789012:role/path/x") is not None
    with pytest.raises(UserError):
        role_name_or_arn("a" * 65)
