"""Large objects as ranged GETs of signed URLs, each range read into one reused buffer.

obstore's byte stream hands Python a new ``bytes`` per chunk, zeroed and then filled: two
more passes over the data, and fresh pages to fault in. For a 1 GiB download that was
most of the CPU we spent beyond s5cmd, which on a busy machine is wall time. Here the
standard library's http.client reads each range straight into a 256 KiB buffer that is
written out and reused, as s5cmd does. obstore still signs every request, with the
store's credentials, endpoint and addressing; small objects, where the cost is per
request, not per byte, stay with obstore.

Faults are handled as obstore handles them, with the same :class:`TransferConfig`
figures: a dropped connection, a timeout, a 5xx or a 429 retries the range from its last
written byte, at most ``max_retries`` times and none started ``retry_timeout_s`` after the
last byte arrived (or the first attempt), so a frozen endpoint still fails within a
minute, mid-body too (:meth:`TransferConfig.stall_limit_s`). A range that moved on since
its last fault counts afresh: a long download on a flaky link is not failed for faults it
got through minutes apart. A connection through a proxy stays with obstore,
which speaks to proxies.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .store import write_at

_BUFFER = 256 * 1024  # fits a core's cache: filled from the socket, written out, reused
_REPORT = 4 * 1024 * 1024  # progress is told every this many bytes, not per buffer
_RETRIED_STATUS = {429, 500, 502, 503, 504}
_TLS: list[Any] = []  # one ssl context per process: loading the CA file costs milliseconds


class GivenUp(Exception):
    """The download this range belongs to has failed or was cancelled elsewhere."""


class _Transient(Exception):
    """A fault worth another attempt (the endpoint's or the network's, not ours)."""


def direct(url: str) -> bool:
    """Whether ``url`` is reached without a proxy, as botocore decides it (urllib's rules:
    ``HTTPS_PROXY``, ``NO_PROXY`` and the like, or the system's settings on macOS and
    Windows)."""
    from urllib.request import getproxies, proxy_bypass

    parts = urlsplit(url)
    proxies = getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return True
    return bool(proxy_bypass(parts.hostname or ""))


class RangedGet:
    """Ranges of one object; ``sign()`` gives a fresh signed URL for each attempt."""

    def __init__(self, sign: Callable[[], str], config) -> None:
        self.sign = sign
        self.config = config

    def fetch(self, fd: int, path: str, start: int, end: int, moved: Callable[[int], None],
              stop: threading.Event) -> None:  # fmt: skip
        """Bytes ``start:end`` of the object into ``fd`` (the file ``path``) at ``start``,
        resuming after faults."""
        config = self.config
        buffer = memoryview(bytearray(_BUFFER))
        offset, unreported, attempt = start, 0, 0
        resumed, moving = start, time.monotonic()  # where and when the last bytes came
        while offset < end:
            try:
                response, connection = self._request(offset, end)
                try:
                    while offset < end:
                        if stop.is_set():
                            raise GivenUp()
                        n = _read(response, buffer)
                        if not n:
                            raise _Transient(f"the connection closed at byte {offset} of {end}")
                        offset = write_at(fd, buffer[:n], offset, path)
                        unreported += n
                        moving = time.monotonic()
                        if unreported >= _REPORT:
                            moved(unreported)
                            unreported = 0
                finally:
                    connection.close()
            except _Transient as fault:
                if offset > resumed:  # it moved on since the last fault: a fresh count
                    resumed, attempt = offset, 0
                attempt += 1
                late = time.monotonic() - moving > config.retry_timeout_s
                if attempt > config.max_retries or late:
                    raise OSError(f"{fault} (after {attempt} attempts)") from None
                time.sleep(min(config.max_backoff_s, 0.1 * 2 ** (attempt - 1)))
        if unreported:
            moved(unreported)

    def _request(self, start: int, end: int):
        """A connection and its answer, ready to read, for bytes ``start:end``."""
        import http.client

        url = urlsplit(self.sign())
        if url.scheme == "https":
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                url.hostname or "", url.port, timeout=self.config.connect_timeout_s,
                context=_tls(),
            )  # fmt: skip
        else:
            connection = http.client.HTTPConnection(
                url.hostname or "", url.port, timeout=self.config.connect_timeout_s
            )
        try:
            connection.connect()
            assert connection.sock is not None
            connection.sock.settimeout(self.config.read_timeout_s)
            target = url.path + (f"?{url.query}" if url.query else "")
            connection.request("GET", target, headers={"Range": f"bytes={start}-{end - 1}"})
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise _Transient(_said(error)) from None
        except BaseException:
            connection.close()
            raise
        try:
            _check(response, start, end)  # outside the above: what it refuses is not retried
        except BaseException:
            connection.close()
            raise
        return response, connection


def _read(response, buffer: memoryview) -> int:
    import http.client

    try:
        return response.readinto(buffer)
    except (OSError, http.client.HTTPException) as error:
        raise _Transient(_said(error)) from None


def _check(response, start: int, end: int) -> None:
    """The answer holds bytes ``start:end``, or says why not (the statuses S3 gives)."""
    status = response.status
    if status == 206 and response.getheader("Content-Length") == str(end - start):
        if (response.getheader("Content-Range") or "").startswith(f"bytes {start}-{end - 1}/"):
            return
    error = _s3_error(response.read(64 * 1024))
    said = f"{status} {response.reason}" + (f": {error}" if error else "")
    if status in _RETRIED_STATUS:
        raise _Transient(said)
    if status == 403:
        raise PermissionError(said)
    if status == 404:
        raise FileNotFoundError(said)
    if status in (200, 206):  # another range than asked for: never written in place
        raise OSError(f"the server answered {status} with another range than bytes {start}-")
    raise OSError(said)


def _s3_error(body: bytes) -> str:
    """``Code: Message`` of an S3 error document, or ''."""
    text = body.decode("utf-8", "replace")
    code = re.search(r"<Code>([^<]*)</Code>", text)
    message = re.search(r"<Message>([^<]*)</Message>", text)
    return ": ".join(m.group(1) for m in (code, message) if m)


def _said(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _tls():
    """The CA bundle AWS tools are told to use (``AWS_CA_BUNDLE``), else the system's."""
    if not _TLS:
        import ssl

        _TLS.append(ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None))
    return _TLS[0]
