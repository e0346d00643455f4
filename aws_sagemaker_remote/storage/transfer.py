"""The one transfer engine: bounded concurrency, a memory budget, integrity, progress.

Every data path moves bytes through :class:`Transfers` against an
:class:`~.store.ObjectStore`: uploads hash what they send and fail when it is not the
digest they are filed under (:meth:`ObjectStore.put_file`), downloads write through a short
temporary name beside the destination and rename it, only into places
:mod:`containment` allowed. Progress goes to a callback as :class:`TransferProgress`
events (s3transfer's subscribers, not prints): the command line decides how to draw them.
The timeouts in :class:`TransferConfig` bound how long a stalled endpoint can hold a run.

asyncio is imported where a transfer runs, not with this module: a warm local-engine run
finds everything in place without an event loop and should not pay for importing one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from .store import AtOnceStore, CannotWrite, ContentChanged, ObjectStore

MiB = 1024 * 1024
_SMALL = MiB  # bodies below this skip the byte budget (max_concurrency bounds them already)
T = TypeVar("T")


class TransferConfig(NamedTuple):
    """Every transfer tunable, with its default."""

    max_concurrency: int = 64  # requests in flight (a multipart upload counts once)
    multipart_threshold: int = 64 * MiB  # files larger than this go multipart / ranged GETs
    multipart_chunk_size: int = 16 * MiB  # part size (S3: at least 5 MiB, at most 10,000 parts)
    multipart_concurrency: int = 8  # parts in flight per multipart transfer
    max_bytes_in_flight: int = 1024 * MiB  # memory bound for file bodies being sent
    connect_timeout_s: float = 5.0  # establishing a connection
    # obstore: the longest a request may wait for its answer, sending its body included
    # (a 16 MiB part needs at least 0.6 MiB/s per part in flight)
    read_timeout_s: float = 30.0
    socket_timeout_s: float = 15.0  # boto3 (listings, buckets): no byte moved for this long
    request_timeout_s: float = 600.0  # one request, connect to last byte
    max_retries: int = 4  # per request, for 5xx, timeouts and dropped connections
    retry_timeout_s: float = 20.0  # no new retry starts this long after the first attempt
    boto3_attempts: int = 2  # boto3 calls: attempts x (connect + socket timeout) < 60 s
    max_backoff_s: float = 4.0
    copy_limit: int = 5 * 1024 * MiB  # CopyObject's largest source; bigger files are re-sent

    def stall_limit_s(self) -> float:
        """The longest a request to a frozen endpoint can take before it fails (< 60 s)."""
        attempt = self.connect_timeout_s + self.read_timeout_s
        obstore = self.retry_timeout_s + attempt + self.max_backoff_s
        boto3 = self.boto3_attempts * (self.connect_timeout_s + self.socket_timeout_s + 2)
        return max(obstore, boto3)


class TransferProgress(NamedTuple):
    """What a running transfer has done so far (sent to the ``progress`` callback)."""

    what: str  # "staging", "downloading", "uploading", "fetching"
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    elapsed_s: float
    final: bool = False

    def __str__(self) -> str:
        """``staging: 3/15 files, 1.0 GiB/1.4 GiB (210.0 MiB/s)``: the line people read."""
        from ..wording import size

        rate = self.bytes_done / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return (
            f"{self.what}: {self.files_done}/{self.files_total} files, "
            f"{size(self.bytes_done)}/{size(self.bytes_total)} ({size(rate)}/s)"
        )


ProgressCallback = Callable[[TransferProgress], None]


class _ByteBudget:
    """At most ``limit`` bytes of file bodies in flight (one oversized body may go alone)."""

    def __init__(self, limit: int):
        import asyncio

        self.limit, self.used = limit, 0
        self.changed = asyncio.Condition()

    @asynccontextmanager
    async def hold(self, n: int):
        n = min(n, self.limit)
        if n < _SMALL:
            yield
            return
        async with self.changed:
            await self.changed.wait_for(lambda: self.used + n <= self.limit)
            self.used += n
        try:
            yield
        finally:
            async with self.changed:
                self.used -= n
                self.changed.notify_all()


class Transfers:
    """One run's transfers: created inside the event loop that runs them."""

    def __init__(
        self,
        config: TransferConfig,
        what: str,
        progress: ProgressCallback | None = None,
        *,
        every_s: float = 0.2,
    ):
        import asyncio

        self.config = config
        self.what = what
        self.requests = asyncio.Semaphore(config.max_concurrency)
        self.budget = _ByteBudget(config.max_bytes_in_flight)
        self.callback = progress
        self.every_s = every_s
        self.files_total = self.bytes_total = self.files_done = self.bytes_done = 0
        self.bytes_resumed = 0  # parts an interrupted earlier upload had sent, kept
        self.started = self.reported = time.monotonic()

    def expect(self, files: int, nbytes: int) -> None:
        self.files_total += files
        self.bytes_total += nbytes

    def moved(self, n: int) -> None:
        self.bytes_done += n
        self._report()

    def finished(self, files: int = 1, nbytes: int = 0) -> None:
        """``files`` are done; ``nbytes`` of them moved without passing through :meth:`moved`."""
        self.files_done += files
        self.bytes_done += nbytes
        self._report()

    def _report(self, final: bool = False) -> None:
        now = time.monotonic()
        if self.callback is None or (not final and now - self.reported < self.every_s):
            return
        self.reported = now
        self.callback(
            TransferProgress(
                self.what,
                self.files_done,
                self.files_total,
                self.bytes_done,
                self.bytes_total,
                now - self.started,
                final,
            )
        )

    def close(self) -> None:
        self._report(final=True)

    # the operations ------------------------------------------------------------------------
    async def upload(
        self, store: ObjectStore, key: str, path: str, size: int, sha256
    ) -> str | None:
        """Put the file at ``key``; the ETag the store gave it (None: none given)."""
        body = size
        if size > self.config.multipart_threshold:
            body = min(size, self.config.multipart_chunk_size * self.config.multipart_concurrency)
        async with self.budget.hold(body), self.requests:
            try:
                stored = await store.put_file(key, path, sha256=sha256, progress=self.moved)
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                raise ContentChanged(path) from None  # the local file, gone since its scan
        self.bytes_resumed += stored.resumed
        self.finished()
        return stored.etag

    async def copy(self, store: ObjectStore, source_key: str, key: str, size: int) -> bool:
        async with self.requests:
            ok = await store.copy(source_key, key)
        if ok:
            self.finished(1, size)
        return ok

    async def put_bytes(self, store: ObjectStore, key: str, data: bytes) -> None:
        async with self.requests:
            await store.put_bytes(key, data)

    async def download(
        self, store: ObjectStore, key: str, size: int, target: Path, *, link: bool = False
    ) -> None:
        """Write object ``key`` at ``target`` (a place :mod:`containment` allowed)."""
        make_directory(target.parent)
        if link and store.link(key, target):
            self.finished(1, size)
            return
        mode = store.mode_of(key)
        async with self.budget.hold(min(size, self.config.multipart_chunk_size)), self.requests:
            with _renamed_once_filled(target, mode) as temp:
                await store.get_file(key, temp, size, self.moved)
        self.finished()


def download_now(
    store: AtOnceStore,
    key: str,
    size: int,
    target: Path,
    *,
    link: bool,
    progress: Callable[[int], None] | None = None,
) -> bool:
    """:meth:`Transfers.download` from a store that answers at once, on this thread: the
    same link, or the same copy through a temporary name beside ``target`` (``progress``
    hears the bytes copied as they go). True when linked, False when copied."""
    make_directory(target.parent)
    if link and store.link(key, target):
        return True
    with _renamed_once_filled(target, store.mode_of(key)) as temp:
        store.get_file_sync(key, temp, size, progress or (lambda n: None))
    return False


def make_directory(path: Path) -> None:
    """``path`` and its parents, where downloads go; failing is :class:`CannotWrite`."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CannotWrite(str(path), error) from None


_UMASK: list[int] = []  # this process's umask, read once


def umask() -> int:
    """The process's umask, read without changing it where Linux says it (another thread
    creating a file meanwhile would get the wrong mode), else set back at once."""
    if not _UMASK:
        try:
            with open("/proc/self/status") as status:
                found = [line.split()[1] for line in status if line.startswith("Umask:")]
            _UMASK.append(int(found[0], 8))
        except (OSError, IndexError, ValueError):
            current = os.umask(0o022)
            os.umask(current)
            _UMASK.append(current)
    return _UMASK[0]


def new_file_mode() -> int:
    """The mode a file created here gets (0666 less the umask): an object's own mode is
    unknown, and mkstemp's 0600 would make every downloaded file private."""
    return 0o666 & ~umask()


@contextmanager
def _renamed_once_filled(target: Path, mode: int | None) -> Iterator[str]:
    """A new empty file beside ``target`` to fill, locked while it is filled (see
    :mod:`.tempfiles`: a killed run's is removed by a later one); given ``mode`` (None: what
    a file created here gets) and renamed onto ``target`` when filling it succeeded, removed
    when it did not. Failing to write is :class:`CannotWrite` naming ``target``, not the
    temporary name."""
    from contextlib import ExitStack

    from .tempfiles import DOWNLOAD_PREFIX, held_temporary

    with ExitStack() as held:
        try:
            _fd, temp = held.enter_context(held_temporary(target.parent, DOWNLOAD_PREFIX))
        except OSError as error:
            raise CannotWrite(str(target), error) from None
        try:
            yield temp
            os.chmod(temp, new_file_mode() if mode is None else mode)
            os.replace(temp, target)
        except CannotWrite as failed:
            _unlink(temp)
            raise CannotWrite(str(target), failed.error) from None
        except BaseException:
            _unlink(temp)
            raise


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


async def all_or_nothing(coroutines: Iterable[Awaitable]) -> None:
    """Run all; on the first failure cancel the rest and raise it."""
    import asyncio

    tasks = [asyncio.ensure_future(c) for c in coroutines]
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        failure = task.exception()
        if failure is not None:
            raise failure


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, also from code that already runs an event loop (e.g. a notebook)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
