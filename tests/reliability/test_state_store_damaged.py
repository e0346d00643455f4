"""A job store that is not ours (another schema, a directory at its path) is one line naming
the file and the fix, exit 2; a state directory made by hand with open permissions is
tightened, since the store holds the jobs' Environment values."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.backends.local.store import JobStore
from aws_sagemaker_remote.errors import UserError


@pytest.fixture()
def state(tmp_path, monkeypatch):
    home = tmp_path / "state"
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_HOME", str(home))
    return home


def jobs_list(state) -> str:
    """``jobs list --local`` in a subprocess: its one line on stderr (exit 2, no traceback)."""
    done = subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "list", "--local"],
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_SAGEMAKER_REMOTE_HOME": str(state)},
        timeout=60,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.e2e
def test_a_directory_at_the_job_stores_path_is_one_line_naming_it(state):
    (state / "jobs.sqlite").mkdir(parents=True)
    line = jobs_list(state)
    assert str(state / "jobs.sqlite") in line and "not a file" in line and "move" in line
    with pytest.raises(UserError, match="not a file"):
        LocalBackend().list_jobs()


@pytest.mark.e2e
def test_a_job_store_with_another_schema_is_one_line_naming_it(state):
    state.mkdir()
    db = sqlite3.connect(state / "jobs.sqlite")
    db.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, payload TEXT)")
    db.execute("INSERT INTO jobs (payload) VALUES ('someone else''s')")
    db.commit()
    db.close()
    line = jobs_list(state)
    assert str(state / "jobs.sqlite") in line and "another schema" in line and "move" in line
    with pytest.raises(UserError, match="another schema"):
        LocalBackend().describe_job("any-job")
    check = sqlite3.connect(state / "jobs.sqlite")  # left as it was, for the user to look at
    assert check.execute("SELECT payload FROM jobs").fetchall() == [("someone else's",)]
    check.close()


def test_a_state_home_made_with_open_permissions_is_tightened(state):
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    first = JobStore()
    first.recent()  # the store is made
    first.close()
    for name in os.listdir(state):
        if name.startswith("jobs.sqlite"):
            os.chmod(state / name, 0o644)
    os.chmod(state, 0o755)

    store = JobStore()
    store.recent()
    store.close()
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    files = [name for name in os.listdir(state) if name.startswith("jobs.sqlite")]
    assert "jobs.sqlite" in files
    for name in files:
        assert stat.S_IMODE(os.stat(state / name).st_mode) == 0o600, name


def test_a_new_job_store_is_private_from_the_start(state):
    old = os.umask(0o022)  # files would be made 0644
    try:
        store = JobStore()
        store.recent()
        store.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(state / "jobs.sqlite").st_mode) == 0o600
