"""Counts and sizes read the same in every message."""

from aws_sagemaker_remote.wording import count, size


def test_count_says_one_and_many():
    assert count(1, "file") == "1 file"
    assert count(0, "file") == "0 files"
    assert count(2, "entry", "entries") == "2 entries"


def test_size_uses_binary_units_and_stops_at_gib():
    assert size(512) == "512 B"
    assert size(1536) == "1.5 KiB"
    assert size(3 * 1024**2) == "3.0 MiB"
    assert size(5 * 1024**4) == "5120.0 GiB"
