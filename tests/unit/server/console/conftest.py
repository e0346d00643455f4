"""A local engine of the test's own (its job store and local store under tmp_path), with
jobs recorded in its SQLite store as ``create_job`` records them, and the console over it."""

from __future__ import annotations

import pytest
from consolekit import served

from aws_sagemaker_remote.server.console import LocalSource, console_face


@pytest.fixture()
def engine(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    from aws_sagemaker_remote.backends.local import LocalBackend

    return LocalBackend()


@pytest.fixture()
def console(engine):
    with served(console_face(LocalSource(engine), read_only=False)) as base:
        yield base
