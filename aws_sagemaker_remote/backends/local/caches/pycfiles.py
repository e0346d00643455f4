"""The files of the bytecode cache and of a job's ``__pycache__`` (:mod:`.bytecode`).

Which names Python writes a pyc under, a cache entry checked against the digest in its
name, a pyc placed where Python would have written it, and the record of each code input:
the file-level pieces, no decisions.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path

from .seals import sealed

CHECKED_HASH = (0b11).to_bytes(4, "little")  # a pyc's flags: hash-based, checked
_HEADER = 16  # magic, flags, source hash
ENTRY = re.compile(r"[0-9a-f]{64}-([0-9a-f]{64})\.pyc")  # <source sha256>-<seal of the pyc>.pyc


def source_of(rel: str) -> str | None:
    """``a/__pycache__/m.cpython-39.pyc`` -> ``a/m.py``; None for anything else (an
    optimised pyc, a name Python would not write, a path leaving its directory)."""
    parts = rel.split("/")
    if len(parts) < 2 or parts[-2] != "__pycache__":
        return None
    name = parts[-1].split(".")
    if len(name) != 3 or name[2] != "pyc" or not name[0].isidentifier() or not name[1]:
        return None
    if any(part in ("", ".", "..") for part in parts[:-2]):
        return None
    return "/".join([*parts[:-2], name[0] + ".py"])


def entry_holds(path: Path, key: bytes) -> bool:
    """Whether a cache entry is a checked hash-based pyc the engine wrote: its bytes carry
    the seal in its name (:mod:`.seals`)."""
    match = ENTRY.fullmatch(path.name)
    try:
        data = path.read_bytes() if match else b""
    except OSError:
        return False
    if len(data) <= _HEADER or data[4:8] != CHECKED_HASH:
        return False
    return sealed(key, data, match.group(1))  # type: ignore[union-attr]


def written_pycs(base: Path) -> list[tuple[str, str]]:
    """(pyc path, source path), relative to ``base``, of every pyc Python writes for a
    source beside it (``__pycache__/<module>.<tag>.pyc``), symbolic links not followed:
    the job may have left any file there, and only regular files are compiled."""
    found = []
    for root, dirs, files in os.walk(base):
        if os.path.basename(root) != "__pycache__":
            continue
        dirs.clear()
        rel_dir = Path(root).relative_to(base).as_posix()
        for name in files:
            rel = f"{rel_dir}/{name}"
            source = source_of(rel)
            if source is not None and regular_file(base / source):
                found.append((rel, source))
    return sorted(found)


def place_pyc(
    entry: Path,
    target: Path,
    source: Path,
    made: set[Path] | None = None,
    symlink: bool = False,
) -> tuple[int, int] | None:
    """Put the cache entry at ``target`` (a link, else a copy; with ``symlink``, a
    symbolic link to it), unless the source is not there or something already is; the
    placed file's (inode, mtime_ns). ``made``: the ``__pycache__`` directories this
    caller has made already (each is made once)."""
    made = set() if made is None else made
    folder = target.parent
    try:
        if not stat.S_ISREG(os.stat(source).st_mode):
            return None
        if folder not in made:
            folder.mkdir(exist_ok=True)
            if folder.is_symlink():
                return None
            made.add(folder)
        try:
            if symlink:
                os.symlink(entry, target)
            else:
                os.link(entry, target)
        except FileExistsError:
            return None
        except OSError:  # another file system, or links refused: a copy, whole or none
            temp = target.with_name(f".{target.name}.{os.getpid()}")
            try:
                shutil.copyfile(entry, temp)
                os.link(temp, target)
            finally:
                temp.unlink(missing_ok=True)
    except OSError:
        return None
    return signature(target)


def link_entry(entry: Path, target: Path) -> None:
    """``target``: a hard link of the entry (a copy, whole or none, where links fail)."""
    try:
        os.link(entry, target)
    except FileExistsError:
        pass
    except OSError:
        temp = target.with_name(f".{target.name}.{os.getpid()}")
        try:
            shutil.copyfile(entry, temp)
            os.link(temp, target)
        except FileExistsError:
            pass
        finally:
            temp.unlink(missing_ok=True)


def regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def signature(path: Path) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns


def read_record(path: Path) -> dict[str, str]:
    try:
        files = json.loads(path.read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def write_record(path: Path, uri: str, files: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps({"uri": uri, "files": files}, sort_keys=True) + "\n")
    os.replace(temp, path)  # a reader sees the old record or the new one
