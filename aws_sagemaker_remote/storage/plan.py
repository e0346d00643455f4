"""Decide, then do: what staging must do for each file, as data, with no store in sight.

From what is known before a byte moves (which manifests exist, what one listing of each
tree's prefix shows, where the blob index says the same bytes already are), every file of
every tree is either skipped (its key holds an object of its bytes), copied server side
from a key holding the same sha256, or uploaded. A file missing under a tree whose
manifest exists is a *repair*: the manifest promised it, something deleted it.

An object counts as the file's bytes by content, never by size: its ETag is the file's MD5
(a single-part upload), or the ETag S3 gave the object when this tool stored those bytes
there (a multipart upload, SSE-KMS). An object of the right size whose ETag says neither
is a *suspect*: staging asks S3 for the SHA-256 checksum it keeps with the object, and one
that is not ours is *replaced* (uploaded again, never a copy source).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .trees import FileEntry, Tree


class Put(NamedTuple):
    """One file to place at ``key``; ``repair`` when its tree's manifest said it was there;
    ``replaced`` when the object there held other bytes of the same size."""

    entry: FileEntry
    key: str
    repair: bool = False
    replaced: bool = False


class BlobPlan(NamedTuple):
    """Files with the same bytes: copied from ``source`` when known, else the first is
    uploaded and the rest copied from it."""

    sha256: str
    source: str | None
    puts: tuple[Put, ...]
    source_seen: bool = False  # the source was listed and checked by this look (else: ask)


class StagingPlan(NamedTuple):
    """What staging will do, decided before anything moves: blobs, skips, manifests."""

    blobs: tuple[BlobPlan, ...]
    skipped: tuple[FileEntry, ...]
    manifests: tuple[tuple[Tree, str], ...]  # (tree, manifest key) to write once all is in
    present: tuple[tuple[str, str], ...]  # (sha256, key) seen in place: for the blob index
    suspects: tuple[Put, ...] = ()  # the right size, but the ETag does not say whose bytes

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
    etags: Mapping[str, str | None] | None = None,
    trusted: Mapping[str, tuple[str, str]] | None = None,
    replaced: frozenset[str] = frozenset(),
) -> StagingPlan:
    """The plan for ``trees`` under key prefix ``base`` ("" or ending in "/").

    manifests: tree digest -> its manifest exists; listed: key -> size of every object under
    the trees' prefixes; known: sha256 -> a key the blob index says holds those bytes.
    etags: key -> the listed ETag without quotes (a key without one: the store vouches for
    its objects, as the local store does); trusted: key -> (sha256, ETag) this tool stored
    there; replaced: listed keys found to hold other bytes (uploaded again).
    """
    etags, trusted = etags or {}, trusted or {}
    sources = dict(known)
    seen: set[str] = set()
    skipped, present, todo, suspects, to_write = [], [], [], [], []
    for tree in trees:
        complete = manifests.get(tree.digest, False)
        prefix = tree_prefix(base, tree)
        for entry in tree.entries:
            key = prefix + entry.relpath
            if key in replaced:
                todo.append(Put(entry, key, repair=complete, replaced=True))
            elif listed.get(key) != entry.size:
                todo.append(Put(entry, key, repair=complete))
            elif holds(entry, etags.get(key), trusted.get(key)):
                skipped.append(entry)
                present.append((entry.sha256, key))
                if sources.get(entry.sha256) not in seen:
                    sources[entry.sha256] = key
                    seen.add(key)
            else:
                suspects.append(Put(entry, key, repair=complete))
        if not complete:
            to_write.append((tree, manifest_key(base, tree)))
    wanted = {put.key for put in [*todo, *suspects]}  # no source: missing, or not checked
    sources = {sha: key for sha, key in sources.items() if key not in wanted}
    groups: dict[str, list[Put]] = {}
    for put in todo:
        groups.setdefault(put.entry.sha256, []).append(put)
    blobs = tuple(
        BlobPlan(sha, sources.get(sha), tuple(puts), sources.get(sha) in seen)
        for sha, puts in groups.items()
    )
    return StagingPlan(blobs, tuple(skipped), tuple(to_write), tuple(present), tuple(suspects))


def holds(entry: FileEntry, etag: str | None, trusted: tuple[str, str] | None) -> bool:
    """Whether an object of the entry's size with ``etag`` holds the entry's bytes: no ETag
    (the store vouches), the file's MD5, or the ETag of those bytes as this tool stored
    them at that key."""
    if etag is None:
        return True
    return (entry.md5 != "" and etag == entry.md5) or trusted == (entry.sha256, etag)
