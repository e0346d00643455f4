"""Issue 9: local jobs can be removed; pruning frees ended jobs and unreferenced staged trees."""

from __future__ import annotations

import pytest
from test_local_engine import (
    STORE,
    WAITING_SCRIPT,
    make_request,
    put_store,
    stage_script,
    store_file,
    unique,
    wait_status,
)

from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.backends.local.space import STAGING_TREES, parse_duration
from aws_sagemaker_remote.errors import UserError

pytestmark = pytest.mark.e2e  # real jobs, subprocesses or fault timeouts: seconds each


def finished_job(backend, code_uri: str) -> str:
    name = unique("space")
    backend.create_job(make_request(name, code_uri))
    assert wait_status(backend, name)["ProcessingJobStatus"] == "Completed"
    return name


def test_rm_removes_the_record_and_directory_and_refuses_a_running_job(tmp_path):
    backend = LocalBackend()
    done = finished_job(backend, stage_script(unique("t"), "print('ok')"))
    running = unique("running")
    code = stage_script(unique("t"), WAITING_SCRIPT)
    backend.create_job(make_request(running, code, args=[str(tmp_path / "never")]))
    try:
        with pytest.raises(UserError, match="stop it first"):
            backend.remove_jobs([done, running])
        assert backend.store.get(done) is not None  # refused: nothing removed
        backend.remove_jobs([done])
        assert backend.store.get(done) is None
        assert not backend.store.job_dir(done).exists()
    finally:
        backend.stop_job(running)
        wait_status(backend, running)


def test_prune_keeps_the_newest_and_the_trees_jobs_still_use():
    backend = LocalBackend()
    for record in backend.store.all():  # earlier tests' ended jobs
        if record.status not in ("InProgress", "Stopping"):
            backend.remove_jobs([record.name])
    kept_tree, unused_tree = unique("kept"), unique("unused")
    put_store(f"staging/trees/{kept_tree}/job.py", "print('kept')")
    put_store(f"staging/trees/{unused_tree}/job.py", "print('unused')")
    older = finished_job(backend, f"{STORE}/staging/trees/{unused_tree}/")
    newer = finished_job(backend, f"{STORE}/staging/trees/{kept_tree}/")

    said = backend.prune(keep=1)

    assert backend.store.get(older) is None and backend.store.get(newer) is not None
    assert store_file(f"staging/trees/{kept_tree}/job.py").exists()
    assert not store_file(f"staging/trees/{unused_tree}/job.py").exists()
    assert said.startswith("removed 1 jobs")
    assert STAGING_TREES.endswith("/staging/trees/")


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("7d", 604800)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds
