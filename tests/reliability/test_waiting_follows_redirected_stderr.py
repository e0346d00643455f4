"""Waiting for a job writes its status lines to the stderr of the moment, not to the one
there was when the module was first imported.

A default argument ``out=sys.stderr`` is evaluated once, at import. A program that
redirects stderr later (a notebook, ``contextlib.redirect_stderr``, a logging wrapper)
would still get the status lines on the old stream; a stream closed since (a test's
capture) would make a waited run fail with "I/O operation on closed file" once the job
has already been created. The command line's Printer looks stderr up as it prints.
"""

from __future__ import annotations

import contextlib
import io

from unit.submission.memory import MemoryBackend, description

from aws_sagemaker_remote.cli.follow import Printer, follow
from aws_sagemaker_remote.submission.handle import Job


def test_status_lines_go_to_the_stderr_in_place_when_waiting():
    backend = MemoryBackend()
    backend.add(description("j", "InProgress"), "Completed", logs=["hello"])
    printer = Printer()  # made before stderr is redirected
    now = io.StringIO()
    with contextlib.redirect_stderr(now):
        final = follow(Job("j", backend, on_event=printer), poll_seconds=0.001)
    assert final["ProcessingJobStatus"] == "Completed"
    assert "Completed" in now.getvalue() and "hello" in now.getvalue()
