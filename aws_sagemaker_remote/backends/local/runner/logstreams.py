"""Log streams of local jobs: one file of JSON lines per instance, named as on SageMaker.

SageMaker writes each instance's output to the CloudWatch stream
``<job-name>/algo-<n>-<epoch-seconds>``; the local engine writes it to
``<job dir>/logs/algo-<n>-<epoch-seconds>.jsonl``, one ``{"t": <ms>, "m": <line>}`` per
line. A reader's cursor is the byte offset just after the last complete line it got, so
tailing is a seek and a read, and a line still being written is never returned half.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

from ... import LogEvent, LogPage

_STREAM_FILE = re.compile(r"algo-(\d+)-(\d+)\.jsonl")


def stream_name(job_name: str, instance: int, epoch_seconds: int) -> str:
    return f"{job_name}/algo-{instance}-{epoch_seconds}"


def logs_dir(job_dir: Path) -> Path:
    return job_dir / "logs"


def stream_file(job_dir: Path, stream: str) -> Path:
    """The file of ``stream`` (``<job>/algo-<n>-<epoch>``) in ``job_dir``."""
    return logs_dir(job_dir) / (stream.partition("/")[2] + ".jsonl")


def list_streams(job_name: str, job_dir: Path) -> list[str]:
    """Stream names of a job, by instance number (algo-2 before algo-10)."""
    found = []
    folder = logs_dir(job_dir)
    if folder.is_dir():
        for path in folder.iterdir():
            match = _STREAM_FILE.fullmatch(path.name)
            if match:
                found.append((int(match.group(1)), int(match.group(2)), path.name[:-6]))
    return [f"{job_name}/{name}" for _, _, name in sorted(found)]


def read_page(path: Path, cursor: str | None) -> LogPage:
    """Complete lines of ``path`` after byte offset ``cursor``; the returned cursor follows them."""
    offset = int(cursor) if cursor else 0
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return LogPage([], str(offset))
    end = data.rfind(b"\n") + 1
    events = []
    for raw in data[:end].splitlines():
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            events.append(LogEvent(int(item["t"]), str(item["m"])))
        except (ValueError, KeyError, TypeError):
            events.append(LogEvent(0, raw.decode("utf-8", "replace")))
    return LogPage(events, str(offset + end))


class StreamWriter:
    """Appends lines to one stream file; safe to share between the stdout and stderr readers."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "ab")
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        record = json.dumps({"t": int(time.time() * 1000), "m": line}, ensure_ascii=False)
        with self._lock:
            self._file.write(record.encode("utf-8") + b"\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()
