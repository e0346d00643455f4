"""The detached process that runs one local job from start to end.

``python -m aws_sagemaker_remote.backends.local.runner <job-name>`` is started by
``LocalBackend.create_job`` in a session of its own, so the job outlives the command that
submitted it. It does what SageMaker does with the job's CreateProcessingJob request:

1. per instance ``algo-<i>``, a directory ``<job dir>/algo-<i>/opt/ml`` standing for the
   container's ``/opt/ml``, with ``config/processingjobconfig.json``,
   ``config/resourceconfig.json`` and every input fetched to its LocalPath;
2. the entrypoint with the request's arguments and environment, one process group per
   instance, all instances at once, stdout and stderr into the instance's log stream;
3. the end: all instances exit 0 -> outputs uploaded, Completed; one exits non-zero ->
   the others are stopped, Failed with an AlgorithmError; a stop request or
   MaxRuntimeInSeconds -> SIGTERM, SIGKILL after a grace period, Stopped.

Every way out records an end in the job store: an unexpected error in the runner itself
is recorded as Failed with an InternalServerError, never left InProgress. The container's
command and config files come from :mod:`.container`, each instance's process is a
:class:`.worker.Worker`; this module decides what happens when.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ....diskspace import full_disk
from ....storage.transfer import TransferProgress
from ....uris import S3Uri, parse_s3_uri
from ..caches.venvs import BuildError
from ..isolation import netns
from ..isolation.sandbox import NAMESPACES, Isolation, IsolationProbe, kill_orphans
from ..opt_ml import TransferError, container_relpath
from ..store import (
    BUCKETS_OPTION,
    JOB_ARN_OPTION,
    OPTIONS_FILE,
    REASON_LIMIT,
    JobRecord,
    JobStore,
    StoreFull,
    read_json,
)
from .container import DEFAULT_MAX_RUNTIME, docker_command, processing_job_config
from .jobenv import JobEnvironment
from .logstreams import StreamWriter, stream_file, stream_name
from .transfer import (
    INPUTS_FILE,
    Aborted,
    Locations,
    Placement,
    output_files,
    plan_input,
)
from .worker import JobError, Worker, exit_status

POLL_SECONDS = 0.05
STOP_CHECK_SECONDS = 0.5  # how often the store is asked whether a stop was requested
CONTINUOUS_SECONDS = 0.5  # how often Continuous outputs are synchronised
STOP_GRACE_SECONDS = 10.0  # between SIGTERM and SIGKILL
PROGRESS_SECONDS = 10.0  # a long step says how far it got at least this often

_stop_signal = threading.Event()


def _on_signal(signum, frame) -> None:
    _stop_signal.set()


def say(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    print(f"{stamp} {message}", file=sys.stderr, flush=True)


class JobRun:
    """Everything the runner does for one job; see the module's docstring."""

    def __init__(self, store: JobStore, record: JobRecord, probe: IsolationProbe | None = None):
        self.store = store
        self.name = record.name
        self.request = record.request
        self.docker = record.docker
        self.job_dir = store.job_dir(record.name)
        cluster = (self.request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
        self.hosts = [f"algo-{i}" for i in range(1, int(cluster.get("InstanceCount", 1)) + 1)]
        self.opt_ml_dirs = [self.job_dir / host / "opt" / "ml" for host in self.hosts]
        self.options = read_json(self.job_dir / OPTIONS_FILE)
        buckets = self.options.get(BUCKETS_OPTION)
        # what it says about the inputs (an object not placed) goes to the job's log
        self.locations = Locations(
            record.profile,
            say=lambda line: self.note(line),
            buckets_root=Path(buckets) if buckets else None,
        )
        stopping = self.request.get("StoppingCondition") or {}
        self.max_runtime = int(stopping.get("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME))
        self.deadline = time.monotonic() + self.max_runtime
        self.outputs = (self.request.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        self.workers: list[Worker] = []
        self.bytecode: Any = None  # a bytecode.JobBytecode once the environment is known
        self.stop_cause: str | None = None  # "stop" (StopProcessingJob) or "runtime"
        self._next_stop_check = 0.0
        self._uploaded: dict[str, tuple[int, int]] = {}  # target URI -> (size, mtime_ns)
        started = int(time.time())
        self.streams = [
            stream_file(self.job_dir, stream_name(self.name, i, started))
            for i in range(1, len(self.hosts) + 1)
        ]
        # started as early as the runner could (answered while inputs arrive)
        self._isolation = probe if probe is not None else IsolationProbe(dict(os.environ))
        self.environment = JobEnvironment(self, record.profile)

    @property
    def isolation(self) -> Isolation:
        return self._isolation.result()

    # -- stopping -------------------------------------------------------------------------
    def should_stop(self) -> bool:
        if self.stop_cause is None:
            now = time.monotonic()
            if _stop_signal.is_set():
                self.stop_cause = "stop"
            elif now >= self.deadline:
                self.stop_cause = "runtime"
                self.store.request_stop(self.name)
            elif now >= self._next_stop_check:
                self._next_stop_check = now + STOP_CHECK_SECONDS
                if self.store.status(self.name) != "InProgress":
                    self.stop_cause = "stop"
        return self.stop_cause is not None

    def stopped_reason(self) -> str | None:
        if self.stop_cause == "runtime":
            return (
                f"MaxRuntimeExceeded: the job ran longer than its MaxRuntimeInSeconds "
                f"({self.max_runtime} s) and was stopped"
            )
        return None

    # -- the steps ------------------------------------------------------------------------
    def prepare(self) -> None:
        config = processing_job_config(self.request)
        if self.options.get(JOB_ARN_OPTION):
            config["ProcessingJobArn"] = self.options[JOB_ARN_OPTION]
        paths = [
            item["S3Input"]["LocalPath"]
            for item in self.request.get("ProcessingInputs") or []
            if "S3Input" in item
        ] + [item["S3Output"]["LocalPath"] for item in self.outputs]
        for host, opt_ml in zip(self.hosts, self.opt_ml_dirs):
            (opt_ml / "config").mkdir(parents=True, exist_ok=True)
            (opt_ml / "output").mkdir(parents=True, exist_ok=True)
            for path in paths:
                (opt_ml / container_relpath(path)).mkdir(parents=True, exist_ok=True)
            resources = {"current_host": host, "hosts": self.hosts}
            _write_json(opt_ml / "config" / "processingjobconfig.json", config)
            _write_json(opt_ml / "config" / "resourceconfig.json", resources)

    def log(self, message: str) -> None:
        """A line of the runner's own log."""
        say(message)

    def note(self, message: str) -> None:
        """A line of the engine's in every instance's log stream (and the runner's log)."""
        self._note(message, self.streams)

    def note_once(self, message: str) -> None:
        """A line about what all instances share (their environment's build): in the first
        instance's log stream only, so a follower of N instances reads it once, not N times."""
        self._note(message, self.streams[:1])

    def every(self, seconds: float) -> Callable[[TransferProgress], None]:
        """A progress callback that says a line in the log at most every ``seconds`` (the
        first after ``seconds``): a long transfer is heard, a short one is not."""
        last = [time.monotonic()]

        def report(progress: TransferProgress) -> None:
            now = time.monotonic()
            if now - last[0] >= seconds:
                last[0] = now
                self.note_once(str(progress))

        return report

    def _note(self, message: str, streams: list[Path]) -> None:
        say(message)
        for path in streams:
            writer = StreamWriter(path)
            writer.write("[aws-sagemaker-remote] " + message)
            writer.close()

    def fetch_inputs(self) -> None:
        """Every input at its LocalPath in every instance; a long one says how far it got
        at least every :data:`PROGRESS_SECONDS`, and how each was placed (linked, copied,
        downloaded) goes to ``inputs.json`` for ``describe``."""
        placed: dict[str, Any] = {}
        if os.geteuid() == 0 and not self.docker:  # see Locations.owner_unmapped
            self.locations.owner_unmapped = self.isolation.mode == NAMESPACES
        for item in self.request.get("ProcessingInputs") or []:
            if self.should_stop():
                raise Aborted()
            name = item["InputName"]
            say(f"fetching input {name} from {item['S3Input']['S3Uri']}")
            tasks = plan_input(self.locations, item["S3Input"], self.opt_ml_dirs, name)
            self.warn_idle(name, item["S3Input"], tasks)
            placement = Placement(
                f"input {name}",
                tasks,
                lambda progress: self.note_once(str(progress)),
                every_s=PROGRESS_SECONDS,
            )
            self.locations.fetch_all(tasks, self.should_stop, placement)
            placed[name] = placement.summary()
            if time.monotonic() - placement.started >= PROGRESS_SECONDS:
                self.note_once(str(placement.progress()))  # and how it ended
        if placed:
            _write_json(self.job_dir / INPUTS_FILE, placed)

    def warn_idle(self, name: str, s3_input: dict, tasks: list) -> None:
        """ShardedByS3Key with fewer objects than instances: say which get nothing."""
        if s3_input.get("S3DataDistributionType") != "ShardedByS3Key":
            return
        fed = {path for task in tasks for path in task.targets}
        idle = [
            host
            for host, opt_ml in zip(self.hosts, self.opt_ml_dirs)
            if not any(opt_ml in path.parents for path in fed)
        ]
        if idle:
            self.note(
                f"warning: input {name} has fewer objects than instances with ShardedByS3Key: "
                f"{', '.join(idle)} got none"
            )

    def place_bytecode(self) -> None:
        """The code's cached bytecode into every instance (:mod:`.bytecode`); a failure
        here only costs the job its compiles."""
        from ..caches.bytecode import GIVEN, JobBytecode, bytecode_dir

        python = str(self.environment.bin_dirs[0] / "python")
        root = bytecode_dir(self.store.root)
        try:
            key = self.environment.key
            given = self.job_dir / GIVEN
            self.bytecode = JobBytecode(
                root, python, self.request, self.opt_ml_dirs, say, key, given
            )
            self.bytecode.place()
        except OSError as error:
            say(f"bytecode: not placed: {error}")

    def keep_bytecode(self) -> None:
        """What the ended instances compiled, into the cache for the next job."""
        try:
            self.bytecode.keep()
        except OSError as error:
            say(f"bytecode: not kept: {error}")

    def start_workers(self) -> None:
        app = self.request["AppSpecification"]
        environment = dict(self.request.get("Environment") or {})
        for index, (host, opt_ml) in enumerate(zip(self.hosts, self.opt_ml_dirs)):
            if self.docker:
                container_env = {"PYTHONUNBUFFERED": "1", **environment}
                command = docker_command(self.request, host, opt_ml, container_env)
                command[2:2] = netns.docker_options(self.request)  # after "docker run"
                env = self.environment.docker_env()
            else:
                compiled = self.bytecode.scripts() if self.bytecode is not None else None
                command, env = self.environment.command(index, app, compiled)
            say(f"{host}: {' '.join(command)}")
            worker = Worker(host, opt_ml, command, env, opt_ml.parent.parent, self.streams[index])
            self.workers.append(worker)
        self.store.set_started(self.name, [worker.proc.pid for worker in self.workers])

    def supervise(self) -> tuple[str, Worker | None]:
        """Wait for the end: ("Completed", None), ("Failed", worker) or ("Stopped", None)."""
        continuous = any(o["S3Output"]["S3UploadMode"] == "Continuous" for o in self.outputs)
        next_sync = time.monotonic() + CONTINUOUS_SECONDS
        while True:
            codes = [worker.proc.poll() for worker in self.workers]
            for worker, code in zip(self.workers, codes):
                if code is not None and code != 0:
                    return "Failed", worker
            if all(code == 0 for code in codes):
                return "Completed", None
            if self.should_stop():
                return "Stopped", None
            if continuous and time.monotonic() >= next_sync:
                self.upload_outputs(continuous_only=True)
                next_sync = time.monotonic() + CONTINUOUS_SECONDS
            _stop_signal.wait(POLL_SECONDS)

    def stop_workers(self) -> None:
        """SIGTERM, SIGKILL after the grace period; then whatever is left in each group."""
        running = [worker for worker in self.workers if worker.proc.poll() is None]
        for worker in running:
            worker.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while any(w.proc.poll() is None for w in running) and time.monotonic() < deadline:
            time.sleep(0.05)
        for worker in self.workers:
            worker.signal(signal.SIGKILL)  # as when a container's main process ends
        if self.workers and self.isolation.mode != NAMESPACES and not self.docker:
            for worker in self.workers:
                worker.proc.wait()
            kill_orphans()  # what left its process group, reparented to this subreaper
        if self.docker and running:
            for worker in running:
                subprocess.run(
                    ["docker", "rm", "-f", f"{self.name}-{worker.host}"],
                    capture_output=True,
                    timeout=60,
                    check=False,
                )
        for worker in self.workers:
            worker.finish()

    def upload_outputs(self, continuous_only: bool = False) -> None:
        """Files new or changed since their last upload; with several instances, a path
        written by more than one is taken from the highest-numbered instance."""
        todo: dict[str, tuple[Path, S3Uri, tuple[int, int]]] = {}
        for output in self.outputs:
            s3 = output["S3Output"]
            if continuous_only and s3["S3UploadMode"] != "Continuous":
                continue
            base = parse_s3_uri(s3["S3Uri"])
            shared: list[str] = []  # written by more than one instance: one copy is kept
            for opt_ml in self.opt_ml_dirs:
                for path, rel in output_files(opt_ml / container_relpath(s3["LocalPath"])):
                    try:
                        info = path.stat()
                    except FileNotFoundError:
                        continue
                    target = base.join(rel)
                    if str(target) in todo:
                        shared.append(rel)
                    todo[str(target)] = (path, target, (info.st_size, info.st_mtime_ns))
            if shared and not continuous_only:
                names = sorted(set(shared))
                self.note(
                    f"warning: {len(names)} file(s) of output {output['OutputName']} were "
                    f"written by several instances ({', '.join(names[:3])}"
                    f"{', ...' if len(names) > 3 else ''}); the highest-numbered "
                    "instance's copy is kept, as S3 keeps the last upload: write into a "
                    "subfolder per instance (current_host in /opt/ml/config/resourceconfig.json)"
                )
        changed = {k: v for k, v in todo.items() if self._uploaded.get(k) != v[2]}
        report = None if continuous_only else self.every(PROGRESS_SECONDS)
        self.locations.put_all(
            [(path, target) for path, target, _ in changed.values()], progress=report
        )
        for key, (_, _, signature) in changed.items():
            self._uploaded[key] = signature

    def exit_message(self) -> str | None:
        """/opt/ml/output/message of every instance, concatenated, first 1 KB."""
        text = ""
        for host, opt_ml in zip(self.hosts, self.opt_ml_dirs):
            path = opt_ml / "output" / "message"
            if path.is_file():
                try:
                    text += path.read_bytes().decode("utf-8")
                except UnicodeDecodeError:
                    raise JobError(f"{host}'s /opt/ml/output/message is not UTF-8 text") from None
        return text.encode("utf-8")[:REASON_LIMIT].decode("utf-8", "ignore") or None

    def algorithm_error(self, worker: Worker) -> str:
        """One line: how the instance ended and its last line of output (the traceback
        itself is in the log, printed once), plus why /opt/ml is missing when mapped."""
        code = worker.returncode
        if code < 0:
            how = (
                f"was killed by signal {signal.Signals(-code).name} (exit code {exit_status(code)})"
            )
        else:
            how = f"exited with exit code {code}"
        reason = f"AlgorithmError: {worker.host} {how}"
        last = next((line for line in reversed(worker.tail) if line.strip()), None)
        if last:
            reason += f": {last.strip()}"
        if self.isolation.mode != NAMESPACES and _missing_opt_ml(worker.tail):
            reason += (
                f". The job opened /opt/ml literally, but this machine runs local jobs without "
                f"namespaces ({self.isolation.reason}), so /opt/ml is mapped to the job's "
                f"directory ({worker.opt_ml}): take paths from the script's arguments, or "
                f"from $AWS_SAGEMAKER_REMOTE_OPT_ML, or allow unprivileged user namespaces"
            )
        return reason

    # -- the whole job --------------------------------------------------------------------
    def run(self) -> None:
        status, failed, reason = "Failed", None, None
        try:
            if self.should_stop():
                raise Aborted()
            self.prepare()
            self.fetch_inputs()
            if not self.docker:
                self.environment.prepare()
                self.place_bytecode()
            self.start_workers()
            status, failed = self.supervise()
            if status == "Stopped":
                reason = self.stopped_reason()
        except Aborted:
            status, reason = "Stopped", self.stopped_reason()
        except (TransferError, JobError) as error:
            status, reason = "Failed", f"ClientError: {error}"
        except BuildError as error:
            status, reason = "Failed", f"AlgorithmError: {error}"
        finally:
            self.stop_workers()
            self.environment.close()
        if self.bytecode is not None and self.workers and status != "Stopped":
            self.keep_bytecode()
        exit_code = None
        if failed is not None:
            reason = self.algorithm_error(failed)
            exit_code = exit_status(failed.returncode)
        elif status == "Completed":
            exit_code = 0
            try:
                say("uploading outputs")
                self.upload_outputs()
            except TransferError as error:
                status, reason = "Failed", f"ClientError: {error}"
        try:
            message = self.exit_message()
        except JobError as error:
            message = None
            if status == "Completed":
                status, reason = "Failed", f"ClientError: {error}"
        say(f"{status}{': ' + reason if reason else ''}")
        self.store.finish(
            self.name, status, failure_reason=reason, exit_message=message, exit_code=exit_code
        )


def _missing_opt_ml(lines) -> bool:
    return any(
        "/opt/ml" in line and ("No such file" in line or "FileNotFoundError" in line)
        for line in lines
    )


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")


def main(
    argv: list[str] | None = None, forked: bool = False, probe: IsolationProbe | None = None
) -> int:
    """Run the job named in ``argv``; ``probe`` is the isolation probe, when started already."""
    _stop_signal.clear()  # a forked runner: whatever the submitting process's copy held
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(
            "usage: python -m aws_sagemaker_remote.backends.local.runner JOB_NAME", file=sys.stderr
        )
        return 2
    name = args[0]
    store = JobStore()
    run = None
    try:
        record = store.get(name)
        if record is None:
            say(f"no local job named {name}")
            return 2
        how = "forked from the submitting process" if forked else "started afresh"
        say(f"runner {os.getpid()} for job {name} ({how})")
        run = JobRun(store, record, probe)
        run.run()
        return 0
    except BaseException as error:
        full = _full_disk_reason(error, store)
        if full is None:
            import traceback  # here: with textwrap and tokenize, 3 ms a run that ends well skips

            traceback.print_exc()
        else:
            say(full)  # no bug of ours: one line, as the job's FailureReason says it
        if run is not None:
            try:
                run.stop_workers()
            except BaseException as again:
                say(f"stopping the instances: {type(again).__name__}: {again}")
        reason = full or (
            f"InternalServerError: the local engine failed: {type(error).__name__}: {error}"
        )
        store.finish(name, "Failed", failure_reason=reason)
        return 1


def _full_disk_reason(error: BaseException, store: JobStore) -> str | None:
    """The FailureReason of a runner stopped by a full disk (a file or the job store)."""
    if isinstance(error, StoreFull):
        return f"ClientError: {error.one_line()}"
    full = full_disk(error, store.root) if isinstance(error, Exception) else None
    return f"ClientError: {full.one_line()}" if full is not None else None
