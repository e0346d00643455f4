"""`jobs prune` beside running submissions, and what it says it frees.

A submission staging into the local store holds its trees (a lease) until its job is
recorded: a prune meanwhile keeps them (no recorded job references them yet) and removes
the rest; a killed submission's lease holds nothing. What a prune reports freed is what
the disk gets back: each inode once, a hard-linked file only once its last link goes.
``--dry-run`` says the same and removes nothing. A failure on the store's side names the
store, not the user's file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from e2e.test_local_engine import STORE, make_request, put_store, store_file, unique, wait_status
from faultproxy import wait_for

from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.errors import ServiceError
from aws_sagemaker_remote.storage.staging import upload_trees
from aws_sagemaker_remote.storage.trees import scan_tree, tree_uri

from .conftest import kill_when, make_dir

pytestmark = pytest.mark.e2e  # real local jobs and subprocesses

ROOT = f"{STORE}/staging"
STAGING = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from aws_sagemaker_remote.storage.leases import tree_lease
    from aws_sagemaker_remote.storage.staging import upload_trees
    from aws_sagemaker_remote.storage.trees import scan_tree

    tree = scan_tree(sys.argv[1])
    with tree_lease([tree.digest]):  # as a submission holds it, until its job exists
        upload_trees([tree], sys.argv[2], progress=False)
        Path(sys.argv[3]).touch()
        while not Path(sys.argv[4]).exists():
            time.sleep(0.02)
    """
)


def prune_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "prune", "--local", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_prune_keeps_the_trees_of_a_submission_whose_job_is_not_recorded_yet(tmp_path):
    data = make_dir(tmp_path / "data", 5)
    tree = scan_tree(data)
    unused = unique("unused")
    put_store(f"staging/trees/{unused}/x.txt", "no job, no submission: pruned")
    staged, go = tmp_path / "staged", tmp_path / "go"
    child = subprocess.Popen([sys.executable, "-c", STAGING, str(data), ROOT, staged, go])
    try:
        wait_for(lambda: staged.exists() or child.poll() is not None)
        assert child.poll() is None
        done = prune_cli()
        assert done.returncode == 0, done.stderr
        assert "1 staged trees" in done.stderr
        assert not store_file(f"staging/trees/{unused}").exists()
        for entry in tree.entries:  # its job is not recorded yet: nothing of it goes
            assert store_file(f"staging/trees/{tree.digest}/{entry.relpath}").exists()
        go.touch()
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            kill_when(child, lambda: True)
    done = prune_cli()  # the submission is over, and no job references the tree
    assert done.returncode == 0 and "1 staged trees" in done.stderr, done.stderr
    assert not store_file(f"staging/trees/{tree.digest}").exists()


def test_the_lease_of_a_killed_submission_holds_nothing(tmp_path):
    data = make_dir(tmp_path / "data", 2)
    tree = scan_tree(data)
    staged, go = tmp_path / "staged", tmp_path / "go"
    child = subprocess.Popen([sys.executable, "-c", STAGING, str(data), ROOT, staged, go])
    kill_when(child, staged.exists)  # SIGKILL: the lease file stays behind
    assert list((private_state_dir() / "leases").glob("*.json"))
    done = prune_cli()
    assert done.returncode == 0 and "1 staged trees" in done.stderr, done.stderr
    assert not store_file(f"staging/trees/{tree.digest}").exists()
    assert not list((private_state_dir() / "leases").glob("*.json"))


def private_state_dir() -> Path:
    from aws_sagemaker_remote.storage.localstore import state_dir

    return state_dir()


def used_bytes(root: Path) -> int:
    """Disk the files under ``root`` take: each inode once (as du counts)."""
    seen, total = set(), 0
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            info = os.lstat(os.path.join(folder, name))
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


def two_jobs_one_linked(private_state) -> tuple[LocalBackend, str, str]:
    """An older and a newer finished job; the older one's directory hard-links a 3 MB file
    of its staged tree, as the engine links inputs for a user who is not root."""
    backend = LocalBackend()
    names = []
    for _ in range(2):
        tree = unique("tree")
        put_store(f"staging/trees/{tree}/job.py", "print('ok')")
        put_store(f"staging/trees/{tree}/big.bin", os.urandom(3 * 1024 * 1024))
        name = unique("prune")
        backend.create_job(make_request(name, f"{STORE}/staging/trees/{tree}/"))
        assert wait_status(backend, name)["ProcessingJobStatus"] == "Completed"
        names.append((name, tree))
    (older, tree), (newer, _) = names
    os.link(store_file(f"staging/trees/{tree}/big.bin"), backend.store.job_dir(older) / "big.bin")
    return backend, older, newer


def test_prune_reports_what_the_disk_really_gets_back(private_state):
    from aws_sagemaker_remote.cli.housekeeping import format_bytes

    backend, older, newer = two_jobs_one_linked(private_state)
    before = used_bytes(private_state)
    pruned = backend.prune(keep=1)
    freed = before - used_bytes(private_state)
    assert backend.store.get(older) is None and backend.store.get(newer) is not None
    assert freed > 3 * 1024 * 1024
    assert format_bytes(pruned.freed_bytes) == format_bytes(freed), (pruned, freed)


def test_prune_dry_run_says_what_would_go_and_removes_nothing(private_state):
    from aws_sagemaker_remote.cli.housekeeping import format_bytes

    backend, older, _ = two_jobs_one_linked(private_state)
    listing = sorted(str(p) for p in private_state.rglob("*"))
    before = used_bytes(private_state)
    done = prune_cli("--keep", "1", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert sorted(str(p) for p in private_state.rglob("*")) == listing
    assert backend.store.get(older) is not None
    said = done.stderr.strip()
    assert said.startswith("would remove 1 jobs, 1 staged trees")
    backend.prune(keep=1)
    assert said.endswith(f", {format_bytes(before - used_bytes(private_state))} to free"), said


def test_a_store_that_cannot_be_written_is_named_not_the_local_file(tmp_path):
    data = make_dir(tmp_path / "data", 1)
    tree = scan_tree(data)
    in_the_way = store_file(f"staging/trees/{tree.digest}")  # a file where a folder goes
    in_the_way.parent.mkdir(parents=True, exist_ok=True)
    in_the_way.write_bytes(b"not a directory")
    with pytest.raises(ServiceError) as caught:
        upload_trees([tree], ROOT, progress=False)
    assert "the local store could not write" in str(caught.value)
    assert str(in_the_way) in str(caught.value)
    assert tree.entries[0].source not in str(caught.value)
    assert tree_uri(ROOT, tree).endswith(f"{tree.digest}/")
