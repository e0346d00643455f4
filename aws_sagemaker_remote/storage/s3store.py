"""S3 as an object store: obstore for the bytes, boto3 for listings and multipart uploads.

obstore costs far less CPU per request than boto3 (2,000 small files: 1.3 s against 5.6 s),
so every PUT, GET, HEAD and COPY goes through it. Listings go through boto3 when obstore
refuses a whole listing because one key is not a clean path (``a/.``, ``a//b``): a download
must be able to name and refuse that one key. Large files go up in resumable parts through
boto3 (:mod:`.multipart`) and come down as a few long ranges read into one reused buffer
each (:mod:`.ranged_get`: obstore hands each chunk over as fresh ``bytes``, a third more
CPU than s5cmd per GiB). How both clients are built and their errors: :mod:`.s3clients`.

Every obstore call is a blocking call made on a thread of the store's own pool, never an
awaitable of obstore's: those are completed by threads of obstore's runtime calling into
Python, which the interpreter's shutdown can catch mid-call and turn into a SIGABRT after
a run that succeeded. Pool threads are Python's own and are joined before shutdown.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

from ..awserrors import aws_error_answers, aws_not_found
from .multipart import ResumableUpload
from .s3clients import (
    PREFIX_FIELD,
    PREFIX_FIX,
    NoSuchBucket,
    boto3_s3_client,
    endpoint_name,
    obstore_s3,
    s3_error,
    s3_errors,
)
from .store import ContentChanged, Listed, Listing, Stored, unquoted, write_at

T = TypeVar("T")

_READ = 1024 * 1024


def _put_checked(store, key: str, path: str, sha256: str | None) -> tuple[int, str | None]:
    """Read a file whole, check it is still the bytes of ``sha256``, and put it: one call on
    a pool thread per small file (thousands of them make a cold staging). (size, ETag)."""

    with open(path, "rb") as source:
        data = source.read()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ContentChanged(path)
    result = _put(store, key, data)
    return len(data), unquoted(result.get("e_tag"))


class _BucketMissing(Exception):
    """A PUT answered "not found": no key is missing for a PUT, only its bucket."""


def _put(store, key: str, data: bytes) -> Any:
    import obstore

    try:
        return obstore.put(store, key, data, use_multipart=False)
    except FileNotFoundError:  # told apart from a local file that vanished (ContentChanged)
        raise _BucketMissing() from None


class S3Store:
    """One bucket of S3 (or of the server ``AWS_ENDPOINT_URL`` names)."""

    needs_aws = True
    answers_at_once = False  # every read is a round trip: asked concurrently, on a loop

    def __init__(self, bucket: str, session, config):
        from ..boto import default_session

        self.bucket = bucket
        self.session = session if session is not None else default_session()
        self.config = config
        self.endpoint = endpoint_name(self.session.region_name)
        self.store = obstore_s3(bucket, self.session, config)
        self._client = None
        workers = config.max_concurrency + config.multipart_concurrency
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asr-s3")

    async def run(self, call: Callable[..., T], /, *args, **kwargs) -> T:
        """``call`` on a thread of the pool (see the module's docstring for why)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, _counted, partial(call, *args, **kwargs))

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def client(self):
        if self._client is None:
            self._client = boto3_s3_client(self.session, self.config)
        return self._client

    def errors(self, key: str, doing: str):
        return s3_errors(self.endpoint, self.uri(key), doing)

    def prepare(self, region: str) -> None:
        from .buckets import ensure_bucket

        ensure_bucket(self.uri(""), session=self.session, region=region, config=self.config)

    # reading -------------------------------------------------------------------------------
    def list_sync(self, prefix: str) -> list[tuple[str, int]]:
        """(key, size) of every object whose key starts with ``prefix``: one LIST per 1,000."""
        return [(key, size) for key, size, _ in self._list_tagged_sync(prefix)]

    def _list_tagged_sync(self, prefix: str) -> list[Listed]:
        with self.errors(prefix, "listing"):
            pages = self.client().get_paginator("list_objects_v2")
            return sorted(
                (item["Key"], item.get("Size", 0), unquoted(item.get("ETag")))
                for page in pages.paginate(Bucket=self.bucket, Prefix=prefix)
                for item in page.get("Contents", [])
            )

    async def list(self, prefix: str, *, split_after: Sequence[str] = ()) -> list[tuple[str, int]]:
        """As :meth:`list_sync` (see :meth:`list_tagged`)."""
        found = await self.list_tagged(prefix, split_after=split_after)
        return [(key, size) for key, size, _ in found]

    async def list_tagged(self, prefix: str, *, split_after: Sequence[str] = ()) -> Listing:
        """(key, size, ETag) of every object whose key starts with ``prefix``; a directory
        prefix through obstore (no boto3 client to
        build, less CPU per page) unless one of its keys is not a clean path.

        ``split_after``: keys the caller expects there, each ending one part of the listing;
        the parts are listed at once (3,000 keys: one round trip, not three in a row). A
        part goes on until it passes its end, so keys nobody expected are listed too."""
        import obstore

        if prefix.endswith("/") and prefix.strip("/"):
            ends = sorted({k for k in split_after if k.startswith(prefix)})
            parts = list(zip([None, *ends], [*ends, None]))
            try:
                found = await asyncio.gather(
                    *[self.run(_list_part, self.store, prefix, *p) for p in parts]
                )
                unique = {item[0]: item for part in found for item in part}
                return sorted(unique.values())
            except (ValueError, obstore.exceptions.InvalidPathError):
                pass  # a key obstore cannot parse: boto3 lists anything
            except Exception as error:
                raise s3_error(error, self.endpoint, self.uri(prefix), "listing") from None
        return await self.run(self._list_tagged_sync, prefix)

    async def head_etag(self, key: str) -> tuple[int, str | None] | None:
        """(size, ETag) of the object, None when there is none."""
        import obstore

        with self.errors(key, "reading"):
            try:
                meta = await self.run(obstore.head, self.store, key)
            except FileNotFoundError:
                return None
        return meta["size"], unquoted(meta.get("e_tag"))

    async def checksum_sha256(self, key: str) -> str | None:
        """The SHA-256 (hex) S3 keeps with an object uploaded with one, where its ETag is no
        MD5 (SSE-KMS); None when it keeps none, or only one of parts (a multipart upload)."""
        import base64

        with self.errors(key, "reading"):
            try:
                answer = await self.run(
                    self.client().head_object, Bucket=self.bucket, Key=key, ChecksumMode="ENABLED"
                )
            except aws_error_answers() as error:
                if aws_not_found(error):
                    return None
                raise
        value = answer.get("ChecksumSHA256") or ""
        if not value or "-" in value:
            return None
        try:
            return base64.b64decode(value).hex()
        except ValueError:
            return None

    async def head(self, key: str) -> int | None:
        import obstore

        with self.errors(key, "reading"):
            try:
                return (await self.run(obstore.head, self.store, key))["size"]
            except FileNotFoundError:
                return None

    async def get_bytes(self, key: str) -> bytes:
        import obstore

        with self.errors(key, "reading"):
            return await self.run(lambda: bytes(obstore.get(self.store, key).bytes()))

    def mode_of(self, key: str) -> int | None:
        return None

    async def get_file(self, key: str, path: str, size: int, progress) -> None:
        """Fill ``path`` with one object; a large one as a few long ranged GETs at once, each
        read to its place (fewer requests than one per part, memory bounded by buffers):
        through :mod:`.ranged_get` when no proxy is in the way, else through obstore."""
        loop = asyncio.get_running_loop()

        def moved(n: int) -> None:  # from a pool thread: counted on the loop's
            loop.call_soon_threadsafe(progress, n)

        with self.errors(key, "downloading"):
            if size <= self.config.multipart_threshold:
                await self.run(self._fetch, key, path, 0, None, moved)
                return
            span = max(
                self.config.multipart_chunk_size, -(-size // self.config.multipart_concurrency)
            )
            fetch = await self.run(self._ranged, key, path)  # signing may ask for credentials
            stop = threading.Event()
            try:
                await _gather_or_cancel(
                    [
                        self.run(fetch, start, min(start + span, size), moved, stop)
                        for start in range(0, size, span)
                    ]
                )
            finally:
                stop.set()  # ranges still running after a failure end at their next buffer

    def _ranged(self, key: str, path: str) -> Callable[..., None]:
        """``fetch(start, end, moved, stop)`` for ranges of ``key`` into ``path``."""
        from datetime import timedelta

        import obstore

        from .ranged_get import RangedGet, direct

        def sign() -> str:
            return obstore.sign(self.store, "GET", key, timedelta(hours=1))

        if not direct(sign()):
            return lambda start, end, moved, stop: self._fetch(key, path, start, end, moved)
        ranges = RangedGet(sign, self.config)

        def fetch(start: int, end: int, moved, stop: threading.Event) -> None:
            fd = os.open(path, os.O_WRONLY)  # by name, never created: see _fetch
            try:
                ranges.fetch(fd, path, start, end, moved, stop)
            finally:
                os.close(fd)

        return fetch

    def _fetch(self, key: str, path: str, start: int, end: int | None, moved) -> None:
        """Bytes ``start:end`` of the object (all of it: ``end`` None) into ``path`` at
        ``start``. The file is opened by name and never created, so a fetch that outlives
        its download (given up on, the file removed) cannot write anywhere else."""
        import obstore

        options: Any = {"range": (start, end)} if end is not None else {}
        fd = os.open(path, os.O_WRONLY)
        try:
            offset = start
            for chunk in obstore.get(self.store, key, options=options).stream(min_chunk_size=_READ):
                offset = write_at(fd, chunk, offset, path)
                moved(len(chunk))
        finally:
            os.close(fd)
        if end is not None and offset != end:
            raise OSError(f"the range {start}-{end} ended at byte {offset}")

    def link(
        self, key: str, target, *, owner_unmapped: bool = False, for_job: bool = False
    ) -> bool:
        return False

    # writing -------------------------------------------------------------------------------
    async def put_file(self, key: str, path: str, *, sha256: str | None, progress) -> Stored:
        """Upload one file; the bytes sent are hashed on the way and must match ``sha256``.
        Says how many bytes an interrupted earlier upload had already sent, and the ETag."""
        size = os.path.getsize(path)
        with self.errors(key, "uploading to"), self._bucket_missing():
            if size <= self.config.multipart_threshold:
                sent, etag = await self.run(_put_checked, self.store, key, path, sha256)
                progress(sent)
                return Stored(0, etag)
            upload = ResumableUpload(
                self.client(), self.bucket, key, path, run=self.run, config=self.config
            )
            return await upload.send(size, sha256, progress)

    async def put_bytes(self, key: str, data: bytes) -> None:
        with self.errors(key, "uploading to"), self._bucket_missing():
            await self.run(_put, self.store, key, data)

    @contextmanager
    def _bucket_missing(self) -> Iterator[None]:
        try:
            yield
        except _BucketMissing:
            raise NoSuchBucket(
                f"bucket {self.bucket} does not exist", field=PREFIX_FIELD, fix=PREFIX_FIX
            ) from None

    async def copy(self, source_key: str, key: str) -> bool:
        import obstore

        with self.errors(key, "copying to"):
            try:
                await self.run(obstore.copy, self.store, source_key, key)
                return True
            except FileNotFoundError:
                return False

    async def delete(self, key: str) -> None:
        import obstore

        with self.errors(key, "deleting"):
            await self.run(obstore.delete, self.store, key)


def _list_part(store, prefix: str, after: str | None, upto: str | None) -> list[Listed]:
    """The keys under ``prefix`` after ``after`` (exclusive) up to ``upto`` (inclusive)."""
    import obstore

    found: list[Listed] = []
    for batch in obstore.list(store, prefix, offset=after, chunk_size=1000):
        for meta in batch:
            if upto is not None and meta["path"] > upto:
                return found
            found.append((meta["path"], meta["size"], unquoted(meta.get("e_tag"))))
        if upto is not None and found and found[-1][0] >= upto:
            return found  # at its end: no page more
    return found


_running = [0]  # calls on the pools' threads now, for :func:`calls_running`
_running_lock = threading.Lock()


def _counted(call: Callable[[], T]) -> T:
    with _running_lock:
        _running[0] += 1
    try:
        return call()
    finally:
        with _running_lock:
            _running[0] -= 1


def calls_running() -> int:
    """How many S3 calls are still under way, e.g. for a transfer that was given up on (the
    interpreter waits for them at exit, each up to its timeouts)."""
    return _running[0]


async def _gather_or_cancel(coroutines) -> None:
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
