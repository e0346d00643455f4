"""Buckets kept on this machine's disk: what ``serve``'s S3 face stores objects in.

Each bucket is a directory whose files are its objects, so the local engine reads (and
links) them as it reads the local store, through :class:`~.localstore.LocalStore`. The
local store's reserved bucket is one of the buckets, so staged files of
``--sagemaker-instance local`` jobs can be browsed like any other.

What S3 knows about an object that a plain file cannot hold (ETag, Content-Type, user
metadata, checksums) is a small JSON record kept apart from the objects, under
``<root>/.meta/<bucket>/``, named by a digest of the key: no key can collide with a record
and no reader of a bucket's directory ever sees one. A record names the size, mtime, ctime
and inode of the file it describes; one that no longer matches its file (the object was
rewritten or linked by someone else, or the record is stale or corrupt) is never trusted:
the ETag is recomputed from the bytes and the record written again. Records and objects are
written through a temporary name and a rename, so a reader sees the old one or the new.

Layout under ``root`` (bucket names cannot start with a dot, so nothing collides)::

    <bucket>/<key>                objects, plain files
    .buckets/<bucket>.json        the bucket's creation time
    .meta/<bucket>/<xx>/<digest>  object records
    .uploads/<bucket>/<id>/       multipart uploads in progress (``server/s3_multipart.py``)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import NotFound, UserError
from .localstore import LOCAL_STORE_BUCKET, PARTIAL_PREFIX, LocalStore, state_dir, store_root

_CHUNK = 1024 * 1024
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+")
MAX_KEY_BYTES = 1024  # S3's limit
_MAX_SEGMENT_BYTES = 255  # a file name's limit on every common file system


class InvalidBucketName(UserError):
    def __init__(self, bucket: str):
        self.bucket = bucket
        super().__init__(
            f"{bucket!r} is not a valid bucket name",
            field="bucket",
            fix="use 3-63 lowercase letters, digits, dots and hyphens, starting and ending "
            "with a letter or digit",
        )


class NoSuchBucket(NotFound):
    def __init__(self, bucket: str):
        self.bucket = bucket
        super().__init__(f"the bucket {bucket} does not exist", field="bucket")


class BucketAlreadyOwnedByYou(UserError):
    def __init__(self, bucket: str):
        super().__init__(f"the bucket {bucket} exists already", field="bucket")


class BucketNotEmpty(UserError):
    def __init__(self, bucket: str):
        super().__init__(
            f"the bucket {bucket} is not empty", field="bucket", fix="delete its objects first"
        )


class InvalidKey(UserError):
    """A key this store cannot hold as a file (S3 would take it; the message says why)."""

    def __init__(self, key: str, why: str):
        super().__init__(f"the key {key!r} {why}", field="key")


class KeyTooLong(InvalidKey):
    """A key over S3's 1,024 bytes."""


def check_bucket_name(bucket: str) -> None:
    """InvalidBucketName unless ``bucket`` follows S3's naming rules."""
    if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket or _IP_ADDRESS.fullmatch(bucket):
        raise InvalidBucketName(bucket)


def check_key(key: str) -> None:
    """InvalidKey unless ``key`` maps to exactly one file inside a bucket's directory.

    Refused: what could leave the directory (``..``, an absolute key), what two keys
    would share (``a//b`` and ``a/b``), the store's own temporary names, folder markers
    (``a/``: a directory cannot be a file), and names no file system takes."""
    if not key:
        raise InvalidKey(key, "is empty")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise KeyTooLong(key[:64] + "...", f"is longer than {MAX_KEY_BYTES} bytes")
    if "\0" in key:
        raise InvalidKey(key, "holds a NUL character")
    if key.endswith("/"):
        raise InvalidKey(key, "ends with '/': folder markers are not kept in a local bucket")
    for part in key.split("/"):
        if part in ("", ".", ".."):
            raise InvalidKey(key, "has an empty, '.' or '..' segment, which a local bucket refuses")
        if part.startswith(PARTIAL_PREFIX):
            raise InvalidKey(key, f"has a segment starting with {PARTIAL_PREFIX!r}, reserved")
        if len(part.encode("utf-8", "surrogatepass")) > _MAX_SEGMENT_BYTES:
            raise InvalidKey(key[:64] + "...", f"has a segment over {_MAX_SEGMENT_BYTES} bytes")


@dataclass
class ObjectMeta:
    """What S3 says about an object besides its bytes; ``size``/``mtime_ns``/``inode`` tie
    the record to the one file it was made for."""

    etag: str  # without quotes: hex MD5, or "<hex>-<parts>" after a multipart upload
    size: int = 0
    mtime_ns: int = 0
    inode: int = 0
    content_type: str = "binary/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)  # Cache-Control, Content-Encoding...
    user: dict[str, str] = field(default_factory=dict)  # x-amz-meta-* without the prefix
    checksums: dict[str, str] = field(default_factory=dict)  # "crc32" -> base64, as S3 sends
    checksum_type: str = ""  # "FULL_OBJECT" or "COMPOSITE" when checksums are kept
    part_sizes: list[int] = field(default_factory=list)  # a multipart upload's, for its ETag
    ctime_ns: int = 0  # no one can set a file's ctime: a write in place always changes it

    def matches(self, stat: os.stat_result) -> bool:
        return (self.size, self.mtime_ns, self.inode, self.ctime_ns) == (
            stat.st_size,
            stat.st_mtime_ns,
            stat.st_ino,
            stat.st_ctime_ns,
        )


@dataclass
class StoredObject:
    """An object as found: its file, that file's stat, and its checked record."""

    path: Path
    stat: os.stat_result
    meta: ObjectMeta


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_etag(path: Path, part_sizes: list[int]) -> str:
    """S3's ETag of the file's bytes: their MD5, or, cut into parts of ``part_sizes``, the
    MD5 of the parts' MD5s with ``-N`` (sizes that do not add up: the plain MD5)."""
    if len(part_sizes) < 1 or sum(part_sizes) != os.path.getsize(path):
        return file_md5(path)
    digests = []
    with open(path, "rb") as source:
        for size in part_sizes:
            digest = hashlib.md5()
            while size > 0 and (chunk := source.read(min(_CHUNK, size))):
                digest.update(chunk)
                size -= len(chunk)
            digests.append(digest.digest())
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(part_sizes)}"


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f"{PARTIAL_PREFIX}{target.name}.{os.getpid()}.{time.monotonic_ns()}")
    try:
        with open(temp, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class LocalBuckets:
    """The buckets under ``root`` (default: ``<state dir>/buckets``), plus the local store's."""

    def __init__(self, root: Path | None = None):
        default = state_dir() / "buckets"
        self.root = Path(root) if root is not None else default
        # the reserved bucket stays where LocalStore keeps it, so staged files show up; a
        # root of one's own (tests) keeps it inside, as any other bucket
        own = os.path.abspath(self.root) != os.path.abspath(default)
        self._reserved = self.root / LOCAL_STORE_BUCKET if own else store_root()

    # buckets -----------------------------------------------------------------------------
    def bucket_dir(self, bucket: str) -> Path:
        check_bucket_name(bucket)
        return self._reserved if bucket == LOCAL_STORE_BUCKET else self.root / bucket

    def exists(self, bucket: str) -> bool:
        if bucket == LOCAL_STORE_BUCKET:
            return True
        try:
            return self.bucket_dir(bucket).is_dir()
        except InvalidBucketName:
            return False

    def _record(self, bucket: str) -> Path:
        return self.root / ".buckets" / f"{bucket}.json"

    def create(self, bucket: str, region: str = "us-east-1") -> None:
        """A new, empty bucket; BucketAlreadyOwnedByYou if it exists."""
        path = self.bucket_dir(bucket)
        if bucket == LOCAL_STORE_BUCKET and path.is_dir():
            raise BucketAlreadyOwnedByYou(bucket)
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir()
        except FileExistsError:
            raise BucketAlreadyOwnedByYou(bucket) from None
        record = {"created": time.time(), "region": region}
        _write_atomically(self._record(bucket), json.dumps(record).encode())

    def _bucket_record(self, bucket: str) -> dict:
        try:
            return json.loads(self._record(bucket).read_bytes())
        except (OSError, ValueError):
            return {}

    def created(self, bucket: str) -> float:
        """When the bucket was created (epoch seconds): its record, else its directory's."""
        value = self._bucket_record(bucket).get("created")
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return self.bucket_dir(bucket).stat().st_mtime
        except OSError:
            return time.time()

    def region(self, bucket: str) -> str:
        value = self._bucket_record(bucket).get("region")
        return value if isinstance(value, str) else "us-east-1"

    def names(self) -> list[str]:
        """Every bucket, the local store's included, sorted."""
        found = {LOCAL_STORE_BUCKET}
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            entries = []
        for entry in entries:
            if entry.is_dir() and _BUCKET_NAME.fullmatch(entry.name):
                found.add(entry.name)
        return sorted(found)

    def delete(self, bucket: str) -> None:
        """Remove an empty bucket (NoSuchBucket, BucketNotEmpty); the local store's stays."""
        if not self.exists(bucket):
            raise NoSuchBucket(bucket)
        if self.store(bucket).list_sync(""):
            raise BucketNotEmpty(bucket)
        if bucket == LOCAL_STORE_BUCKET:
            raise UserError(
                f"the bucket {bucket} is the local store's and cannot be deleted", field="bucket"
            )
        for leftover in (self.meta_dir(bucket), self.uploads_dir(bucket)):
            shutil.rmtree(leftover, ignore_errors=True)
        shutil.rmtree(self.bucket_dir(bucket), ignore_errors=True)
        self._record(bucket).unlink(missing_ok=True)

    def store(self, bucket: str) -> LocalStore:
        """The bucket as an :class:`~.store.ObjectStore` (keys contained as the local store's)."""
        if not self.exists(bucket):
            raise NoSuchBucket(bucket)
        return LocalStore(self.bucket_dir(bucket), bucket)

    # objects -----------------------------------------------------------------------------
    def meta_dir(self, bucket: str) -> Path:
        return self.root / ".meta" / bucket

    def uploads_dir(self, bucket: str) -> Path:
        return self.root / ".uploads" / bucket

    def _meta_path(self, bucket: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.meta_dir(bucket) / digest[:2] / digest

    def object_path(self, bucket: str, key: str) -> Path:
        """The file of ``key`` (InvalidKey for a key it cannot be; NoSuchBucket).

        Contained: a symbolic link in the bucket's directory that leads out of it (placed
        there by hand) is refused, so no key reads or writes a file outside the bucket."""
        check_key(key)
        if not self.exists(bucket):
            raise NoSuchBucket(bucket)
        top = self.bucket_dir(bucket)
        path = top / key
        real_top = os.path.realpath(top)
        if not os.path.realpath(path).startswith(real_top + os.sep):
            raise InvalidKey(key, "leads out of the bucket through a symbolic link")
        return path

    def find(self, bucket: str, key: str) -> StoredObject | None:
        """The object with its checked record, or None when there is no such object."""
        path = self.object_path(bucket, key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        meta = self._read_meta(bucket, key)
        if meta is None or not meta.matches(stat):
            meta = self._recomputed(path, meta)
            self._stamp(meta, stat)
            self._write_meta(bucket, key, meta)
        return StoredObject(path, stat, meta)

    @staticmethod
    def _recomputed(path: Path, kept: ObjectMeta | None) -> ObjectMeta:
        """A record for the file's bytes as they are. What ``kept`` says besides the ETag
        (type, metadata, checksums) is carried over only when its ETag is the bytes' own:
        the file was linked or touched, not changed."""
        etag = file_etag(path, kept.part_sizes if kept is not None else [])
        if kept is not None and kept.etag == etag:
            return kept
        return ObjectMeta(etag=file_md5(path) if "-" in etag else etag)

    def _read_meta(self, bucket: str, key: str) -> ObjectMeta | None:
        try:
            data = json.loads(self._meta_path(bucket, key).read_bytes())
            return ObjectMeta(**data) if isinstance(data, dict) else None
        except (OSError, ValueError, TypeError):
            return None  # missing or corrupt: recomputed by the caller

    def _write_meta(self, bucket: str, key: str, meta: ObjectMeta) -> None:
        try:
            _write_atomically(self._meta_path(bucket, key), json.dumps(asdict(meta)).encode())
        except OSError:
            pass  # a record is a cache of what the bytes say: next reader recomputes it

    @staticmethod
    def _stamp(meta: ObjectMeta, stat: os.stat_result) -> None:
        meta.size, meta.mtime_ns, meta.inode = stat.st_size, stat.st_mtime_ns, stat.st_ino
        meta.ctime_ns = stat.st_ctime_ns

    def temp_file(self, bucket: str) -> Path:
        """A fresh temporary name inside the bucket's directory (hidden from readers), where
        an object is written before :meth:`commit` renames it into place."""
        if not self.exists(bucket):
            raise NoSuchBucket(bucket)
        import uuid

        directory = self.bucket_dir(bucket)
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"{PARTIAL_PREFIX}{uuid.uuid4().hex}"

    def commit(self, bucket: str, key: str, temp: Path, meta: ObjectMeta) -> ObjectMeta:
        """Rename ``temp`` to be ``key`` and record ``meta`` for it; the temp file is gone
        either way. InvalidKey when a folder holds the key's name or an object a folder's."""
        try:
            target = self.object_path(bucket, key)
            self._place(key, temp, target)
            stat = target.stat()
        finally:
            temp.unlink(missing_ok=True)
        self._stamp(meta, stat)
        self._write_meta(bucket, key, meta)
        return meta

    def _place(self, key: str, temp: Path, target: Path) -> None:
        for _ in range(3):  # a concurrent delete may prune the folders just made
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise InvalidKey(key, "lies under a key that is an object here") from None
            try:
                os.replace(temp, target)
                return
            except FileNotFoundError:
                if not temp.exists():
                    raise
            except (IsADirectoryError, OSError) as error:
                if not target.is_dir():
                    raise
                try:
                    target.rmdir()  # an empty folder left by deleted objects
                except OSError:
                    raise InvalidKey(key, "is a folder of other objects here") from error
        raise InvalidKey(key, "could not be placed: its folders kept vanishing")

    def delete_object(self, bucket: str, key: str) -> None:
        """Remove ``key`` if it is there (S3 answers the same either way), and the folders it
        leaves empty."""
        path = self.object_path(bucket, key)
        try:
            if path.is_file():
                path.unlink()
        except FileNotFoundError:
            pass
        except NotADirectoryError:
            return
        self._meta_path(bucket, key).unlink(missing_ok=True)
        top = self.bucket_dir(bucket)
        parent = path.parent
        while parent != top and top in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def keys(self, bucket: str, prefix: str = "") -> list[tuple[str, int]]:
        """(key, size) of the objects starting with ``prefix``, in S3's order (UTF-8 bytes)."""
        store = self.store(bucket)
        folder = prefix[: prefix.rfind("/") + 1]
        try:
            check_key(folder + "x")
        except InvalidKey:
            return []  # no key this store holds can start so
        return [(key, size) for key, size in store.list_sync(folder) if key.startswith(prefix)]
