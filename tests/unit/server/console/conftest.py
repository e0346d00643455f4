"""The console over the test's own local engine (``engine``, of tests/unit/server)."""

from __future__ import annotations

import pytest
from consolekit import served

from aws_sagemaker_remote.server.console import LocalSource, console_face


@pytest.fixture()
def console(engine):
    with served(console_face(LocalSource(engine), read_only=False)) as base:
        yield base
