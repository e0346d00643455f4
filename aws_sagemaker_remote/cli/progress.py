"""Drawing transfer progress on stderr: the storage layer counts, this module prints.

On a terminal, a live line redrawn at most every 0.1 s. Anywhere else (a CI log, a file,
a pipe), a plain line at most every 10 s, so a long transfer is visibly alive without
flooding the log, and a short one prints nothing but its summary.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

TERMINAL_EVERY_S = 0.1
PLAIN_EVERY_S = 10.0


def _is_tty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressPrinter:
    """A callback for :class:`~aws_sagemaker_remote.storage.transfer.TransferProgress`."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.out = out if out is not None else sys.stderr
        self.tty = _is_tty(self.out) if tty is None else tty
        self.every_s = TERMINAL_EVERY_S if self.tty else PLAIN_EVERY_S
        self.clock = clock
        self.last = clock()
        self.drawn = False

    def __call__(self, event) -> None:
        now = self.clock()
        if event.final:
            if self.drawn and self.tty:
                self.out.write(f"\r{self.line(event)}\n")
                self.out.flush()
            return
        if now - self.last < self.every_s:
            return
        self.last = now
        self.drawn = True
        text = self.line(event)
        self.out.write(f"\r{text}  " if self.tty else f"{text}\n")
        self.out.flush()

    @staticmethod
    def line(event) -> str:
        return str(event)
