"""Fetch objects to local files: a job's outputs, an S3 input of a local run, a local job's data.

Every download goes through here: the objects are listed once, placed by
:func:`containment.place_all` (hostile or awkward keys are refused one line each, the rest
still arrives) and moved by the transfer engine. A report says what was written, what was
refused and how many files the target already held that the download did not write.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ..wording import count
from .containment import Refused, existing_files, place_all
from .store import ObjectStore
from .stores import open_store
from .transfer import (
    ProgressCallback,
    TransferConfig,
    Transfers,
    all_or_nothing,
    make_directory,
    run,
)


class RemoteObject(NamedTuple):
    uri: str
    relative: str  # path under the prefix, "/"-separated
    size: int


class DownloadReport:
    """What a download wrote, refused and found in place already."""

    def __init__(
        self,
        written: list[Path] | None = None,
        refused: list[Refused] | None = None,
        already_there: int = 0,
    ) -> None:
        self.written: list[Path] = [] if written is None else written
        self.refused: list[Refused] = [] if refused is None else refused
        self.already_there = already_there  # files in the target before, not written by it

    @property
    def count(self) -> int:
        return len(self.written)

    def lines(self, what: str, target: str) -> list[str]:
        """What to tell the user: one line per refused key, then the summary."""
        found = [f"{what}: {r.line()}" for r in self.refused]
        text = f"{what}: {count(self.count, 'file')} downloaded to {target}"
        if self.already_there:
            text += f" ({count(self.already_there, 'file')} already there not written by the job)"
        return [*found, text]


def below(key: str, listed: Sequence[tuple[str, int]]) -> list[tuple[str, str, int]]:
    """(key, relative, size) of the object ``key`` itself or the objects below ``key/``."""
    key = key.rstrip("/")
    prefix = f"{key}/" if key else ""
    found = []
    for name, size in listed:
        if name == key:
            found.append((name, key.rsplit("/", 1)[-1], size))
        elif name.startswith(prefix):
            found.append((name, name[len(prefix) :], size))
    return found


def sagemaker_relative(prefix: str, key: str) -> str:
    """Where SageMaker puts object ``key``, matched by the S3Prefix ``prefix``, under LocalPath.

    ``s3://b/data/train`` (or ``.../train/``) puts ``data/train/x/y.csv`` at ``x/y.csv``; a
    URI naming one object puts it at its name; a prefix that ends inside a name
    (``s3://b/data/tr``) keeps that whole name (``data/train-1.csv`` -> ``train-1.csv``,
    sagemaker-python-sdk issue 3612). The result still goes through containment.
    """
    if key == prefix:
        return key.rsplit("/", 1)[-1]
    if not prefix or prefix.endswith("/"):
        return key[len(prefix) :]
    if key[len(prefix)] == "/":
        return key[len(prefix) + 1 :]
    return key[prefix.rfind("/") + 1 :]


def download_s3_input(
    session: Any | None,
    s3_uri: str,
    local_dir: str | os.PathLike,
    *,
    config: TransferConfig | None = None,
    progress: ProgressCallback | None = None,
    link: bool = False,
) -> DownloadReport:
    """An S3Prefix input as SageMaker fetches it: every key starting with the raw prefix.

    link: hard-link objects of the local store instead of copying them (read-only)."""
    config = config or TransferConfig()
    store, key = open_store(s3_uri, session=session, config=config)
    listed = [(k, size) for k, size in store.list_sync(key) if not k.endswith("/")]
    objects = [(k, sagemaker_relative(key, k)) for k, _ in listed]
    target = Path(local_dir)
    return run(download_objects(store, objects, dict(listed), target, config, progress, link=link))


def list_prefix(session: Any | None, s3_uri: str, limit: int | None = None) -> list[RemoteObject]:
    """The objects under ``s3_uri`` (at most ``limit``), for saying where outputs stay."""
    store, key = open_store(s3_uri, session=session)
    found = [
        RemoteObject(store.uri(name), rel, size)
        for name, rel, size in below(key, store.list_sync(key.rstrip("/")))
        if not name.endswith("/")
    ]
    return found[:limit] if limit is not None else found


def download_prefix(
    session: Any | None,
    s3_uri: str,
    local_dir: str | os.PathLike,
    *,
    config: TransferConfig | None = None,
    progress: ProgressCallback | None = None,
) -> DownloadReport:
    """Copy the object ``s3_uri`` names, or every object under it, into ``local_dir``."""
    config = config or TransferConfig()
    store, key = open_store(s3_uri, session=session, config=config)
    listed = store.list_sync(key.rstrip("/"))
    objects = [(name, rel) for name, rel, _ in below(key, listed)]
    sizes = dict(listed)
    return run(download_objects(store, objects, sizes, Path(local_dir), config, progress))


async def download_objects(
    store: ObjectStore,
    objects: Sequence[tuple[str, str]],
    sizes: dict[str, int],
    target: Path,
    config: TransferConfig,
    progress: ProgressCallback | None,
    what: str = "downloading",
    *,
    link: bool = False,
) -> DownloadReport:
    """(key, relative path) pairs into ``target``, contained; the report of what happened."""
    before = existing_files(target)
    placed, refused = place_all(target, objects)
    report = DownloadReport(refused=refused)
    transfers = Transfers(config, what, progress)
    transfers.expect(len(placed), sum(sizes[k] for k, _ in placed))
    make_directory(target)

    async def one(key: str, path: Path) -> None:
        await transfers.download(store, key, sizes[key], path, link=link)
        report.written.append(path)

    try:
        await all_or_nothing(one(key, path) for key, path in placed)
    finally:
        transfers.close()
    report.already_there = len(before - set(report.written))
    return report
