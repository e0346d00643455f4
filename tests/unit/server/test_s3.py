"""The S3 face's routing, called in this process: buckets created, described, listed and
deleted, objects put and got, batch deletes, and every refusal in S3's ``<Error>`` shape
with S3's code (an operation it does not do is NotImplemented, naming it)."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.server.s3 import s3_face
from aws_sagemaker_remote.storage.localbuckets import LocalBuckets

from .wire import body_of, header, request, xml_of


@pytest.fixture()
def s3(tmp_path):
    return s3_face(LocalBuckets(tmp_path / "buckets"))


def call(s3, method: str, path: str, query: str = "", body: bytes = b"", **headers: str):
    answer = s3(request(method, path, query, body, **headers))
    data = body_of(answer)
    return answer, (xml_of(data) if data.startswith(b"<?xml") else data)


def error_code(s3, *args, **headers) -> tuple[int, str | None]:
    answer, xml = call(s3, *args, **headers)
    return answer.status, xml.findtext("Code") if not isinstance(xml, bytes) else None


def test_a_bucket_is_created_in_its_region_and_described(s3):
    config = (
        b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
        b"</CreateBucketConfiguration>"
    )
    answer, _ = call(s3, "PUT", "/euro", body=config)
    assert (answer.status, header(answer, "Location")) == (200, "/euro")
    call(s3, "PUT", "/plain")
    head, _ = call(s3, "HEAD", "/euro")
    assert header(head, "x-amz-bucket-region") == "eu-west-1"
    _, where = call(s3, "GET", "/euro", "location")
    assert where.text == "eu-west-1"
    _, home = call(s3, "GET", "/plain", "location")
    assert not home.text
    _, listed = call(s3, "GET", "/")
    regions = {b.findtext("Name"): b.findtext("BucketRegion") for b in listed.iter("Bucket")}
    assert (regions["euro"], regions["plain"]) == ("eu-west-1", "us-east-1")


def test_an_object_put_is_got_back_and_listed(s3):
    call(s3, "PUT", "/data")
    put, _ = call(s3, "PUT", "/data/dir/a%20b.txt", body=b"contents", Content_Type="text/plain")
    assert put.status == 200 and header(put, "ETag")
    got, data = call(s3, "GET", "/data/dir/a%20b.txt")
    assert (got.status, data) == (200, b"contents")
    assert header(got, "Content-Type") == "text/plain"
    _, listed = call(s3, "GET", "/data", "list-type=2&prefix=dir/")
    assert [c.findtext("Key") for c in listed.iter("Contents")] == ["dir/a b.txt"]


def test_a_batch_delete_says_what_it_deleted_unless_quiet(s3):
    call(s3, "PUT", "/data")
    for key in ("a", "b", "c"):
        call(s3, "PUT", f"/data/{key}", body=key.encode())
    delete = b"<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object></Delete>"
    _, answer = call(s3, "POST", "/data", "delete", body=delete)
    assert [d.findtext("Key") for d in answer.iter("Deleted")] == ["a", "b"]
    quiet = b"<Delete><Quiet>true</Quiet><Object><Key>c</Key></Object></Delete>"
    _, answer = call(s3, "POST", "/data", "delete", body=quiet)
    assert list(answer.iter("Deleted")) == []
    assert call(s3, "GET", "/data/c")[0].status == 404
    assert error_code(s3, "POST", "/data", "delete", body=b"<Delete></Delete>") == (
        400,
        "MalformedXML",
    )


def test_a_bucket_is_deleted_only_when_empty(s3):
    call(s3, "PUT", "/data")
    call(s3, "PUT", "/data/k", body=b"x")
    assert error_code(s3, "DELETE", "/data") == (409, "BucketNotEmpty")
    call(s3, "DELETE", "/data/k")
    assert call(s3, "DELETE", "/data")[0].status == 204
    assert error_code(s3, "GET", "/data", "list-type=2") == (404, "NoSuchBucket")


@pytest.mark.parametrize(
    "method, path, query, status, code",
    [
        ("GET", "/data", "acl", 501, "NotImplemented"),
        ("PUT", "/data", "tagging", 501, "NotImplemented"),
        ("GET", "/data/k", "tagging", 501, "NotImplemented"),
        ("GET", "/data", "versions", 501, "NotImplemented"),
        ("GET", "/missing/k", "", 404, "NoSuchBucket"),
        ("PUT", "/Bad_Bucket", "", 400, "InvalidBucketName"),
        ("GET", "/data/%ff", "", 400, "InvalidURI"),
        ("POST", "/", "", 405, "MethodNotAllowed"),
        ("PATCH", "/data/k", "", 405, "MethodNotAllowed"),
    ],
)
def test_what_s3_refuses_is_refused_with_its_code(s3, method, path, query, status, code):
    call(s3, "PUT", "/data")
    assert error_code(s3, method, path, query) == (status, code)


def test_not_implemented_names_the_operation(s3):
    call(s3, "PUT", "/data")
    _, xml = call(s3, "GET", "/data", "versions")
    assert "ListObjectVersions" in xml.findtext("Message")
    _, xml = call(s3, "PUT", "/data/k", "acl")
    assert "PutObjectAcl" in xml.findtext("Message")


def test_a_bucket_created_twice_is_already_owned(s3):
    call(s3, "PUT", "/data")
    assert error_code(s3, "PUT", "/data") == (409, "BucketAlreadyOwnedByYou")


def test_versioning_is_answered_as_never_enabled(s3):
    call(s3, "PUT", "/data")
    answer, xml = call(s3, "GET", "/data", "versioning")
    assert answer.status == 200 and xml.tag == "VersioningConfiguration" and len(xml) == 0
