"""A full disk, said in one line: which directory, which disk, what to do.

A write that fails with ENOSPC or EDQUOT, or SQLite's "database or disk is full"
(SQLITE_FULL), is no bug of ours and no AWS fault: the disk holding the engine's state
(or a download's target) has no room. :func:`full_disk` turns such an error into a
:class:`~.errors.UserError` naming the directory and its file system; every other error
is left as it is, for its own handler.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import UserError

_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_SQLITE_FULL = 13  # SQLite's result code for "database or disk is full"
_SQLITE_IOERR = 10  # "disk I/O error": how SQLite says it could not grow its -shm file
_NEARLY_FULL = 256 * 1024  # bytes free under which an I/O error is taken for a full disk


def is_full(error: BaseException, directory: Path | None = None) -> bool:
    """Whether ``error`` says the disk (or the user's quota on it) is full, itself or as
    the error it was raised for (a store's own error for a write that failed); an SQLite
    I/O error counts when the disk holding ``directory`` has (next to) no room left."""
    return _disk_error(error, directory) is not None


def _disk_error(error: BaseException | None, directory: Path | None) -> BaseException | None:
    """``error``, or the one it was raised while handling, that says the disk is full."""
    for _ in range(4):  # an error, its cause, theirs: no further
        if error is None:
            return None
        if _says_full(error, directory):
            return error
        error = error.__cause__ or error.__context__
    return None


def _says_full(error: BaseException, directory: Path | None) -> bool:
    if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
        return True
    if type(error).__module__ == "sqlite3":
        code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
        if code is None:  # older Pythons say it in words only
            if "database or disk is full" in str(error):
                return True
            code = _SQLITE_IOERR if "disk I/O error" in str(error) else 0
        if code & 0xFF == _SQLITE_FULL:
            return True
        return code & 0xFF == _SQLITE_IOERR and directory is not None and _no_room(directory)
    return False


def _no_room(directory: Path) -> bool:
    try:
        free = os.statvfs(directory)
    except OSError:
        return False
    return free.f_bavail * free.f_frsize < _NEARLY_FULL


def mount_point(path: Path) -> Path:
    """The directory where the file system holding ``path`` is mounted."""
    path = Path(os.path.realpath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    device = path.stat().st_dev
    while path != path.parent and path.parent.stat().st_dev == device:
        path = path.parent
    return path


def full_disk(error: BaseException, directory: Path) -> UserError | None:
    """The one-line error for a full disk under ``directory``, or None for other errors."""
    found = _disk_error(error, directory)
    if found is None:
        return None
    named = getattr(found, "filename", None)
    if isinstance(named, str) and named:
        directory = Path(named).parent  # the write itself said where
    where = f"the disk holding {directory}"
    try:
        disk = mount_point(directory)
        free = os.statvfs(disk)
        where += f" (mounted at {disk}, {free.f_bavail * free.f_frsize // 1024} KiB free)"
    except OSError:
        pass
    return UserError(
        f"no space left on {where}",
        fix="free space there, or point AWS_SAGEMAKER_REMOTE_HOME at a larger disk",
    )


@contextmanager
def reported_full(directory: Path) -> Iterator[None]:
    """Within: a full disk is :func:`full_disk`'s one line, not a traceback."""
    try:
        yield
    except Exception as error:
        full = full_disk(error, directory)
        if full is None:
            raise
        raise full from None
