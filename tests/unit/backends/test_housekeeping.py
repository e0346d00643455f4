"""What only an engine on this machine offers answers with data, not sentences: the local
engine is a LocalOperations and SageMaker is not; on an empty engine each operation says
"nothing" in numbers."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.backends.housekeeping import LocalOperations, Pruned, Removed, Space
from aws_sagemaker_remote.errors import NotFound

from ..submission.memory import MemoryBackend


@pytest.fixture()
def engine(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(tmp_path / "state"))
    from aws_sagemaker_remote.backends.local import LocalBackend

    return LocalBackend()


def test_only_the_local_engine_offers_local_operations(engine):
    from aws_sagemaker_remote.backends.sagemaker import SageMakerBackend

    assert isinstance(engine, LocalOperations) and engine.local
    sagemaker = SageMakerBackend(None)
    assert not isinstance(sagemaker, LocalOperations) and not sagemaker.local
    assert not isinstance(MemoryBackend(local=True), LocalOperations)


def test_space_totals_its_parts():
    space = Space("/state", {"jobs": 3, "environments": 4, "store": 0, "bytecode": 1})
    assert space.total_bytes == 8
    assert Space("/state").total_bytes == 0


def test_an_empty_engine_holds_little_and_frees_nothing(engine):
    space = engine.space()
    assert space.root == str(engine.store.root)
    assert set(space.parts) == {"jobs", "environments", "store", "bytecode"}
    assert engine.count_jobs() == 0
    assert engine.remove_jobs([]) == Removed((), 0)
    assert engine.prune() == Pruned((), 0)
    assert engine.prune(keep=2, older_than=60, dry_run=True) == Pruned((), 0, dry_run=True)


def test_removing_a_job_that_does_not_exist_is_refused(engine):
    with pytest.raises(NotFound) as caught:
        engine.remove_jobs(["no-such-job"])
    assert caught.value.field == "job_name" and "no-such-job" in caught.value.message
