"""The local engine's job store: one SQLite table, one directory per job.

``<state dir>/jobs.sqlite`` holds a row per job (its CreateProcessingJob request, status,
reasons, times, the runner's and workers' process ids); ``<state dir>/jobs/<name>/`` holds
what the job produced: the ``/opt/ml`` stand-in of each instance, its log streams and the
runner's own log. The CLI and the detached runner write the same database concurrently,
so it runs in WAL mode with a generous busy timeout, every change is one autocommitted
statement, and the end of a job is recorded by a conditional update: the first terminal
status wins, nothing ever overwrites it.

Each process keeps one connection and reuses it. A connection per statement made every
write a checkpoint: the last connection to close copies the log into the database and
deletes it (syncs of the log, the database and the directory; then the next statement
creates the log again), five syncs a write instead of one. Durability is unchanged: every
commit syncs the log (``synchronous = FULL``, set rather than left to the build's default),
and a log left behind by a process that exits without closing is read by the next one.
Every JobStore of one file in a process shares its connection, so :meth:`JobStore.close`
leaves the process holding none where it must: before it forks the runner (SQLite's lock
state is per process; see :mod:`.processes`).

A full disk must not lose the end of a job: each job's directory holds ``end.json``,
written full of spaces when the job is created, so that the end can be written over it
in place (no new block needed) when SQLite cannot record it ("database or disk is
full"). Reads take a job's end from there until the database has room for it again.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from ...diskspace import full_disk
from ...errors import UserError
from ...job.lineage import checked_job_name
from ...storage.localstore import state_dir

ENGINE_FILE = "engine.json"  # in a job's directory, by the runner: how the job ran
END_FILE = "end.json"  # in a job's directory: the job's end, where the database had no room
END_RESERVED = 16384  # bytes of spaces: a FailureReason and ExitMessage of 1 KB each, escaped
OPTIONS_FILE = "options.json"  # in a job's directory, by create_job: what was asked of it
BUCKETS_OPTION = "Buckets"  # in OPTIONS_FILE: the LocalBuckets root every S3 URI resolves in
JOB_ARN_OPTION = "JobArn"  # in OPTIONS_FILE: the ARN processingjobconfig.json gives the job
ACTIVE = ("InProgress", "Stopping")
TERMINAL = ("Completed", "Failed", "Stopped")
REASON_LIMIT = 1024  # FailureReason and ExitMessage hold at most 1 KB on SageMaker
# A well-formed ARN (it satisfies the service model's pattern) that names no AWS resource.
ARN_FORMAT = "arn:aws:sagemaker:local:000000000000:processing-job/{}"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    name TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    failure_reason TEXT,
    exit_message TEXT,
    exit_code INTEGER,
    creation_time REAL NOT NULL,
    start_time REAL,
    end_time REAL,
    last_modified_time REAL NOT NULL,
    runner_pid INTEGER,
    worker_pids TEXT NOT NULL DEFAULT '[]',
    docker INTEGER NOT NULL DEFAULT 0,
    profile TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_creation ON jobs (creation_time);
-- SageMaker's names are unique regardless of case (its ARNs spell them in lower case),
-- and so are job directories on a case-insensitive file system
CREATE UNIQUE INDEX IF NOT EXISTS jobs_by_folded_name ON jobs (lower(name));
"""

_COLUMNS = (
    "name, request, status, failure_reason, exit_message, exit_code, creation_time, "
    "start_time, end_time, last_modified_time, runner_pid, worker_pids, docker, profile"
)


# Connections a forked child inherited: kept referenced, so that collecting one never closes
# (and unlocks) the parent's database from the child.
_INHERITED: list[Any] = []


class _Connection:
    """This process's connection to one job store file, shared by every JobStore of it, so
    that one close leaves the process holding none (the runner may then be forked)."""

    def __init__(self) -> None:
        self.conn: Any = None  # opened on first use
        self.pid = 0  # the process that opened it
        self.lock = threading.Lock()  # one statement at a time

    def drop(self) -> None:
        """Forget the connection: closed if this process opened it, else kept unclosed."""
        conn, self.conn = self.conn, None
        if conn is None:
            return
        if self.pid != os.getpid():
            _INHERITED.append(conn)
            return
        try:
            conn.close()
        except Exception:
            pass


_CONNECTIONS: dict[Path, _Connection] = {}
_CONNECTIONS_LOCK = threading.Lock()


def _shared_connection(path: Path) -> _Connection:
    with _CONNECTIONS_LOCK:
        return _CONNECTIONS.setdefault(path, _Connection())


class JobRecord(NamedTuple):
    name: str
    request: dict[str, Any]
    status: str
    failure_reason: str | None
    exit_message: str | None
    exit_code: int | None
    creation_time: float  # epoch seconds
    start_time: float | None
    end_time: float | None
    last_modified_time: float
    runner_pid: int | None
    worker_pids: list[int]
    docker: bool
    profile: str | None

    @classmethod
    def from_row(cls, row: tuple) -> JobRecord:
        values = list(row)
        values[1] = json.loads(values[1])
        values[11] = json.loads(values[11] or "[]")
        values[12] = bool(values[12])
        return cls(*values)


def job_arn(name: str) -> str:
    return ARN_FORMAT.format(name.lower())  # SageMaker's ARNs spell job names in lower case


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a job's directory; empty when missing or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _tighten(path: Path, mode: int) -> None:
    """Take away the permission bits beyond ``mode`` (group and others'), when set."""
    try:
        current = os.stat(path).st_mode & 0o777
        if current & ~mode:
            os.chmod(path, current & mode)
    except OSError:
        pass  # not there (yet), or not ours to change: SQLite says what matters


class DuplicateJob(Exception):
    """A job of that name is already recorded."""


class StoreFull(UserError):
    """The disk holding the job store is full: nothing could be recorded."""


def reserve_end(job_dir: Path) -> None:
    """``end.json`` full of spaces, so that the end of the job can be written in place."""
    with open(job_dir / END_FILE, "wb") as f:
        f.write(b" " * END_RESERVED)
        f.flush()
        os.fsync(f.fileno())


def write_end(job_dir: Path, end: dict[str, Any]) -> bool:
    """The end of a job over its reserved ``end.json``; False when it could not be."""
    data = json.dumps(end).encode()
    if len(data) > END_RESERVED:
        return False
    try:
        fd = os.open(job_dir / END_FILE, os.O_WRONLY)
    except OSError:
        return False
    try:
        os.pwrite(fd, data.ljust(END_RESERVED), 0)
        os.fsync(fd)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def read_end(job_dir: Path) -> dict[str, Any] | None:
    """The end written by :func:`write_end`, or None (only spaces, or no file)."""
    try:
        text = (job_dir / END_FILE).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        end = json.loads(text) if text else None
    except ValueError:
        return None
    return end if isinstance(end, dict) and end.get("status") in TERMINAL else None


def truncate(text: str | None, limit: int = REASON_LIMIT) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 3] + "..."


class JobStore:
    """Jobs of the local engine, shared by every process of this user."""

    def __init__(self, root: Path | None = None):
        # absolute and resolved: the runner is handed this very path, and process checks
        # compare paths derived from it
        self.root = (Path(root) if root is not None else state_dir()).resolve()
        self.path = self.root / "jobs.sqlite"
        self._shared = _shared_connection(self.path)

    def job_dir(self, name: str) -> Path:
        return self.root / "jobs" / checked_job_name(name)

    def _connection(self):
        shared = self._shared
        if shared.conn is not None and shared.pid == os.getpid():
            return shared.conn
        shared.drop()  # one inherited through a fork is never used, never closed here
        import sqlite3

        self._make_private()
        conn = sqlite3.connect(
            str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            self._check_schema(conn)  # before anything is changed in another's file
            conn.execute("PRAGMA synchronous = FULL")  # a commit survives a power cut
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        shared.conn, shared.pid = conn, os.getpid()
        return conn

    def _make_private(self) -> None:
        """The state directory 0700 and the store's files 0600, made so or tightened: the
        store holds every job's request, its Environment values included. A file that is
        not one (a directory at its path) is one line naming it."""
        self.root.mkdir(parents=True, exist_ok=True)
        _tighten(self.root, 0o700)
        if self.path.exists() and not self.path.is_file():
            raise UserError(
                f"the local engine's job store {self.path} is not a file",
                fix=f"move it aside (mv {self.path} {self.path}.broken); "
                "the next local job starts a new one",
            )
        try:  # made here, private from the start (SQLite would follow the umask)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError:
            pass  # SQLite says what is wrong
        for suffix in ("", "-wal", "-shm"):  # SQLite gives its -wal and -shm the same mode
            _tighten(self.path.with_name(self.path.name + suffix), 0o600)

    def _check_schema(self, conn) -> None:
        """A ``jobs`` table of other columns (another program's, another version's) is
        one line naming the file, left as it is."""
        found = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
        wanted = {column.strip() for column in _COLUMNS.split(",")}
        if found and not wanted <= found:
            missing = ", ".join(sorted(wanted - found))
            raise UserError(
                f"the local engine's job store {self.path} has another schema "
                f"(its jobs table has no {missing})",
                fix=f"move it aside (mv {self.path} {self.path}.broken); "
                "the next local job starts a new one",
            )

    def close(self) -> None:
        """End this process's connection to the store (the next statement opens another)."""
        with self._shared.lock:
            self._shared.drop()

    def _run(self, sql: str, params: tuple = ()) -> int:
        with self._shared.lock, self._damage_reported():
            return self._connection().execute(sql, params).rowcount

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._shared.lock, self._damage_reported():
            return self._connection().execute(sql, params).fetchall()

    @contextmanager
    def _damage_reported(self) -> Iterator[None]:
        """A file that is not (or no longer) an SQLite database, or one without our table,
        is one line naming it; a locked or full database stays SQLite's own error."""
        import sqlite3

        try:
            yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as error:
            self._shared.drop()  # the next statement starts from a fresh connection
            full = full_disk(error, self.root)
            if full is not None:
                raise StoreFull(full.message, fix=full.fix) from None
            damaged = type(error) is sqlite3.DatabaseError or "no such table" in str(error)
            if not damaged:
                raise
            raise UserError(
                f"the local engine's job store {self.path} is damaged ({error})",
                fix=f"move it aside (mv {self.path} {self.path}.broken); "
                "the next local job starts a new one",
            ) from None

    def insert(
        self, name: str, request: dict[str, Any], *, docker: bool, profile: str | None
    ) -> JobRecord:
        import sqlite3

        checked_job_name(name)
        now = time.time()
        try:
            self._run(
                "INSERT INTO jobs (name, request, status, creation_time, last_modified_time, "
                "docker, profile) VALUES (?, ?, 'InProgress', ?, ?, ?, ?)",
                (name, json.dumps(request, default=str), now, now, int(docker), profile),
            )
        except sqlite3.IntegrityError:
            raise DuplicateJob(name) from None
        record = self.get(name)
        assert record is not None
        return record

    def get(self, name: str) -> JobRecord | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM jobs WHERE name = ?", (name,))
        return self._ended(JobRecord.from_row(rows[0])) if rows else None

    def _ended(self, record: JobRecord) -> JobRecord:
        """The record, with an end written to ``end.json`` (the database was full) taken
        in, and recorded in the database if it has room now."""
        if record.status not in ACTIVE:
            return record
        end = read_end(self.job_dir(record.name))
        if end is None:
            return record
        try:
            self._record_end(record.name, end)
        except StoreFull:
            pass
        return record._replace(
            status=end["status"],
            failure_reason=end.get("failure_reason"),
            exit_message=end.get("exit_message"),
            exit_code=end.get("exit_code"),
            end_time=end.get("end_time"),
            last_modified_time=end.get("end_time") or record.last_modified_time,
        )

    def recent(self, max_results: int = 20, name_contains: str | None = None) -> list[JobRecord]:
        sql = f"SELECT {_COLUMNS} FROM jobs"
        params: tuple = ()
        if name_contains:
            sql += " WHERE instr(lower(name), lower(?)) > 0"
            params = (name_contains,)
        sql += " ORDER BY creation_time DESC, rowid DESC LIMIT ?"
        rows = self._query(sql, (*params, max(0, int(max_results))))
        return [self._ended(JobRecord.from_row(row)) for row in rows]

    def page(
        self,
        offset: int,
        limit: int,
        name_contains: str | None = None,
        status: str | None = None,
    ) -> list[JobRecord]:
        """Newest first, ``limit`` records after the first ``offset`` that match: one query
        over the creation-time index, so a page of a thousand jobs reads only its rows."""
        where, params = _filters(name_contains, status)
        rows = self._query(
            f"SELECT {_COLUMNS} FROM jobs{where} ORDER BY creation_time DESC, rowid DESC "
            "LIMIT ? OFFSET ?",
            (*params, max(0, int(limit)), max(0, int(offset))),
        )
        return [JobRecord.from_row(row) for row in rows]

    def count(self, name_contains: str | None = None, status: str | None = None) -> int:
        where, params = _filters(name_contains, status)
        return int(self._query(f"SELECT count(*) FROM jobs{where}", params)[0][0])

    def mentioning(self, texts: list[str]) -> list[JobRecord]:
        """Jobs whose request contains one of ``texts`` verbatim (S3 URIs, say): lineage's
        candidates, found in one scan by SQLite without parsing every request."""
        if not texts:
            return []
        where = " OR ".join(["instr(request, ?) > 0"] * len(texts))
        rows = self._query(
            f"SELECT {_COLUMNS} FROM jobs WHERE {where} ORDER BY creation_time DESC",
            tuple(texts),
        )
        return [JobRecord.from_row(row) for row in rows]

    def get_any_case(self, name: str) -> JobRecord | None:
        """The job whose name equals ``name`` regardless of case (names are unique so)."""
        rows = self._query(f"SELECT {_COLUMNS} FROM jobs WHERE lower(name) = lower(?)", (name,))
        return JobRecord.from_row(rows[0]) if rows else None

    def names(self) -> list[str]:
        """Every job's name, newest first (no request parsed)."""
        return [row[0] for row in self._query("SELECT name FROM jobs ORDER BY creation_time DESC")]

    def all(self) -> list[JobRecord]:
        rows = self._query(f"SELECT {_COLUMNS} FROM jobs ORDER BY creation_time DESC")
        return [self._ended(JobRecord.from_row(row)) for row in rows]

    def delete(self, name: str) -> None:
        self._run("DELETE FROM jobs WHERE name = ?", (name,))

    def set_runner(self, name: str, pid: int) -> None:
        self._run(
            "UPDATE jobs SET runner_pid = ?, last_modified_time = ? WHERE name = ?",
            (pid, time.time(), name),
        )

    def set_started(self, name: str, worker_pids: list[int]) -> None:
        now = time.time()
        self._run(
            "UPDATE jobs SET start_time = ?, worker_pids = ?, last_modified_time = ? "
            "WHERE name = ?",
            (now, json.dumps(worker_pids), now, name),
        )

    def request_stop(self, name: str) -> bool:
        """InProgress -> Stopping; False when the job was not in progress."""
        changed = self._run(
            "UPDATE jobs SET status = 'Stopping', last_modified_time = ? "
            "WHERE name = ? AND status = 'InProgress'",
            (time.time(), name),
        )
        return changed == 1

    def status(self, name: str) -> str | None:
        rows = self._query("SELECT status FROM jobs WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def finish(
        self,
        name: str,
        status: str,
        *,
        failure_reason: str | None = None,
        exit_message: str | None = None,
        exit_code: int | None = None,
    ) -> bool:
        """Record the end of a job unless an end is already recorded; True if this one was.
        With the database's disk full, the end goes to the job's ``end.json`` instead."""
        assert status in TERMINAL, status
        end = {
            "status": status,
            "failure_reason": truncate(failure_reason),
            "exit_message": truncate(exit_message),
            "exit_code": exit_code,
            "end_time": time.time(),
        }
        try:
            return self._record_end(name, end)
        except StoreFull:
            job_dir = self.job_dir(name)
            if read_end(job_dir) is not None:
                return False  # an end is recorded there already: the first one wins
            if write_end(job_dir, end):
                return True
            raise

    def _record_end(self, name: str, end: dict[str, Any]) -> bool:
        changed = self._run(
            "UPDATE jobs SET status = ?, failure_reason = ?, exit_message = ?, exit_code = ?, "
            "end_time = ?, last_modified_time = ? WHERE name = ? AND status IN (?, ?)",
            (
                end["status"],
                end["failure_reason"],
                end["exit_message"],
                end["exit_code"],
                end["end_time"],
                end["end_time"],
                name,
                *ACTIVE,
            ),
        )
        return changed == 1


def _filters(name_contains: str | None, status: str | None) -> tuple[str, tuple]:
    """The WHERE clause (and its parameters) of a listing filtered by name and status."""
    clauses, params = [], []
    if name_contains:
        clauses.append("instr(lower(name), lower(?)) > 0")
        params.append(name_contains)
    if status:
        clauses.append("status = ?")
        params.append(status)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)
