"""The local engine: the Backend that runs a CreateProcessingJob request on this machine.

``create_job`` checks what the engine cannot do (Pipe mode, app-managed inputs, dataset
definitions, a name already taken), records the job in the job store (:mod:`.store`) and
starts a detached runner (:mod:`.runner`) that does the rest, so it returns at once and
the job outlives the submitting process, as a SageMaker job does. Everything else reads
the store: describe / list / log streams, and ``stop_job``, which marks the job Stopping
and signals its runner.

A runner that dies without recording an end (killed, machine rebooted) is noticed by the
next describe or list: its job is marked Failed and its leftover processes are killed.
Docker is used only when asked for (``LocalBackend(docker=True)``) and an engine answers;
otherwise each instance is a process with ``/opt/ml`` mapped into the job's directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...errors import UserError
from ...layout import OPT_ML_ENV
from ...localstore import STATE_ENV
from ...s3uri import parse_s3_uri
from .. import LogPage
from .logstreams import list_streams, read_page, stream_file
from .store import ACTIVE, DuplicateJob, JobRecord, JobStore, job_arn

__all__ = ["LocalBackend"]

RUNNER_MODULE = "aws_sagemaker_remote.backends.local.runner"
# Set for the runner only when this package is not importable from its default sys.path;
# the runner gives its workers the caller's own PYTHONPATH back.
CALLER_PYTHONPATH_ENV = "AWS_SAGEMAKER_REMOTE_CALLER_PYTHONPATH"
_RUNNER_START_SECONDS = 30.0  # a job whose runner pid is not recorded yet is still starting
_PROCESSING_ROOT = "/opt/ml/processing/"

# Runners started by this process, so their exit is noticed (and reaped) here.
_children: dict[int, subprocess.Popen] = {}

_REQUEST_MEMBERS = (
    "ProcessingInputs",
    "ProcessingOutputConfig",
    "ProcessingJobName",
    "ProcessingResources",
    "StoppingCondition",
    "AppSpecification",
    "Environment",
    "NetworkConfig",
    "RoleArn",
    "ExperimentConfig",
)


def _time(epoch: float | None) -> datetime | None:
    """Timezone-aware, in local time, as boto3 returns timestamps."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).astimezone()


def _reap() -> None:
    """Collect the exit of runners this process started, so none lingers as a zombie."""
    for pid, child in list(_children.items()):
        if child.poll() is not None:
            del _children[pid]


def _runner_alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's process took the pid: the runner is gone
    proc = Path(f"/proc/{pid}")
    if Path("/proc/self").exists():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):
                return False
            if RUNNER_MODULE.encode() not in (proc / "cmdline").read_bytes():
                return False
        except (OSError, IndexError):
            return False
    return True


def _kill_leftovers(record: JobRecord, job_dir: Path) -> None:
    """SIGKILL the process groups of a dead runner's workers (if they are still its own)."""
    marker = f"{OPT_ML_ENV}={job_dir}{os.sep}".encode()
    check = Path("/proc/self/environ").exists()
    for pid in record.worker_pids:
        if check:
            try:
                if marker not in Path(f"/proc/{pid}/environ").read_bytes():
                    continue
            except OSError:
                continue
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def _runner_env(store: JobStore) -> dict[str, str]:
    env = dict(os.environ)
    env[STATE_ENV] = str(store.root)
    root = str(Path(__file__).resolve().parents[3])
    importable = {str(Path(p).resolve()) for p in sys.path[1:] if p}
    if root not in importable:
        env[CALLER_PYTHONPATH_ENV] = env.get("PYTHONPATH", "")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def worker_pythonpath(env: dict[str, str]) -> None:
    """Give a worker's environment the caller's PYTHONPATH back (see CALLER_PYTHONPATH_ENV)."""
    original = env.pop(CALLER_PYTHONPATH_ENV, None)
    if original is None:
        return
    if not original:
        env.pop("PYTHONPATH", None)
    else:
        env["PYTHONPATH"] = original


def _duplicate(name: str) -> UserError:
    return UserError(
        f"a local job named {name} already exists ({job_arn(name)})",
        flag="--sagemaker-job-name",
        fix="choose another name, or leave the flag out to get a fresh one",
    )


def docker_available() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        answer = subprocess.run([docker, "info"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return answer.returncode == 0


def _container_path(path: Any, what: str) -> None:
    if not isinstance(path, str) or not path.startswith(_PROCESSING_ROOT):
        raise UserError(
            f"{what} has LocalPath {path!r}; SageMaker requires a path under {_PROCESSING_ROOT}",
            fix=f"use a container path under {_PROCESSING_ROOT}",
        )
    if ".." in path.split("/"):
        raise UserError(f"{what} has LocalPath {path!r}, which leaves {_PROCESSING_ROOT}")


def _s3_uri(uri: Any, what: str) -> None:
    try:
        parse_s3_uri(uri if isinstance(uri, str) else "")
    except ValueError as error:
        raise UserError(f"{what} has S3Uri {uri!r}: {error}", fix="use s3://bucket/key") from None


class LocalBackend:
    """Runs processing jobs on this machine; see the module's docstring."""

    name = "local"

    def __init__(self, *, docker: bool = False, profile: str | None = None):
        self.docker = docker
        self.profile = profile
        self.store = JobStore()

    # -- create ---------------------------------------------------------------------------
    def check_request(self, request: dict[str, Any]) -> None:
        """UserError for what this engine cannot run; nothing is recorded or started."""
        name = request.get("ProcessingJobName")
        if not name or "/" in name:
            raise UserError(f"invalid job name {name!r}", flag="--sagemaker-job-name")
        app = request.get("AppSpecification") or {}
        if not self.docker and not app.get("ContainerEntrypoint"):
            raise UserError(
                "without Docker the local engine runs AppSpecification.ContainerEntrypoint, "
                "and the request has none",
                flag="--sagemaker-docker",
                fix="give the job an entrypoint, or run it in Docker with --sagemaker-docker",
            )
        if self.docker and not docker_available():
            raise UserError(
                "Docker was asked for but no Docker engine answers",
                flag="--sagemaker-docker",
                fix="start Docker or drop --sagemaker-docker",
            )
        if self.store.get(name) is not None:
            raise _duplicate(name)
        cluster = (request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
        count = cluster.get("InstanceCount", 1)
        if not isinstance(count, int) or count < 1:
            raise UserError(f"InstanceCount must be at least 1, not {count!r}")
        for item in request.get("ProcessingInputs") or []:
            what = f"input {item.get('InputName')!r}"
            if item.get("AppManaged"):
                raise UserError(
                    f"{what} is AppManaged, which the local engine does not support",
                    fix="give it an S3Input, or run the job on SageMaker",
                )
            if "DatasetDefinition" in item:
                raise UserError(
                    f"{what} is a DatasetDefinition (Athena/Redshift), which the local engine "
                    "does not support",
                    fix="export the data to S3 and pass it as an S3 input, "
                    "or run the job on SageMaker",
                )
            s3 = item.get("S3Input")
            if not s3:
                raise UserError(f"{what} has no S3Input")
            if s3.get("S3InputMode", "File") != "File":
                raise UserError(
                    f"{what} asks for {s3.get('S3InputMode')} mode; the local engine supports "
                    "File mode only",
                    flag=f"--{item.get('InputName')}-mode",
                    fix="use File mode, or run the job on SageMaker",
                )
            _container_path(s3.get("LocalPath"), what)
            _s3_uri(s3.get("S3Uri"), what)
        for item in (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
            what = f"output {item.get('OutputName')!r}"
            if item.get("AppManaged") or "FeatureStoreOutput" in item or "S3Output" not in item:
                raise UserError(
                    f"{what} is not an S3 output, the only kind the local engine supports",
                    fix="give it an S3Output, or run the job on SageMaker",
                )
            s3 = item["S3Output"]
            if s3.get("S3UploadMode") not in ("EndOfJob", "Continuous"):
                raise UserError(f"{what} has S3UploadMode {s3.get('S3UploadMode')!r}")
            _container_path(s3.get("LocalPath"), what)
            _s3_uri(s3.get("S3Uri"), what)

    def create_job(self, request: dict[str, Any]) -> None:
        _reap()
        self.check_request(request)
        name = request["ProcessingJobName"]
        try:
            self.store.insert(name, request, docker=self.docker, profile=self.profile)
        except DuplicateJob:  # created by another process since check_request
            raise _duplicate(name) from None
        job_dir = self.store.job_dir(name)
        if job_dir.exists():  # left over from a job store that was deleted
            shutil.rmtree(job_dir, ignore_errors=True)
        job_dir.mkdir(parents=True, exist_ok=True)
        try:
            with open(job_dir / "runner.log", "ab") as log:
                runner = subprocess.Popen(
                    [sys.executable, "-m", RUNNER_MODULE, name],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=_runner_env(self.store),
                    start_new_session=True,
                    close_fds=True,
                )
        except OSError as error:
            reason = f"InternalServerError: could not start the local engine's runner: {error}"
            self.store.finish(name, "Failed", failure_reason=reason)
            return
        _children[runner.pid] = runner
        self.store.set_runner(name, runner.pid)

    # -- read -----------------------------------------------------------------------------
    def _reconciled(self, record: JobRecord) -> JobRecord:
        """The record, with the end of a job whose runner died unrecorded filled in."""
        if record.status not in ACTIVE:
            return record
        if record.runner_pid is None:
            if time.time() - record.creation_time < _RUNNER_START_SECONDS:
                return record
        elif _runner_alive(record.runner_pid):
            return record
        job_dir = self.store.job_dir(record.name)
        _kill_leftovers(record, job_dir)
        if record.status == "Stopping":
            self.store.finish(record.name, "Stopped")
        else:
            reason = (
                f"InternalServerError: the local engine's runner (pid {record.runner_pid}) "
                f"ended without recording the end of the job; see {job_dir / 'runner.log'}"
            )
            self.store.finish(record.name, "Failed", failure_reason=reason)
        return self.store.get(record.name) or record

    def _record(self, job_name: str) -> JobRecord:
        record = self.store.get(job_name)
        if record is None:
            raise UserError(f"no local job named {job_name!r}")
        return self._reconciled(record)

    def describe_job(self, job_name: str) -> dict[str, Any]:
        record = self._record(job_name)
        request = record.request
        described: dict[str, Any] = {k: request[k] for k in _REQUEST_MEMBERS if k in request}
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

    # -- stop -----------------------------------------------------------------------------
    def stop_job(self, job_name: str) -> None:
        record = self._record(job_name)
        if record.status not in ACTIVE:
            raise UserError(
                f"the local job {job_name} is {record.status}; "
                "only a job in progress can be stopped"
            )
        self.store.request_stop(job_name)
        if record.runner_pid is not None and _runner_alive(record.runner_pid):
            try:
                os.killpg(record.runner_pid, signal.SIGTERM)
            except OSError:
                pass  # it ended meanwhile; it also polls the store for the request

    # -- logs -----------------------------------------------------------------------------
    def log_streams(self, job_name: str) -> list[str]:
        return list_streams(job_name, self.store.job_dir(job_name))

    def read_log(self, stream: str, cursor: str | None = None) -> LogPage:
        job_name = stream.partition("/")[0]
        return read_page(stream_file(self.store.job_dir(job_name), stream), cursor)
