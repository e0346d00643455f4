"""Checksums of the S3 face, against published check values and the standard library."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest

from aws_sagemaker_remote.server.s3_checksums import composite, encode, new_checksum
from aws_sagemaker_remote.server.s3_xml import S3Error


def test_crc32c_matches_its_check_value_in_pieces_and_whole():
    hasher = new_checksum("crc32c")
    hasher.update(b"1234")
    hasher.update(b"56789")
    assert hasher.digest() == (0xE3069283).to_bytes(4, "big")  # RFC 3720's check value


@pytest.mark.parametrize(
    ("algorithm", "reference"),
    [
        ("crc32", lambda d: zlib.crc32(d).to_bytes(4, "big")),
        ("sha1", lambda d: hashlib.sha1(d).digest()),
        ("sha256", lambda d: hashlib.sha256(d).digest()),
    ],
)
def test_other_checksums_are_the_standard_librarys(algorithm, reference):
    hasher = new_checksum(algorithm)
    hasher.update(b"some bytes")
    assert hasher.digest() == reference(b"some bytes")


def test_a_composite_checksum_is_the_checksum_of_the_parts_checksums():
    parts = [hashlib.sha256(p).digest() for p in (b"one", b"two")]
    want = base64.b64encode(hashlib.sha256(b"".join(parts)).digest()).decode() + "-2"
    assert composite([encode(p) for p in parts], "sha256") == want


def test_an_unknown_algorithm_is_refused():
    with pytest.raises(S3Error) as error:
        new_checksum("md4")
    assert error.value.code == "InvalidRequest"
