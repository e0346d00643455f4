"""One object-store interface, two implementations: S3 (obstore) and the local store.

Every data path (staging, downloads, a local run's S3 channels, the local engine, input
checks) opens a store with :func:`~.stores.open_store` and talks to the
:class:`ObjectStore` it gets; none of them asks which one it is. A store's
``list(prefix)`` matches raw key prefixes, as S3 and SageMaker do (``data/tr`` matches
``data/train-1.csv``), so the local engine and local runs see exactly the objects a
SageMaker job would.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Callable, NamedTuple, Protocol, cast

from ..errors import UserError

Progress = Callable[[int], None]  # called with the number of bytes just moved
Listed = tuple[str, int, "str | None"]  # (key, size, ETag without quotes; None: not given)
Listing = list[Listed]  # a name outside the stores, whose method ``list`` hides the builtin


class Stored(NamedTuple):
    """What putting a file did: bytes an interrupted earlier upload had sent (kept, not
    sent again), and the ETag the store gave the object (None: it gives none)."""

    resumed: int = 0
    etag: str | None = None


def unquoted(etag: str | None) -> str | None:
    """An ETag as S3 lists it (``"abc"``) without its quotes."""
    return etag.strip('"') if etag else None


class ContentChanged(UserError):
    """The bytes read for upload are not the bytes that were hashed: nothing is stored."""

    def __init__(self, path: str):
        super().__init__(f"{path} changed or vanished while staging it", fix="run again")


class CannotWrite(UserError):
    """A download could not be written here (a full disk, a read-only file system): this
    machine's trouble, which a message must not blame on the store the bytes came from."""

    def __init__(self, path: str, error: OSError):
        import errno

        full = error.errno in (errno.ENOSPC, errno.EDQUOT)
        fix = "free space there, or download somewhere else" if full else (
            "download somewhere this user can write")  # fmt: skip
        super().__init__(f"cannot write {path}: {error.strerror or error}", fix=fix)
        self.error = error


def write_at(fd: int, data, offset: int, path: str) -> int:
    """Write all of ``data`` into ``fd`` at ``offset``; the offset after it. A failure is
    :class:`CannotWrite` naming ``path``, never a fault of the store being read."""
    import os

    view = memoryview(data)
    try:
        while view:
            written = os.pwrite(fd, view, offset)
            view, offset = view[written:], offset + written
    except OSError as error:
        raise CannotWrite(path, error) from None
    return offset


class ObjectStore(Protocol):
    bucket: str
    endpoint: str  # what failed, for messages: a URL or "the local store"
    needs_aws: bool
    answers_at_once: bool  # an AtOnceStore (see below)

    def uri(self, key: str) -> str: ...
    def prepare(self, region: str) -> None: ...
    def list_sync(self, prefix: str) -> list[tuple[str, int]]: ...
    async def list(
        self, prefix: str, *, split_after: Sequence[str] = ()
    ) -> list[tuple[str, int]]: ...  # split_after: where the listing may be split (S3)
    async def list_tagged(
        self, prefix: str, *, split_after: Sequence[str] = ()
    ) -> Listing: ...  # as list, with each object's ETag
    async def head(self, key: str) -> int | None: ...
    async def head_etag(self, key: str) -> tuple[int, str | None] | None: ...  # None: missing
    async def checksum_sha256(self, key: str) -> str | None: ...  # hex; None: none kept
    async def get_bytes(self, key: str) -> bytes: ...
    async def get_file(self, key: str, path: str, size: int, progress: Progress) -> None: ...
    def mode_of(self, key: str) -> int | None: ...
    def link(
        self, key: str, target: Path, *, owner_unmapped: bool = False, for_job: bool = False
    ) -> bool: ...
    async def put_file(
        self, key: str, path: str, *, sha256: str | None, progress: Progress
    ) -> Stored: ...
    async def put_bytes(self, key: str, data: bytes) -> None: ...
    async def copy(self, source_key: str, key: str) -> bool: ...
    async def delete(self, key: str) -> None: ...


class AtOnceStore(ObjectStore, Protocol):
    """A store whose every read is a file operation here (the local store): asked on the
    caller's thread, with no event loop started for it (importing asyncio alone costs a
    warm local run a sixth of its time). ``answers_at_once`` says a store is one."""

    def head_sync(self, key: str) -> int | None: ...
    def get_file_sync(self, key: str, path: str, size: int, progress: Progress) -> None: ...


def at_once(store: ObjectStore) -> AtOnceStore | None:
    """``store`` as an :class:`AtOnceStore` when it answers at once, else None."""
    return cast(AtOnceStore, store) if store.answers_at_once else None
