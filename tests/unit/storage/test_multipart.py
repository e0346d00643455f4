"""The split of a large file into parts: the same split for the same size and chunk, so a
later run finds the parts an earlier one left; never more parts than S3 allows."""

from __future__ import annotations

from aws_sagemaker_remote.storage.multipart import MAX_PARTS, Part, parts_of


def covers(parts: list[Part], size: int) -> bool:
    offset = 0
    for number, part in enumerate(parts, start=1):
        if part.number != number or part.offset != offset or part.length <= 0:
            return False
        offset += part.length
    return offset == size


def test_parts_are_numbered_from_one_and_cover_the_file_in_order():
    parts = parts_of(11, 5)
    assert parts == [Part(1, 0, 5), Part(2, 5, 5), Part(3, 10, 1)]
    assert parts_of(10, 5) == [Part(1, 0, 5), Part(2, 5, 5)]
    assert parts_of(3, 5) == [Part(1, 0, 3)]


def test_an_empty_file_has_no_parts():
    assert parts_of(0, 5) == []


def test_the_split_is_the_same_every_time():
    assert parts_of(123_456_789, 16 * 2**20) == parts_of(123_456_789, 16 * 2**20)


def test_a_file_too_large_for_the_chunk_gets_bigger_parts_not_more_than_s3_allows():
    size = MAX_PARTS * 1000 + 1
    parts = parts_of(size, 1000)
    assert len(parts) <= MAX_PARTS
    assert covers(parts, size)
    assert parts[0].length > 1000


def test_exactly_the_limit_keeps_the_chunk():
    parts = parts_of(MAX_PARTS * 7, 7)
    assert len(parts) == MAX_PARTS and {p.length for p in parts} == {7}
