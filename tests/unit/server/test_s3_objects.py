"""Range headers as S3 reads them (pure: no server)."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.server.s3_objects import parse_range
from aws_sagemaker_remote.server.s3_xml import S3Error


@pytest.mark.parametrize(
    ("header", "want"),
    [
        (None, None),
        ("bytes=0-0", (0, 1)),
        ("bytes=5-", (5, 100)),
        ("bytes=-10", (90, 100)),
        ("bytes=-500", (0, 100)),
        ("bytes=90-500", (90, 100)),
        ("bytes=0-1,5-6", None),  # several ranges: S3 sends the whole object
        ("items=0-1", None),
        ("bytes=7-3", None),
    ],
)
def test_ranges(header, want):
    assert parse_range(header, 100) == want


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300", "bytes=-0"])
def test_unsatisfiable_ranges_are_invalid_range(header):
    with pytest.raises(S3Error) as error:
        parse_range(header, 100)
    assert error.value.code == "InvalidRange" and error.value.status == 416


def test_an_empty_object_has_no_satisfiable_range():
    with pytest.raises(S3Error):
        parse_range("bytes=0-", 0)
