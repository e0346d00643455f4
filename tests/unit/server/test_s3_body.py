"""An upload's bytes as the S3 face receives them: plain or aws-chunked (with trailers),
written to a file and verified against every digest the request carries."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest

from aws_sagemaker_remote.server.s3_body import (
    read_xml_body,
    receive,
    stored_content_encoding,
)
from aws_sagemaker_remote.server.s3_xml import S3Error

from .wire import request

DATA = b"hello, aws-chunked world\n" * 100


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def aws_chunked(data: bytes, size: int, trailers: dict[str, str]) -> bytes:
    """``data`` framed as boto3 frames it: hex-sized chunks, a 0 chunk, then trailers."""
    framed = b""
    for at in range(0, len(data), size):
        piece = data[at : at + size]
        framed += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    framed += b"0\r\n"
    framed += b"".join(f"{k}:{v}\r\n".encode() for k, v in trailers.items())
    return framed + b"\r\n"


def chunked_put(data: bytes, trailers: dict[str, str], **headers: str):
    return request(
        "PUT",
        "/b/k",
        body=aws_chunked(data, 1000, trailers),
        Content_Encoding="aws-chunked",
        x_amz_decoded_content_length=str(len(data)),
        x_amz_trailer=",".join(trailers),
        x_amz_content_sha256="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        **headers,
    )


def test_an_aws_chunked_body_is_decoded_and_its_trailing_checksum_verified(tmp_path):
    target = tmp_path / "object"
    received = receive(chunked_put(DATA, {"x-amz-checksum-crc32": crc32(DATA)}), target)
    assert target.read_bytes() == DATA
    assert received.size == len(DATA)
    assert received.md5 == hashlib.md5(DATA).digest()
    assert received.checksums == {"crc32": crc32(DATA)}


def test_a_trailing_checksum_that_does_not_match_is_bad_digest(tmp_path):
    with pytest.raises(S3Error) as error:
        receive(chunked_put(DATA, {"x-amz-checksum-crc32": crc32(b"other")}), tmp_path / "o")
    assert error.value.code == "BadDigest"


def test_a_plain_body_is_checked_against_its_signed_hash_and_content_md5(tmp_path):
    good = request(
        "PUT",
        body=DATA,
        x_amz_content_sha256=hashlib.sha256(DATA).hexdigest(),
        Content_MD5=base64.b64encode(hashlib.md5(DATA).digest()).decode(),
    )
    assert receive(good, tmp_path / "good").size == len(DATA)
    lying = request("PUT", body=DATA, x_amz_content_sha256=hashlib.sha256(b"x").hexdigest())
    with pytest.raises(S3Error) as error:
        receive(lying, tmp_path / "lying")
    assert error.value.code == "XAmzContentSHA256Mismatch"
    wrong_md5 = request("PUT", body=DATA, Content_MD5=base64.b64encode(b"0" * 16).decode())
    with pytest.raises(S3Error) as error:
        receive(wrong_md5, tmp_path / "md5")
    assert error.value.code == "BadDigest"
    with pytest.raises(S3Error) as error:
        receive(request("PUT", body=DATA, Content_MD5="short"), tmp_path / "bad")
    assert error.value.code == "InvalidDigest"


def test_a_checksum_asked_for_by_name_only_is_computed_and_kept(tmp_path):
    req = request("PUT", body=DATA, x_amz_sdk_checksum_algorithm="CRC32")
    assert receive(req, tmp_path / "o").checksums == {"crc32": crc32(DATA)}


def test_a_payload_over_the_limit_is_refused_before_it_is_read(tmp_path):
    with pytest.raises(S3Error) as error:
        receive(request("PUT", body=DATA), tmp_path / "o", limit=10)
    assert error.value.code == "EntityTooLarge"
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "body, code",
    [
        (b"5\r\nhel", "IncompleteBody"),  # stopped mid-chunk
        (b"zz\r\nhello\r\n0\r\n\r\n", "InvalidRequest"),  # size not hex
        (b"3\r\nhello\r\n0\r\n\r\n", "InvalidRequest"),  # chunk longer than its size
    ],
)
def test_a_malformed_aws_chunked_body_is_refused(tmp_path, body, code):
    req = request("PUT", body=body, Content_Encoding="aws-chunked")
    with pytest.raises(S3Error) as error:
        receive(req, tmp_path / "o")
    assert error.value.code == code


def test_fewer_bytes_than_declared_is_an_incomplete_body(tmp_path):
    req = request(
        "PUT",
        body=aws_chunked(b"abc", 3, {}),
        Content_Encoding="aws-chunked",
        x_amz_decoded_content_length="10",
    )
    with pytest.raises(S3Error) as error:
        receive(req, tmp_path / "o")
    assert error.value.code == "IncompleteBody"


def test_aws_chunked_is_framing_not_a_content_encoding_to_keep():
    assert stored_content_encoding(request(Content_Encoding="aws-chunked")) is None
    assert stored_content_encoding(request(Content_Encoding="gzip, aws-chunked")) == "gzip"
    assert stored_content_encoding(request()) is None


def test_an_xml_body_over_its_limit_is_max_message_length_exceeded():
    assert read_xml_body(request(body=b"<a/>"), 100) == b"<a/>"
    with pytest.raises(S3Error) as error:
        read_xml_body(request(body=b"<a/>" * 100), 100)
    assert error.value.code == "MaxMessageLengthExceeded"
