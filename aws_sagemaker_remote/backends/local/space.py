"""Disk space of the local engine: what it holds, and removing what is no longer needed.

Every local job keeps a directory (inputs, outputs, logs) and every submission stages
trees into the local store, so the state directory only grows unless jobs are removed.
``remove_jobs`` deletes named jobs (record and directory); ``prune`` deletes ended jobs
(all, all but the newest N, or those older than a duration) and then the staged trees of
the local store that no remaining job references, and the cached job environments no
remaining job ran in (with a duration: only those also last used longer ago), and the
cached bytecode of code no remaining job names (:mod:`.bytecode`). An
environment a running job holds (its lease) or a job is building is never removed.
Sizes count disk blocks, each inode once, so files hard-linked between the store and a
job are not counted twice.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ...errors import NotFound, UserError
from ...storage.localstore import LOCAL_STORE_BUCKET, local_store_path
from .bytecode import RECORDS, bytecode_dir, nsinit_digest
from .pycfiles import read_record
from .store import ACTIVE, ENGINE_FILE, JobStore, read_json
from .venvs import COMPLETE, envs_dir, lock_path, try_exclusive

STAGING_TREES = f"s3://{LOCAL_STORE_BUCKET}/staging/trees/"
STAGING_MANIFESTS = f"s3://{LOCAL_STORE_BUCKET}/staging/manifests/"


@dataclass
class Removed:
    """What a removal or prune deleted, for the one line that says so."""

    jobs: list[str]
    trees: int
    bytes: int
    environments: list[str] | None = None
    bytecode: int = 0  # cached compiled modules


def disk_usage(path: Path, seen: set[tuple[int, int]] | None = None) -> int:
    """Bytes of disk ``path`` takes (blocks), every inode counted once across calls."""
    seen = set() if seen is None else seen
    total = 0
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                info = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            key = (info.st_dev, info.st_ino)
            if key not in seen:
                seen.add(key)
                total += getattr(info, "st_blocks", 0) * 512 or info.st_size
    return total


def usage(store: JobStore) -> dict[str, int]:
    """Bytes used by job directories, cached environments, the local store and the
    cached bytecode."""
    seen: set[tuple[int, int]] = set()
    return {
        "jobs": disk_usage(store.root / "jobs", seen),
        "environments": disk_usage(envs_dir(store.root), seen),
        "store": disk_usage(local_store_path(f"s3://{LOCAL_STORE_BUCKET}/"), seen),
        "bytecode": disk_usage(bytecode_dir(store.root), seen),
    }


def remove_jobs(store: JobStore, names: list[str]) -> Removed:
    """Delete each named job; refused (nothing deleted) if one is unknown or in progress."""
    records = []
    for name in names:
        record = store.get(name)
        if record is None:
            raise NotFound(f"no local job named {name!r}", field="job_name")
        if record.status in ACTIVE:
            raise UserError(
                f"the local job {name} is {record.status}",
                field="job_name",
                fix=f"stop it first: aws-sagemaker-remote jobs stop --local {name}",
            )
        records.append(record)
    freed = 0
    for record in records:
        freed += _delete(store, record.name)
    return Removed([r.name for r in records], 0, freed)


def prune(store: JobStore, keep: int = 0, older_than: float | None = None) -> Removed:
    """Delete ended jobs except the newest ``keep``, and (with ``older_than`` seconds) only
    those that ended longer ago; then the staged trees no remaining job references."""
    ended = [r for r in store.all() if r.status not in ACTIVE]
    ended.sort(key=lambda r: r.creation_time, reverse=True)
    now = time.time()
    doomed = [
        r
        for r in ended[keep:]
        if older_than is None or now - (r.end_time or r.creation_time) > older_than
    ]
    freed = sum(_delete(store, r.name) for r in doomed)
    trees, tree_bytes = _prune_trees(store)
    environments, env_bytes = _prune_environments(store, older_than, now)
    referenced = {uri for record in store.all() for uri in _input_uris(record.request)}
    pycs, pyc_bytes = _prune_bytecode(bytecode_dir(store.root), referenced)
    freed += tree_bytes + env_bytes + pyc_bytes
    return Removed([r.name for r in doomed], trees, freed, environments, pycs)


def _input_uris(request: dict) -> list[str]:
    return [
        (item.get("S3Input") or {}).get("S3Uri", "")
        for item in request.get("ProcessingInputs") or []
    ]


def _delete(store: JobStore, name: str) -> int:
    job_dir = store.job_dir(name)
    size = disk_usage(job_dir)
    store.delete(name)
    shutil.rmtree(job_dir, ignore_errors=True)
    return size


def _prune_trees(store: JobStore) -> tuple[int, int]:
    """Remove staged trees of the local store that no recorded job's inputs reference."""
    trees_dir = local_store_path(STAGING_TREES)
    if not trees_dir.is_dir():
        return 0, 0
    referenced = set()
    for record in store.all():
        for uri in _input_uris(record.request):
            if uri.startswith(STAGING_TREES):
                referenced.add(uri[len(STAGING_TREES) :].split("/", 1)[0])
    manifests = local_store_path(STAGING_MANIFESTS)
    count = freed = 0
    for tree in trees_dir.iterdir():
        if tree.name in referenced:
            continue
        (manifests / f"{tree.name}.json").unlink(missing_ok=True)  # first: the tree is gone
        freed += disk_usage(tree)
        _rmtree_writable(tree)
        count += 1
    return count, freed


def _prune_environments(
    store: JobStore, older_than: float | None, now: float
) -> tuple[list[str], int]:
    """Remove the cached environments no remaining job ran in (and, with ``older_than``,
    last used longer ago), each under its exclusive lock; their names and bytes freed."""
    root = envs_dir(store.root)
    if not root.is_dir():
        return [], 0
    used = set()
    for record in store.all():
        used.add(read_json(store.job_dir(record.name) / ENGINE_FILE).get("Environment"))
    removed, freed = [], 0
    for layer in sorted(root.iterdir()):
        if not layer.is_dir() or str(layer) in used:
            continue
        if older_than is not None and now - _last_use(layer) <= older_than:
            continue
        lock = try_exclusive(layer)
        if lock is None:
            continue  # a running job holds it, or one is building it
        try:
            freed += disk_usage(layer)
            shutil.rmtree(layer, ignore_errors=True)
            lock_path(layer).unlink(missing_ok=True)  # a waiting job re-locks the new file
            layer.with_name(f"{layer.name}.build").unlink(missing_ok=True)
        finally:
            lock.close()
        removed.append(layer.name)
    return removed, freed


def _prune_bytecode(root: Path, referenced: set[str]) -> tuple[int, int]:
    """Remove the records of inputs no remaining job names (``referenced``: S3Uris) and
    the entries no remaining record names (but nsinit's, while a record is left);
    (entries removed, bytes freed)."""
    if not root.is_dir():
        return 0, 0
    count = freed = 0
    nsinit = nsinit_digest()
    for interpreter in sorted(root.iterdir()):
        kept: set[str] = set()
        records = interpreter / RECORDS
        for path in sorted(records.glob("*.json")):
            uri = read_json(path).get("uri")
            if isinstance(uri, str) and uri in referenced:
                kept.update(read_record(path).values())
            else:
                freed += _remove(path)
        if kept:  # the interpreter still runs jobs: this engine's nsinit with them
            kept.update(path.name for path in interpreter.glob(f"{nsinit}-*.pyc"))
        for path in sorted(interpreter.glob("*.pyc")):
            if path.name not in kept:
                freed += _remove(path)
                count += 1
        for path in [*interpreter.glob("*.tmp"), *records.glob("*.tmp")]:
            freed += _remove(path)  # left by a compiler or runner that was killed
        for folder in (records, interpreter):
            try:
                folder.rmdir()  # only once empty
            except OSError:
                pass
    return count, freed


def _remove(path: Path) -> int:
    """Unlink ``path``; the bytes freed (none while a job's directory links the file)."""
    try:
        info = path.stat()
        path.unlink()
    except OSError:
        return 0
    return info.st_blocks * 512 if info.st_nlink == 1 else 0


def _last_use(layer: Path) -> float:
    """When a job last took the layer (its record is touched on every use)."""
    for path in (layer / COMPLETE, layer):
        try:
            return path.stat().st_mtime
        except OSError:
            continue
    return 0.0


def _rmtree_writable(path: Path) -> None:
    """Remove a tree even where a directory was left without write permission."""
    for root, _dirs, _files in os.walk(path):
        os.chmod(root, 0o755)
    shutil.rmtree(path, ignore_errors=True)


def parse_duration(text: str) -> float:
    """``90s``, ``30m``, ``12h``, ``7d`` (or plain seconds) -> seconds; ValueError if not."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    text = text.strip().lower()
    factor = units.get(text[-1:], None)
    number = text[:-1] if factor else text
    value = float(number) * (factor or 1)
    if not value >= 0 or value == float("inf"):
        raise ValueError(text)
    return value


def format_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"
