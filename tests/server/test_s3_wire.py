"""The S3 face on the wire: aws-chunked bodies, signed payload digests, hostile requests,
dropped connections. Requests are written by hand (http.client, raw sockets) where no SDK
would send them, and by botocore's own aws-chunked encoder where one would."""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import socket
import struct
import time
from urllib.parse import urlsplit

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum, Sha256Checksum

from aws_sagemaker_remote.storage.localstore import PARTIAL_PREFIX

MiB = 1024 * 1024


def connect(face) -> http.client.HTTPConnection:
    url = urlsplit(face.url)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def request(face, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    connection = connect(face)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def error_code(body: bytes) -> str:
    return body.split(b"<Code>", 1)[1].split(b"</Code>", 1)[0].decode()


def aws_chunked(data: bytes, checksum_cls, name: str, chunk: int = 64 * 1024) -> bytes:
    wrapper = AwsChunkedWrapper(io.BytesIO(data), checksum_cls, name, chunk_size=chunk)
    return wrapper.read()


def chunked_headers(data: bytes, trailer: str | None) -> dict:
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": str(len(data)),
    }
    if trailer:
        headers["x-amz-trailer"] = trailer
    return headers


@pytest.fixture()
def face(s3c, s3_face_server):
    return s3_face_server


def partials(face) -> list[str]:
    return [p.name for p in (face.root / "data").rglob(f"{PARTIAL_PREFIX}*")]


@pytest.mark.parametrize(
    ("checksum_cls", "name"),
    [(Crc32Checksum, "x-amz-checksum-crc32"), (Sha256Checksum, "x-amz-checksum-sha256")],
)
def test_aws_chunked_bodies_with_trailing_checksums_are_decoded(face, s3c, checksum_cls, name):
    data = os.urandom(300_000)
    body = aws_chunked(data, checksum_cls, name)
    status, headers, _ = request(face, "PUT", "/data/chunked", body, chunked_headers(data, name))
    assert status == 200 and headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3c.get_object(Bucket="data", Key="chunked")
    assert got["Body"].read() == data
    assert "ContentEncoding" not in got  # aws-chunked is framing, not the object's encoding


def test_an_aws_chunked_body_without_a_checksum_is_decoded(face, s3c):
    data = b"no trailer" * 1000
    body = aws_chunked(data, None, "x-amz-checksum-crc32")
    status, _, _ = request(face, "PUT", "/data/plain", body, chunked_headers(data, None))
    assert status == 200
    assert s3c.get_object(Bucket="data", Key="plain")["Body"].read() == data


def test_a_wrong_trailing_checksum_is_bad_digest_and_stores_nothing(face, s3c):
    data = os.urandom(100_000)
    body = aws_chunked(data + b"!", Crc32Checksum, "x-amz-checksum-crc32")
    # the trailer is the checksum of other bytes: reframe this payload with that trailer
    trailer = body[body.rindex(b"0\r\n") :]
    framed = aws_chunked(data, None, "x")[: -len(b"0\r\n\r\n")] + trailer
    headers = chunked_headers(data, "x-amz-checksum-crc32")
    status, _, answer = request(face, "PUT", "/data/bad", framed, headers)
    assert status == 400 and error_code(answer) == "BadDigest"
    assert not (face.root / "data" / "bad").exists() and partials(face) == []


def test_an_aws_chunked_body_shorter_than_declared_is_incomplete(face):
    data = b"x" * 1000
    body = aws_chunked(data, None, "x")
    headers = chunked_headers(data, None)
    headers["x-amz-decoded-content-length"] = "2000"
    status, _, answer = request(face, "PUT", "/data/short", body, headers)
    assert status == 400 and error_code(answer) == "IncompleteBody"
    assert partials(face) == []


def test_a_payload_that_does_not_match_its_signed_sha256_is_refused(face):
    headers = {"x-amz-content-sha256": hashlib.sha256(b"other").hexdigest()}
    status, _, answer = request(face, "PUT", "/data/k", b"payload", headers)
    assert status == 400 and error_code(answer) == "XAmzContentSHA256Mismatch"
    assert not (face.root / "data" / "k").exists()
    headers = {"x-amz-content-sha256": hashlib.sha256(b"payload").hexdigest()}
    assert request(face, "PUT", "/data/k", b"payload", headers)[0] == 200


@pytest.mark.parametrize(
    "body",
    [
        b"<Delete><Object><Key>a</Key></Object>",  # unclosed
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Delete><Object>'
        b"<Key>&a;</Key></Object></Delete>",
        b"<Other/>",
        b"<Delete></Delete>",
    ],
)
def test_malformed_xml_is_malformed_xml(face, body):
    status, headers, answer = request(face, "POST", "/data?delete", body)
    assert status == 400 and error_code(answer) == "MalformedXML"
    assert headers["Content-Type"] == "application/xml" and b"<RequestId>" in answer


def test_a_huge_xml_body_is_refused_before_it_is_read(face):
    with socket.create_connection(urlsplit(face.url).netloc.split(":"), timeout=30) as sock:
        sock.sendall(
            b"POST /data?delete HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n<Delete>"
        )
        answer = sock.makefile("rb").read()  # the server answers, then closes: no hang
    assert answer.startswith(b"HTTP/1.1 400") and b"MaxMessageLengthExceeded" in answer


def test_a_put_over_5_gib_is_entity_too_large_at_once(face):
    with socket.create_connection(urlsplit(face.url).netloc.split(":"), timeout=30) as sock:
        sock.sendall(b"PUT /data/huge HTTP/1.1\r\nHost: x\r\nContent-Length: 6442450944\r\n\r\n")
        answer = sock.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 400") and b"EntityTooLarge" in answer
    assert partials(face) == []


def _wait_for(condition, deadline_s: float = 20.0) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
@pytest.mark.parametrize("path", ["/data/dropped", "/data/dropped?partNumber=1&uploadId={uid}"])
def test_a_connection_dropped_mid_put_leaves_no_object_and_no_temporary_file(
    face, s3c, path, reset
):
    if "{uid}" in path:
        uid = s3c.create_multipart_upload(Bucket="data", Key="dropped")["UploadId"]
        path = path.format(uid=uid)
    host, port = urlsplit(face.url).netloc.split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {8 * MiB}\r\n\r\n".encode())
    sock.sendall(os.urandom(3 * MiB))
    assert _wait_for(lambda: bool(partials(face)) or bool(_upload_partials(face)))
    if reset:  # a reset rather than an orderly close: SO_LINGER with a zero timeout
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # the client goes away in the middle of the body
    assert _wait_for(lambda: not partials(face) and not _upload_partials(face))
    assert not (face.root / "data" / "dropped").exists()
    assert request(face, "HEAD", "/data/dropped")[0] == 404
    if "uploadId" in path:
        assert s3c.list_parts(Bucket="data", Key="dropped", UploadId=uid).get("Parts", []) == []
    s3c.put_object(Bucket="data", Key="after", Body=b"still serving")
    assert s3c.get_object(Bucket="data", Key="after")["Body"].read() == b"still serving"


def _upload_partials(face) -> list[str]:
    return [p.name for p in (face.root / ".uploads").rglob(f"{PARTIAL_PREFIX}*")]


def test_a_path_that_is_not_utf8_is_invalid_uri(face):
    status, _, answer = request(face, "GET", "/data/%ff%fe")
    assert status == 400 and error_code(answer) == "InvalidURI"


def test_dot_dot_in_a_raw_path_stays_inside_the_bucket(face):
    status, _, answer = request(face, "PUT", "/data/a/%2E%2E/%2E%2E/%2E%2E/escaped", b"x")
    assert status == 400 and error_code(answer) == "InvalidArgument"
    assert not any(p.name == "escaped" for p in face.root.parent.rglob("escaped"))


def test_many_concurrent_clients(face, s3c):
    from concurrent.futures import ThreadPoolExecutor

    def put_and_get(index: int) -> bool:
        data = os.urandom(1000 + index)
        status, _, _ = request(face, "PUT", f"/data/many/{index}", data)
        return status == 200 and request(face, "GET", f"/data/many/{index}")[2] == data

    with ThreadPoolExecutor(32) as pool:
        assert all(pool.map(put_and_get, range(200)))
    assert s3c.list_objects_v2(Bucket="data", Prefix="many/")["KeyCount"] == 200


def test_a_refused_upload_is_read_so_the_client_gets_the_answer_and_keeps_its_connection(face):
    connection = connect(face)
    try:
        connection.request("PUT", "/absent/k", body=os.urandom(2 * MiB))
        answer = connection.getresponse()
        assert answer.status == 404 and error_code(answer.read()) == "NoSuchBucket"
        connection.request("GET", "/")  # the same connection carries the next request
        answer = connection.getresponse()
        assert answer.status == 200 and b"<Name>data</Name>" in answer.read()
    finally:
        connection.close()


def test_a_response_override_cannot_inject_a_header(face, s3c):
    s3c.put_object(Bucket="data", Key="k", Body=b"x")
    path = "/data/k?response-content-type=text/plain%0D%0AX-Injected:%20yes"
    status, headers, answer = request(face, "GET", path)
    assert status == 400 and error_code(answer) == "InvalidArgument"
    assert "X-Injected" not in headers
    status, headers, _ = request(face, "GET", "/data/k?response-content-type=text/plain")
    assert status == 200 and headers["Content-Type"] == "text/plain"


def test_a_folded_metadata_header_comes_back_on_one_line(face):
    host, port = urlsplit(face.url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"PUT /data/folded HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
            b"x-amz-meta-note: first\r\n second\r\nConnection: close\r\n\r\nx"
        )
        assert sock.makefile("rb").read().startswith(b"HTTP/1.1 200")
    status, headers, _ = request(face, "HEAD", "/data/folded")
    assert status == 200 and headers["x-amz-meta-note"] == "first second"


def test_a_stalled_upload_is_given_up_and_leaves_nothing(tmp_path):
    import threading

    from aws_sagemaker_remote.server.http import HttpServer
    from aws_sagemaker_remote.server.s3 import s3_face
    from aws_sagemaker_remote.storage.localbuckets import LocalBuckets

    buckets = LocalBuckets(tmp_path)
    buckets.create("data")
    errors: list[str] = []
    server = HttpServer(s3_face(buckets), on_error=errors.append, idle_timeout_s=0.5)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    host, port = server.server_address[:2]
    try:
        with socket.create_connection((host, port), timeout=30) as sock:
            sock.sendall(b"PUT /data/stalled HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
            sock.sendall(b"x" * 1000)  # and then nothing more: the client hangs
            assert sock.recv(1024) == b""  # the server gives up and closes the connection
        assert _wait_for(lambda: not list((tmp_path / "data").iterdir()))
        assert errors == []
    finally:
        server.shutdown()
        server.server_close()


def test_an_object_replaced_while_it_is_read_is_answered_whole_old_or_new(face):
    import threading

    versions = [os.urandom(50_000), os.urandom(70_000), os.urandom(30_000)]
    assert request(face, "PUT", "/data/busy", versions[0])[0] == 200
    stop = threading.Event()

    def rewrite() -> None:
        index = 0
        while not stop.is_set():
            index += 1
            request(face, "PUT", "/data/busy", versions[index % len(versions)])

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        for _ in range(200):
            status, headers, body = request(face, "GET", "/data/busy")
            assert status == 200 and body in versions
            assert headers["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    finally:
        stop.set()
        writer.join()
