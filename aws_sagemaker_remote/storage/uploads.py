"""Put local files at keys of a store: a local run's outputs, a local job's outputs.

No content addressing here (outputs are named by the job, not by their bytes): each file
is sent through the transfer engine, as staging's files are, and lands whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import UserError
from .s3clients import NoSuchBucket
from .store import ObjectStore
from .stores import open_store
from .transfer import ProgressCallback, TransferConfig, Transfers, all_or_nothing, run


def directory_files(folder: str | os.PathLike) -> list[tuple[Path, str]]:
    """Every file under ``folder`` with its posix path relative to it, sorted."""
    found = []
    for root, _dirs, files in os.walk(os.fspath(folder)):
        for name in files:
            path = Path(root) / name
            found.append((path, path.relative_to(folder).as_posix()))
    return sorted(found, key=lambda item: item[1])


def upload_directory(
    session: Any | None,
    local_dir: str | os.PathLike,
    uri: str,
    *,
    field: str | None = None,
    config: TransferConfig | None = None,
    progress: ProgressCallback | None = None,
) -> int:
    """Every file under ``local_dir`` to ``uri``/<relative path>; the number of files sent."""
    config = config or TransferConfig()
    store, key = open_store(uri, session=session, config=config, field=field)
    base = f"{key.rstrip('/')}/" if key.strip("/") else ""
    pairs = [(path, base + rel) for path, rel in directory_files(local_dir)]
    try:
        run(upload_files(store, pairs, config, progress))
    except NoSuchBucket as missing:  # the store blames the staging prefix: here, ``field``
        raise UserError(missing.message, field=field, fix="create the bucket first") from None
    return len(pairs)


async def upload_files(
    store: ObjectStore,
    pairs: Sequence[tuple[Path, str]],
    config: TransferConfig,
    progress: ProgressCallback | None = None,
) -> None:
    """(local file, key) pairs, in parallel; the first failure cancels the rest."""
    transfers = Transfers(config, "uploading", progress)
    sizes = [path.stat().st_size for path, _ in pairs]
    transfers.expect(len(pairs), sum(sizes))
    try:
        await all_or_nothing(
            transfers.upload(store, key, str(path), size, None)
            for (path, key), size in zip(pairs, sizes)
        )
    finally:
        transfers.close()
