"""``Job``: a handle on one processing job, on SageMaker or the local engine.

Built by :func:`~aws_sagemaker_remote.submit` or :func:`~aws_sagemaker_remote.attach`, in
the spirit of Metaflow's ``RunningJob``: status, wait, logs, stop and download over a job
name and a backend. It prints nothing; status changes, log lines and download progress
reach the optional ``on_event`` callback as :class:`~aws_sagemaker_remote.events.Event`
values. It is the one implementation of what follows a submission (following the job,
the failure to raise, the downloads): the Python API and the command line both use it,
the command line with an ``on_event`` that prints.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, Callable, NamedTuple

from ..backends import Backend, to_json
from ..backends.watch import LogTail, Watch, last_log_lines, outcome_error
from ..errors import JobFailed, UserError
from ..events import Event
from ..job.status import UNSUCCESSFUL

LOCAL_POLL_SECONDS = 0.05  # a local describe is one SQLite read
REMOTE_POLL_SECONDS = 5.0


class Download(NamedTuple):
    """One output fetched: where it came from, where it went, how many files."""

    uri: str
    path: str
    files: int
    lines: tuple[str, ...] = ()  # keys that could not be placed, then the summary, for people


class Job:
    """A processing job: ``name``, ``status()``, ``describe()``, ``logs()``, ``stop()``,
    ``wait()`` and ``download()``."""

    def __init__(
        self,
        name: str,
        backend: Backend,
        *,
        aws: Any = None,
        profile: str | None = None,
        local_outputs: dict[str, str] | None = None,
        on_event: Callable[[Event], None] | None = None,
    ):
        self.name = name
        self.backend = backend
        self.profile = profile
        self.local_outputs = dict(local_outputs or {})  # output name -> the path it was given
        self.on_event = on_event
        self._aws = aws
        self._last_lines: list[str] = []  # the last log lines the latest follow() saw

    def __repr__(self) -> str:
        return f"Job({self.name!r}, {'local' if self.local else 'sagemaker'})"

    @property
    def local(self) -> bool:
        """Whether the job runs on the local engine rather than on SageMaker."""
        return self.backend.local

    @property
    def poll_seconds(self) -> float:
        return LOCAL_POLL_SECONDS if self.local else REMOTE_POLL_SECONDS

    def describe(self) -> dict[str, Any]:
        """The DescribeProcessingJob response (the same shape for the local engine)."""
        return self.backend.describe_job(self.name)

    def status(self) -> str:
        """``InProgress``, ``Completing``, ``Completed``, ``Failed``, ``Stopping``, ``Stopped``."""
        return str(self.describe().get("ProcessingJobStatus", ""))

    def stop(self) -> None:
        """Ask the job to stop; it ends ``Stopped``."""
        self.backend.stop_job(self.name)

    def log_streams(self) -> list[str]:
        """The names of the job's log streams so far (none before its instances start)."""
        return self.backend.log_streams(self.name)

    def logs(self, follow: bool = False) -> Iterator[str]:
        """The job's log lines, each starting with ``algo-N |`` when the job has several
        instances.

        :param follow: keep yielding lines until the job ends.
        """
        if not follow:
            self.describe()  # "no such job" rather than nothing
            yield from LogTail(self.backend, self.name).poll()
            return
        for update in self.watch():
            if update.kind == "log":
                yield update.line or ""

    def watch(self, *, logs: bool = True, poll_seconds: float | None = None) -> Watch:
        """Status changes and log lines until the job ends, as an iterator of updates.

        :param logs: include the log lines, not only the status changes.
        :param poll_seconds: how often to ask (default: 0.05 s locally, 5 s on SageMaker).
        """
        return Watch(
            self.backend, self.name, poll_seconds=poll_seconds or self.poll_seconds, logs=logs
        )

    def wait(self, poll_seconds: float | None = None) -> str:
        """Wait until the job ends; its final status: ``Completed``, ``Failed`` or ``Stopped``.

        Status changes (and, with a callback, log lines) go to ``on_event``.

        :param poll_seconds: how often to ask (default: 0.05 s locally, 5 s on SageMaker).
        """
        return str(self.follow(poll_seconds=poll_seconds).get("ProcessingJobStatus"))

    def follow(self, poll_seconds: float | None = None, *, logs: bool = True) -> dict[str, Any]:
        """Like :meth:`wait`, but the final description.

        :param logs: tell ``on_event`` the log lines too, not only the status changes.
        """
        watch = self.watch(logs=logs and self.on_event is not None, poll_seconds=poll_seconds)
        for update in watch:
            if self.on_event is None:
                continue
            if update.kind == "log":
                self.on_event(Event("log", update.line or ""))
            else:
                status = (update.description or {}).get("ProcessingJobStatus", "")
                self.on_event(Event("status", f"{self.name}: {status}", update.description))
        self._last_lines = watch.last_lines
        return watch.description

    def failure(self, description: dict[str, Any], *, last_lines: bool = True) -> JobFailed | None:
        """The JobFailed to raise for an ended ``description`` (its reasons and last log
        lines), or None.

        :param last_lines: False when the lines were told as they came (followed with
            logs): the error then says the reasons only.
        """
        if description.get("ProcessingJobStatus") not in UNSUCCESSFUL:
            return None
        lines: list[str] = []
        if last_lines:
            lines = self._last_lines or last_log_lines(self.backend, self.name)
        return outcome_error(description, lines)

    def finish(
        self,
        description: dict[str, Any],
        *,
        download: bool = True,
        output_json: str | None = None,
        last_lines: bool = True,
    ) -> dict[str, Download]:
        """What a waited run does once its job has ended: write the description to
        ``output_json``; raise the :meth:`failure` unless it completed; then (``download``)
        fetch the outputs given as local paths to those paths. What was downloaded.

        Where a waited run meant to download (kept for ``jobs wait`` in case the wait was
        cut short) is forgotten once the job failed or its outputs are here.
        """
        from .planned_downloads import forget

        if output_json:
            self.write_description(output_json, description)
        failure = self.failure(description, last_lines=last_lines)
        if failure is not None:
            forget(self.name)  # it ended without outputs to download
            raise failure
        if not (download and self.local_outputs):
            return {}
        done = self.download()
        forget(self.name)
        return done

    def output_uris(self, description: dict[str, Any] | None = None) -> dict[str, str]:
        """Output name -> the S3 (or local-store) URI where it lands."""
        description = description or self.describe()
        return {
            o.get("OutputName", ""): o["S3Output"]["S3Uri"]
            for o in description.get("ProcessingOutputConfig", {}).get("Outputs", [])
            if o.get("S3Output", {}).get("S3Uri")
        }

    def download(self, dir: str | None = None, *, output: str | None = None) -> dict[str, Download]:
        """Fetch outputs; output name -> what was downloaded where.

        A job that ended Failed or Stopped uploaded nothing, unless a Continuous output did
        before it ended: with nothing to fetch, JobFailed says so and nothing is made.

        :param dir: download each output into ``dir/<output name>/``; without it, each
            output that was given as a local path goes to that path.
        :param output: fetch only the output of this name.
        """
        description = self.describe()
        uris = self.output_uris(description)
        if output is not None:
            if output not in uris:
                from ..wording import did_you_mean

                known = ", ".join(uris) or "the job has none"
                hint = did_you_mean(output, list(uris))
                raise UserError(
                    f"job {self.name} has no output named {output!r}{hint}",
                    field="output",
                    fix=f"choose one of: {known}",
                )
            uris = {output: uris[output]}
        status = description.get("ProcessingJobStatus")
        if status in UNSUCCESSFUL and not self._anything_under(uris.values()):
            raise JobFailed(
                f"job {self.name} ended {status} and produced no outputs: nothing to download "
                "(a job uploads its outputs when it completes; Continuous ones as it runs)"
            )
        if dir is not None:
            if os.path.exists(dir) and not os.path.isdir(dir):
                raise UserError(f"{dir} is not a directory", field="dir", fix="pass a directory")
            targets = {name: os.path.join(dir, name) for name in uris}
        else:
            targets = {n: p for n, p in self.local_outputs.items() if n in uris}
            if not targets and uris:
                raise UserError(
                    "no output of this job was given as a local path",
                    field="dir",
                    fix="pass a directory to download into",
                )
        from ..storage.downloads import download_prefix

        done = {}
        for name, path in targets.items():
            uri = uris[name]
            report = download_prefix(self.session_for(uri), uri, path, progress=self._progress)
            done[name] = Download(uris[name], path, report.count, tuple(report.lines(name, path)))
        return done

    def _progress(self, moved: Any) -> None:
        """A download's TransferProgress, to ``on_event``: a large output is heard arriving."""
        if self.on_event is not None:
            self.on_event(Event("progress", "", moved))

    def _anything_under(self, uris: Any) -> bool:
        from ..storage.downloads import list_prefix

        return any(list_prefix(self.session_for(uri), uri, limit=1) for uri in uris)

    def write_description(self, path: str, description: dict[str, Any] | None = None) -> None:
        """The job's description as JSON in ``path`` (``--sagemaker-output-json``)."""
        with open(path, "w") as out:
            out.write(to_json(description or self.describe()) + "\n")

    @property
    def region(self) -> str | None:
        """The AWS region of a SageMaker job (None when no AWS was needed)."""
        return getattr(self._aws, "region", None)

    def session_for(self, uri: str) -> Any:
        """A boto3 session for an S3 URI; None for the local store (no AWS involved)."""
        from ..storage.stores import needs_aws

        if not needs_aws(uri):
            return None
        if self._aws is None:
            from ..aws.session import resolve_aws

            self._aws = resolve_aws(self.profile)
        return self._aws.session
