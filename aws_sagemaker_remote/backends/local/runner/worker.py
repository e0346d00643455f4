"""One instance's process, seen from the runner: started, read, signalled, collected.

A worker is the entrypoint of one instance ``algo-<i>`` in a process group of its own (and,
where Linux allows, namespaces of its own: :mod:`.sandbox`), so a stop reaches everything
it started. Its stdout and stderr share one pipe, as a container's do on one terminal, so
the log stream keeps the order they were written in (two pipes read by two threads put a
print in the middle of a traceback); the last lines are kept for the failure reason of a
job that ends with an AlgorithmError. The runner (:mod:`.runner`) decides when; this
module knows how.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections import deque
from pathlib import Path

from ..isolation.sandbox import STATUS_FILE
from .logstreams import StreamWriter

TAIL_LINES = 10


class JobError(Exception):
    """The job cannot go on, for a reason SageMaker would give as a ClientError."""


def exit_status(returncode: int) -> int:
    """A process killed by signal N exits 128+N, as a container's main process does."""
    return 128 - returncode if returncode < 0 else returncode


class Worker:
    """One instance's process, its log stream, and the last lines it printed."""

    def __init__(
        self, host: str, opt_ml: Path, command: list[str], env: dict, cwd: Path, log: Path
    ):
        self.host = host
        self.opt_ml = opt_ml
        self.cwd = cwd
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)  # stdout and stderr, in order
        self.log = StreamWriter(log)
        try:
            self.proc = subprocess.Popen(
                command,
                env=env,
                cwd=str(cwd),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            self.log.close()
            raise JobError(f"{host} could not start {command[0]!r}: {error}") from error
        self.readers = [threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True)]
        for reader in self.readers:
            reader.start()

    def _pump(self, pipe) -> None:
        """Every line into the log stream; on a full disk the lines that do not fit are
        lost, but the pipe is still drained (else the job would block on its next print)
        and the last lines still kept for the failure reason."""
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            try:
                self.log.write(line)
            except OSError:
                pass  # the runner says why when the job ends (a full disk is its reason)
            self.tail.append(line)
        pipe.close()

    @property
    def returncode(self) -> int:
        """The entrypoint's own: in namespaces, as nsinit recorded it (an init cannot die of
        a signal to say so); -N when killed by signal N."""
        try:
            status = int((self.cwd / STATUS_FILE).read_text())
        except (OSError, ValueError):
            return self.proc.returncode
        if os.WIFSIGNALED(status):
            return -os.WTERMSIG(status)
        return os.WEXITSTATUS(status)

    def signal(self, signum: int) -> None:
        try:
            os.killpg(self.proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def finish(self) -> None:
        self.proc.wait()
        for reader in self.readers:
            reader.join(timeout=5)
        try:
            self.log.close()
        except OSError:
            pass  # what a full disk kept from the stream is all there is
