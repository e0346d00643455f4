"""Which staged trees of the local store a submission still needs: leases a prune honours.

A submission staging into the local store needs its trees from its first look at what is
there until its job is recorded (from then on the job's request references them). For that
time it keeps a lease: a file ``<state dir>/leases/<pid>-<random>.json`` naming the trees'
digests, removed when its job exists. A prune keeps every tree a live lease names; the
lease of a process that is gone (killed mid-submission) is removed. No descriptor stays
open (a submitting process may fork the local engine's runner, which must not inherit
one), so a prune closes the race by moving a doomed tree aside first and reading the leases
again before it deletes anything (:func:`leased_trees`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .localstore import atomic_write, state_dir

LEASES_DIR = "leases"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


@contextmanager
def tree_lease(digests: Iterable[str]) -> Iterator[Path | None]:
    """Hold the trees ``digests`` for a prune to keep, for as long as the block runs; the
    lease file (None when the state directory cannot hold one)."""
    import secrets

    folder = state_dir() / LEASES_DIR
    path = folder / f"{os.getpid()}-{secrets.token_hex(6)}.json"
    body = json.dumps({"pid": os.getpid(), "trees": sorted(set(digests))}).encode()
    try:
        atomic_write(path, lambda out: out.write(body), mode=0o600)
    except OSError:
        path = None
    try:
        yield path
    finally:
        if path is not None:
            path.unlink(missing_ok=True)


def leased_trees() -> set[str]:
    """The digests of the trees live submissions hold; a dead submission's lease goes."""
    folder = state_dir() / LEASES_DIR
    held: set[str] = set()
    try:
        paths = sorted(folder.glob("*.json"))
    except OSError:
        return held
    for path in paths:
        try:
            lease = json.loads(path.read_bytes())
            pid, trees = int(lease["pid"]), lease["trees"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written, or not ours: it names nothing
        if _alive(pid):
            held.update(str(t) for t in trees)
        else:
            path.unlink(missing_ok=True)
    return held
