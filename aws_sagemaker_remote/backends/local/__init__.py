"""The local engine: the Backend that runs a CreateProcessingJob request on this machine.

``create_job`` checks what the engine cannot do (Pipe mode, app-managed inputs, dataset
definitions, a name already taken), records the job in the job store (:mod:`.store`) and
starts a detached runner (:mod:`.runner`) that does the rest, so it returns at once and
the job outlives the submitting process, as a SageMaker job does. Everything else reads
the store: describe / list / log streams, and ``stop_job``, which marks the job Stopping
and signals its runner. The checks live in :mod:`.submitting.checks`; starting runners and
telling whether one still lives, in :mod:`.submitting.processes`.

The engine's parts, each importing only those below it (a contract in pyproject.toml):
:mod:`.submitting`, the caller's side; :mod:`.runner`, the detached process, with
:mod:`.isolation` (namespaces, the sandbox) and :mod:`.caches` (interpreters, environments,
bytecode), three that import each other; and :mod:`.store`, which both sides write.

A runner that dies without recording an end (killed, machine rebooted) is noticed by the
next describe or list: its job is marked Failed and its leftover processes are killed.
Docker is used only when asked for (``LocalBackend(docker=True)``) and an engine answers;
otherwise each instance is a process in namespaces of its own with the job's directory at
``/opt/ml`` (or, where namespaces are unavailable, ``/opt/ml`` mapped into it): see
:mod:`.runner.jobenv`. ``describe_job`` says under ``LocalEngine`` how the job ran.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...diskspace import reported_full
from ...errors import NotFound, UserError
from .. import LogPage
from .runner.logstreams import list_streams, read_page, stream_file
from .store import (
    ACTIVE,
    BUCKETS_OPTION,
    ENGINE_FILE,
    JOB_ARN_OPTION,
    OPTIONS_FILE,
    DuplicateJob,
    JobRecord,
    JobStore,
    checked_job_name,
    job_arn,
    read_json,
    reserve_end,
)
from .submitting.checks import check_request, duplicate
from .submitting.processes import kill_leftovers, reap, runner_alive, start_runner

if TYPE_CHECKING:  # dataclasses cost a job's runner milliseconds it does not need
    from ..housekeeping import Pruned, Removed, Space

__all__ = ["LocalBackend"]

_RUNNER_START_SECONDS = 30.0  # a job whose runner pid is not recorded yet is still starting


def _time(epoch: float | None) -> datetime | None:
    """Timezone-aware, in local time, as boto3 returns timestamps."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).astimezone()


def _inputs_placed(job_dir: Any) -> dict[str, Any]:
    """``{"Inputs": {name: {"Files", "Bytes", "Linked"/"Copied"/"Downloaded"}}}`` once the
    runner placed them: whether a job holds a copy of its inputs or links to the store's."""
    from .runner.transfer import INPUTS_FILE

    placed = read_json(job_dir / INPUTS_FILE)
    return {"Inputs": placed} if placed else {}


class LocalBackend:
    """Runs processing jobs on this machine; see the module's docstring."""

    local = True

    def __init__(
        self,
        *,
        docker: bool = False,
        profile: str | None = None,
        host_credentials: bool = False,
        buckets_root: Path | None = None,
    ):
        self.docker = docker
        self.profile = profile
        self.host_credentials = host_credentials  # the job gets this machine's credentials
        # serve's jobs: every bucket is a directory under this root (LocalBuckets), not S3
        self.buckets_root = buckets_root
        self.store = JobStore()

    # -- create ---------------------------------------------------------------------------
    def check_request(self, request: dict[str, Any]) -> list[str]:
        """UserError for what this engine cannot run; nothing is recorded or started.
        Returns a note for each field it records but cannot apply."""
        checked_job_name(request.get("ProcessingJobName"))  # it becomes a directory name
        notes = check_request(request, docker=self.docker, store=self.store)
        if not self.docker:
            from .isolation.sandbox import known_without_namespaces

            isolation = known_without_namespaces(dict(os.environ))
            if isolation is not None:
                notes.append(
                    f"local engine: jobs are not isolated here ({isolation.reason}): a job "
                    "sees and can change this machine's files, the engine's caches and other "
                    "jobs' directories"
                )
        return notes

    def create_job(self, request: dict[str, Any], *, container_arn: str | None = None) -> None:
        """``container_arn``: the ARN the job's container sees (serve's, with its account); by
        default the engine's own placeholder."""
        reap()
        self.check_request(request)
        name = request["ProcessingJobName"]
        job_dir = self.store.job_dir(name)
        # the job's files first, under a name of this process's own (a full disk leaves
        # neither a job nor its directory), moved into place once the job is recorded
        ready = job_dir.with_name(f".{name}.{os.getpid()}.new")
        try:
            with reported_full(self.store.root):
                ready.mkdir(parents=True)
                options: dict[str, Any] = {"HostCredentials": self.host_credentials}
                if self.buckets_root is not None:
                    options[BUCKETS_OPTION] = str(self.buckets_root)
                if container_arn is not None:
                    options[JOB_ARN_OPTION] = container_arn
                (ready / OPTIONS_FILE).write_text(json.dumps(options) + "\n")
                reserve_end(ready)
                self.store.insert(name, request, docker=self.docker, profile=self.profile)
        except DuplicateJob:  # created by another process since check_request
            shutil.rmtree(ready, ignore_errors=True)
            raise duplicate(name) from None
        except BaseException:
            shutil.rmtree(ready, ignore_errors=True)
            raise
        if job_dir.exists():  # left over from a job store that was deleted
            shutil.rmtree(job_dir, ignore_errors=True)
        os.replace(ready, job_dir)
        try:
            with open(job_dir / "runner.log", "ab") as log:
                pid = start_runner(name, self.store, log)
        except OSError as error:
            reason = f"InternalServerError: could not start the local engine's runner: {error}"
            self.store.finish(name, "Failed", failure_reason=reason)
            return
        self.store.set_runner(name, pid)

    # -- read -----------------------------------------------------------------------------
    def _reconciled(self, record: JobRecord) -> JobRecord:
        """The record, with the end of a job whose runner died unrecorded filled in."""
        if record.status not in ACTIVE:
            return record
        if record.runner_pid is None:
            if time.time() - record.creation_time < _RUNNER_START_SECONDS:
                return record
        elif runner_alive(record.runner_pid):
            return record
        job_dir = self.store.job_dir(record.name)
        kill_leftovers(record, job_dir)
        if record.status == "Stopping":
            self.store.finish(record.name, "Stopped")
        else:
            reason = (
                f"InternalServerError: the local engine's runner (pid {record.runner_pid}) "
                f"ended without recording the end of the job; see {job_dir / 'runner.log'}"
            )
            self.store.finish(record.name, "Failed", failure_reason=reason)
        return self.store.get(record.name) or record

    def record(self, job_name: str) -> JobRecord:
        """The job's record, its end filled in if its runner died; NotFound if none."""
        record = self.store.get(checked_job_name(job_name))
        if record is None:
            raise NotFound(f"no local job named {job_name!r}")
        return self._reconciled(record)

    def records(self) -> list[JobRecord]:
        """Every job's record (newest first), reconciled as :meth:`record`'s."""
        return [self._reconciled(record) for record in self.store.all()]

    def describe_job(self, job_name: str) -> dict[str, Any]:
        record = self.record(job_name)
        request = record.request
        from ...job.request import REQUEST_MEMBERS

        described: dict[str, Any] = {k: request[k] for k in REQUEST_MEMBERS if k in request}
        described.update(
            ProcessingJobArn=job_arn(record.name),
            ProcessingJobStatus=record.status,
            ExitMessage=record.exit_message,
            FailureReason=record.failure_reason,
            ProcessingEndTime=_time(record.end_time),
            ProcessingStartTime=_time(record.start_time),
            LastModifiedTime=_time(record.last_modified_time),
            CreationTime=_time(record.creation_time),
            LocalEngine={
                "JobDirectory": str(self.store.job_dir(record.name)),
                "ExitCode": record.exit_code,
                "RunnerPid": record.runner_pid,
                "Docker": record.docker,
                **read_json(self.store.job_dir(record.name) / ENGINE_FILE),
                **_inputs_placed(self.store.job_dir(record.name)),
            },
        )
        return {k: v for k, v in described.items() if v is not None}

    def list_jobs(
        self, max_results: int = 20, name_contains: str | None = None
    ) -> list[dict[str, Any]]:
        summaries = []
        for record in self.store.recent(max_results, name_contains):
            record = self._reconciled(record)
            summary = {
                "ProcessingJobName": record.name,
                "ProcessingJobArn": job_arn(record.name),
                "CreationTime": _time(record.creation_time),
                "ProcessingEndTime": _time(record.end_time),
                "LastModifiedTime": _time(record.last_modified_time),
                "ProcessingJobStatus": record.status,
                "FailureReason": record.failure_reason,
                "ExitMessage": record.exit_message,
            }
            summaries.append({k: v for k, v in summary.items() if v is not None})
        return summaries

    def count_jobs(self, name_contains: str | None = None) -> int:
        """How many jobs ``list_jobs`` could list (for "20 of 23")."""
        return self.store.count(name_contains)

    # -- stop -----------------------------------------------------------------------------
    def stop_job(self, job_name: str) -> None:
        record = self.record(job_name)
        if record.status not in ACTIVE:
            raise UserError(
                f"the local job {job_name} is {record.status}; "
                "only a job in progress can be stopped"
            )
        self.store.request_stop(job_name)
        if record.runner_pid is not None and runner_alive(record.runner_pid):
            try:
                os.killpg(record.runner_pid, signal.SIGTERM)
            except OSError:
                pass  # it ended meanwhile; it also polls the store for the request

    # -- space (housekeeping.LocalOperations) ---------------------------------------------
    def job_size(self, job_name: str) -> int:
        """Bytes of disk the job's directory takes, for ``jobs list``."""
        from .submitting.space import disk_usage

        return disk_usage(self.store.job_dir(job_name))

    def space(self) -> Space:
        from ..housekeeping import Space
        from .submitting.space import usage

        return Space(str(self.store.root), usage(self.store))

    def remove_jobs(self, names: list[str]) -> Removed:
        """Delete ended jobs (record and directory); what was freed."""
        from .submitting.space import remove_jobs

        return remove_jobs(self.store, names)

    def prune(
        self, keep: int = 0, older_than: float | None = None, *, dry_run: bool = False
    ) -> Pruned:
        """Delete ended jobs but the newest ``keep`` (older than ``older_than`` s), then
        the local store's staged trees no job references, the cached environments no
        remaining job ran in (with ``older_than``: also unused that long) and the cached
        bytecode of code no job names; what was really freed. ``dry_run``: say what would
        go, remove nothing."""
        from .submitting.space import prune

        return prune(self.store, keep, older_than, dry_run=dry_run)

    # -- logs -----------------------------------------------------------------------------
    def log_streams(self, job_name: str) -> list[str]:
        return list_streams(job_name, self.store.job_dir(job_name))

    def read_log(self, stream: str, cursor: str | None = None) -> LogPage:
        job_name = stream.partition("/")[0]
        return read_page(stream_file(self.store.job_dir(job_name), stream), cursor)
