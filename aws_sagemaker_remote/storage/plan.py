"""Decide, then do: what staging must do for each file, as data, with no store in sight.

From what is known before a byte moves (which manifests exist, what one listing of each
tree's prefix shows, where the blob index says the same bytes already are), every file of
every tree is either skipped (its key holds an object of its size), copied server side
from a key holding the same sha256, or uploaded. A file missing under a tree whose
manifest exists is a *repair*: the manifest promised it, something deleted it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .trees import FileEntry, Tree


class Put(NamedTuple):
    """One file to place at ``key``; ``repair`` when its tree's manifest said it was there."""

    entry: FileEntry
    key: str
    repair: bool = False


class BlobPlan(NamedTuple):
    """Files with the same bytes: copied from ``source`` when known, else the first is
    uploaded and the rest copied from it."""

    sha256: str
    source: str | None
    puts: tuple[Put, ...]


class StagingPlan(NamedTuple):
    """What staging will do, decided before anything moves: blobs, skips, manifests."""

    blobs: tuple[BlobPlan, ...]
    skipped: tuple[FileEntry, ...]
    manifests: tuple[tuple[Tree, str], ...]  # (tree, manifest key) to write once all is in
    present: tuple[tuple[str, str], ...]  # (sha256, key) seen in place: for the blob index

    @property
    def repairs(self) -> int:
        return sum(put.repair for blob in self.blobs for put in blob.puts)


def tree_prefix(base: str, tree: Tree) -> str:
    return f"{base}trees/{tree.digest}/"


def manifest_key(base: str, tree: Tree) -> str:
    return f"{base}manifests/{tree.digest}.json"


def plan_staging(
    trees: Sequence[Tree],
    base: str,
    *,
    manifests: Mapping[str, bool],
    listed: Mapping[str, int],
    known: Mapping[str, str],
) -> StagingPlan:
    """The plan for ``trees`` under key prefix ``base`` ("" or ending in "/").

    manifests: tree digest -> its manifest exists; listed: key -> size of every object under
    the trees' prefixes; known: sha256 -> a key the blob index says holds those bytes.
    """
    sources = dict(known)
    skipped, present, todo, to_write = [], [], [], []
    for tree in trees:
        complete = manifests.get(tree.digest, False)
        prefix = tree_prefix(base, tree)
        for entry in tree.entries:
            key = prefix + entry.relpath
            if listed.get(key) == entry.size:
                skipped.append(entry)
                present.append((entry.sha256, key))
                sources.setdefault(entry.sha256, key)
            else:
                todo.append(Put(entry, key, repair=complete))
        if not complete:
            to_write.append((tree, manifest_key(base, tree)))
    wanted = {put.key for put in todo}  # an indexed key found missing is no source
    sources = {sha: key for sha, key in sources.items() if key not in wanted}
    groups: dict[str, list[Put]] = {}
    for put in todo:
        groups.setdefault(put.entry.sha256, []).append(put)
    blobs = tuple(BlobPlan(sha, sources.get(sha), tuple(puts)) for sha, puts in groups.items())
    return StagingPlan(blobs, tuple(skipped), tuple(to_write), tuple(present))
