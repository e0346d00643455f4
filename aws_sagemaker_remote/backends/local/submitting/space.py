"""Disk space of the local engine: what it holds, and removing what is no longer needed.

Every local job keeps a directory (inputs, outputs, logs) and every submission stages
trees into the local store, so the state directory only grows unless jobs are removed.
``remove_jobs`` deletes named jobs (record and directory); ``prune`` deletes ended jobs
(all, all but the newest N, or those older than a duration) and then the staged trees of
the local store that no remaining job references, and the cached job environments no
remaining job ran in (with a duration: only those also last used longer ago), and the
cached bytecode of code no remaining job names (:mod:`.bytecode`). An
environment a running job holds (its lease) or a job is building is never removed, nor a
staged tree a submission holds (:mod:`....storage.leases`: its job is not recorded yet).
What is freed is measured, not summed: each inode once, and a file only when every link
to it goes (a file hard-linked between the store and a job frees nothing until both go).
``prune(..., dry_run=True)`` says the same and removes nothing.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from ....errors import NotFound, UserError
from ....storage.leases import leased_trees
from ....storage.localstore import LOCAL_STORE_BUCKET, local_store_path
from ....wording import jobs_command
from ...housekeeping import Pruned, Removed
from ..caches.bytecode import RECORDS, bytecode_dir, nsinit_digest
from ..caches.pycfiles import read_record
from ..caches.venvs import COMPLETE, envs_dir, lock_path, try_exclusive
from ..store import ACTIVE, ENGINE_FILE, JobStore, read_json

STAGING_TREES = f"s3://{LOCAL_STORE_BUCKET}/staging/trees/"
STAGING_MANIFESTS = f"s3://{LOCAL_STORE_BUCKET}/staging/manifests/"


def freed_bytes(paths: list[Path]) -> int:
    """Bytes of disk removing ``paths`` (files and whole directories) gives back: each
    inode counted once, and a file only when every link to it is among them (a file
    hard-linked between the local store and a job's directory frees nothing until both
    go)."""
    import stat

    found: dict[tuple[int, int], list[int]] = {}  # inode -> [links seen, st_nlink, bytes]

    def add(path: str) -> None:
        try:
            info = os.lstat(path)
        except OSError:
            return
        size = getattr(info, "st_blocks", 0) * 512 or info.st_size
        links = 1 if stat.S_ISDIR(info.st_mode) else info.st_nlink  # a directory goes whole
        entry = found.setdefault((info.st_dev, info.st_ino), [0, links, size])
        entry[0] += 1

    for path in paths:
        add(str(path))
        if path.is_dir() and not path.is_symlink():
            for root, dirs, files in os.walk(path):
                for name in dirs + files:
                    add(os.path.join(root, name))
    return sum(size for seen, links, size in found.values() if seen >= links)


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
                fix=f"stop it first: {jobs_command('stop', name, local=True)}",
            )
        records.append(record)
    freed = 0
    for record in records:
        freed += _delete(store, record.name)
    return Removed(tuple(r.name for r in records), freed)


def prune(
    store: JobStore, keep: int = 0, older_than: float | None = None, *, dry_run: bool = False
) -> Pruned:
    """Delete ended jobs except the newest ``keep``, and (with ``older_than`` seconds) only
    those that ended longer ago; then the staged trees, cached environments and bytecode no
    remaining job needs. ``dry_run``: only say what would go. A tree a submission holds
    (:mod:`~....storage.leases`: its job is not recorded yet) is kept."""
    ended = [r for r in store.all() if r.status not in ACTIVE]
    ended.sort(key=lambda r: r.creation_time, reverse=True)
    now = time.time()
    doomed = [
        r
        for r in ended[keep:]
        if older_than is None or now - (r.end_time or r.creation_time) > older_than
    ]
    names = {r.name for r in doomed}
    remaining = [r for r in store.all() if r.name not in names]
    held = leased_trees()
    trees = [t for t in _unreferenced_trees(remaining) if t.name not in held]
    referenced = {uri for record in remaining for uri in _input_uris(record.request)}
    pycs, pyc_files = _bytecode_to_remove(bytecode_dir(store.root), referenced)
    layers, locks = _environments_to_remove(store, remaining, older_than, now)
    try:
        if dry_run:
            gone = [store.job_dir(r.name) for r in doomed] + trees + pyc_files
            freed = freed_bytes(gone + [_manifest_of(t) for t in trees] + layers)
        else:
            taken = _take_trees(trees)
            trees = [tree for tree, _ in taken]  # what was there to take
            gone = [store.job_dir(r.name) for r in doomed] + [aside for _, aside in taken]
            gone += [_manifest_of(tree) for tree, _ in taken] + pyc_files
            freed = freed_bytes(gone + layers)
            for record in doomed:
                store.delete(record.name)
                shutil.rmtree(store.job_dir(record.name), ignore_errors=True)
            for tree, aside in taken:
                _manifest_of(tree).unlink(missing_ok=True)
                _rmtree_writable(aside)
            for path in pyc_files:
                _remove(path)
            _remove_empty_bytecode_dirs(bytecode_dir(store.root))
            for layer in layers:
                _remove_environment(layer)
    finally:
        for lock in locks:
            lock.close()
    return Pruned(
        tuple(r.name for r in doomed),
        freed,
        trees=len(trees),
        bytecode=len(pycs),
        environments=tuple(layer.name for layer in layers),
        dry_run=dry_run,
    )


def _take_trees(trees: list[Path]) -> list[tuple[Path, Path]]:
    """Move the trees to remove aside (a submission looking now finds them gone and stages
    them again), then read the leases once more: a tree a submission took meanwhile is put
    back (or, staged again already, its old copy goes). (tree, where it was moved) pairs."""
    taken = []
    for tree in trees:
        aside = tree.with_name(f".pruning-{tree.name}")
        try:
            os.rename(tree, aside)
        except OSError:
            continue  # gone already, or a name in the way: left for the next prune
        taken.append((tree, aside))
    held = leased_trees()
    doomed = []
    for tree, aside in taken:
        if tree.name not in held:
            doomed.append((tree, aside))
            continue
        try:
            os.rename(aside, tree)
        except OSError:  # staged again meanwhile: the new copy is the one it uses
            _rmtree_writable(aside)
    return doomed


def _input_uris(request: dict) -> list[str]:
    return [
        (item.get("S3Input") or {}).get("S3Uri", "")
        for item in request.get("ProcessingInputs") or []
    ]


def _delete(store: JobStore, name: str) -> int:
    job_dir = store.job_dir(name)
    size = freed_bytes([job_dir])
    store.delete(name)
    shutil.rmtree(job_dir, ignore_errors=True)
    return size


def _manifest_of(tree: Path) -> Path:
    return local_store_path(STAGING_MANIFESTS) / f"{tree.name}.json"


def _unreferenced_trees(remaining: list) -> list[Path]:
    """The staged trees of the local store that no remaining job's inputs reference."""
    trees_dir = local_store_path(STAGING_TREES)
    if not trees_dir.is_dir():
        return []
    referenced = set()
    for record in remaining:
        for uri in _input_uris(record.request):
            if uri.startswith(STAGING_TREES):
                referenced.add(uri[len(STAGING_TREES) :].split("/", 1)[0])
    return sorted(tree for tree in trees_dir.iterdir() if tree.name not in referenced)


def _environments_to_remove(
    store: JobStore, remaining: list, older_than: float | None, now: float
) -> tuple[list[Path], list]:
    """The cached environments no remaining job ran in (and, with ``older_than``, last
    used longer ago), each taken under its exclusive lock: (layers, the locks to release)."""
    root = envs_dir(store.root)
    if not root.is_dir():
        return [], []
    used = set()
    for record in remaining:
        used.add(read_json(store.job_dir(record.name) / ENGINE_FILE).get("Environment"))
    layers, locks = [], []
    for layer in sorted(root.iterdir()):
        if not layer.is_dir() or str(layer) in used:
            continue
        if older_than is not None and now - _last_use(layer) <= older_than:
            continue
        lock = try_exclusive(layer)
        if lock is None:
            continue  # a running job holds it, or one is building it
        layers.append(layer)
        locks.append(lock)
    return layers, locks


def _remove_environment(layer: Path) -> None:
    """Remove one environment (its lock held by the caller)."""
    shutil.rmtree(layer, ignore_errors=True)
    lock_path(layer).unlink(missing_ok=True)  # a waiting job re-locks the new file
    layer.with_name(f"{layer.name}.build").unlink(missing_ok=True)


def _bytecode_to_remove(root: Path, referenced: set[str]) -> tuple[list[Path], list[Path]]:
    """The cached entries no remaining record names (but nsinit's, while a record is left),
    and every file to remove with them (the entries, the records of inputs no remaining job
    names (``referenced``: S3Uris), what a killed compiler left): (entries, files)."""
    if not root.is_dir():
        return [], []
    entries: list[Path] = []
    files: list[Path] = []
    nsinit = nsinit_digest()
    for interpreter in sorted(root.iterdir()):
        kept: set[str] = set()
        records = interpreter / RECORDS
        for path in sorted(records.glob("*.json")):
            uri = read_json(path).get("uri")
            if isinstance(uri, str) and uri in referenced:
                kept.update(read_record(path).values())
            else:
                files.append(path)
        if kept:  # the interpreter still runs jobs: this engine's nsinit with them
            kept.update(path.name for path in interpreter.glob(f"{nsinit}-*.pyc"))
        for path in sorted(interpreter.glob("*.pyc")):
            if path.name not in kept:
                entries.append(path)
        files += [*interpreter.glob("*.tmp"), *records.glob("*.tmp")]  # a killed writer's
    return entries, files + entries


def _remove_empty_bytecode_dirs(root: Path) -> None:
    if not root.is_dir():
        return
    for interpreter in sorted(root.iterdir()):
        for folder in (interpreter / RECORDS, interpreter):
            try:
                folder.rmdir()  # only once empty
            except OSError:
                pass


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


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
