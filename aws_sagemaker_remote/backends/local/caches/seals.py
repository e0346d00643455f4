"""The engine's own key, and the seals it puts on what it writes into its caches.

A cache entry is a shortcut a later job takes: an environment used as it is, a pyc run
without compiling. The engine therefore uses only what it wrote itself, and tells that
apart by a seal (HMAC-SHA256) made with a key that lives in the state directory, which
a job in namespaces never sees (:mod:`.sandbox`). Anything else, however well formed,
is built again. Where jobs run without namespaces they can read the key too: there,
jobs are not isolated, and the engine says so.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

KEY_FILE = "engine.key"  # in the state directory: 32 random bytes, 0600


def engine_key(state_root: Path) -> bytes:
    """The key of this state directory, made on first use (by whichever process is first)."""
    path = state_root / KEY_FILE
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except FileNotFoundError:
        pass
    state_root.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{KEY_FILE}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, os.urandom(32))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temp, path)  # the first key made wins; a damaged one is replaced
    except FileExistsError:
        if len(path.read_bytes()) != 32:
            os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path.read_bytes()


def seal(key: bytes, data: bytes) -> str:
    """The seal of ``data``: 64 hex digits, the same shape as a sha256."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def sealed(key: bytes, data: bytes, mark: str) -> bool:
    """Whether ``mark`` is the seal of ``data`` made with ``key``."""
    return hmac.compare_digest(seal(key, data), mark)
