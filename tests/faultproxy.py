"""A small HTTP fault proxy on 127.0.0.1, in front of moto server's S3.

Requests are read whole (head and Content-Length or chunked body), then either forwarded
to the upstream server over a connection of their own or answered with a fault:

- ``"503"``: an S3 "SlowDown" answer, as S3 gives under load (clients retry it);
- ``"reset"``: the connection is reset (TCP RST) after the request was read;
- ``"stall"``: the request is read and never answered, the connection kept open;
- ``"cut"``: the upstream's answer is forwarded up to half its length, then the connection
  is closed (a body that breaks off mid-way);
- ``"freeze"``: the same half, then nothing more with the connection kept open (a body
  that stalls mid-way);
- ``"403"``: an S3 "AccessDenied" answer; ``"400"``: an "InvalidArgument" one.

``ProxyRules.every`` picks which requests get a fault deterministically (every n-th
request matching a predicate), so a test never depends on chance. Every request is
recorded as (method, path and query) in ``requests``, and its Range header (or None) in
``ranges``; a request whose upstream answer was passed back whole is recorded in
``answered`` too (the server has finished with it).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Request = tuple[str, str]  # (method, target)
_ANSWERS = {  # fault -> (status line, S3 error document)
    kind: (status, b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>%s</Code>"
           b"<Message>%s</Message></Error>" % (code, message))
    for kind, status, code, message in [
        ("503", b"503 Slow Down", b"SlowDown", b"Please reduce your request rate."),
        ("403", b"403 Forbidden", b"AccessDenied", b"Access Denied"),
        ("400", b"400 Bad Request", b"InvalidArgument", b"Invalid Argument"),
    ]
}  # fmt: skip


@dataclass
class Rule:
    kind: str  # "503", "reset", "stall", "cut", "freeze", "403", "400"
    every: int = 1  # the n-th, 2n-th, ... matching request gets the fault
    match: Callable[[str, str], bool] = lambda method, target: True
    limit: int | None = None  # at most this many faults, then pass everything
    seen: int = 0
    given: int = 0


@dataclass
class FaultProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    ranges: list[str | None] = field(default_factory=list)
    answered: list[Request] = field(default_factory=list)

    def __post_init__(self):
        parts = urlsplit(self.upstream)
        self._up = (parts.hostname, parts.port)
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(128)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    # control ----------------------------------------------------------------------------
    def add(self, kind: str, every: int = 1, match=None, limit: int | None = None) -> Rule:
        rule = Rule(kind, every, match or (lambda method, target: True), limit)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def count(self, method: str, contains: str = "") -> int:
        with self._lock:
            return sum(1 for m, t in self.requests if m == method and contains in t)

    def close(self) -> None:
        self._closed.set()
        for sock in [self._server, *self._sockets]:
            try:
                sock.close()
            except OSError:
                pass

    # serving ----------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self._sockets.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _fault_for(self, method: str, target: str, head: bytes) -> str | None:
        found = [line for line in head.split(b"\r\n") if line.lower().startswith(b"range:")]
        with self._lock:
            self.requests.append((method, target))
            self.ranges.append(found[0].split(b":", 1)[1].strip().decode() if found else None)
            for rule in self.rules:
                if not rule.match(method, target):
                    continue
                if rule.limit is not None and rule.given >= rule.limit:
                    continue
                rule.seen += 1
                if rule.seen % rule.every == 0:
                    rule.given += 1
                    return rule.kind
        return None

    def _serve(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        try:
            while not self._closed.is_set():
                request = _read_message(reader, request=True)
                if request is None:
                    return
                head, body, method, target = request
                fault = self._fault_for(method, target, head)
                if fault == "stall":
                    self._closed.wait()
                    return
                if fault == "reset":
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                if fault in _ANSWERS:
                    status, text = _ANSWERS[fault]
                    client.sendall(
                        b"HTTP/1.1 %s\r\nContent-Type: application/xml\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (status, len(text), text)
                    )
                    continue
                if fault in ("cut", "freeze"):
                    answer = self._forward(head, body, method)
                    client.sendall(answer[: len(answer) // 2])
                    if fault == "freeze":
                        self._closed.wait()
                    else:
                        client.shutdown(socket.SHUT_WR)  # all of that half arrives, then the end
                    return
                client.sendall(self._forward(head, body, method))
                with self._lock:
                    self.answered.append((method, target))
        except OSError:
            return
        finally:
            try:
                client.close()
            except OSError:
                pass

    def _forward(self, head: bytes, body: bytes, method: str) -> bytes:
        with socket.create_connection(self._up, timeout=120) as upstream:
            upstream.sendall(head + body)
            reader = upstream.makefile("rb")
            answer = _read_message(reader, request=False, method=method)
            while answer is not None and answer[0].startswith(b"HTTP/1.1 1"):
                # "100 Continue" to an Expect header: the client sent its body already
                answer = _read_message(reader, request=False, method=method)
        if answer is None:
            return b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
        return answer[0] + answer[1]


def _read_message(reader, *, request: bool, method: str = "GET"):
    """(head, body, method, target) of one HTTP message; None at end of stream."""
    lines = []
    while True:
        line = reader.readline(65536)
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            if lines:
                break
            continue
        lines.append(line)
    first = lines[0].decode("latin-1").split()
    headers = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    head = b"".join(lines) + b"\r\n"
    no_body = not request and (
        method == "HEAD" or first[1] in ("204", "304") or first[1].startswith("1")
    )
    if no_body:
        body = b""
    elif "content-length" in headers:
        body = _read_exactly(reader, int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = _read_chunked(reader)
    elif request:
        body = b""
    else:
        body = reader.read()
    if request:
        return head, body, first[0], first[1]
    return head, body, "", ""


def _read_exactly(reader, n: int) -> bytes:
    data = reader.read(n)
    if len(data) != n:
        raise OSError("connection closed mid-body")
    return data


def _read_chunked(reader) -> bytes:
    out = []
    while True:
        size_line = reader.readline(65536)
        out.append(size_line)
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while True:
                trailer = reader.readline(65536)
                out.append(trailer)
                if trailer in (b"\r\n", b"\n", b""):
                    return b"".join(out)
        out.append(_read_exactly(reader, size + 2))


def wait_for(condition: Callable[[], bool], deadline_s: float = 60.0) -> None:
    """Poll ``condition`` until it holds; AssertionError after the deadline."""
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.02)
