"""Multipart uploads through the S3 face, in this process: parts uploaded (or copied from
an object's range), listed, completed into one object with S3's ETag, or aborted; a
completion S3 would refuse is refused with its code."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest

from aws_sagemaker_remote.server.s3 import s3_face
from aws_sagemaker_remote.server.s3_multipart import MIN_PART
from aws_sagemaker_remote.storage.localbuckets import LocalBuckets

from .wire import body_of, header, request, xml_of

BIG = bytes(range(256)) * (MIN_PART // 256)  # the smallest part that may be followed
TAIL = b"the last part may be small"


@pytest.fixture()
def s3(tmp_path):
    face = s3_face(LocalBuckets(tmp_path / "buckets"))
    face(request("PUT", "/data"))
    return face


def xml(answer):
    return xml_of(body_of(answer))


def start(s3, key: str = "big.bin", **headers: str) -> str:
    answer = s3(request("POST", f"/data/{key}", "uploads", **headers))
    assert answer.status == 200
    return xml(answer).findtext("UploadId")


def part(s3, upload: str, number: int, data: bytes, key: str = "big.bin", **headers) -> str:
    answer = s3(
        request("PUT", f"/data/{key}", f"uploadId={upload}&partNumber={number}", data, **headers)
    )
    assert answer.status == 200, body_of(answer)
    return header(answer, "ETag")


def complete(s3, upload: str, parts: list[tuple[int, str]], key: str = "big.bin", **headers):
    listed = "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in parts
    )
    body = f"<CompleteMultipartUpload>{listed}</CompleteMultipartUpload>".encode()
    return s3(request("POST", f"/data/{key}", f"uploadId={upload}", body, **headers))


def test_parts_become_one_object_with_s3s_multipart_etag(s3):
    upload = start(s3)
    etags = [part(s3, upload, 1, BIG), part(s3, upload, 2, TAIL)]
    answer = complete(s3, upload, [(1, etags[0]), (2, etags[1])])
    assert answer.status == 200
    digests = hashlib.md5(BIG).digest() + hashlib.md5(TAIL).digest()
    assert xml(answer).findtext("ETag") == f'"{hashlib.md5(digests).hexdigest()}-2"'
    got = s3(request("GET", "/data/big.bin"))
    assert body_of(got) == BIG + TAIL
    second = s3(request("GET", "/data/big.bin", "partNumber=2"))
    assert body_of(second) == TAIL
    assert s3(request("GET", "/data/big.bin", f"uploadId={upload}")).status == 404


def test_parts_are_listed_in_order_and_paged(s3):
    upload = start(s3)
    for number in (3, 1, 2):
        part(s3, upload, number, f"part {number}".encode())
    listed = xml(s3(request("GET", "/data/big.bin", f"uploadId={upload}&max-parts=2")))
    assert [p.findtext("PartNumber") for p in listed.iter("Part")] == ["1", "2"]
    assert listed.findtext("IsTruncated") == "true"
    rest = xml(s3(request("GET", "/data/big.bin", f"uploadId={upload}&part-number-marker=2")))
    assert [p.findtext("Size") for p in rest.iter("Part")] == [str(len(b"part 3"))]


def test_uploads_in_progress_are_listed_and_an_aborted_one_is_gone(s3):
    first, second = start(s3, "a/one"), start(s3, "b/two")
    listed = xml(s3(request("GET", "/data", "uploads&prefix=a/")))
    assert [u.findtext("UploadId") for u in listed.iter("Upload")] == [first]
    assert s3(request("DELETE", "/data/b/two", f"uploadId={second}")).status == 204
    answer = s3(request("PUT", "/data/b/two", f"uploadId={second}&partNumber=1", b"x"))
    assert (answer.status, xml(answer).findtext("Code")) == (404, "NoSuchUpload")
    everything = xml(s3(request("GET", "/data", "uploads")))
    assert [u.findtext("Key") for u in everything.iter("Upload")] == ["a/one"]


def test_a_part_is_copied_from_a_range_of_an_object(s3):
    s3(request("PUT", "/data/source", body=b"0123456789"))
    upload = start(s3, "copy")
    answer = s3(
        request(
            "PUT",
            "/data/copy",
            f"uploadId={upload}&partNumber=1",
            x_amz_copy_source="/data/source",
            x_amz_copy_source_range="bytes=2-5",
        )
    )
    etag = xml(answer).findtext("ETag")
    assert etag == f'"{hashlib.md5(b"2345").hexdigest()}"'
    assert complete(s3, upload, [(1, etag)], key="copy").status == 200
    assert body_of(s3(request("GET", "/data/copy"))) == b"2345"


def test_a_composite_checksum_is_kept_for_an_upload_that_asked_for_one(s3):
    upload = start(s3, x_amz_checksum_algorithm="CRC32")
    etag = part(s3, upload, 1, TAIL)
    listed = xml(s3(request("GET", "/data/big.bin", f"uploadId={upload}")))
    crc = base64.b64encode(zlib.crc32(TAIL).to_bytes(4, "big")).decode()
    assert listed.findtext("Part/ChecksumCRC32") == crc
    done = xml(complete(s3, upload, [(1, etag)]))
    assert done.findtext("ChecksumType") == "COMPOSITE"
    assert done.findtext("ChecksumCRC32").endswith("-1")


def two_parts(s3, first: bytes = BIG) -> tuple[str, list[str]]:
    upload = start(s3)
    return upload, [part(s3, upload, 1, first), part(s3, upload, 2, TAIL)]


@pytest.mark.parametrize(
    "first, asked, code",
    [
        (BIG, lambda e: [(2, e[1]), (1, e[0])], "InvalidPartOrder"),
        (BIG, lambda e: [(1, e[0]), (1, e[0])], "InvalidPartOrder"),
        (BIG, lambda e: [(1, '"0000"'), (2, e[1])], "InvalidPart"),
        (BIG, lambda e: [(1, e[0]), (3, e[1])], "InvalidPart"),
        (b"too small", lambda e: [(1, e[0]), (2, e[1])], "EntityTooSmall"),
    ],
)
def test_a_completion_s3_refuses_is_refused_and_the_upload_kept(s3, first, asked, code):
    upload, etags = two_parts(s3, first)
    answer = complete(s3, upload, asked(etags))
    assert (answer.status, xml(answer).findtext("Code")) == (400, code)
    assert s3(request("GET", "/data/big.bin")).status == 404
    assert s3(request("GET", "/data/big.bin", f"uploadId={upload}")).status == 200


@pytest.mark.parametrize("number", ["0", "10001", "x"])
def test_a_part_number_outside_1_to_10000_is_an_invalid_argument(s3, number):
    upload = start(s3)
    answer = s3(request("PUT", "/data/big.bin", f"uploadId={upload}&partNumber={number}", b"x"))
    assert (answer.status, xml(answer).findtext("Code")) == (400, "InvalidArgument")


def test_an_upload_id_that_was_never_given_is_no_such_upload(s3):
    answer = s3(request("DELETE", "/data/big.bin", "uploadId=" + "0" * 48))
    assert (answer.status, xml(answer).findtext("Code")) == (404, "NoSuchUpload")
