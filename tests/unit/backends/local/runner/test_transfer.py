"""Where a job's inputs land and which instance gets which keys (pure; the transfers
themselves run in tests/integration/test_local_engine_transfer.py)."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.backends.local.runner.transfer import relative_path, shard


@pytest.mark.parametrize(
    "prefix, key, expected",
    [
        ("data/train/", "data/train/a.csv", "a.csv"),
        ("data/train/", "data/train/x/y.csv", "x/y.csv"),
        ("data/train", "data/train/x/y.csv", "x/y.csv"),
        ("data/train.csv", "data/train.csv", "train.csv"),
        ("data/tr", "data/train-1.csv", "train-1.csv"),
        ("data/tr", "data/train/x.csv", "train/x.csv"),
        ("", "top/a.csv", "top/a.csv"),
    ],
)
def test_keys_land_under_local_path_as_on_sagemaker(prefix, key, expected):
    assert relative_path(prefix, key) == expected


def test_shards_are_disjoint_and_cover_every_key():
    keys = [f"k{i:02d}" for i in range(10)]
    shares = [shard(keys, i, 3) for i in (1, 2, 3)]
    assert sorted(sum(shares, [])) == keys
    assert all(len(share) in (3, 4) for share in shares)
