"""Backends are opened in one place; the local engine needs no AWS at all."""

from aws_sagemaker_remote.submission.backends import open_backend
from aws_sagemaker_remote.submission.where import Where


def test_the_local_engine_opens_without_aws(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    backend = open_backend(local=True, host_credentials=True)
    assert backend.local
    assert backend.host_credentials is True
    assert backend.list_jobs() == []


def test_where_without_aws_has_no_session():
    where = Where("us-east-1", "000000000000")
    assert where.session is None
    assert where.notes == []
