"""The console's S3 browser reads objects through an :class:`ObjectReader`.

Two readers: :class:`StoreObjects` over the project's own object stores (the local store,
or any bucket an opener hands out: ``LocalBuckets.store`` once ``serve`` has buckets), and
:class:`S3Objects` over S3 itself (ListObjectsV2 with a delimiter, GetObject: only
``s3:ListBucket`` and ``s3:GetObject``, and only when a person opens a path). A reader
serves only the buckets it names; the face further limits SageMaker browsing to the
paths a job names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Protocol

from ...errors import NotFound

LIST_LIMIT = 1000  # entries of one listing page, as S3 pages its listings
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ObjectEntry:
    """One object of a listing; ``modified`` where the store knows it."""

    key: str
    size: int
    modified: datetime | None


@dataclass(frozen=True)
class Listing:
    """One page of a prefix, split at "/" as S3 does with a delimiter."""

    folders: list[str]  # common prefixes, each ending in "/"
    objects: list[ObjectEntry]
    next_token: str | None  # more entries after these


@dataclass(frozen=True)
class ObjectBody:
    """An object to send: its size first (Content-Length), then its bytes as they come."""

    size: int
    chunks: Iterable[bytes]  # closed by the server once sent (``close`` if it has one)


class ObjectReader(Protocol):
    def serves(self, bucket: str) -> bool: ...
    def list(self, bucket: str, prefix: str, token: str | None = None) -> Listing: ...
    def open(self, bucket: str, key: str) -> ObjectBody: ...


def fold(
    entries: Iterable[tuple[str, int, datetime | None]], prefix: str, after: str | None
) -> Listing:
    """Keys under ``prefix`` as S3 lists them with ``Delimiter="/"``: the keys right there and
    a folder for each deeper level, at most :data:`LIST_LIMIT` of them after ``after``."""
    folders: dict[str, None] = {}
    objects: list[ObjectEntry] = []
    for key, size, modified in sorted(entries):
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix) :]
        slash = rest.find("/")
        name = prefix + rest[: slash + 1] if slash >= 0 else key
        if after is not None and name <= after:
            continue
        if len(folders) + len(objects) >= LIST_LIMIT and name not in folders:
            last = max([*folders, *(o.key for o in objects)])
            return Listing(list(folders), objects, last)
        if slash >= 0:
            folders[name] = None
        else:
            objects.append(ObjectEntry(key, size, modified))
    return Listing(list(folders), objects, None)


class StoreObjects:
    """Buckets of the project's own object stores, each opened by ``opener``."""

    def __init__(self, opener: Callable[[str], Any], buckets: Callable[[], Iterable[str]]):
        self._opener = opener
        self._buckets = buckets

    def serves(self, bucket: str) -> bool:
        return bucket in set(self._buckets())

    def _store(self, bucket: str) -> Any:
        if not self.serves(bucket):
            raise NotFound(f"no bucket named {bucket} here")
        return self._opener(bucket)

    def list(self, bucket: str, prefix: str, token: str | None = None) -> Listing:
        store = self._store(bucket)
        modified = getattr(store, "modified_sync", None)

        def when(key: str) -> datetime | None:
            epoch = modified(key) if modified is not None else None
            return datetime.fromtimestamp(epoch, timezone.utc) if epoch is not None else None

        listing = fold(((k, s, None) for k, s in store.list_sync(prefix)), prefix, token)
        objects = [ObjectEntry(o.key, o.size, when(o.key)) for o in listing.objects]
        return Listing(listing.folders, objects, listing.next_token)

    def open(self, bucket: str, key: str) -> ObjectBody:
        import os

        store = self._store(bucket)
        opener = getattr(store, "open_sync", None)
        try:
            if opener is None:  # a store that reads only whole objects
                import asyncio

                data = asyncio.run(store.get_bytes(key))
                return ObjectBody(len(data), [data])
            file = opener(key)
        except (FileNotFoundError, IsADirectoryError):
            raise NotFound(f"no object s3://{bucket}/{key}") from None
        size = os.fstat(file.fileno()).st_size
        return ObjectBody(size, _file_chunks(file))


class _file_chunks:
    """A file's bytes in 1 MiB chunks, closed by whoever sends them (or on exhaustion)."""

    def __init__(self, file: Any):
        self._file = file

    def __iter__(self) -> Iterator[bytes]:
        try:
            while chunk := self._file.read(_CHUNK):
                yield chunk
        finally:
            self._file.close()

    def close(self) -> None:
        self._file.close()


def local_store_objects() -> StoreObjects:
    """The local engine's reserved bucket (staged code, inputs, default outputs)."""
    from ...storage.localstore import LOCAL_STORE_BUCKET, LocalStore

    return StoreObjects(lambda bucket: LocalStore(), lambda: [LOCAL_STORE_BUCKET])


class S3Objects:
    """Buckets on S3, through boto3 (ListObjectsV2, GetObject)."""

    def __init__(self, session: Any, region: str | None):
        self._session = session
        self._region = region

    def serves(self, bucket: str) -> bool:
        return True  # which paths: the face asks the job (see ``face.browsable``)

    def _client(self) -> Any:
        from ...boto import client_of

        return client_of(self._session, "s3", self._region)

    def list(self, bucket: str, prefix: str, token: str | None = None) -> Listing:
        params: dict[str, Any] = {
            "Bucket": bucket,
            "Prefix": prefix,
            "Delimiter": "/",
            "MaxKeys": LIST_LIMIT,
        }
        if token:
            params["ContinuationToken"] = token
        page = self._call(bucket, prefix, "list", lambda c: c.list_objects_v2(**params))
        return Listing(
            [p["Prefix"] for p in page.get("CommonPrefixes", [])],
            [
                ObjectEntry(o["Key"], int(o.get("Size", 0)), o.get("LastModified"))
                for o in page.get("Contents", [])
            ],
            page.get("NextContinuationToken") if page.get("IsTruncated") else None,
        )

    def open(self, bucket: str, key: str) -> ObjectBody:
        answer = self._call(bucket, key, "read", lambda c: c.get_object(Bucket=bucket, Key=key))
        body = answer["Body"]
        return ObjectBody(int(answer.get("ContentLength", 0)), _StreamChunks(body))

    def _call(self, bucket: str, key: str, doing: str, call: Callable[[Any], Any]) -> Any:
        from ...awserrors import map_aws_errors

        client = self._client()
        uri = f"s3://{bucket}/{key}"
        with map_aws_errors(
            "S3",
            client,
            doing=f"to {doing} {uri}",
            refused=f"S3 refused to {doing} {uri}",
            not_found=f"no object {uri}",
        ):
            return call(client)


class _StreamChunks:
    def __init__(self, body: Any):
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._body.iter_chunks(_CHUNK)
        finally:
            self._body.close()

    def close(self) -> None:
        self._body.close()
