"""Local jobs can be removed; pruning frees ended jobs, unreferenced staged trees
and the cached environments no remaining job ran in."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from e2e.test_local_engine import (
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
from aws_sagemaker_remote.backends.local.caches.venvs import (
    COMPLETE,
    envs_dir,
    lock_path,
    shared_layer,
)
from aws_sagemaker_remote.backends.local.submitting.space import STAGING_TREES, parse_duration
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

    pruned = backend.prune(keep=1)

    assert backend.store.get(older) is None and backend.store.get(newer) is not None
    assert store_file(f"staging/trees/{kept_tree}/job.py").exists()
    assert not store_file(f"staging/trees/{unused_tree}/job.py").exists()
    assert pruned.jobs == (older,) and pruned.trees >= 1 and not pruned.dry_run
    assert STAGING_TREES.endswith("/staging/trees/")


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("7d", 604800)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def built_environment(tmp_path, envs, marker: str, keep_lease: bool = False):
    """A real cached environment of its own (uv builds it), keyed by a requirements file
    that installs nothing; its lease, if kept (as a running job holds it)."""
    requirements = tmp_path / f"{marker}.txt"
    requirements.write_text(f"# {marker}\n")
    minor = ".".join(str(n) for n in sys.version_info[:2])
    layer, _, lease = shared_layer(envs, minor, requirements, say=print, log=print, key=b"k" * 32)
    if not keep_lease:
        lease.close()
        lease = None
    return layer, lease


def test_prune_removes_the_environments_no_remaining_job_ran_in(tmp_path):
    backend = LocalBackend()
    kept = finished_job(backend, stage_script(unique("t"), "print('kept')"))
    used = Path(backend.describe_job(kept)["LocalEngine"]["Environment"])
    envs = envs_dir(backend.store.root)
    unused, _ = built_environment(tmp_path, envs, "unused")
    leased, lease = built_environment(tmp_path, envs, "leased", keep_lease=True)
    try:
        pruned = backend.prune(keep=1)
        assert backend.store.get(kept) is not None
        assert (used / "bin" / "python").exists()  # the kept job ran in it
        assert not unused.exists() and not lock_path(unused).exists()
        assert (leased / "bin" / "python").exists()  # a running job holds it
        assert pruned.environments == (unused.name,)
    finally:
        lease.close()


def test_prune_older_than_removes_environments_by_their_last_use(tmp_path):
    backend = LocalBackend()
    envs = envs_dir(backend.store.root)
    recent, _ = built_environment(tmp_path, envs, "recent")
    stale, _ = built_environment(tmp_path, envs, "stale")
    two_hours_ago = time.time() - 7200
    os.utime(stale / COMPLETE, (two_hours_ago, two_hours_ago))

    pruned = backend.prune(older_than=3600)

    assert (recent / "bin" / "python").exists() and not stale.exists()
    assert stale.name in pruned.environments and recent.name not in pruned.environments
    # taking an environment is a use: it counts from then
    os.utime(recent / COMPLETE, (two_hours_ago, two_hours_ago))
    built_environment(tmp_path, envs, "recent")
    backend.prune(older_than=3600)
    assert (recent / "bin" / "python").exists()
