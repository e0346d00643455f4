"""The ARN partition of a region, without the session module."""

import pytest

from aws_sagemaker_remote.aws.partitions import partition_of


@pytest.mark.parametrize(
    "region, partition",
    [
        ("us-east-1", "aws"),
        ("eu-west-3", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("us-isof-south-1", "aws-iso-f"),
        ("eu-isoe-west-1", "aws-iso-e"),
    ],
)
def test_each_region_prefix_names_its_partition(region, partition):
    assert partition_of(region) == partition
