"""The local store: S3 URIs of one reserved bucket that live in a directory of this machine.

With ``--sagemaker-instance local`` and no S3 location asked for, staging writes to
``s3://LOCAL_STORE_BUCKET/...`` and the local engine reads from it, so the job request
keeps valid S3 URIs while nothing leaves the machine. The directory is
``<state dir>/store/<key>``; the state directory is private (0700).

:class:`LocalStore` is one implementation of :class:`~.store.ObjectStore`. A key is a
path under the store only after :func:`key_path` has normalised it: ``..``, ``.``,
empty segments and absolute keys are refused, so no URI can write outside the store.
Files keep their permission bits (a 0600 input stays 0600); the store's copy loses its
write bits when a local job links it (:meth:`LocalStore.link`), so a job cannot change it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Callable

from ..errors import UserError
from .store import ContentChanged, Listing, Stored, write_at
from .tempfiles import PARTIAL_PREFIX, is_temporary, remove_if_abandoned

LOCAL_STORE_BUCKET = "aws-sagemaker-remote-local-store"
STATE_ENV = "AWS_SAGEMAKER_REMOTE_HOME"
_CHUNK = 1024 * 1024


async def _in_thread(function: Callable, *args):
    """``asyncio.to_thread``; asyncio is imported here, not above: a warm local run that
    finds everything in place never starts an event loop and should not pay for one."""
    import asyncio

    return await asyncio.to_thread(function, *args)


def state_dir() -> Path:
    """Where the job store, the local store and caches live (created on first use, 0700)."""
    explicit = os.environ.get(STATE_ENV)
    if explicit:
        path = Path(explicit)
    else:
        base = os.environ.get("XDG_STATE_HOME") or os.path.join(
            os.path.expanduser("~"), ".local", "state"
        )
        path = Path(base) / "aws-sagemaker-remote"
    if not path.is_dir():
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(path, 0o700)  # mkdir's mode is subject to the umask
        except OSError:  # whoever writes there says what is wrong
            pass
    return path


def store_root() -> Path:
    return state_dir() / "store"


def is_local_store_uri(uri: str) -> bool:
    return uri.startswith(f"s3://{LOCAL_STORE_BUCKET}/") or uri == f"s3://{LOCAL_STORE_BUCKET}"


def normal_key(key: str, what: str) -> str:
    """``key`` with empty segments dropped; UserError for ``..``, ``.`` or an absolute key."""
    if key.startswith("/"):
        raise UserError(f"{what}: an absolute key cannot be placed in the local store")
    parts = [p for p in key.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise UserError(
            f"{what}: '.' and '..' are not allowed in a local-store key",
            fix="name the object without them",
        )
    normal = "/".join(parts)
    return normal + "/" if key.endswith("/") and normal else normal


def key_path(key: str, what: str | None = None) -> Path:
    """The path standing for ``key``, always inside the store's directory."""
    return store_root() / normal_key(key, what or f"s3://{LOCAL_STORE_BUCKET}/{key}")


def local_store_path(uri: str) -> Path:
    """The file or directory standing for a local-store URI (contained, see :func:`key_path`)."""
    if not is_local_store_uri(uri):
        raise ValueError(f"not a local-store URI: {uri}")
    key = uri[len(f"s3://{LOCAL_STORE_BUCKET}") :]
    return key_path(key[1:] if key.startswith("/") else key, uri)


def atomic_write(target: Path, write: Callable[[IO[bytes]], object], mode: int = 0o644) -> None:
    """Write through a temporary name and rename, so a half-written file never appears;
    the temporary file is locked while written (a killed run's is removed later, see
    :mod:`.tempfiles`)."""
    from .tempfiles import held_temporary  # not at the top: readers need not pay for it

    target.parent.mkdir(parents=True, exist_ok=True)
    with held_temporary(target.parent, PARTIAL_PREFIX) as (fd, temp):
        try:
            with open(os.dup(fd), "wb") as out:
                write(out)
            os.chmod(temp, mode)
            os.replace(temp, target)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise


def _cannot_store(target: Path, error: OSError) -> Exception:
    from ..errors import ServiceError

    return ServiceError(
        f"the local store could not write {target}: {error.strerror or error}",
        endpoint=LocalStore.endpoint,
    )


_FICLONE = 0x40049409  # Linux ioctl: share the extents of another file, copy on write


def _reflink(source: Path, target: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import fcntl

    try:
        with open(source, "rb") as src, open(target, "xb") as dst:
            try:
                fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
            except OSError:
                dst.close()
                os.unlink(target)
                return False
            os.chmod(target, (os.fstat(src.fileno()).st_mode & 0o777) | 0o200)
        return True
    except OSError:
        return False


NOBODY = 65534  # the overflow user: unmapped in a job's user namespace


def _can_link() -> bool:
    # root ignores the read-only bit that protects the store's copy, so root copies
    return hasattr(os, "geteuid") and os.geteuid() != 0


class LocalStore:
    """A bucket kept in a directory as an object store: keys are files under it.

    Without arguments, the local store's reserved bucket; ``serve`` opens one per bucket of
    its own (:class:`~.localbuckets.LocalBuckets`) with the same containment of keys.
    """

    endpoint = "the local store"
    needs_aws = False
    answers_at_once = True  # a read is a file operation: worth no event loop

    def __init__(self, root: Path | None = None, bucket: str = LOCAL_STORE_BUCKET):
        self.bucket = bucket
        self._fixed_root = root  # None: the state directory's, looked up on each use

    @property
    def root(self) -> Path:
        return self._fixed_root if self._fixed_root is not None else store_root()

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def _path(self, key: str) -> Path:
        return self.root / normal_key(key, self.uri(key))

    def path_of(self, key: str) -> Path:
        """The file standing for ``key`` (contained: ``..`` and absolute keys refused)."""
        return self._path(key)

    def prepare(self, region: str) -> None:
        """Nothing to create but the directory."""
        self.root.mkdir(parents=True, exist_ok=True)

    # reading -------------------------------------------------------------------------------
    def list_sync(self, prefix: str) -> list[tuple[str, int]]:
        """(key, size) of every object whose key starts with ``prefix``, as S3 matches keys."""
        base = self.root
        normal = normal_key(prefix, self.uri(prefix)) if prefix else ""
        folder = normal[: normal.rfind("/") + 1]
        found = []
        for root, dirs, files in os.walk(base / folder):
            rel_root = Path(root).relative_to(base).as_posix()
            rel_root = "" if rel_root == "." else rel_root + "/"
            dirs[:] = [
                d
                for d in dirs
                if (rel_root + d + "/").startswith(normal) or normal.startswith(rel_root + d + "/")
            ]
            for name in files:
                key = rel_root + name
                if name.startswith(PARTIAL_PREFIX):
                    if is_temporary(name):  # being written, or a killed writer's
                        remove_if_abandoned(os.path.join(root, name))
                    continue
                if key.startswith(normal):
                    try:
                        found.append((key, os.path.getsize(os.path.join(root, name))))
                    except OSError:
                        continue
        return sorted(found)

    async def list(self, prefix: str, *, split_after: Sequence[str] = ()) -> list[tuple[str, int]]:
        return await _in_thread(self.list_sync, prefix)

    async def list_tagged(self, prefix: str, *, split_after: Sequence[str] = ()) -> Listing:
        """No ETags: the store's directory is private to this user, so what is there is
        what this tool put there."""
        return [(key, size, None) for key, size in await self.list(prefix)]

    async def head_etag(self, key: str) -> tuple[int, str | None] | None:
        size = self.head_sync(key)
        return None if size is None else (size, None)

    async def checksum_sha256(self, key: str) -> str | None:
        return None

    def head_sync(self, key: str) -> int | None:
        try:
            path = self._path(key)
            return path.stat().st_size if path.is_file() else None
        except OSError:
            return None

    async def head(self, key: str) -> int | None:
        return self.head_sync(key)

    def modified_sync(self, key: str) -> float | None:
        """The object's modification time (epoch seconds), for a listing; None if absent."""
        try:
            path = self._path(key)
            return path.stat().st_mtime if path.is_file() else None
        except (OSError, UserError):
            return None

    def open_sync(self, key: str) -> IO[bytes]:
        """The object opened for reading, to stream it (FileNotFoundError if absent)."""
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(self.uri(key))
        return open(path, "rb")

    async def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await _in_thread(path.read_bytes)
        except FileNotFoundError:
            raise FileNotFoundError(self.uri(key)) from None

    def mode_of(self, key: str) -> int | None:
        """Permission bits to give a copy of the object (the owner may write it again)."""
        try:
            return (self._path(key).stat().st_mode & 0o777) | 0o200
        except OSError:
            return None

    def get_file_sync(self, key: str, path: str, size: int, progress) -> None:
        """Fill ``path`` (opened by name, never created: see :meth:`S3Store._fetch`)."""
        with open(self._path(key), "rb") as source:
            fd, moved = os.open(path, os.O_WRONLY), 0
            try:
                while chunk := source.read(_CHUNK):
                    moved = write_at(fd, chunk, moved, path)
                    progress(len(chunk))  # a large file's copy is heard as it goes
            finally:
                os.close(fd)

    async def get_file(self, key: str, path: str, size: int, progress) -> None:
        copied: list[int] = []
        await _in_thread(self.get_file_sync, key, path, size, copied.append)
        progress(sum(copied))  # on the loop's thread, as every progress call

    def link(
        self, key: str, target: Path, *, owner_unmapped: bool = False, for_job: bool = False
    ) -> bool:
        """Place the object at ``target`` without copying its bytes, when that is safe: a
        copy-on-write clone (reflink), else a hard link made read-only first. A read-only
        link protects the store's copy only from a reader that cannot ``chmod`` it back:
        root ignores a missing write bit, and a job of this engine runs as its owner
        (``for_job``). So for them only with ``owner_unmapped``: the reader is root of a user
        namespace that maps no other user, so a file owned by nobody (65534) and read-only
        is beyond its capabilities (it can neither write nor chmod it); a file others may
        not read is not linked then. False: the caller copies."""
        source = self._path(key)
        if _reflink(source, target):
            return True
        try:
            mode = source.stat().st_mode
            if for_job or not _can_link():
                if not owner_unmapped or not mode & 0o004:
                    return False
                os.chown(source, NOBODY, NOBODY)
            if mode & 0o222:
                os.chmod(source, mode & ~0o222)
            os.link(source, target)
            return True
        except OSError:
            return False

    # writing -------------------------------------------------------------------------------
    async def put_file(self, key: str, path: str, *, sha256: str | None, progress) -> Stored:
        """Copy one file in (nothing half-written survives an atomic write's rename). The
        local file gone is FileNotFoundError (the caller says it changed); the store's side
        failing is a ServiceError naming the store's file, never blamed on the local one."""
        target = self._path(key)

        def copy() -> None:
            digest = hashlib.sha256()
            with open(path, "rb") as source:
                mode = os.fstat(source.fileno()).st_mode & 0o777

                def write(out: IO[bytes]) -> None:
                    while True:
                        chunk = source.read(_CHUNK)
                        if not chunk:
                            break
                        digest.update(chunk)
                        out.write(chunk)
                        progress(len(chunk))
                    if sha256 is not None and digest.hexdigest() != sha256:
                        raise ContentChanged(path)

                try:
                    atomic_write(target, write, mode)
                except OSError as error:
                    raise _cannot_store(target, error) from error  # a full disk is told by it

        await _in_thread(copy)
        return Stored()

    async def put_bytes(self, key: str, data: bytes) -> None:
        await _in_thread(atomic_write, self._path(key), lambda out: out.write(data))

    async def copy(self, source_key: str, key: str) -> bool:
        source, target = self._path(source_key), self._path(key)

        def copy() -> bool:
            try:
                mode = (source.stat().st_mode & 0o777) | 0o200
                with open(source, "rb") as src:
                    atomic_write(target, lambda out: shutil.copyfileobj(src, out, _CHUNK), mode)
                return True
            except FileNotFoundError:
                return False

        return await _in_thread(copy)

    async def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass
