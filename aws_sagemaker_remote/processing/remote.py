"""``--sagemaker-run`` and ``--sagemaker-dry-run``: the command line over the Python API.

The parsed flags become settings, channels and arguments (:mod:`.argv`), the same spec
the API builds from keywords; then the dry run prints the request, or the submission
runs and this module says what happens: the staging summary, where to follow the job,
its status and logs while waited for, and where its outputs went. What follows the
submission is the API's :class:`~..submission.handle.Job` (following, the failure, the
downloads), heard through a :class:`~..cli.follow.Printer`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

from ..cli.flags import flag_for_field
from ..cli.follow import Printer
from ..collector import skip_collection_at_exit
from ..errors import Interrupted, render_fields
from ..events import Event
from ..job.spec import JobSpec, build_spec
from ..job.values import writable_file
from ..settings import blame_environment
from ..wording import jobs_command
from .args import Channels
from .argv import CommandLine

LISTED_OBJECTS = 10  # outputs that stay on S3: how many objects to name after the job


def run_remotely(
    args: argparse.Namespace,
    *,
    parser: argparse.ArgumentParser,
    channels: Channels,
    argv: list[str],
) -> dict[str, Any] | None:
    """Submit the job (or print its request); returns the final description when waited."""
    command = CommandLine(args, parser=parser, channels=channels, argv=argv)
    with blame_environment(command.origins):
        spec = build_spec(
            command.settings,
            inputs=command.inputs,
            outputs=command.outputs,
            modules=command.modules,
            arguments=command.arguments,
            explicit=command.explicit,
        )
    return run_spec(spec, command.settings, command.origins)


def run_spec(
    spec: JobSpec,
    settings: Mapping[str, Any],
    origins: Mapping[str, str],
    name: Callable[[str], str] = flag_for_field,
) -> dict[str, Any] | None:
    """Print the request of ``spec`` (``settings["dry_run"]``), or submit it and say what
    happens; returns the final description when waited. ``name`` spells fields as the
    command line at hand spells them (``run`` has flags of its own)."""
    skip_collection_at_exit()  # this process's work from here on is ours
    with blame_environment(origins):
        output_json = writable_file(settings["output_json"], "output_json")
        from ..submission import order

        if settings["dry_run"]:
            try:
                submission = order.prepare(spec, dry_run=True)
            except KeyboardInterrupt:
                raise Interrupted(order.NOTHING_SUBMITTED) from None
            for line in submission.infos + submission.warnings:
                print(render_fields(line, name), file=sys.stderr)
            for note in submission.notes:
                print(f"dry run: {render_fields(note, name)}", file=sys.stderr)
            print(json.dumps(submission.request, indent=2))
            return None
        announcer = _Announcer(name)
        job = order.submit(spec, on_event=announcer)
    announcer.announce(job)
    if settings["wait"] and settings["download"]:
        from ..submission.planned_downloads import record

        record(job.name, job.local_outputs)  # for `jobs wait` if this wait is cut short
    if not settings["wait"]:
        print(job.name, flush=True)  # stdout, for scripts: NAME=$(python job.py ...)
        if output_json:
            job.write_description(output_json)
        return None
    return _wait(job, spec, output_json, download=settings["download"])


class _Announcer(Printer):
    """Prints what a submission and then its job have to say, on stderr; once the job
    exists, where to find it (:meth:`announce`)."""

    request: dict[str, Any] = {}

    def __call__(self, event: Event) -> None:
        if event.kind == "created":
            self.request = event.data
        else:
            super().__call__(event)

    def announce(self, job: Any) -> None:
        name, region = job.name, job.region
        lines = [
            f"created processing job {name}",
            f"  follow: {jobs_command('logs -f', name, local=job.local)}",
        ]
        if not job.local and region:
            home = f"https://{region}.console.aws.amazon.com"
            lines.append(
                f"  console: {home}/sagemaker/home?region={region}#/processing-jobs/{name}"
            )
            lines.append(
                f"  logs: {home}/cloudwatch/home?region={region}"
                f"#logsV2:log-groups/log-group/$252Faws$252Fsagemaker$252FProcessingJobs"
                f"$3FlogStreamNameFilter$3D{name}"
            )
        for output in self.request.get("ProcessingOutputConfig", {}).get("Outputs", []):
            lines.append(f"  output {output['OutputName']}: {output['S3Output']['S3Uri']}")
        print("\n".join(lines), file=sys.stderr)


def _wait(job: Any, spec: JobSpec, output_json: str | None, *, download: bool) -> dict[str, Any]:
    from ..cli.follow import follow

    description = follow(job, download_to=job.local_outputs if download else None)
    # the log was printed as it came: the traceback once, not again in the error
    done = job.finish(description, download=download, output_json=output_json, last_lines=False)
    for result in done.values():
        for line in result.lines:
            print(f"output {line}", file=sys.stderr)
    _list_outputs(job, spec, description, skip=download)
    return description


def _list_outputs(job: Any, spec: JobSpec, description: dict[str, Any], *, skip: bool) -> None:
    """Where each output that stays on S3 (or the local store) landed, and its first
    objects; ``skip``: not those downloaded to a local path."""
    from ..storage.downloads import list_prefix

    uris = job.output_uris(description)
    for output in spec.outputs:
        if skip and output.download_dir:
            continue
        uri = uris[output.name]
        listed = list_prefix(job.session_for(uri), uri, limit=LISTED_OBJECTS + 1)
        print(f"output {output.name}: {uri}", file=sys.stderr)
        for item in listed[:LISTED_OBJECTS]:
            print(f"  {item.uri} ({item.size} bytes)", file=sys.stderr)
        if len(listed) > LISTED_OBJECTS:
            print("  ...", file=sys.stderr)
