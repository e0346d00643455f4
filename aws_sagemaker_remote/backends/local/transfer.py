"""A local job's data: inputs fetched to each instance's LocalPath, outputs put to S3Uri.

Every URI is an S3 URI and every byte moves through :mod:`aws_sagemaker_remote.storage`
(its store interface and transfer engine), so this module never asks whether a bucket is
S3 or the local store; the store decides, and links the local store's files into the job
(read-only hard links on the same file system) instead of copying them.

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
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ...errors import Error
from ...job.s3uri import S3Uri, parse_s3_uri
from ...storage.containment import place_all, segment_problem
from ...storage.downloads import sagemaker_relative
from ...storage.store import ObjectStore, at_once, open_store
from ...storage.transfer import TransferConfig, Transfers, all_or_nothing, download_now, run
from ...storage.uploads import directory_files, upload_files

POLL_ABORT_S = 0.1


class TransferError(Exception):
    """Data could not be fetched or stored; the job fails with a ClientError."""


class Aborted(Exception):
    """The job was asked to stop while its data was moving."""


class FetchTask(NamedTuple):
    source: S3Uri
    size: int | None
    targets: tuple[Path, ...]  # one per instance that gets the object


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
    ):
        self.profile = profile
        self.config = config or TransferConfig()
        self.say = say
        self._session = None
        self._stores: dict[str, ObjectStore] = {}

    def store(self, uri: S3Uri) -> ObjectStore:
        if uri.bucket not in self._stores:
            store, _ = open_store(f"s3://{uri.bucket}/", session=self._lazy_session(uri))
            self._stores[uri.bucket] = store
        return self._stores[uri.bucket]

    def _lazy_session(self, uri: S3Uri):
        from ...storage.store import needs_aws

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
    def fetch_all(self, tasks: Sequence[FetchTask], abort: Callable[[], bool]) -> None:
        if all(at_once(self.store(task.source)) is not None for task in tasks):
            self._now("could not fetch the input", lambda: self._fetch_now(tasks, abort))
            return

        async def fetch() -> None:
            transfers = Transfers(self.config, "fetching")
            await all_or_nothing(self._fetch(transfers, task) for task in tasks)

        self._do("could not fetch the input", fetch, abort)

    def _fetch_now(self, tasks: Sequence[FetchTask], abort: Callable[[], bool]) -> None:
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
            download_now(store, task.source.key, size, first, link=True)
            for target in others:
                target.parent.mkdir(parents=True, exist_ok=True)
                if not store.link(task.source.key, target):
                    shutil.copyfile(first, target)

    async def _fetch(self, transfers: Transfers, task: FetchTask) -> None:
        store = self.store(task.source)
        size = task.size
        if size is None:
            size = await store.head(task.source.key)
            if size is None:
                raise TransferError(f"could not fetch {task.source}: no such object")
        first, *others = task.targets
        await transfers.download(store, task.source.key, size, first, link=True)
        for target in others:  # the other instances: links of the store's file, or copies
            target.parent.mkdir(parents=True, exist_ok=True)
            if not store.link(task.source.key, target):
                import asyncio

                await asyncio.to_thread(shutil.copyfile, first, target)

    # storing -----------------------------------------------------------------------------
    def put_all(
        self, pairs: Sequence[tuple[Path, S3Uri]], abort: Callable[[], bool] | None = None
    ) -> None:
        if not pairs:
            return  # nothing new: no event loop to start
        by_bucket: dict[str, list[tuple[Path, str]]] = {}
        for path, uri in pairs:
            by_bucket.setdefault(uri.bucket, []).append((path, uri.key))

        async def put() -> None:
            await all_or_nothing(
                upload_files(self.store(S3Uri(bucket, "")), items, self.config)
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


def container_relpath(container_path: str) -> str:
    """``/opt/ml/processing/x`` -> ``processing/x`` (relative to the /opt/ml stand-in)."""
    rel = container_path
    if container_path.startswith("/opt/ml"):
        rel = container_path[len("/opt/ml") :]
    rel = rel.strip("/")
    problem = segment_problem(rel)
    if problem:
        raise TransferError(f"container path {container_path!r}: {problem}")
    return rel


def output_files(folder: Path) -> list[tuple[Path, str]]:
    """Every file under ``folder`` with its posix path relative to it, sorted."""
    return directory_files(folder)
