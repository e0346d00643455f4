"""job/values.py: container paths and role names."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.values import (
    container_path,
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


def test_role_names():
    assert role_name_or_arn("my-role") == "my-role"
    assert role_name_or_arn("arn:aws:iam::123456789012:role/path/x") is not None
    with pytest.raises(UserError):
        role_name_or_arn("a" * 65)
