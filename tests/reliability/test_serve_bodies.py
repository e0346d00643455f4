"""A body the server refuses is not read: the answer comes at once and the connection closes."""

from __future__ import annotations

import json
import socket
import threading

from aws_sagemaker_remote.server.http import HttpServer, Request, Response
from aws_sagemaker_remote.server.protocols import ServiceFault, json_error, read_json


def capped_face(request: Request) -> Response:
    try:
        read_json(request)
    except ServiceFault as fault:
        return json_error(fault)
    return Response(200, [], b"{}")


def test_a_body_over_the_cap_is_answered_without_waiting_for_it():
    server = HttpServer(capped_face, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with socket.create_connection(server.server_address[:2], timeout=20) as conn:
            conn.sendall(
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10737418240\r\n\r\n" + b"{" * 4096
            )
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
                chunk = conn.recv(65536)  # a server that reads the 10 GiB first never answers
                if not chunk:
                    break
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413")
        assert b"Connection: close" in head
        assert json.loads(body)["__type"] == "RequestEntityTooLarge"
    finally:
        server.shutdown()
        server.server_close()
