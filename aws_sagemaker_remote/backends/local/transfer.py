"""A local job's data: inputs fetched to each instance's LocalPath, outputs put to S3Uri.

Every URI is an S3 URI; the bucket of the local store lives in a directory of this
machine (:mod:`aws_sagemaker_remote.localstore`), any other bucket is S3 through boto3
(imported on first use, so a job that stays in the local store never loads it).

Where an object lands under LocalPath follows SageMaker, not a plain "key minus prefix":
the URI ``s3://b/data/train`` (or ``.../train/``) puts ``data/train/x/y.csv`` at
``LocalPath/x/y.csv``; a URI naming one object puts it at ``LocalPath/<its name>``; a
prefix that ends inside a name (``s3://b/data/tr``) keeps that whole name
(``data/train-1.csv`` -> ``LocalPath/train-1.csv``, sagemaker-python-sdk issue 3612).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import NamedTuple

from ...job.s3uri import S3Uri, parse_s3_uri
from ...storage.localstore import (
    LOCAL_STORE_BUCKET,
    PARTIAL_PREFIX,
    atomic_write,
    local_store_path,
    state_dir,
)

LARGE_OBJECT = 32 * 1024 * 1024  # above this, boto3's managed (multipart) transfers
_CHUNK = 1024 * 1024


class TransferError(Exception):
    """Data could not be fetched or stored; the job fails with a ClientError."""


class Aborted(Exception):
    """The job was asked to stop while its data was moving."""


class FetchTask(NamedTuple):
    source: S3Uri
    size: int | None
    targets: tuple[Path, ...]  # one per instance that gets the object


def relative_path(prefix: str, key: str) -> str:
    """Where the object ``key``, matched by the key prefix ``prefix``, lands under LocalPath."""
    if key == prefix:
        rel = key.rsplit("/", 1)[-1]
    elif not prefix or prefix.endswith("/") or key[len(prefix)] == "/":
        rel = key[len(prefix) :]
    else:
        rel = key[prefix.rfind("/") + 1 :]
    return safe_relpath(rel, key)


def safe_relpath(rel: str, what: str) -> str:
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise TransferError(f"object {what!r} would be written outside its LocalPath")
    return "/".join(parts)


def shard(items: Sequence, instance: int, count: int) -> list:
    """ShardedByS3Key: instance i (1-based) of N gets items i-1, i-1+N, ... of the sorted keys."""
    return list(items[instance - 1 :: count])


def _can_link() -> bool:
    # root ignores the read-only bit that protects the store's copy, so root copies
    return hasattr(os, "geteuid") and os.geteuid() != 0


class Locations:
    """Objects of S3 URIs, in S3 or in the local store; one pool of threads for the I/O."""

    def __init__(self, profile: str | None = None, max_workers: int = 16):
        self.profile = profile
        self.max_workers = max_workers
        self._client = None
        self._lock = threading.Lock()
        self._link = _can_link()

    # -- S3 -------------------------------------------------------------------------------
    def client(self):
        with self._lock:
            if self._client is None:
                import boto3

                session = boto3.Session(profile_name=self.profile)
                self._client = session.client("s3")
            return self._client

    # -- listing and reading --------------------------------------------------------------
    def list_objects(self, uri: S3Uri) -> list[tuple[str, int]]:
        """(key, size) of every object whose key starts with ``uri.key``, sorted by key."""
        if uri.bucket == LOCAL_STORE_BUCKET:
            found = self._list_store(uri.key)
        else:
            found = self._list_s3(uri)
        return sorted((k, s) for k, s in found if not k.endswith("/"))

    def _list_s3(self, uri: S3Uri) -> list[tuple[str, int]]:
        try:
            pages = self.client().get_paginator("list_objects_v2")
            return [
                (item["Key"], item["Size"])
                for page in pages.paginate(Bucket=uri.bucket, Prefix=uri.key)
                for item in page.get("Contents", [])
            ]
        except Exception as error:
            raise TransferError(f"could not list {uri}: {error}") from error

    def _list_store(self, prefix: str) -> list[tuple[str, int]]:
        base = state_dir() / "store"
        folder = prefix[: prefix.rfind("/") + 1]
        top = base / folder
        found = []
        for root, dirs, files in os.walk(top):
            rel_root = Path(root).relative_to(base).as_posix()
            rel_root = "" if rel_root == "." else rel_root + "/"
            dirs[:] = [
                d
                for d in dirs
                if (rel_root + d + "/").startswith(prefix) or prefix.startswith(rel_root + d + "/")
            ]
            for name in files:
                key = rel_root + name
                if key.startswith(prefix) and not name.startswith(PARTIAL_PREFIX):
                    found.append((key, os.path.getsize(os.path.join(root, name))))
        return found

    def read(self, uri: S3Uri) -> bytes:
        try:
            if uri.bucket == LOCAL_STORE_BUCKET:
                return local_store_path(str(uri)).read_bytes()
            return self.client().get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read()
        except Exception as error:
            raise TransferError(f"could not read {uri}: {error}") from error

    # -- fetching -------------------------------------------------------------------------
    def fetch_all(self, tasks: Sequence[FetchTask], abort: Callable[[], bool]) -> None:
        if any(task.source.bucket != LOCAL_STORE_BUCKET for task in tasks):
            self.client()  # created once, before the threads share it
        self._run(self._fetch, tasks, abort)

    def _fetch(self, task: FetchTask) -> None:
        first, *others = task.targets
        try:
            if task.source.bucket == LOCAL_STORE_BUCKET:
                source = local_store_path(str(task.source))
                for target in task.targets:
                    self._place_from_store(source, target)
                return
            first.parent.mkdir(parents=True, exist_ok=True)
            if task.size is not None and task.size > LARGE_OBJECT:
                self.client().download_file(task.source.bucket, task.source.key, str(first))
            else:
                body = self.client().get_object(Bucket=task.source.bucket, Key=task.source.key)
                with open(first, "wb") as out:
                    for chunk in body["Body"].iter_chunks(_CHUNK):
                        out.write(chunk)
            for target in others:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(first, target)
        except Exception as error:
            raise TransferError(f"could not fetch {task.source}: {error}") from error

    def _place_from_store(self, source: Path, target: Path) -> None:
        """Hard-link (same file system) or copy; a linked store file is made read-only."""
        target.parent.mkdir(parents=True, exist_ok=True)
        if self._link:
            try:
                mode = source.stat().st_mode
                if mode & 0o222:
                    os.chmod(source, mode & ~0o222)
                os.link(source, target)
                return
            except OSError:
                pass
        shutil.copyfile(source, target)

    # -- storing --------------------------------------------------------------------------
    def put_all(
        self, pairs: Sequence[tuple[Path, S3Uri]], abort: Callable[[], bool] | None = None
    ) -> None:
        if any(uri.bucket != LOCAL_STORE_BUCKET for _, uri in pairs):
            self.client()
        self._run(self._put, pairs, abort or (lambda: False))

    def _put(self, pair: tuple[Path, S3Uri]) -> None:
        path, uri = pair
        try:
            if uri.bucket == LOCAL_STORE_BUCKET:
                with open(path, "rb") as src:
                    atomic_write(
                        local_store_path(str(uri)),
                        lambda out: shutil.copyfileobj(src, out, _CHUNK),
                    )
            elif path.stat().st_size > LARGE_OBJECT:
                self.client().upload_file(str(path), uri.bucket, uri.key)
            else:
                with open(path, "rb") as body:
                    self.client().put_object(Bucket=uri.bucket, Key=uri.key, Body=body)
        except Exception as error:
            raise TransferError(f"could not upload {path.name} to {uri}: {error}") from error

    # -- the pool -------------------------------------------------------------------------
    def _run(self, work: Callable, items: Iterable, abort: Callable[[], bool]) -> None:
        iterator = iter(items)
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            pending: set = set()
            while True:
                while len(pending) < self.max_workers * 2:
                    if abort():
                        raise Aborted()
                    item = next(iterator, None)
                    if item is None:
                        break
                    pending.add(pool.submit(work, item))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    error = future.exception()
                    if error is not None:
                        for other in pending:
                            other.cancel()
                        raise error


def plan_input(
    locations: Locations, s3_input: dict, opt_ml_dirs: Sequence[Path]
) -> list[FetchTask]:
    """What to fetch for one ProcessingS3Input, and where, for every instance."""
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
    local = container_relpath(s3_input["LocalPath"])
    count = len(opt_ml_dirs)
    targets: dict[tuple, list[Path]] = {}
    for instance, opt_ml in enumerate(opt_ml_dirs, start=1):
        mine = objects
        if s3_input.get("S3DataDistributionType") == "ShardedByS3Key":
            mine = shard(objects, instance, count)
        for source, size, rel in mine:
            targets.setdefault((source, size), []).append(opt_ml / local / rel)
    return [FetchTask(source, size, tuple(paths)) for (source, size), paths in targets.items()]


def _manifest_objects(locations: Locations, uri: S3Uri) -> list[tuple[S3Uri, int | None, str]]:
    """A manifest: ``[{"prefix": "s3://b/p/"}, "rel/1", "rel/2", ...]``. As SageMaker does,
    each object's key is the prefix with the entry appended (no "/" added), and it lands at
    ``LocalPath/<entry>``."""
    try:
        entries = json.loads(locations.read(uri))
        prefix = parse_s3_uri(entries[0]["prefix"])
        rels = entries[1:]
        if not all(isinstance(rel, str) and rel for rel in rels):
            raise ValueError("every entry after the prefix must be a non-empty key suffix")
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise TransferError(f"{uri} is not a valid manifest file: {error}") from error
    objects = sorted((prefix.key + rel, rel) for rel in rels)
    return [(S3Uri(prefix.bucket, key), None, safe_relpath(rel, key)) for key, rel in objects]


def container_relpath(container_path: str) -> str:
    """``/opt/ml/processing/x`` -> ``processing/x`` (relative to the /opt/ml stand-in)."""
    rel = (
        container_path[len("/opt/ml") :] if container_path.startswith("/opt/ml") else container_path
    )
    return safe_relpath(rel, container_path)


def output_files(folder: Path) -> list[tuple[Path, str]]:
    """Every file under ``folder`` with its posix path relative to it, sorted."""
    found = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            found.append((path, path.relative_to(folder).as_posix()))
    return sorted(found, key=lambda item: item[1])
