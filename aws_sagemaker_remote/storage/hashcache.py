"""Local caches that make staging cheap to repeat: file hashes and where blobs already are.

Two tables in one SQLite file, ``<state dir>/hashcache.sqlite``:

- ``file_hash``: (absolute path, size, mtime_ns, ctime_ns, inode) -> sha256 and MD5 (both
  from the same read: the MD5 is what S3's ETag of a single-part object is, so a staged
  object is checked against the file without reading either again), so an unchanged
  file is never read twice. ctime is in the key as in git and restic: ``cp -p``, ``rsync -a``,
  tar and ``touch -d`` can give new bytes the old size and mtime, but never the old ctime.
  An entry whose file was modified less than :data:`RACY_WINDOW_NS` before
  it was hashed is not trusted (the file may change again within the same timestamp tick,
  as git's "racy" index entries); it is hashed once more on the next scan and then sticks.
- ``blob``: (staging root, sha256) -> object key, filled after every successful upload, so
  staging the same bytes under another tree becomes a server-side copy.
- ``object_etag``: (staging root, key) -> the sha256 this tool put there and the ETag S3
  answered: an object whose ETag is no MD5 (a multipart upload, SSE-KMS) is still known to be
  ours while its ETag is unchanged; any write to the key gives it another one.
- ``verdict``: (checker, sha256) -> what a content check (the secret scan) said of those
  bytes; stored only under the digest of the bytes the checker itself read.

Both are only caches. A locked or unwritable database must never fail a run: every SQLite
error falls back to hashing (or uploading). A corrupt file is replaced once, with a note
(:func:`take_notes`; the caller prints it), so the next run has a working cache again.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, NamedTuple

from .localstore import state_dir

CACHE_FILE = "hashcache.sqlite"
RACY_WINDOW_NS = 2_000_000_000
READ_CHUNK = 1024 * 1024
_BATCH = 500  # rows per SQL statement; below SQLite's historical 999-variable limit

SCHEMA_VERSION = 3  # 2: ctime_ns joined the file_hash key; 3: md5, object_etag
_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_hash (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, inode INTEGER,
    hashed_ns INTEGER, sha256 TEXT, md5 TEXT);
CREATE TABLE IF NOT EXISTS blob (
    root TEXT, sha256 TEXT, key TEXT, PRIMARY KEY (root, sha256));
CREATE TABLE IF NOT EXISTS object_etag (
    root TEXT, key TEXT, sha256 TEXT, etag TEXT, PRIMARY KEY (root, key));
CREATE TABLE IF NOT EXISTS verdict (
    checker TEXT, sha256 TEXT, verdict TEXT, PRIMARY KEY (checker, sha256));
"""
_TWO_THREADS_FROM = 4 * READ_CHUNK  # larger files: MD5 on a second thread beside SHA-256


class Digests(NamedTuple):
    """A file's SHA-256 (its name in the staging store) and MD5 (a single-part ETag)."""

    sha256: str
    md5: str


class HashStats(NamedTuple):
    """Process-wide counters: how many files came from the cache and how many were read."""

    cache_hits: int = 0
    files_hashed: int = 0
    bytes_hashed: int = 0


_stats = HashStats()
_stats_lock = threading.Lock()
_notes: list[str] = []


def take_notes() -> list[str]:
    """What the cache had to say since the last call (e.g. that it was rebuilt); cleared."""
    with _stats_lock:
        found = list(_notes)
        _notes.clear()
    return found


def _note(text: str) -> None:
    with _stats_lock:
        _notes.append(text)


def stats() -> HashStats:
    """A snapshot of the counters since the process started; compare two to see one scan."""
    return _stats


def _count(hits: int, hashed: int, nbytes: int) -> None:
    global _stats
    with _stats_lock:
        _stats = HashStats(
            _stats.cache_hits + hits, _stats.files_hashed + hashed, _stats.bytes_hashed + nbytes
        )


_buffers = threading.local()


def sha256_file(path: str) -> str:
    """The SHA-256 of one file (see :func:`digest_file`)."""
    return digest_file(path).sha256


def digest_file(path: str, moved: Callable[[int], None] | None = None) -> Digests:
    """SHA-256 and MD5 of one file in one read, in chunks (hashlib releases the GIL, so
    threads hash in parallel), into one buffer per thread: a fresh megabyte per file cost
    more than hashing a small one. A large file's MD5 runs on a second thread, so the two
    digests together take about the time of one. ``moved`` hears each chunk's size
    (progress of a large file)."""
    view = getattr(_buffers, "view", None)
    if view is None:
        view = _buffers.view = memoryview(bytearray(READ_CHUNK))
    try:
        return _digest_open(path, view, moved)
    except OSError as error:  # a read error names no file: say which one
        error.filename = error.filename or path
        raise


def _digest_open(path: str, view: memoryview, moved: Callable[[int], None] | None) -> Digests:
    sha256, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with open(path, "rb", buffering=0) as f:
        if os.fstat(f.fileno()).st_size < _TWO_THREADS_FROM:
            while n := f.readinto(view):
                sha256.update(view[:n])
                md5.update(view[:n])
                if moved is not None:
                    moved(n)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(1, thread_name_prefix="asr-md5") as beside:
                while n := f.readinto(view):
                    both = beside.submit(md5.update, view[:n])
                    sha256.update(view[:n])
                    both.result()
                    if moved is not None:
                        moved(n)
    return Digests(sha256.hexdigest(), md5.hexdigest())


# Who hears how hashing goes (a submission's progress callback), set around a scan by
# :func:`hashing_reported`; a context variable, so that another thread's scan is not told.
_listener: ContextVar[Callable[[Any], None] | None] = ContextVar("hashing", default=None)


@contextmanager
def hashing_reported(progress: Callable[[Any], None] | None) -> Iterator[None]:
    """Files hashed inside the block are reported to ``progress`` as TransferProgress
    ("hashing"): hashing gigabytes takes seconds, and a step that long is never silent."""
    token = _listener.set(progress)
    try:
        yield
    finally:
        _listener.reset(token)


class _Hashing:
    """Counts the bytes hashed by every thread of one :func:`hash_files`, and tells the
    listener at most every ``every_s`` (it throttles its own printing further)."""

    def __init__(self, listener: Callable[[Any], None], paths: list[str], total: int):
        self.listener, self.files_total, self.bytes_total = listener, len(paths), total
        self.files_done = self.bytes_done = 0
        self.lock = threading.Lock()
        self.started = self.reported = time.monotonic()

    def moved(self, n: int) -> None:
        with self.lock:
            self.bytes_done += n
            self._report(final=False)

    def hash(self, path: str) -> Digests:
        digest = digest_file(path, self.moved)
        with self.lock:
            self.files_done += 1
            self._report(final=self.files_done == self.files_total)
        return digest

    def _report(self, final: bool, every_s: float = 0.2) -> None:
        now = time.monotonic()
        if final or now - self.reported >= every_s:
            from .transfer import TransferProgress

            self.reported = now
            self.listener(
                TransferProgress(
                    "hashing",
                    self.files_done,
                    self.files_total,
                    self.bytes_done,
                    self.bytes_total,
                    now - self.started,
                    final,
                )
            )


def _connect(path: Path, timeout: float):
    """Open the cache, replacing a corrupt file; None when it cannot be used at all."""
    import sqlite3

    for attempt in range(2):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
            try:
                if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                    db.executescript("DROP TABLE IF EXISTS file_hash; DROP TABLE IF EXISTS blob;")
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.executescript(_SCHEMA)
                return db
            except sqlite3.Error:
                db.close()
                raise
        except sqlite3.DatabaseError as error:
            locked = isinstance(error, sqlite3.OperationalError)
            if locked or attempt:
                return None
            if not _replace_corrupt(path):
                return None
        except (sqlite3.Error, OSError):
            return None
    return None


def _replace_corrupt(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        return False
    _note(f"the hash cache {path} was corrupt and has been rebuilt (files are hashed again once)")
    return True


def _is_corruption(error: Exception) -> bool:
    import sqlite3

    return isinstance(error, sqlite3.DatabaseError) and not isinstance(
        error, sqlite3.OperationalError
    )


def _chunks(items: Sequence, size: int = _BATCH) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class StagingCache:
    """The SQLite cache file; every method degrades to "nothing known" on any SQLite error."""

    def __init__(self, path: str | os.PathLike | None = None, *, timeout: float = 2.0):
        self.path = Path(path) if path is not None else state_dir() / CACHE_FILE
        self.timeout = timeout  # seconds to wait for another process's lock, then go without
        self._db = None
        self._opened = False
        self._rebuilt = False

    def _damaged(self, error: Exception) -> None:
        """A query met a damaged file: replace it once, so the next run is served again."""
        if self._rebuilt or not _is_corruption(error):
            return
        self._rebuilt = True
        self.close()
        if _replace_corrupt(self.path):
            self._db = _connect(self.path, self.timeout)

    def _conn(self):
        if not self._opened:
            self._opened = True
            self._db = _connect(self.path, self.timeout)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> StagingCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _query(self, sql: str, rows_for: Sequence, make_args) -> list[tuple]:
        import sqlite3

        db = self._conn()
        if db is None:
            return []
        found: list[tuple] = []
        try:
            for chunk in _chunks(rows_for):
                marks = ",".join("?" * len(chunk))
                found.extend(db.execute(sql.format(marks=marks), make_args(chunk)).fetchall())
        except sqlite3.Error as error:
            self._damaged(error)
            return []
        return found

    def _write(self, sql: str, rows: Sequence[tuple]) -> None:
        import sqlite3

        db = self._conn()
        if db is None or not rows:
            return
        try:
            with db:
                db.execute("BEGIN")
                db.executemany(sql, rows)
        except sqlite3.Error as error:
            self._damaged(error)
            if self._db is not None and self._db is not db:
                self._write(sql, rows)

    # file hashes

    def lookup_hashes(self, stats: dict[str, os.stat_result]) -> dict[str, Digests]:
        """path -> digests for every path whose cached (size, mtime, ctime, inode) still match."""
        paths = list(stats)
        rows = self._query(
            "SELECT path, size, mtime_ns, ctime_ns, inode, hashed_ns, sha256, md5 FROM file_hash"
            " WHERE path IN ({marks})",
            paths,
            list,
        )
        known = {}
        for path, size, mtime_ns, ctime_ns, inode, hashed_ns, sha256, md5 in rows:
            st = stats[path]
            same = (size, mtime_ns, ctime_ns, inode) == (
                st.st_size,
                st.st_mtime_ns,
                st.st_ctime_ns,
                st.st_ino,
            )
            if same and md5 and hashed_ns - mtime_ns >= RACY_WINDOW_NS:  # racy, as git
                known[path] = Digests(sha256, md5)
        return known

    def store_hashes(self, rows: Sequence[tuple[str, os.stat_result, int, Digests]]) -> None:
        """Remember (path, stat, hashed_ns, digests) rows."""
        self._write(
            "INSERT OR REPLACE INTO file_hash VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (p, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, t, d.sha256, d.md5)
                for p, st, t, d in rows
            ],
        )

    # blob locations

    def blob_keys(self, root: str, sha256s: Sequence[str]) -> dict[str, str]:
        """sha256 -> object key already holding those bytes under ``root``."""
        rows = self._query(
            "SELECT sha256, key FROM blob WHERE root = ? AND sha256 IN ({marks})",
            sorted(set(sha256s)),
            lambda chunk: [root, *chunk],
        )
        return dict(rows)

    def add_blobs(
        self, root: str, blobs: Sequence[tuple[str, str]], *, replace: bool = True
    ) -> None:
        """Record (sha256, key) pairs known to be stored under ``root`` (replace: newer
        knowledge wins over an older key for the same bytes)."""
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        self._write(f"{verb} INTO blob VALUES (?, ?, ?)", [(root, h, k) for h, k in blobs])

    def forget_blobs(self, root: str, sha256s: Sequence[str]) -> None:
        """Drop locations that turned out to be gone (a copy from them failed)."""
        self._write("DELETE FROM blob WHERE root = ? AND sha256 = ?", [(root, h) for h in sha256s])

    # what this tool put at a key, and the ETag S3 gave it

    def object_etags(self, root: str, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
        """key -> (sha256, ETag) of the objects this tool stored at ``keys`` under ``root``."""
        rows = self._query(
            "SELECT key, sha256, etag FROM object_etag WHERE root = ? AND key IN ({marks})",
            sorted(set(keys)),
            lambda chunk: [root, *chunk],
        )
        return {key: (sha256, etag) for key, sha256, etag in rows}

    def add_object_etags(self, root: str, rows: Sequence[tuple[str, str, str]]) -> None:
        """Record (key, sha256, ETag) of objects just stored or found to hold those bytes."""
        self._write(
            "INSERT OR REPLACE INTO object_etag VALUES (?, ?, ?, ?)",
            [(root, k, h, e) for k, h, e in rows],
        )

    # content verdicts

    def verdicts(self, checker: str, sha256s: Sequence[str]) -> dict[str, str]:
        """sha256 -> what ``checker`` said of those bytes, for the digests it has judged."""
        rows = self._query(
            "SELECT sha256, verdict FROM verdict WHERE checker = ? AND sha256 IN ({marks})",
            sorted(set(sha256s)),
            lambda chunk: [checker, *chunk],
        )
        return dict(rows)

    def store_verdicts(self, checker: str, verdicts: Sequence[tuple[str, str]]) -> None:
        """Remember (sha256, verdict) pairs, each computed from the bytes of that digest."""
        self._write(
            "INSERT OR REPLACE INTO verdict VALUES (?, ?, ?)",
            [(checker, h, v) for h, v in verdicts],
        )


def hash_files(
    paths: Sequence[str],
    stats: Sequence[os.stat_result],
    *,
    cache: StagingCache | None = None,
    max_workers: int | None = None,
) -> list[Digests]:
    """sha256 and MD5 of each file, from the cache when its stat is unchanged, else read in
    parallel.

    ``stats`` are the os.stat results the caller already has (one per path), so a warm scan
    costs those stats and one batch of SQLite queries.
    """
    own_cache = cache is None
    cache = cache if cache is not None else StagingCache()
    try:
        by_path = dict(zip(paths, stats))
        known = cache.lookup_hashes(by_path)
        missing = [p for p in by_path if p not in known]
        if missing:
            workers = max_workers or min(32, (os.cpu_count() or 1) + 4)
            hashed_ns = time.time_ns()
            listener = _listener.get()
            hash_one: Callable[[str], Digests] = digest_file
            if listener is not None:
                total = sum(by_path[p].st_size for p in missing)
                hash_one = _Hashing(listener, missing, total).hash
            if len(missing) == 1:
                digests = [hash_one(missing[0])]
            else:
                from concurrent.futures import ThreadPoolExecutor  # only when files changed

                with ThreadPoolExecutor(max_workers=workers) as pool:
                    digests = list(pool.map(hash_one, missing))
            known.update(zip(missing, digests))
            cache.store_hashes([(p, by_path[p], hashed_ns, h) for p, h in zip(missing, digests)])
        _count(len(by_path) - len(missing), len(missing), sum(by_path[p].st_size for p in missing))
        return [known[p] for p in paths]
    finally:
        if own_cache:
            cache.close()
