"""``aws-sagemaker-remote jobs ...``: list, describe, follow, stop and download jobs.

Every command works on SageMaker (default) or on the local engine (``--local``) through the
same Backend Protocol. Results go to stdout, status and hints to stderr; errors become one
line and an exit code in exactly one place, :func:`errors.exit_on_error`.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from typing import Any

from ..backends import to_json
from ..errors import Error, UserError, exit_on_error
from ..processing.args import OneLineParser

PROG = "aws-sagemaker-remote"


class Interrupted(Error):
    exit_code = 130


def _positive(text: str) -> float:
    """argparse type: a finite number of seconds above zero."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG, description="Inspect and manage SageMaker processing jobs (or local ones)."
    )
    top = parser.add_subparsers(dest="group", metavar="COMMAND")
    top.required = True
    jobs = top.add_parser("jobs", help="processing jobs", description="Processing jobs.")
    commands = jobs.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--local", action="store_true", help="jobs of the local engine instead of SageMaker"
    )
    common.add_argument("--profile", metavar="P", help="AWS profile (default: the usual chain)")

    following = argparse.ArgumentParser(add_help=False)
    following.add_argument(
        "--poll-seconds", type=_positive, default=5.0, metavar="S", help="status poll interval"
    )

    listing = commands.add_parser("list", parents=[common], help="recent jobs, newest first")
    listing.add_argument("--max", type=int, default=20, metavar="N", help="at most N jobs")
    listing.add_argument("--name-contains", metavar="S", help="only jobs whose name contains S")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")

    describe = commands.add_parser("describe", parents=[common], help="the job's description")
    describe.add_argument("name", metavar="NAME")

    logs = commands.add_parser("logs", parents=[common, following], help="the job's log lines")
    logs.add_argument("name", metavar="NAME")
    logs.add_argument("-f", "--follow", action="store_true", help="follow until the job ends")

    wait = commands.add_parser(
        "wait", parents=[common, following], help="follow the job; exit 0 only if it completed"
    )
    wait.add_argument("name", metavar="NAME")
    wait.add_argument("--no-logs", action="store_true", help="status changes only")

    stop = commands.add_parser("stop", parents=[common], help="ask the job to stop")
    stop.add_argument("name", metavar="NAME")

    download = commands.add_parser("download", parents=[common], help="fetch the job's outputs")
    download.add_argument("name", metavar="NAME")
    download.add_argument(
        "--output", default=".", metavar="DIR", help="into DIR/<output-name>/ (default: .)"
    )
    download.add_argument("--name", dest="output_name", metavar="OUTPUT", help="only this output")
    return parser


def main(argv: list[str] | None = None) -> int | None:
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except Error as error:
        exit_on_error(error, PROG, name=_flag_of)
    except KeyboardInterrupt:
        exit_on_error(Interrupted("interrupted"), PROG)


def _flag_of(field: str) -> str:
    """How this command spells a field: its own options are ``--NAME``."""
    return f"--{field.replace('_', '-')}"


class _Context:
    """The backend of the command, and an AWS session only if one is needed."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self._aws: Any = None
        self.backend = self._local_backend() if args.local else self._sagemaker_backend()

    def aws(self) -> Any:
        if self._aws is None:
            from ..aws.session import resolve_aws

            self._aws = resolve_aws(self.args.profile)
        return self._aws

    def _sagemaker_backend(self) -> Any:
        from ..backends.sagemaker import SageMakerBackend

        return SageMakerBackend(self.aws())

    def _local_backend(self) -> Any:
        try:
            from ..backends.local import LocalBackend
        except ImportError as error:
            raise UserError(f"the local engine is not available: {error}", field="local") from None
        return LocalBackend(profile=self.args.profile)

    def session_for(self, uri: str) -> Any:
        from ..storage.store import needs_aws

        return self.aws().session if needs_aws(uri) else None


def _list(args: argparse.Namespace) -> int:
    from .follow import format_seconds, to_datetime

    if args.max < 1:
        raise UserError("must be at least 1", field="max")
    jobs = _Context(args).backend.list_jobs(args.max, args.name_contains)
    if args.json:
        print(to_json(jobs))
        return 0
    rows = [("NAME", "STATUS", "CREATED", "DURATION")]
    now = datetime.now().astimezone()
    for job in jobs:
        created = to_datetime(job.get("CreationTime"))
        ended = to_datetime(job.get("ProcessingEndTime"))
        if created and ended:
            duration = format_seconds((ended - created).total_seconds())
        elif created:
            duration = f"{format_seconds((now - created).total_seconds())}+"
        else:
            duration = ""
        created_text = created.astimezone().strftime("%Y-%m-%d %H:%M:%S") if created else ""
        rows.append(
            (
                job.get("ProcessingJobName", ""),
                job.get("ProcessingJobStatus", ""),
                created_text,
                duration,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[3]]).rstrip())
    return 0


def _describe(args: argparse.Namespace) -> int:
    print(to_json(_Context(args).backend.describe_job(args.name)))
    return 0


def _logs(args: argparse.Namespace) -> int:
    from .follow import follow_job, print_logs

    backend = _Context(args).backend
    if args.follow:
        follow_job(
            backend, args.name, out=sys.stderr, log_out=sys.stdout, poll_seconds=args.poll_seconds
        )
    else:
        backend.describe_job(args.name)  # "no such job" rather than silence
        print_logs(backend, args.name, sys.stdout)
    return 0


def _wait(args: argparse.Namespace) -> int:
    from .follow import wait_job

    backend = _Context(args).backend
    wait_job(
        backend, args.name, out=sys.stderr, poll_seconds=args.poll_seconds, logs=not args.no_logs
    )
    return 0


def _stop(args: argparse.Namespace) -> int:
    _Context(args).backend.stop_job(args.name)
    print(f"asked {args.name} to stop", file=sys.stderr)
    return 0


def _download(args: argparse.Namespace) -> int:
    from ..storage.downloads import download_prefix

    context = _Context(args)
    description = context.backend.describe_job(args.name)
    outputs = [
        (o.get("OutputName", ""), o["S3Output"]["S3Uri"])
        for o in description.get("ProcessingOutputConfig", {}).get("Outputs", [])
        if o.get("S3Output", {}).get("S3Uri")
    ]
    if args.output_name:
        chosen = [o for o in outputs if o[0] == args.output_name]
        if not chosen:
            known = ", ".join(name for name, _ in outputs) or "the job has none"
            raise UserError(
                f"job {args.name} has no output named {args.output_name!r}",
                field="name",
                fix=f"choose one of: {known}",
            )
        outputs = chosen
    target = args.output or "."
    if os.path.exists(target) and not os.path.isdir(target):
        raise UserError(f"{target} is not a directory", field="output", fix="pass a directory")
    status = description.get("ProcessingJobStatus")
    if status != "Completed":
        print(
            f"warning: job {args.name} is {status}; its outputs may be incomplete", file=sys.stderr
        )
    for name, uri in outputs:
        directory = os.path.join(args.output, name)
        from .progress import ProgressPrinter

        report = download_prefix(
            context.session_for(uri), uri, directory, progress=ProgressPrinter()
        )
        for line in report.lines(name, directory)[:-1]:
            print(line, file=sys.stderr)
        print(f"{name}: {report.count} file(s) from {uri}", file=sys.stderr)
        print(directory)
    return 0


_COMMANDS = {
    "list": _list,
    "describe": _describe,
    "logs": _logs,
    "wait": _wait,
    "stop": _stop,
    "download": _download,
}
