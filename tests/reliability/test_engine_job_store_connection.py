"""The job store keeps one connection per process: what other processes see, what a
fork inherits, what close leaves open, and that every commit is synced."""

from __future__ import annotations

import os
import subprocess
import sys

from aws_sagemaker_remote.backends.local.store import JobStore
from aws_sagemaker_remote.backends.local.submitting.processes import _holds_state_files

REQUEST = {"ProcessingJobName": "conn-1"}

OTHER_PROCESS = """
import sys
from aws_sagemaker_remote.backends.local.store import JobStore

store = JobStore(sys.argv[1])
assert store.get("conn-1").status == "InProgress"
assert store.finish("conn-1", "Completed", exit_code=0)
print("finished")
"""


def test_another_process_sees_each_commit_while_the_connection_stays_open(tmp_path):
    store = JobStore(tmp_path)
    store.insert("conn-1", REQUEST, docker=False, profile=None)
    assert _holds_state_files(store.root, -1)  # kept open between statements
    done = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, str(tmp_path)], capture_output=True, text=True
    )
    assert done.stdout.strip() == "finished", done.stderr
    record = store.get("conn-1")  # the same connection reads the other process's commit
    assert record is not None and record.status == "Completed" and record.exit_code == 0
    assert not store.finish("conn-1", "Failed")  # the first end recorded stays


def test_close_leaves_no_state_file_open_and_the_next_statement_reopens(tmp_path):
    store = JobStore(tmp_path)
    store.insert("conn-1", REQUEST, docker=False, profile=None)
    store.close()
    assert not _holds_state_files(store.root, -1)  # so the runner may be forked
    assert store.status("conn-1") == "InProgress"


def test_every_commit_is_synced(tmp_path):
    store = JobStore(tmp_path)
    store.status("none")
    conn = store._connection()
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_forked_child_opens_its_own_connection_and_leaves_the_parents_alone(tmp_path):
    store = JobStore(tmp_path)
    store.insert("conn-1", REQUEST, docker=False, profile=None)
    parents = store._connection()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            store.set_started("conn-1", [4242])
            code = 0 if store._connection() is not parents else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store._connection() is parents
    record = store.get("conn-1")
    assert record is not None and record.worker_pids == [4242]


def test_every_store_of_one_file_shares_the_connection_and_one_close_ends_it(tmp_path):
    backend_store, other = JobStore(tmp_path), JobStore(tmp_path)
    backend_store.insert("conn-1", REQUEST, docker=False, profile=None)
    assert other.status("conn-1") == "InProgress"
    assert other._connection() is backend_store._connection()
    backend_store.close()  # what start_runner closes, for every store of this process
    assert not _holds_state_files(tmp_path.resolve(), -1)
