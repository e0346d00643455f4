"""Channels keyed by container path (``run``, ``run_script``): named after the path's last
part unless named, checked before anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from aws_sagemaker_remote.args import PathArgument
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.container_channels import (
    channel_place,
    container_channels,
    split_channel,
)


def test_a_channel_is_named_after_its_path_unless_named():
    assert channel_place("/opt/ml/processing/input/train/", "input") == (
        "train",
        "/opt/ml/processing/input/train",
    )
    assert channel_place("raw:/opt/ml/processing/input", "input") == (
        "raw",
        "/opt/ml/processing/input",
    )


def test_the_source_keeps_everything_after_the_first_equals_sign():
    assert split_channel("/opt/ml/processing/x=s3://b/k=v", "input") == (
        "/opt/ml/processing/x",
        "s3://b/k=v",
    )


def test_values_may_be_paths_or_path_arguments():
    channels = container_channels(
        {
            "/opt/ml/processing/a": Path("data"),
            "/opt/ml/processing/b": PathArgument("s3://b/p", distribution="ShardedByS3Key"),
        },
        "input",
    )
    assert channels["a"].local == "data" and channels["a"].container_path.endswith("/a")
    assert channels["b"].distribution == "ShardedByS3Key"
    assert channels["b"].container_path == "/opt/ml/processing/b"


@pytest.mark.parametrize(
    "given,text",
    [
        ({"/opt/ml/processing/a": 3}, "is 3"),
        (
            {"/opt/ml/processing/a": PathArgument("d", container_path="/opt/ml/processing/b")},
            "once",
        ),
        ({"/opt/ml/processing/my data": "d"}, "'my data' cannot name a channel"),
        ({"/opt/ml/processing/x/module-a": "d"}, "reserved"),
        ({"/opt/ml/processing/a": PathArgument("d", shufle=True)}, "keyword shufle="),
    ],
)
def test_mistakes_are_user_errors(given, text):
    with pytest.raises(UserError) as caught:
        container_channels(given, "input")
    assert text in str(caught.value)
