"""The one HTTP layer every face of ``serve`` (and the console) is written against.

A face is a function ``Request -> Response``; it never touches sockets. This module reads
requests off the wire (Content-Length or chunked bodies, ``Expect: 100-continue``), hands
them to the face, and writes what it returns (bytes, or an iterable of chunks with a
Content-Length, so a large object streams from disk). It knows no AWS protocol: each
face renders its own service's error shape, and a face that raises anyway gets a bare 500
with no traceback (the traceback goes to the server's log stream, ``on_error``).
"""

from __future__ import annotations

import http.server
import io
import socketserver
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message
from typing import BinaryIO, Callable, Protocol
from urllib.parse import parse_qsl, urlsplit


class BodyError(Exception):
    """The request's body could not be read: too large, malformed, or the client went away."""


class Body(Protocol):
    """A request's body as a face reads it (the socket's, or bytes read already)."""

    @property
    def finished(self) -> bool: ...  # all of it read
    def read(self, size: int = -1) -> bytes: ...
    def drain(self) -> None: ...


class _LimitedBody:
    """A request body read from the socket: at most ``length`` bytes, or chunked."""

    def __init__(self, stream: BinaryIO | io.BufferedIOBase, length: int | None, chunked: bool):
        self._stream = stream
        self._left = length or 0
        self._chunked = chunked
        self._chunk_left = 0
        self._done = not chunked and not length

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        if self._chunked:
            return self._read_chunked(size)
        want = self._left if size < 0 else min(size, self._left)
        data = self._stream.read(want)
        if len(data) < want:
            raise BodyError(f"the client sent {len(data)} of {want} bytes and stopped")
        self._left -= len(data)
        self._done = self._left == 0
        return data

    def _read_chunked(self, size: int) -> bytes:
        if self._chunk_left == 0:
            line = self._stream.readline(1024)
            try:
                self._chunk_left = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BodyError("a malformed chunk size in a chunked body") from None
            if self._chunk_left == 0:  # last chunk: skip trailers up to the empty line
                while self._stream.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass
                self._done = True
                return b""
        want = self._chunk_left if size < 0 else min(size, self._chunk_left)
        data = self._stream.read(want)
        if len(data) < want:
            raise BodyError("the client stopped in the middle of a chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self._stream.readline(16)  # the CRLF after the chunk
        return data

    @property
    def finished(self) -> bool:
        """Whether the whole body has been read."""
        return self._done

    def drain(self) -> None:
        """Read what is left, so the connection can carry the next request."""
        while self.read(1024 * 1024):
            pass


@dataclass
class Request:
    """One HTTP request as a face sees it; the body is read from the socket on demand."""

    method: str
    path: str  # as sent: percent-encoded, without the query
    query: list[tuple[str, str]]  # decoded, blank values kept, in order
    headers: Message  # case-insensitive ``get``
    body: Body
    content_length: int | None
    client: str  # the peer's address

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        for key, value in self.query:
            if key == name:
                return value
        return default

    def read_all(self, limit: int) -> bytes:
        """The whole body; BodyError past ``limit`` bytes (a face's own cap on bodies)."""
        if self.content_length is not None and self.content_length > limit:
            raise BodyError(f"the body is {self.content_length} bytes; at most {limit} taken")
        data = bytearray()
        while chunk := self.body.read(1024 * 1024):
            data += chunk
            if len(data) > limit:
                raise BodyError(f"the body is over {limit} bytes")
        return bytes(data)


@dataclass
class Response:
    """What a face answers: status, headers and a body of bytes or of chunks."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None  # Content-Length for an iterable body, or for HEAD; else chunked
    close: bool = False  # close the connection after it, leaving the request's body unread


Face = Callable[[Request], Response]


def _report(text: str) -> None:
    sys.stderr.write(text)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: SDKs reuse connections
    server: HttpServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout_s)  # silent this long: gone

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base's name
        pass  # one line per request would drown the server's own output

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length_text = self.headers.get("Content-Length")
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        try:
            length = int(length_text) if length_text is not None and not chunked else None
            if length is not None and length < 0:
                raise ValueError
        except ValueError:
            self.send_error(400, "bad Content-Length")
            self.close_connection = True
            return
        body = _LimitedBody(self.rfile, length, chunked)
        request = Request(
            method=self.command,
            path=url.path,
            query=parse_qsl(url.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            content_length=length,
            client=self.client_address[0],
        )
        try:
            response = self.server.face(request)
        except (BodyError, TimeoutError, ConnectionError):
            self.close_connection = True  # the client went away or stalled: framing is lost
            return
        except Exception:  # a face's bug: no traceback to the client, one to the log
            self.server.on_error(traceback.format_exc())
            self.close_connection = True
            response = Response(500, [("Content-Type", "text/plain")], b"internal error\n")
        if response.close and not body.finished:
            self.close_connection = True  # e.g. a refused 5 GiB body: not worth reading
        else:
            try:
                body.drain()
            except (BodyError, OSError):
                self.close_connection = True
                return
        self._write(response)

    def _write(self, response: Response) -> None:
        body = response.body
        length = response.length  # a HEAD answer gives the length of the body it omits
        if length is None and isinstance(body, (bytes, bytearray)):
            length = len(body)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            if isinstance(body, (bytes, bytearray)):
                self.wfile.write(body)
            elif length is None:
                for chunk in body:
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            else:
                for chunk in body:
                    self.wfile.write(chunk)
        except OSError:
            self.close_connection = True  # the client went away mid-response
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _serve


class HttpServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """A threaded HTTP/1.1 server answering every request with ``face``."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # many concurrent clients (s5cmd opens dozens of connections)

    def __init__(
        self,
        face: Face,
        host: str = "127.0.0.1",
        port: int = 0,
        on_error: Callable[[str], None] = _report,
        idle_timeout_s: float = 300.0,
    ):
        """``idle_timeout_s``: how long a connection may stay silent (between requests, or
        in the middle of a body) before it is closed, so a stalled client holds no thread
        and no half-written upload for ever."""
        self.face = face
        self.on_error = on_error
        self.idle_timeout_s = idle_timeout_s
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"
