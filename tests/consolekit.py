"""What the console's tests share: a served face, plain HTTP, links, requests, Chromium.

The console is always reached over real HTTP on 127.0.0.1 (the project's own
``HttpServer``); a browser test drives Debian's Chromium headless, by ``--dump-dom`` or
through its DevTools protocol over a small WebSocket client, and skips with the reason
when no browser can be started.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from aws_sagemaker_remote.server.http import HttpServer

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ROLE = "arn:aws:iam::123456789012:role/console-test"


def job_request(
    name: str,
    *,
    inputs: list[tuple[str, str]] = (),
    outputs: list[tuple[str, str]] = (),
    tags: list[dict[str, str]] = (),
    environment: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A CreateProcessingJob request as the library builds one (the service model's shape)."""
    request: dict[str, Any] = {
        "ProcessingJobName": name,
        "ProcessingInputs": [
            {
                "InputName": input_name,
                "S3Input": {
                    "S3Uri": uri,
                    "LocalPath": f"/opt/ml/processing/input/{input_name}",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                },
            }
            for input_name, uri in inputs
        ],
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.t3.medium",
                "VolumeSizeInGB": 30,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "AppSpecification": {
            "ImageUri": IMAGE,
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/job.py"],
            "ContainerArguments": ["--sagemaker-run", "false"],
        },
        "Environment": environment or {"CONSOLE_TEST": "yes"},
        "RoleArn": ROLE,
        "Tags": list(tags),
    }
    if outputs:
        request["ProcessingOutputConfig"] = {
            "Outputs": [
                {
                    "OutputName": output_name,
                    "S3Output": {
                        "S3Uri": uri,
                        "LocalPath": f"/opt/ml/processing/output/{output_name}",
                        "S3UploadMode": "EndOfJob",
                    },
                }
                for output_name, uri in outputs
            ]
        }
    return request


def record(engine, name: str, status: str = "Completed", **request) -> dict:
    """A job as the engine records it (no runner: it never runs), ended with ``status``."""
    made = job_request(name, **request)
    engine.store.insert(name, made, docker=False, profile=None)
    if status != "InProgress":
        reason = "AlgorithmError: main failed on purpose" if status == "Failed" else None
        engine.store.finish(name, status, failure_reason=reason)
    return made


def record_many(engine, names_and_statuses: list[tuple[str, str]]) -> None:
    """Many ended jobs at once: the rows ``insert`` then ``finish`` leave, written in one
    transaction (a thousand separate synchronous commits take seconds on a busy disk)."""
    import sqlite3

    engine.store.count()  # the store creates its schema
    now = time.time()
    rows = []
    for offset, (name, status) in enumerate(names_and_statuses):
        created = now - len(names_and_statuses) + offset  # in the order given
        request = json.dumps(job_request(name))
        rows.append((name, request, status, created, created + 0.5, created + 0.5))
    with sqlite3.connect(engine.store.path) as db:
        db.executemany(
            "INSERT INTO jobs (name, request, status, creation_time, end_time, "
            "last_modified_time) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )


def put(key: str, data: bytes) -> None:
    """An object in the local store, written by the store itself."""
    from aws_sagemaker_remote.storage.localstore import LocalStore

    asyncio.run(LocalStore().put_bytes(key, data))


@contextmanager
def served(face) -> Iterator[str]:
    """``face`` on a free port of 127.0.0.1; yields the base URL (``http://127.0.0.1:N``)."""
    server = HttpServer(face, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(
    url: str, *, method: str = "GET", body: bytes | None = None, headers: dict | None = None
) -> Answer:
    """One request, redirects not followed, headers lower-cased."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        connection.close()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in ("a", "link") and values.get("href"):
            self.links.append(values["href"])
        if tag == "script" and values.get("src"):
            self.links.append(values["src"])
        if tag == "form":
            self.forms.append(values)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def token_of(html: str) -> str:
    """The CSRF token of the page's stop form."""
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def wait_for(predicate, *, deadline_s: float = 60, what: str = "the condition") -> Any:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {deadline_s} s")


# -- Chromium ---------------------------------------------------------------------------------

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium() -> str:
    """The browser's path, or a clean skip saying why there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium on this machine (apt-get install chromium)")


def run_chromium(profile: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done


def dump_dom(profile: Path, url: str, budget_ms: int = 3000) -> str:
    """The DOM after the page's scripts ran (``--virtual-time-budget`` lets timers fire)."""
    done = run_chromium(profile, f"--virtual-time-budget={budget_ms}", "--dump-dom", url)
    if done.returncode != 0 or "<html" not in done.stdout:
        pytest.skip(f"Chromium could not render a page: {done.stderr.strip()[-300:]}")
    return done.stdout


def screenshot(profile: Path, url: str, target: Path, size: str = "1280,900") -> None:
    done = run_chromium(profile, f"--screenshot={target}", f"--window-size={size}", url)
    assert target.is_file(), done.stderr[-500:]


class DevTools:
    """One headless Chromium and its first page, driven through the DevTools protocol."""

    def __init__(self, profile: Path):
        profile.mkdir(parents=True, exist_ok=True)
        self._log = open(profile.parent / f"{profile.name}-chromium.log", "wb")
        self.process = subprocess.Popen(
            [
                chromium(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        self._next_id = 0
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                pytest.skip("Chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().split("\n")[0])
        pages = wait_for(
            lambda: [t for t in self._targets(port) if t.get("type") == "page"],
            deadline_s=30,
            what="Chromium's first page",
        )
        self._socket = _websocket(pages[0]["webSocketDebuggerUrl"])

    @staticmethod
    def _targets(port: int) -> list[dict]:
        try:
            return json.loads(fetch(f"http://127.0.0.1:{port}/json/list").body)
        except OSError:
            return []

    def call(self, method: str, **params: Any) -> dict:
        self._next_id += 1
        ident = self._next_id
        _send_text(self._socket, json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(_receive_text(self._socket))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        """The expression's value; None while the page is between documents (navigating)."""
        try:
            result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        except RuntimeError:
            return None
        return result.get("result", {}).get("value")

    def open(self, url: str) -> None:
        """Navigate and wait until the page has loaded."""
        self.call("Page.navigate", url=url)
        wait_for(
            lambda: self.evaluate(f"location.href === {json.dumps(url)} && "
                                  "document.readyState === 'complete'"),
            deadline_s=30,
            what=f"loading {url}",
        )  # fmt: skip

    def close(self) -> None:
        sock = getattr(self, "_socket", None)
        if sock is not None:
            sock.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def _websocket(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise OSError("the DevTools socket closed during the handshake")
        head += chunk
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise OSError(f"DevTools refused the WebSocket: {head[:200]!r}")
    return sock


def _send_text(sock: socket.socket, text: str) -> None:
    payload = text.encode()
    mask = os.urandom(4)
    header = bytearray([0x81])
    if len(payload) < 126:
        header.append(0x80 | len(payload))
    elif len(payload) < 65536:
        header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
    else:
        header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(bytes(header) + mask + masked)


def _exactly(sock: socket.socket, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise OSError("the DevTools socket closed")
        data += chunk
    return bytes(data)


def _receive_text(sock: socket.socket) -> str:
    message = bytearray()
    while True:
        first, second = _exactly(sock, 2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack(">H", _exactly(sock, 2))[0]
        elif length == 127:
            length = struct.unpack(">Q", _exactly(sock, 8))[0]
        payload = _exactly(sock, length)
        opcode = first & 0x0F
        if opcode == 8:
            raise OSError("DevTools closed the WebSocket")
        if opcode in (0, 1, 2):
            message += payload
            if first & 0x80:
                return message.decode()
