"""The S3 face driven by boto3 over real HTTP: every operation, its errors, its headers."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zlib

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, PARTIAL_PREFIX

MiB = 1024 * 1024


def code_of(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def status_of(excinfo) -> int:
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# buckets -----------------------------------------------------------------------------------
def test_buckets_are_created_listed_located_and_deleted(s3_face_server):
    s3 = s3_face_server.client()
    s3.create_bucket(Bucket="plain")
    s3.create_bucket(
        Bucket="elsewhere", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert names == sorted(["plain", "elsewhere", LOCAL_STORE_BUCKET])
    assert s3.get_bucket_location(Bucket="plain")["LocationConstraint"] is None
    assert s3.get_bucket_location(Bucket="elsewhere")["LocationConstraint"] == "eu-west-1"
    head = s3.head_bucket(Bucket="elsewhere")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-west-1"
    with pytest.raises(ClientError) as error:
        s3.create_bucket(Bucket="plain")
    assert code_of(error) == "BucketAlreadyOwnedByYou" and status_of(error) == 409
    s3.put_object(Bucket="plain", Key="k", Body=b"x")
    with pytest.raises(ClientError) as error:
        s3.delete_bucket(Bucket="plain")
    assert code_of(error) == "BucketNotEmpty" and status_of(error) == 409
    s3.delete_object(Bucket="plain", Key="k")
    s3.delete_bucket(Bucket="plain")
    with pytest.raises(ClientError) as error:
        s3.head_bucket(Bucket="plain")
    assert status_of(error) == 404
    with pytest.raises(ClientError) as error:
        s3.list_objects_v2(Bucket="plain")
    assert code_of(error) == "NoSuchBucket"
    assert error.value.response["Error"]["BucketName"] == "plain"


def test_an_invalid_bucket_name_is_refused(s3_face_server):
    s3 = s3_face_server.client()
    with pytest.raises(ClientError) as error:
        s3.create_bucket(Bucket="no_underscores")
    assert code_of(error) == "InvalidBucketName" and status_of(error) == 400


# objects -----------------------------------------------------------------------------------
def test_put_get_head_keep_bytes_type_metadata_and_etag(s3c, s3_face_server):
    data = os.urandom(100_000)
    put = s3c.put_object(
        Bucket="data",
        Key="dir/obj.bin",
        Body=data,
        ContentType="application/x-test",
        Metadata={"owner": "me", "Mixed-Case": "Value"},
        CacheControl="max-age=60",
        ContentDisposition="attachment",
    )
    assert put["ETag"] == f'"{md5_hex(data)}"'
    got = s3c.get_object(Bucket="data", Key="dir/obj.bin")
    assert got["Body"].read() == data
    assert got["ETag"] == put["ETag"] and got["ContentLength"] == len(data)
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"owner": "me", "mixed-case": "Value"}
    assert got["CacheControl"] == "max-age=60" and got["ContentDisposition"] == "attachment"
    head = s3c.head_object(Bucket="data", Key="dir/obj.bin")
    assert head["ContentLength"] == len(data) and head["ETag"] == put["ETag"]
    assert head["LastModified"] == got["LastModified"]
    assert (s3_face_server.root / "data" / "dir" / "obj.bin").read_bytes() == data


def test_an_object_put_without_a_type_is_binary_octet_stream(s3c):
    s3c.put_object(Bucket="data", Key="k", Body=b"")
    got = s3c.get_object(Bucket="data", Key="k")
    assert got["ContentType"] == "binary/octet-stream" and got["Body"].read() == b""
    assert got["ETag"] == f'"{md5_hex(b"")}"'


def test_missing_objects_and_buckets_have_s3s_errors(s3c):
    with pytest.raises(ClientError) as error:
        s3c.get_object(Bucket="data", Key="nope")
    assert code_of(error) == "NoSuchKey" and status_of(error) == 404
    assert error.value.response["Error"]["Key"] == "nope"
    with pytest.raises(ClientError) as error:
        s3c.head_object(Bucket="data", Key="nope")
    assert status_of(error) == 404  # HEAD: the status alone, no body
    with pytest.raises(ClientError) as error:
        s3c.put_object(Bucket="absent", Key="k", Body=b"x")
    assert code_of(error) == "NoSuchBucket"


def test_ranges_are_answered_206_and_unsatisfiable_ones_416(s3c):
    data = bytes(range(256)) * 40
    s3c.put_object(Bucket="data", Key="r", Body=data)
    for header, want, content_range in [
        ("bytes=10-19", data[10:20], f"bytes 10-19/{len(data)}"),
        ("bytes=10000-", data[10000:], f"bytes 10000-10239/{len(data)}"),
        ("bytes=-5", data[-5:], f"bytes 10235-10239/{len(data)}"),
        ("bytes=10200-99999", data[10200:], f"bytes 10200-10239/{len(data)}"),
    ]:
        got = s3c.get_object(Bucket="data", Key="r", Range=header)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["ContentRange"] == content_range
        assert got["Body"].read() == want
    with pytest.raises(ClientError) as error:
        s3c.get_object(Bucket="data", Key="r", Range=f"bytes={len(data)}-")
    assert code_of(error) == "InvalidRange" and status_of(error) == 416
    assert error.value.response["Error"]["ActualObjectSize"] == str(len(data))


def test_conditional_gets_and_puts(s3c):
    etag = s3c.put_object(Bucket="data", Key="c", Body=b"v1")["ETag"]
    assert s3c.get_object(Bucket="data", Key="c", IfMatch=etag)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as error:
        s3c.get_object(Bucket="data", Key="c", IfMatch='"0000"')
    assert status_of(error) == 412
    with pytest.raises(ClientError) as error:
        s3c.get_object(Bucket="data", Key="c", IfNoneMatch=etag)
    assert status_of(error) == 304
    with pytest.raises(ClientError) as error:
        s3c.put_object(Bucket="data", Key="c", Body=b"v2", IfNoneMatch="*")
    assert code_of(error) == "PreconditionFailed"
    assert s3c.get_object(Bucket="data", Key="c")["Body"].read() == b"v1"


def test_delete_and_delete_objects(s3c, s3_face_server):
    for key in ("a/1", "a/2", "b"):
        s3c.put_object(Bucket="data", Key=key, Body=key.encode())
    s3c.delete_object(Bucket="data", Key="b")
    s3c.delete_object(Bucket="data", Key="never-there")  # S3 answers 204 all the same
    answer = s3c.delete_objects(Bucket="data", Delete={"Objects": [{"Key": "a/1"}, {"Key": "zz"}]})
    assert sorted(d["Key"] for d in answer["Deleted"]) == ["a/1", "zz"]
    quiet = s3c.delete_objects(Bucket="data", Delete={"Objects": [{"Key": "a/2"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert s3c.list_objects_v2(Bucket="data")["KeyCount"] == 0
    assert list((s3_face_server.root / "data").iterdir()) == []  # folders pruned too


# listings ----------------------------------------------------------------------------------
KEYS = ["a-c", "a.d", "a/b/1", "a/b/2", "a/c", "b/x y+z", "b/é", "top"]


@pytest.fixture()
def listed(s3c):
    for key in KEYS:
        s3c.put_object(Bucket="data", Key=key, Body=key.encode())
    return s3c


def test_list_v2_returns_keys_in_s3_order_with_sizes_and_etags(listed):
    answer = listed.list_objects_v2(Bucket="data")
    assert [o["Key"] for o in answer["Contents"]] == KEYS
    assert answer["KeyCount"] == len(KEYS) and answer["IsTruncated"] is False
    first = answer["Contents"][0]
    assert first["Size"] == 3 and first["ETag"] == f'"{md5_hex(b"a-c")}"'


def test_list_v2_prefix_and_delimiter_give_common_prefixes(listed):
    answer = listed.list_objects_v2(Bucket="data", Delimiter="/")
    assert [o["Key"] for o in answer["Contents"]] == ["a-c", "a.d", "top"]
    assert [p["Prefix"] for p in answer["CommonPrefixes"]] == ["a/", "b/"]
    answer = listed.list_objects_v2(Bucket="data", Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in answer["Contents"]] == ["a/c"]
    assert [p["Prefix"] for p in answer["CommonPrefixes"]] == ["a/b/"]
    assert answer["KeyCount"] == 2


@pytest.mark.parametrize("delimiter", ["", "/"])
def test_list_v2_pages_add_up_to_one_listing(listed, delimiter):
    pages = listed.get_paginator("list_objects_v2").paginate(
        Bucket="data", Delimiter=delimiter, PaginationConfig={"PageSize": 2}
    )
    keys, prefixes, counts = [], [], []
    for page in pages:
        keys += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        counts.append(page["KeyCount"])
    whole = listed.list_objects_v2(Bucket="data", Delimiter=delimiter)
    assert keys == [o["Key"] for o in whole["Contents"]]
    assert prefixes == [p["Prefix"] for p in whole.get("CommonPrefixes", [])]
    assert max(counts) == 2 and len(counts) > 1


def test_list_v2_start_after_and_max_keys(listed):
    answer = listed.list_objects_v2(Bucket="data", StartAfter="a/c", MaxKeys=2)
    assert [o["Key"] for o in answer["Contents"]] == ["b/x y+z", "b/é"]
    assert answer["IsTruncated"] is True and answer["NextContinuationToken"]


def test_list_v2_encoding_type_url_round_trips_odd_keys(listed):
    # botocore asks for encoding-type=url itself and decodes the answer
    answer = listed.list_objects_v2(Bucket="data", Prefix="b/")
    assert [o["Key"] for o in answer["Contents"]] == ["b/x y+z", "b/é"]


def test_list_v1_pages_with_markers(listed):
    keys = []
    for page in listed.get_paginator("list_objects").paginate(
        Bucket="data", PaginationConfig={"PageSize": 3}
    ):
        keys += [o["Key"] for o in page.get("Contents", [])]
    assert keys == KEYS
    answer = listed.list_objects(Bucket="data", Delimiter="/", Marker="a.d")
    assert [p["Prefix"] for p in answer["CommonPrefixes"]] == ["a/", "b/"]


def test_an_invalid_continuation_token_is_refused(listed):
    with pytest.raises(ClientError) as error:
        listed.list_objects_v2(Bucket="data", ContinuationToken="not-a-token")
    assert code_of(error) == "InvalidArgument"


# copy --------------------------------------------------------------------------------------
def test_copy_keeps_or_replaces_metadata(s3c):
    s3c.put_object(
        Bucket="data", Key="src", Body=b"payload", ContentType="text/x", Metadata={"a": "1"}
    )  # noqa: E501
    s3c.create_bucket(Bucket="other")
    copied = s3c.copy_object(Bucket="other", Key="dst", CopySource={"Bucket": "data", "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == f'"{md5_hex(b"payload")}"'
    got = s3c.get_object(Bucket="other", Key="dst")
    assert got["Body"].read() == b"payload"
    assert got["ContentType"] == "text/x" and got["Metadata"] == {"a": "1"}
    s3c.copy_object(
        Bucket="data", Key="src", CopySource="data/src", MetadataDirective="REPLACE",
        ContentType="text/y", Metadata={"b": "2"},
    )  # fmt: skip
    head = s3c.head_object(Bucket="data", Key="src")
    assert head["ContentType"] == "text/y" and head["Metadata"] == {"b": "2"}
    with pytest.raises(ClientError) as error:
        s3c.copy_object(Bucket="data", Key="src", CopySource="data/src")
    assert code_of(error) == "InvalidRequest"
    with pytest.raises(ClientError) as error:
        s3c.copy_object(Bucket="data", Key="x", CopySource="data/missing")
    assert code_of(error) == "NoSuchKey"


# multipart ---------------------------------------------------------------------------------
SMALL_PARTS = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)


def test_transfer_manager_uploads_and_downloads_in_parts(s3c, tmp_path):
    data = os.urandom(13 * MiB)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    s3c.upload_file(str(source), "data", "big.bin", Config=SMALL_PARTS)
    parts = [data[i : i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    want = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    head = s3c.head_object(Bucket="data", Key="big.bin")
    assert head["ETag"] == f'"{want}-3"' and head["ContentLength"] == len(data)
    target = tmp_path / "back.bin"
    s3c.download_file("data", "big.bin", str(target), Config=SMALL_PARTS)
    assert target.read_bytes() == data


def test_multipart_operations_by_hand(s3c, s3_face_server):
    upload = s3c.create_multipart_upload(Bucket="data", Key="mp", ContentType="text/mp")
    uid = upload["UploadId"]
    one, two = os.urandom(5 * MiB), b"tail"
    e2 = s3c.upload_part(Bucket="data", Key="mp", UploadId=uid, PartNumber=2, Body=two)["ETag"]
    e1 = s3c.upload_part(Bucket="data", Key="mp", UploadId=uid, PartNumber=1, Body=one)["ETag"]
    listed = s3c.list_parts(Bucket="data", Key="mp", UploadId=uid)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 5 * MiB), (2, 4)]
    uploads = s3c.list_multipart_uploads(Bucket="data")["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("mp", uid)]
    parts = [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]
    for bad, code in [
        (parts[::-1], "InvalidPartOrder"),
        ([parts[0], {"PartNumber": 2, "ETag": e1}], "InvalidPart"),
        ([{"PartNumber": 2, "ETag": e2}, {"PartNumber": 3, "ETag": e2}], "InvalidPart"),
    ]:
        with pytest.raises(ClientError) as error:
            s3c.complete_multipart_upload(
                Bucket="data", Key="mp", UploadId=uid, MultipartUpload={"Parts": bad}
            )
        assert code_of(error) == code
    done = s3c.complete_multipart_upload(
        Bucket="data", Key="mp", UploadId=uid, MultipartUpload={"Parts": parts}
    )
    want = hashlib.md5(hashlib.md5(one).digest() + hashlib.md5(two).digest()).hexdigest()
    assert done["ETag"] == f'"{want}-2"'
    got = s3c.get_object(Bucket="data", Key="mp")
    assert got["Body"].read() == one + two and got["ContentType"] == "text/mp"
    assert s3c.list_multipart_uploads(Bucket="data").get("Uploads", []) == []
    with pytest.raises(ClientError) as error:
        s3c.list_parts(Bucket="data", Key="mp", UploadId=uid)
    assert code_of(error) == "NoSuchUpload" and status_of(error) == 404
    leftovers = [p for p in (s3_face_server.root / "data").iterdir() if p.name != "mp"]
    assert leftovers == []


def test_a_small_part_before_the_last_is_too_small(s3c):
    uid = s3c.create_multipart_upload(Bucket="data", Key="mp")["UploadId"]
    etags = [
        s3c.upload_part(Bucket="data", Key="mp", UploadId=uid, PartNumber=n, Body=b"x")["ETag"]
        for n in (1, 2)
    ]
    parts = [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2), etags)]
    with pytest.raises(ClientError) as error:
        s3c.complete_multipart_upload(
            Bucket="data", Key="mp", UploadId=uid, MultipartUpload={"Parts": parts}
        )
    assert code_of(error) == "EntityTooSmall"
    s3c.abort_multipart_upload(Bucket="data", Key="mp", UploadId=uid)
    with pytest.raises(ClientError) as error:
        s3c.abort_multipart_upload(Bucket="data", Key="mp", UploadId=uid)
    assert code_of(error) == "NoSuchUpload"
    with pytest.raises(ClientError) as error:
        s3c.upload_part(Bucket="data", Key="mp", UploadId="../../etc", PartNumber=1, Body=b"x")
    assert code_of(error) == "NoSuchUpload"


def test_upload_part_copy_takes_a_range_of_another_object(s3c):
    source = os.urandom(6 * MiB)
    s3c.put_object(Bucket="data", Key="src", Body=source)
    uid = s3c.create_multipart_upload(Bucket="data", Key="dst")["UploadId"]
    first = s3c.upload_part_copy(
        Bucket="data", Key="dst", UploadId=uid, PartNumber=1, CopySource="data/src",
        CopySourceRange=f"bytes=0-{5 * MiB - 1}",
    )["CopyPartResult"]["ETag"]  # fmt: skip
    second = s3c.upload_part_copy(
        Bucket="data", Key="dst", UploadId=uid, PartNumber=2, CopySource="data/src",
        CopySourceRange=f"bytes={5 * MiB}-{6 * MiB - 1}",
    )["CopyPartResult"]["ETag"]  # fmt: skip
    s3c.complete_multipart_upload(
        Bucket="data", Key="dst", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": first}, {"PartNumber": 2, "ETag": second}]},  # noqa: E501
    )  # fmt: skip
    assert s3c.get_object(Bucket="data", Key="dst")["Body"].read() == source


# integrity ---------------------------------------------------------------------------------
def _crc32c(data: bytes) -> int:
    value = 0xFFFFFFFF
    for byte in data:
        value ^= byte
        for _ in range(8):
            value = (value >> 1) ^ 0x82F63B78 if value & 1 else value >> 1
    return value ^ 0xFFFFFFFF


def _expected(algorithm: str, data: bytes) -> str:
    digest = {
        "CRC32": lambda: zlib.crc32(data).to_bytes(4, "big"),
        "CRC32C": lambda: _crc32c(data).to_bytes(4, "big"),
        "SHA1": lambda: hashlib.sha1(data).digest(),
        "SHA256": lambda: hashlib.sha256(data).digest(),
    }[algorithm]()
    return base64.b64encode(digest).decode()


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256"])
def test_checksums_are_verified_kept_and_returned(s3c, algorithm):
    data = os.urandom(3000)
    want = _expected(algorithm, data)
    put = s3c.put_object(Bucket="data", Key="k", Body=data, **{f"Checksum{algorithm}": want})
    assert put[f"Checksum{algorithm}"] == want
    head = s3c.head_object(Bucket="data", Key="k", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == want
    got = s3c.get_object(Bucket="data", Key="k", ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == want and got["Body"].read() == data
    wrong = _expected(algorithm, data + b"!")
    with pytest.raises(ClientError) as error:
        s3c.put_object(Bucket="data", Key="k2", Body=data, **{f"Checksum{algorithm}": wrong})
    assert code_of(error) == "BadDigest"
    with pytest.raises(ClientError):
        s3c.head_object(Bucket="data", Key="k2")


def test_a_wrong_content_md5_is_bad_digest_and_stores_nothing(s3c, s3_face_server):
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as error:
        s3c.put_object(Bucket="data", Key="k", Body=b"bytes", ContentMD5=wrong)
    assert code_of(error) == "BadDigest"
    assert list((s3_face_server.root / "data").iterdir()) == []
    right = base64.b64encode(hashlib.md5(b"bytes").digest()).decode()
    s3c.put_object(Bucket="data", Key="k", Body=b"bytes", ContentMD5=right)


def test_multipart_checksums_are_composite_as_s3s(s3c):
    data = os.urandom(11 * MiB)
    sha256 = {"ChecksumAlgorithm": "SHA256"}
    s3c.upload_fileobj(io.BytesIO(data), "data", "mp", Config=SMALL_PARTS, ExtraArgs=sha256)
    head = s3c.head_object(Bucket="data", Key="mp", ChecksumMode="ENABLED")
    parts = [data[i : i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    inner = b"".join(hashlib.sha256(p).digest() for p in parts)
    want = base64.b64encode(hashlib.sha256(inner).digest()).decode() + "-3"
    assert head["ChecksumSHA256"] == want and head["ChecksumType"] == "COMPOSITE"
    assert s3c.get_object(Bucket="data", Key="mp", ChecksumMode="ENABLED")["Body"].read() == data


def test_crc64nvme_is_refused_with_a_clear_error_when_it_cannot_be_computed(s3c):
    try:
        import awscrt  # noqa: F401

        pytest.skip("awscrt is installed: CRC64NVME is computed, not refused")
    except ImportError:
        pass
    with pytest.raises(ClientError) as error:
        s3c.put_object(Bucket="data", Key="k", Body=b"x", ChecksumCRC64NVME="AAAAAAAAAAA=")
    assert code_of(error) == "NotImplemented" and "CRC64NVME" in str(error.value)


def test_operations_not_done_are_not_implemented_by_name(s3c):
    with pytest.raises(ClientError) as error:
        s3c.get_bucket_tagging(Bucket="data")
    assert code_of(error) == "NotImplemented" and status_of(error) == 501
    assert "GetBucketTagging" in error.value.response["Error"]["Message"]
    s3c.put_object(Bucket="data", Key="k", Body=b"x")
    with pytest.raises(ClientError) as error:
        s3c.put_object_acl(Bucket="data", Key="k", ACL="private")
    assert "PutObjectAcl" in error.value.response["Error"]["Message"]


def test_keys_a_local_bucket_cannot_hold_are_refused_and_nothing_escapes(s3c, s3_face_server):
    for key in ("../escape", "a/../../escape", "a//b", "folder/", f"{PARTIAL_PREFIX}x"):
        with pytest.raises(ClientError) as error:
            s3c.put_object(Bucket="data", Key=key, Body=b"x")
        assert code_of(error) == "InvalidArgument", key
    assert not (s3_face_server.root / "escape").exists()
    assert not (s3_face_server.root.parent / "escape").exists()
    with pytest.raises(ClientError) as error:
        s3c.put_object(Bucket="data", Key="k" * 1025, Body=b"x")
    assert code_of(error) == "KeyTooLongError"


def test_the_local_store_bucket_shows_staged_files(s3_face_server):
    s3 = s3_face_server.client()
    staged = s3_face_server.root / LOCAL_STORE_BUCKET / "stage" / "code.tar.gz"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"staged bytes")
    answer = s3.list_objects_v2(Bucket=LOCAL_STORE_BUCKET)
    assert [o["Key"] for o in answer["Contents"]] == ["stage/code.tar.gz"]
    assert answer["Contents"][0]["ETag"] == f'"{md5_hex(b"staged bytes")}"'
    body = s3.get_object(Bucket=LOCAL_STORE_BUCKET, Key="stage/code.tar.gz")["Body"].read()
    assert body == b"staged bytes"


def test_a_link_out_of_a_bucket_is_not_served(s3c, s3_face_server, tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(b"not an object")
    s3c.put_object(Bucket="data", Key="real", Body=b"object")
    (s3_face_server.root / "data" / "link").symlink_to(secret)
    assert [o["Key"] for o in s3c.list_objects_v2(Bucket="data")["Contents"]] == ["real"]
    with pytest.raises(ClientError) as error:
        s3c.get_object(Bucket="data", Key="link")
    assert code_of(error) == "InvalidArgument"


def test_a_full_object_multipart_checksum_is_computed_and_checked(s3c, s3_face_server):
    data = os.urandom(7 * MiB)
    parts = [data[: 5 * MiB], data[5 * MiB :]]
    uid = s3c.create_multipart_upload(
        Bucket="data", Key="full", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT"
    )["UploadId"]
    sent = [
        s3c.upload_part(
            Bucket="data", Key="full", UploadId=uid, PartNumber=n, Body=part,
            ChecksumCRC32=_expected("CRC32", part),
        )
        for n, part in enumerate(parts, 1)
    ]  # fmt: skip
    done = [
        {"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]}
        for n, r in enumerate(sent, 1)
    ]
    whole = _expected("CRC32", data)
    with pytest.raises(ClientError) as error:
        s3c.complete_multipart_upload(
            Bucket="data", Key="full", UploadId=uid, MultipartUpload={"Parts": done},
            ChecksumCRC32=_expected("CRC32", data + b"!"), ChecksumType="FULL_OBJECT",
        )  # fmt: skip
    assert code_of(error) == "BadDigest"
    assert list((s3_face_server.root / "data").iterdir()) == []
    s3c.complete_multipart_upload(
        Bucket="data", Key="full", UploadId=uid, MultipartUpload={"Parts": done},
        ChecksumCRC32=whole, ChecksumType="FULL_OBJECT",
    )  # fmt: skip
    head = s3c.head_object(Bucket="data", Key="full", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == whole and head["ChecksumType"] == "FULL_OBJECT"
    got = s3c.get_object(Bucket="data", Key="full", ChecksumMode="ENABLED")
    assert got["Body"].read() == data  # botocore checks the CRC32 as it reads


def test_a_part_of_a_multipart_object_is_read_by_its_number(s3c):
    data = os.urandom(12 * MiB)
    s3c.upload_fileobj(io.BytesIO(data), "data", "mp", Config=SMALL_PARTS)
    second = s3c.get_object(Bucket="data", Key="mp", PartNumber=2)
    assert second["Body"].read() == data[5 * MiB : 10 * MiB]
    assert (
        second["PartsCount"] == 3
        and second["ContentRange"] == f"bytes {5 * MiB}-{10 * MiB - 1}/{12 * MiB}"
    )  # noqa: E501
    assert s3c.head_object(Bucket="data", Key="mp", PartNumber=3)["ContentLength"] == 2 * MiB
    with pytest.raises(ClientError) as error:
        s3c.get_object(Bucket="data", Key="mp", PartNumber=4)
    assert code_of(error) == "InvalidPartNumber" and status_of(error) == 416
    s3c.put_object(Bucket="data", Key="one", Body=b"single")
    assert s3c.get_object(Bucket="data", Key="one", PartNumber=1)["Body"].read() == b"single"
