"""The HTTP layer under every face: bodies framed by length or chunks, HEAD, and a face's
bug answered with a bare 500 (the traceback goes to the server's log, not the client)."""

from __future__ import annotations

import http.client
import socket
import threading

import pytest

from aws_sagemaker_remote.server.http import BodyError, HttpServer, Response


@pytest.fixture()
def server():
    seen: list = []
    errors: list[str] = []

    def face(request):
        if request.path == "/boom":
            raise RuntimeError("a face's bug")
        try:
            body = request.read_all(1024)
        except BodyError as error:
            seen.append(error)
            raise
        seen.append((request.method, request.path, request.query, body))
        if request.method == "HEAD":
            return Response(200, [("ETag", '"x"')], b"", length=42)
        return Response(200, [("X-Length", str(len(body)))], iter([b"ab", b"cd"]), length=4)

    httpd = HttpServer(face, on_error=errors.append)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, seen, errors
    httpd.shutdown()
    httpd.server_close()


def _connection(httpd) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", httpd.server_address[1], timeout=10)


def test_a_body_by_length_and_one_by_chunks_arrive_whole(server):
    httpd, seen, _ = server
    connection = _connection(httpd)
    connection.request("PUT", "/b/k%20ey?x=1&flag", body=b"hello")
    answer = connection.getresponse()
    assert (answer.status, answer.read(), answer.getheader("X-Length")) == (200, b"abcd", "5")
    connection.request("PUT", "/b/k", body=iter([b"he", b"llo!"]), encode_chunked=True)
    assert connection.getresponse().read() == b"abcd"
    assert seen == [
        ("PUT", "/b/k%20ey", [("x", "1"), ("flag", "")], b"hello"),
        ("PUT", "/b/k", [], b"hello!"),
    ]


def test_head_gives_the_length_of_the_body_it_leaves_out(server):
    httpd, _, _ = server
    connection = _connection(httpd)
    connection.request("HEAD", "/b/k")
    answer = connection.getresponse()
    assert answer.getheader("Content-Length") == "42"
    assert answer.read() == b""


def test_a_faces_bug_is_a_bare_500_and_one_log_entry(server):
    httpd, _, errors = server
    connection = _connection(httpd)
    connection.request("GET", "/boom")
    answer = connection.getresponse()
    assert answer.status == 500
    assert b"Traceback" not in answer.read()
    assert len(errors) == 1 and "a face's bug" in errors[0]


def test_a_body_over_the_faces_limit_and_a_dropped_body_are_body_errors(server):
    httpd, seen, _ = server
    connection = _connection(httpd)
    connection.request("PUT", "/b/k", body=b"x" * 2048)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        connection.getresponse().read()
    with socket.create_connection(("127.0.0.1", httpd.server_address[1]), timeout=10) as raw:
        raw.sendall(b"PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort")
        raw.shutdown(socket.SHUT_WR)
        assert raw.recv(100) == b""  # the connection is closed, nothing answered
    assert [type(item) for item in seen] == [BodyError, BodyError]
