"""What a channel holds, named by its content: local files -> a Tree with a digest.

A Tree lists every file of a channel (its path inside the channel, size and sha256) and is
named by the sha256 of that canonical list, so the same content always gets the same name
wherever it lives on disk and whenever it is scanned. Staging stores a tree under
``<staging root>/trees/<digest>/`` and writes ``manifests/<digest>.json`` last: a job only
ever references a tree whose manifest exists, i.e. one that is complete.

Pure except for reading files; hashing goes through :mod:`hashcache`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from typing import NamedTuple

from .hashcache import StagingCache, hash_files
from .tempfiles import is_temporary

ALWAYS_SKIPPED_DIRS = frozenset({"__pycache__"})
ALWAYS_SKIPPED_SUFFIXES = (".pyc",)


class FileEntry(NamedTuple):
    """One file of a channel's tree: where it is, its size and digest."""

    relpath: str  # posix path inside the channel; for a single-file channel, the file name
    source: str  # absolute local path
    size: int
    sha256: str  # hex
    md5: str = ""  # hex, what S3's ETag of a single-part upload of it is ("": not known)


class Tree(NamedTuple):
    """A channel's files and the digest that names it in the staging store."""

    entries: tuple[FileEntry, ...]  # sorted by relpath
    digest: str  # sha256 hex of the canonical manifest (relpath, size, sha256 per line)

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries)

    def manifest(self) -> dict:
        """The JSON document stored at :func:`manifest_uri` once every file is in place."""
        return {
            "digest": self.digest,
            "files": [
                {"path": e.relpath, "size": e.size, "sha256": e.sha256} for e in self.entries
            ],
        }


_LINE = json.JSONEncoder(ensure_ascii=False)  # json.dumps(..., ensure_ascii=False), made once


def _digest(entries: tuple[FileEntry, ...]) -> str:
    """sha256 of one JSON line per file: [relpath, size, sha256]."""
    lines = "".join(_LINE.encode([e.relpath, e.size, e.sha256]) + "\n" for e in entries)
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def make_tree(entries: Sequence[FileEntry]) -> Tree:
    """A Tree from entries (sorted here); ValueError when two share a relpath."""
    ordered = tuple(sorted(entries, key=lambda e: e.relpath))
    for before, after in zip(ordered, ordered[1:]):
        if before.relpath == after.relpath:
            raise ValueError(f"two files would be staged as {after.relpath!r}")
    return Tree(ordered, _digest(ordered))


def _skipped(name: str) -> bool:
    """Never shipped: bytecode, and this tool's temporary files (a killed download's)."""
    return (
        name in ALWAYS_SKIPPED_DIRS or name.endswith(ALWAYS_SKIPPED_SUFFIXES) or is_temporary(name)
    )


class ExternalLink(ValueError):
    """A symlink inside a channel's directory that points outside it (say, to ``~/.ssh``):
    shipping what it points to must be the user's decision, not a surprise."""

    def __init__(self, root: str, relpath: str, target: str):
        self.root, self.relpath, self.target = root, relpath, target
        super().__init__(f"{relpath} links to {target}, outside {root}")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _walk(root: str, exclude: Callable[[str], bool] | None, follow_external_links: bool):
    """(relpath, absolute path, stat) of every regular file under root, in no particular
    order. Symlinks that stay inside root are followed (data directories are often links),
    except a directory link back into its own ancestors, which would never end; one that
    leaves root raises ExternalLink unless ``follow_external_links``."""
    top = os.path.realpath(root)
    stack = [("", root, frozenset({top}))]
    while stack:
        rel_dir, abs_dir, ancestors = stack.pop()
        with os.scandir(abs_dir) as it:
            for item in it:
                if _skipped(item.name):
                    continue
                rel = f"{rel_dir}{item.name}"
                try:
                    is_dir = item.is_dir()
                except OSError:
                    continue  # a loop of links (ELOOP): nothing to ship
                real = os.path.realpath(item.path) if item.is_symlink() else None
                if real and not follow_external_links and not _inside(real, top):
                    shown = rel + "/" if is_dir else rel
                    if os.path.exists(real) and not (exclude and exclude(shown)):
                        raise ExternalLink(root, rel, real)
                if is_dir:
                    real = real or os.path.realpath(item.path)
                    if real not in ancestors and (exclude is None or not exclude(rel + "/")):
                        stack.append((rel + "/", item.path, ancestors | {real}))
                    continue
                if exclude is not None and exclude(rel):
                    continue
                try:
                    st = item.stat()  # follows a symlinked file
                except OSError:
                    continue  # a dangling link or a loop of links: nothing to ship
                if item.is_file():
                    yield rel, item.path, st


def scan_tree(
    path: str | os.PathLike,
    *,
    top: str | None = None,
    exclude: Callable[[str], bool] | None = None,
    cache: StagingCache | None = None,
    follow_external_links: bool = False,
) -> Tree:
    """A file -> one entry named after the file; a directory -> every file under it (relpaths
    relative to it), following symlinks, skipping __pycache__ and *.pyc always.

    top: a folder name to put every relpath under (modules ship as <top>/...).
    exclude: called with each relpath relative to ``path`` (directories with a trailing
    "/", which prunes them); True leaves it out.
    cache: the hash cache to use (default: the one in the state directory).
    follow_external_links: ship what links leaving the directory point to, instead of
    raising ExternalLink.
    FileNotFoundError when ``path`` does not exist.
    """
    root = os.path.abspath(os.fspath(path))
    if os.path.isdir(root):
        found = list(_walk(root, exclude, follow_external_links))
    elif os.path.exists(root):
        found = [(os.path.basename(root), root, os.stat(root))]
    else:
        raise FileNotFoundError(f"no such file or directory: {root}")
    sources = [source for _, source, _ in found]
    digests = hash_files(sources, [st for _, _, st in found], cache=cache)
    prefix = f"{top.strip('/')}/" if top else ""
    entries = [
        FileEntry(prefix + rel, source, st.st_size, d.sha256, d.md5)
        for (rel, source, st), d in zip(found, digests)
    ]
    return make_tree(entries)


def combine_trees(*trees: Tree) -> Tree:
    """The union of trees (the code bundle: script + the library package); ValueError when
    two trees hold the same relpath."""
    return make_tree([e for tree in trees for e in tree.entries])


def tree_uri(staging_root: str, tree: Tree) -> str:
    """The S3 prefix a job input references: every file of the tree, nothing else."""
    return f"{staging_root.rstrip('/')}/trees/{tree.digest}/"


def manifest_uri(staging_root: str, tree: Tree) -> str:
    """Written last: its presence means the whole tree is in place."""
    return f"{staging_root.rstrip('/')}/manifests/{tree.digest}.json"
