"""Waiting for a job writes its status lines to the stderr of the moment, not to the one
there was when the module was first imported.

``follow_job`` and ``wait_job`` take ``out=sys.stderr`` as a default argument, which
Python evaluates once, at import. A program that redirects stderr later (a notebook,
``contextlib.redirect_stderr``, a logging wrapper) still gets the status lines on the old
stream; a stream closed since (a test's capture) makes a waited run fail with
"I/O operation on closed file" once the job has already been created.
"""

from __future__ import annotations

import contextlib
import io

from unit.submission.memory import MemoryBackend, description

from aws_sagemaker_remote.cli.follow import follow_job


def test_status_lines_go_to_the_stderr_in_place_when_waiting():
    backend = MemoryBackend()
    backend.add(description("j", "InProgress"), "Completed", logs=["hello"])
    now = io.StringIO()
    with contextlib.redirect_stderr(now):
        final = follow_job(backend, "j", poll_seconds=0.001)
    assert final["ProcessingJobStatus"] == "Completed"
    assert "Completed" in now.getvalue() and "hello" in now.getvalue()
