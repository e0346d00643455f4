"""A full disk is told apart from every other error, and named in one line."""

from __future__ import annotations

import errno
import sqlite3

from aws_sagemaker_remote.diskspace import full_disk, is_full, mount_point


def test_enospc_edquot_and_sqlite_full_are_a_full_disk():
    assert is_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert is_full(sqlite3.OperationalError("database or disk is full"))
    assert not is_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_full(sqlite3.OperationalError("database is locked"))
    assert not is_full(ValueError("no space left"))


def test_the_line_names_the_directory_and_its_disk(tmp_path):
    error = full_disk(OSError(errno.ENOSPC, "No space left on device"), tmp_path)
    assert error is not None
    line = error.one_line()
    assert f"no space left on the disk holding {tmp_path}" in line
    assert f"mounted at {mount_point(tmp_path)}" in line and "AWS_SAGEMAKER_REMOTE_HOME" in line
    assert full_disk(OSError(errno.EACCES, "denied"), tmp_path) is None


def test_a_write_that_names_its_file_names_that_directory(tmp_path):
    error = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "f.bin"))
    assert f"holding {tmp_path / 'out'}" in full_disk(error, tmp_path / "state").one_line()


def test_an_error_raised_for_a_full_disk_is_one_too(tmp_path):
    from aws_sagemaker_remote.errors import ServiceError

    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as cause:
            raise ServiceError("the local store could not write x") from cause
    except ServiceError as error:
        assert is_full(error)
        assert "no space left on the disk holding" in full_disk(error, tmp_path).one_line()
    assert not is_full(ServiceError("the local store could not write x"))
