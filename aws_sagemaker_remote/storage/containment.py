"""Where a downloaded object may land: one check shared by every download path.

An object key is not a path. ``out/.``, ``out/sub/..``, ``out/../x``, ``out//etc/passwd``,
a key ``x`` beside a key ``x/y``, a name longer than the file system allows, or a path that
an existing directory or a symlink of the target already occupies: each is refused with
one line naming the key, and every other object is still placed. Placing is decided for the
whole listing before a byte moves (pure but for looking at what the target already holds).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

NAME_MAX = 255  # bytes per path segment on the file systems we write to


class Refused(NamedTuple):
    """An object a download did not write, and why."""

    key: str
    reason: str

    def line(self) -> str:
        return f"refused {self.key}: {self.reason}"


def segment_problem(relative: str) -> str | None:
    """Why ``relative`` (a "/"-separated path from a key) is no plain relative path, or None."""
    if not relative:
        return "names no file under the target"
    if relative.startswith("/"):
        return "an absolute path"
    for part in relative.split("/"):
        if part == "..":
            return "would leave the target directory ('..')"
        if part in ("", "."):
            return "not a plain path (an empty or '.' segment)"
        if "\x00" in part:
            return "contains a NUL character"
        if len(os.fsencode(part)) > NAME_MAX:
            return f"a name longer than {NAME_MAX} bytes"
    return None


def place_all(
    root: Path, objects: Iterable[tuple[str, str]]
) -> tuple[list[tuple[str, Path]], list[Refused]]:
    """Split (key, relative path) pairs into (key, destination) pairs and refusals.

    Directory markers (keys ending in "/") are neither: they hold no data.
    """
    candidates: dict[str, str] = {}
    refused: list[Refused] = []
    for key, relative in objects:
        if key.endswith("/"):
            continue  # a "folder" marker
        problem = segment_problem(relative)
        if problem:
            refused.append(Refused(key, problem))
        elif relative in candidates:
            refused.append(Refused(key, f"lands on the same file as {candidates[relative]}"))
        else:
            candidates[relative] = key
    directories = {rel.rsplit("/", 1)[0] for rel in candidates if "/" in rel}
    directories = {d for rel in directories for d in _ancestors(rel)}
    real_root = os.path.realpath(root)
    placed = []
    for relative, key in sorted(candidates.items()):
        if relative in directories:
            refused.append(Refused(key, f"{relative} is also a directory of other keys"))
            continue
        path = root / relative
        problem = _occupied(path, root, real_root)
        if problem:
            refused.append(Refused(key, problem))
        else:
            placed.append((key, path))
    return placed, refused


def _ancestors(relative: str) -> list[str]:
    parts = relative.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _occupied(path: Path, root: Path, real_root: str) -> str | None:
    """Why what already exists on disk keeps ``path`` from being written, or None."""
    if path.is_symlink():
        return f"{path} is a symbolic link"
    if path.is_dir():
        return f"{path} is a directory"
    parent = path.parent
    while parent != root and not parent.exists():
        if parent.is_symlink():  # a dangling link would be created through
            return f"{parent} is a dangling symbolic link"
        parent = parent.parent
    if not parent.exists():
        return None  # the target itself is created by the download
    if not parent.is_dir():
        return f"{parent} is a file, not a directory"
    real = os.path.realpath(parent)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        return f"{parent} leads outside the target directory"
    return None


def existing_files(root: Path) -> set[Path]:
    """Files already under ``root`` (to say how many a download did not write); on the way,
    temporary files a killed download left there are removed (see :mod:`.tempfiles`)."""
    from .tempfiles import is_temporary, remove_if_abandoned

    if not root.is_dir():
        return set()
    found = set()
    for folder, _dirs, names in os.walk(root):
        for name in names:
            if not is_temporary(name):
                found.add(Path(folder) / name)
            elif not remove_if_abandoned(os.path.join(folder, name)):
                found.add(Path(folder) / name)  # another download's, in progress
    return found
