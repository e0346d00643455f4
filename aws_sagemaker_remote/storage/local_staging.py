"""Staging into the local store: the S3 layout of :mod:`staging`, written by file copies.

With ``--sagemaker-instance local`` and no S3 location, trees go to the local store's
directory (:mod:`localstore`) instead of a bucket, so the job request keeps valid S3 URIs
while nothing leaves the machine. It needs no AWS and no obstore, hence its own module:
:func:`staging.upload_trees` imports it only for a local-store root.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from .localstore import atomic_write, local_store_path
from .staging import manifest_body
from .trees import FileEntry, Tree

if TYPE_CHECKING:
    from typing import IO

    from .staging import Tally


def stage_local(trees: Sequence[Tree], root: str, tally: Tally) -> None:
    """The same layout in the local store's directory: files first, manifest last."""
    base = local_store_path(root)
    with ThreadPoolExecutor(max_workers=min(32, (os.cpu_count() or 1) + 4)) as pool:
        for tree in trees:
            manifest = base / "manifests" / f"{tree.digest}.json"
            if manifest.is_file():
                tally.add("skipped", tree.entries)
                continue
            folder = base / "trees" / tree.digest
            todo = []
            for entry in tree.entries:
                target = folder / entry.relpath
                if target.is_file() and target.stat().st_size == entry.size:
                    tally.add("skipped", [entry])
                else:
                    todo.append((entry, target))
            for entry in pool.map(lambda job: _place(*job), todo):
                tally.add("uploaded", [entry])
            body = manifest_body(tree)

            def write_manifest(out: IO[bytes], data: bytes = body) -> object:
                return out.write(data)

            atomic_write(manifest, write_manifest)


def _place(entry: FileEntry, target: Path) -> FileEntry:
    def copy(out):
        with open(entry.source, "rb") as src:
            shutil.copyfileobj(src, out, 1024 * 1024)

    atomic_write(target, copy)
    return entry
