"""A local job's data: inputs fetched to each instance's LocalPath, outputs put to S3Uri.

Every URI is an S3 URI and every byte moves through :mod:`aws_sagemaker_remote.storage`
(its store interface and transfer engine), so this module never asks whether a bucket is
S3 or the local store; the store decides, and links the local store's files into the job
instead of copying them where the job cannot change the store's copy (see
:meth:`~aws_sagemaker_remote.storage.localstore.LocalStore.link`).

Where an object lands under LocalPath follows SageMaker, not a plain "key minus prefix"
(:func:`~aws_sagemaker_remote.storage.downloads.sagemaker_relative`), and the listing
matches the raw S3Prefix exactly as SageMaker does: ``s3://b/jobs/j/clean`` also matches
``clean_v2/...``, ``s3://b/jobs/j/clean/`` does not. Keys that cannot be placed (``..``,
a name beside a directory of the same name, ...) fail the job, named in its FailureReason,
as SageMaker fails a job whose data it cannot download: a job never runs on part of its
input. Two manifest entries for one file keep the last, said in the job's log.

The local store answers at once (:class:`~aws_sagemaker_remote.storage.store.AtOnceStore`),
so what lies there is listed and placed on the runner's thread: no event loop, and no
asyncio to import, between a job's record and its first instance.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ....errors import Error
from ....storage.containment import place_all
from ....storage.downloads import sagemaker_relative
from ....storage.localstore import is_local_store_uri
from ....storage.store import ObjectStore, at_once
from ....storage.stores import open_store
from ....storage.transfer import (
    TransferConfig,
    TransferProgress,
    Transfers,
    all_or_nothing,
    download_now,
    make_directory,
    run,
)
from ....storage.uploads import directory_files, upload_files
from ....uris import S3Uri, parse_s3_uri
from ..opt_ml import TransferError, container_relpath

POLL_ABORT_S = 0.1


class Aborted(Exception):
    """The job was asked to stop while its data was moving."""


class FetchTask(NamedTuple):
    source: S3Uri
    size: int | None
    targets: tuple[Path, ...]  # one per instance that gets the object


LINKED, COPIED, DOWNLOADED = "Linked", "Copied", "Downloaded"
INPUTS_FILE = "inputs.json"  # in a job's directory: how each input was placed


class Placement:
    """How one input was put in place, for ``describe`` (files and bytes linked from the
    local store, copied, downloaded), and its progress for whoever listens (the runner
    says it in the job's log at most every ``every_s``, so a long copy is never silent)."""

    def __init__(
        self,
        what: str,
        tasks: Sequence[FetchTask],
        report: Callable[[TransferProgress], None] | None = None,
        every_s: float = 10.0,
    ):
        self.what, self.report, self.every_s = what, report, every_s
        self.counts: dict[str, list[int]] = {}
        self.files_total = sum(len(task.targets) for task in tasks)
        self.bytes_total = sum((task.size or 0) * len(task.targets) for task in tasks)
        self.files_done = self.bytes_moved = self.bytes_streamed = 0
        self.started = self.reported = time.monotonic()

    @property
    def bytes_done(self) -> int:
        return self.bytes_moved + self.bytes_streamed

    def moved(self, n: int) -> None:
        """``n`` more bytes copied (a copy from the local store, as it goes)."""
        self.bytes_moved += n
        self._report()

    def heard(self, progress: TransferProgress) -> None:
        """What the transfer engine's downloads have moved so far (from S3)."""
        self.bytes_streamed = progress.bytes_done
        self._report()

    def placed(self, how: str, size: int, counted: bool = False) -> None:
        """One file in place; ``counted``: its bytes were heard already, as they moved."""
        files, nbytes = self.counts.setdefault(how, [0, 0])
        self.counts[how] = [files + 1, nbytes + size]
        self.files_done += 1
        self.bytes_moved += 0 if counted else size
        self._report()

    def _report(self) -> None:
        now = time.monotonic()
        if self.report is not None and now - self.reported >= self.every_s:
            self.reported = now
            self.report(self.progress())

    def progress(self) -> TransferProgress:
        elapsed = time.monotonic() - self.started
        return TransferProgress(
            self.what,
            self.files_done,
            self.files_total,
            self.bytes_done,
            self.bytes_total,
            elapsed,
            self.files_done == self.files_total,
        )

    def summary(self) -> dict[str, Any]:
        """``{"Files": 3, "Bytes": 2048, "Linked": {"Files": 3, "Bytes": 2048}}``."""
        described: dict[str, Any] = {
            "Files": sum(files for files, _ in self.counts.values()),
            "Bytes": sum(nbytes for _, nbytes in self.counts.values()),
        }
        for how in (LINKED, COPIED, DOWNLOADED):
            if how in self.counts:
                files, nbytes = self.counts[how]
                described[how] = {"Files": files, "Bytes": nbytes}
        return described


def relative_path(prefix: str, key: str) -> str:
    """Where object ``key``, matched by the S3Prefix ``prefix``, lands under LocalPath."""
    return sagemaker_relative(prefix, key)


def shard(items: Sequence, instance: int, count: int) -> list:
    """ShardedByS3Key: instance i (1-based) of N gets items i-1, i-1+N, ... of the sorted keys."""
    return list(items[instance - 1 :: count])


def _print(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Locations:
    """The stores a job's URIs live in, opened once each; the transfer engine moves the data."""

    def __init__(
        self,
        profile: str | None = None,
        config: TransferConfig | None = None,
        say: Callable[[str], None] = _print,
        buckets_root: Path | None = None,
    ):
        self.profile = profile
        self.config = config or TransferConfig()
        self.say = say
        # a job of ``serve``: every bucket is one of the server's, on this disk
        self.buckets_root = buckets_root
        self._session = None
        self._stores: dict[str, ObjectStore] = {}
        # the job reads its inputs as root of a user namespace mapping no other user: the
        # local store's files may be hard-linked into it (see LocalStore.link), else only
        # cloned; set by the runner once it knows how the job is isolated
        self.owner_unmapped = False

    def link(self, store: ObjectStore, key: str, target: Path) -> bool:
        """``key`` placed at ``target`` without a copy, when the store can do it safely."""
        return store.link(key, target, owner_unmapped=self.owner_unmapped, for_job=True)

    def store(self, uri: S3Uri) -> ObjectStore:
        if uri.bucket not in self._stores:
            if self.buckets_root is not None and not is_local_store_uri(str(uri)):
                self._stores[uri.bucket] = self._server_bucket(uri.bucket)
            else:
                store, _ = open_store(f"s3://{uri.bucket}/", session=self._lazy_session(uri))
                self._stores[uri.bucket] = store
        return self._stores[uri.bucket]

    def _server_bucket(self, bucket: str) -> ObjectStore:
        """A bucket of the server's S3 (a directory here): read and written without HTTP,
        its files linked into the job as the local store's are."""
        from ....storage.localbuckets import LocalBuckets

        try:
            return LocalBuckets(self.buckets_root).store(bucket)
        except Error as error:
            raise TransferError(f"s3://{bucket}: {error}") from None

    def _lazy_session(self, uri: S3Uri):
        from ....storage.stores import needs_aws

        if not needs_aws(str(uri)):
            return None
        if self._session is None:
            import boto3

            self._session = boto3.Session(profile_name=self.profile)
        return self._session

    def _do(self, what: str, make: Callable[[], Coroutine], abort=None) -> Any:
        return self._now(what, lambda: run(_until_aborted(make(), abort)))

    def _now(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except (Aborted, TransferError):
            raise
        except (Error, OSError, ValueError) as error:
            raise TransferError(f"{what}: {error}") from error

    # listing and reading ---------------------------------------------------------------
    def list_objects(self, uri: S3Uri) -> list[tuple[str, int]]:
        """(key, size) of every object whose key starts with ``uri.key``, sorted by key."""
        store = self.store(uri)
        local = at_once(store)
        if local is not None:
            found = self._now(f"could not list {uri}", lambda: local.list_sync(uri.key))
        else:
            found = self._do(f"could not list {uri}", lambda: store.list(uri.key))
        return [(k, s) for k, s in found if not k.endswith("/")]

    def read(self, uri: S3Uri) -> bytes:
        store = self.store(uri)
        return self._do(f"could not read {uri}", lambda: store.get_bytes(uri.key))

    # fetching ----------------------------------------------------------------------------
    def fetch_all(
        self,
        tasks: Sequence[FetchTask],
        abort: Callable[[], bool],
        placement: Placement | None = None,
    ) -> Placement:
        """Every task's object at its targets; how they were placed."""
        placing = placement if placement is not None else Placement("fetching", tasks)
        if all(at_once(self.store(task.source)) is not None for task in tasks):
            self._now("could not fetch the input", lambda: self._fetch_now(tasks, abort, placing))
            return placing

        async def fetch() -> None:
            transfers = Transfers(self.config, "fetching", placing.heard)
            await all_or_nothing(self._fetch(transfers, task, placing) for task in tasks)

        self._do("could not fetch the input", fetch, abort)
        return placing

    def _fetch_now(
        self, tasks: Sequence[FetchTask], abort: Callable[[], bool], placement: Placement
    ) -> None:
        """:meth:`_fetch` for every task, one by one, from stores that answer at once."""
        for task in tasks:
            if abort():
                raise Aborted()
            store = at_once(self.store(task.source))
            assert store is not None
            size = task.size
            if size is None:
                size = store.head_sync(task.source.key)
                if size is None:
                    raise TransferError(f"could not fetch {task.source}: no such object")
            first, *others = task.targets
            key = task.source.key
            make_directory(first.parent)
            if self.link(store, key, first):
                placement.placed(LINKED, size)
            else:
                download_now(store, key, size, first, link=False, progress=placement.moved)
                placement.placed(COPIED, size, counted=True)
            for target in others:
                target.parent.mkdir(parents=True, exist_ok=True)
                linked = self.link(store, key, target)
                if not linked:
                    shutil.copyfile(first, target)
                placement.placed(LINKED if linked else COPIED, size)

    async def _fetch(self, transfers: Transfers, task: FetchTask, placement: Placement) -> None:
        store = self.store(task.source)
        size = task.size
        if size is None:
            size = await store.head(task.source.key)
            if size is None:
                raise TransferError(f"could not fetch {task.source}: no such object")
        first, *others = task.targets
        first.parent.mkdir(parents=True, exist_ok=True)
        if self.link(store, task.source.key, first):
            placement.placed(LINKED, size)
        else:
            await transfers.download(store, task.source.key, size, first)
            placement.placed(DOWNLOADED, size, counted=True)
        for target in others:  # the other instances: links of the store's file, or copies
            target.parent.mkdir(parents=True, exist_ok=True)
            linked = self.link(store, task.source.key, target)
            if not linked:
                import asyncio

                await asyncio.to_thread(shutil.copyfile, first, target)
            placement.placed(LINKED if linked else COPIED, size)

    # storing -----------------------------------------------------------------------------
    def put_all(
        self,
        pairs: Sequence[tuple[Path, S3Uri]],
        abort: Callable[[], bool] | None = None,
        progress: Callable[[TransferProgress], None] | None = None,
    ) -> None:
        """Each file at its URI; ``progress`` hears each bucket's uploads as they go."""
        if not pairs:
            return  # nothing new: no event loop to start
        by_bucket: dict[str, list[tuple[Path, str]]] = {}
        for path, uri in pairs:
            by_bucket.setdefault(uri.bucket, []).append((path, uri.key))

        async def put() -> None:
            await all_or_nothing(
                upload_files(self.store(S3Uri(bucket, "")), items, self.config, progress)
                for bucket, items in by_bucket.items()
            )

        self._do("could not upload the outputs", put, abort)


async def _until_aborted(coroutine: Coroutine, abort: Callable[[], bool] | None) -> Any:
    import asyncio

    task = asyncio.ensure_future(coroutine)
    if abort is None:
        return await task
    while True:
        done, _ = await asyncio.wait([task], timeout=POLL_ABORT_S)
        if done:
            return task.result()
        if abort():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise Aborted()


def plan_input(
    locations: Locations, s3_input: dict, opt_ml_dirs: Sequence[Path], name: str = ""
) -> list[FetchTask]:
    """What to fetch for one ProcessingS3Input (of input ``name``), and where, for every
    instance."""
    uri = parse_s3_uri(s3_input["S3Uri"])
    objects: list[tuple[S3Uri, int | None, str]]  # size unknown for a manifest's objects
    if s3_input.get("S3DataType", "S3Prefix") == "ManifestFile":
        objects = _manifest_objects(locations, uri)
    else:
        listed = locations.list_objects(uri)
        if not listed:
            raise TransferError(
                f'no objects found under S3 URL "{uri}" given in the input data source; '
                "make sure that objects exist under that prefix"
            )
        objects = [
            (S3Uri(uri.bucket, key), size, relative_path(uri.key, key)) for key, size in listed
        ]
    objects = sorted(_last_of_each_path(locations, objects), key=lambda item: item[0].key)
    local = container_relpath(s3_input["LocalPath"])
    count = len(opt_ml_dirs)
    targets: dict[tuple, list[Path]] = {}
    for instance, opt_ml in enumerate(opt_ml_dirs, start=1):
        mine = objects
        if s3_input.get("S3DataDistributionType") == "ShardedByS3Key":
            mine = shard(objects, instance, count)
        by_key = {str(source): (source, size) for source, size, _ in mine}
        placed, refused = place_all(opt_ml / local, [(str(s), rel) for s, _, rel in mine])
        if refused:
            raise TransferError(_cannot_place(name, s3_input, refused))
        for key, path in placed:
            targets.setdefault(by_key[key], []).append(path)
    return [FetchTask(source, size, tuple(paths)) for (source, size), paths in targets.items()]


def _last_of_each_path(
    locations: Locations, objects: list[tuple[S3Uri, int | None, str]]
) -> list[tuple[S3Uri, int | None, str]]:
    """Objects landing on the same path (manifest entries ``a`` and ``/a``): the last one
    listed, as a download that writes each in turn leaves; the others said in the log."""
    last: dict[str, int] = {rel: index for index, (_, _, rel) in enumerate(objects)}
    for index, (source, _, rel) in enumerate(objects):
        if last[rel] != index:
            locations.say(f"{source} is not placed: {objects[last[rel]][0]} lands on {rel} too")
    return [item for index, item in enumerate(objects) if last[item[2]] == index]


def _cannot_place(name: str, s3_input: dict, refused: list) -> str:
    """The FailureReason of objects that cannot be placed: the first few, named."""
    named = "; ".join(f"{r.key} ({r.reason})" for r in refused[:3])
    more = f"; and {len(refused) - 3} more" if len(refused) > 3 else ""
    return (
        f"Failed to download data: {len(refused)} objects of input {name or s3_input['S3Uri']} "
        f"cannot be placed under {s3_input['LocalPath']}: {named}{more}"
    )


def _manifest_objects(locations: Locations, uri: S3Uri) -> list[tuple[S3Uri, int | None, str]]:
    """A manifest: ``[{"prefix": "s3://b/p/"}, "rel/1", "rel/2", ...]``. As SageMaker does,
    each object's key is the prefix with the entry appended as it is (no "/" added, none
    taken away: ``/x`` names ``p//x``), and it lands at ``LocalPath/<entry>``, the entry
    being relative to the prefix (``/x`` at ``LocalPath/x``). In the manifest's order."""
    try:
        entries = json.loads(locations.read(uri))
        prefix = parse_s3_uri(entries[0]["prefix"])
        rels = entries[1:]
        if not all(isinstance(rel, str) and rel for rel in rels):
            raise ValueError("every entry after the prefix must be a non-empty key suffix")
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise TransferError(f"{uri} is not a valid manifest file: {error}") from error
    return [(S3Uri(prefix.bucket, prefix.key + rel), None, rel.lstrip("/")) for rel in rels]


def output_files(folder: Path) -> list[tuple[Path, str]]:
    """Every file under ``folder`` with its posix path relative to it, sorted."""
    return directory_files(folder)
