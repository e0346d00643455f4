"""Temporary files beside their targets: recognised and removed once their writer is gone.

A download fills a ``.asr-`` file (eight random characters follow) beside the file it
makes, and a write into the local store a ``.partial-`` one, then renames it: nothing
half-written ever has the target's name. A process killed mid-way (SIGKILL, a full
machine) leaves its temporary files, so the writer holds an exclusive ``flock`` on each
while filling it: the kernel drops the lock when the process dies, in any PID namespace.
A later run that finds such a file not locked, and not created a moment ago (a writer
locks it right after creating it), removes it (:func:`remove_if_abandoned`); staging
never ships one (:func:`is_temporary`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

DOWNLOAD_PREFIX = ".asr-"  # short, so that a 250-character name still fits beside it
PARTIAL_PREFIX = ".partial-"
_NAME = re.compile(r"\.(?:asr|partial)-[a-z0-9_]{8}\Z")  # mkstemp's: eight of [a-z0-9_]
YOUNG_S = 10.0  # younger files may belong to a writer between creating and locking them


def is_temporary(name: str) -> bool:
    """Whether a file name is one of this tool's temporary names (a download's or a
    local-store write's)."""
    return _NAME.match(name) is not None


@contextmanager
def held_temporary(directory: str | os.PathLike, prefix: str) -> Iterator[tuple[int, str]]:
    """A new empty file in ``directory``, locked for as long as the block runs: (its open
    descriptor, its path). The caller renames or removes it."""
    import tempfile

    fd, path = tempfile.mkstemp(dir=directory, prefix=prefix)
    try:
        _lock(fd, wait=True)
        yield fd, path
    finally:
        os.close(fd)


def _lock(fd: int, *, wait: bool) -> bool:
    """An exclusive flock on ``fd``; False when another process holds one (or, without
    waiting, when the file system cannot say)."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        return True
    except BlockingIOError:
        return False
    except OSError:  # a file system without locks: nobody can tell, so never remove
        return wait


def remove_if_abandoned(path: str) -> bool:
    """Remove the temporary file ``path`` when no process holds it; whether it went."""
    try:
        found = os.lstat(path)
        if not os.path.isfile(path) or os.path.islink(path):
            return False
        if time.time() - found.st_mtime < YOUNG_S:
            return False
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        if not _lock(fd, wait=False):
            return False
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def sweep(root: str | os.PathLike) -> int:
    """Remove every abandoned temporary file under ``root``; how many went."""
    removed = 0
    for folder, _dirs, names in os.walk(os.fspath(root)):
        for name in names:
            if is_temporary(name):
                removed += remove_if_abandoned(os.path.join(folder, name))
    return removed
