"""A local engine of the test's own: its job store (and local store) under tmp_path, jobs
recorded in it as ``create_job`` records them (``consolekit.record``), no runner started."""

from __future__ import annotations

import pytest


@pytest.fixture()
def engine(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    from aws_sagemaker_remote.backends.local import LocalBackend

    return LocalBackend()
