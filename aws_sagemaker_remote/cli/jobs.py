"""``aws-sagemaker-remote jobs ...``: list, describe, follow, stop and download jobs.

Every command works on SageMaker (default) or on the local engine (``--local``) over the
Python API: a job's commands over its :class:`~..submission.handle.Job` (with a
:class:`~.follow.Printer` as its ``on_event``), the listing over the Backend Protocol, and
``rm``, ``prune`` and the local engine's space over
:class:`~..backends.housekeeping.LocalOperations`, whose data :mod:`.housekeeping` words.
Results go to stdout, status and hints to stderr; errors become one line and an exit code
in exactly one place, :func:`errors.exit_on_error`.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from ..backends import to_json
from ..backends.housekeeping import LocalOperations
from ..collector import skip_collection_at_exit
from ..errors import Error, Interrupted, UserError, exit_on_error
from ..job.status import COMPLETED
from ..processing.args import OneLineParser
from ..submission.planned_downloads import forget
from ..wording import count
from .flags import jobs_option_for_field

if TYPE_CHECKING:
    from ..submission.handle import Job

PROG = "aws-sagemaker-remote"


def _positive(text: str) -> float:
    """argparse type: a finite number of seconds above zero."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


MAX_LISTED = 10_000


def _job_count(text: str) -> int:
    """argparse type: how many jobs to list, 1..MAX_LISTED (SageMaker pages 100 at a time)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LISTED:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to {MAX_LISTED}")
    return value


def _duration(text: str) -> float:
    from ..backends.local.submitting.space import parse_duration

    try:
        return parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration such as 30m, 12h or 7d"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG, description="Inspect and manage SageMaker processing jobs (or local ones)."
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    top = parser.add_subparsers(dest="group", metavar="COMMAND")
    top.required = True
    # typed as the base class, so that plain parsers may be its subcommands' parents
    jobs: argparse.ArgumentParser = top.add_parser(
        "jobs", help="processing jobs", description="Processing jobs."
    )
    # run by their own modules (cli/__init__.py dispatches on the first word); named here
    # so that --help lists every command
    top.add_parser("run", help="run an unchanged processing script as a job", add_help=False)
    top.add_parser("serve", help="a local SageMaker, S3 and Logs on 127.0.0.1", add_help=False)
    top.add_parser("console", help="the jobs console for a SageMaker account", add_help=False)
    # also before the command (`jobs --local list`); merged into the command's own by main()
    jobs.add_argument("--local", dest="jobs_local", action="store_true", help=argparse.SUPPRESS)
    jobs.add_argument("--profile", dest="jobs_profile", metavar="P", help=argparse.SUPPRESS)
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
    listing.add_argument("--max", type=_job_count, default=20, metavar="N", help="at most N jobs")
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
    wait.add_argument(
        "--no-download",
        action="store_true",
        help="do not download the outputs a cut-short waited run meant to download",
    )

    stop = commands.add_parser("stop", parents=[common], help="ask the job to stop")
    stop.add_argument("name", metavar="NAME")

    remove = commands.add_parser(
        "rm",
        parents=[common],
        help="remove ended local jobs: their records and directories (--local is implied)",
    )
    remove.add_argument("names", nargs="+", metavar="NAME")
    prune = commands.add_parser(
        "prune",
        parents=[common],
        help="remove ended local jobs, unreferenced staged files, compiled modules, environments",
    )
    prune.add_argument("--keep", type=int, default=0, metavar="N", help="keep the newest N")
    prune.add_argument(
        "--older-than",
        type=_duration,
        metavar="DURATION",
        help="only jobs that ended (and environments last used) longer ago: 90s, 30m, 12h, 7d",
    )
    prune.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be removed and how much it would free; remove nothing",
    )

    download = commands.add_parser("download", parents=[common], help="fetch the job's outputs")
    download.add_argument("name", metavar="NAME")
    download.add_argument(
        "--output",
        metavar="DIR",
        help="into DIR/<output-name>/ (default: where the run that waited for the job on "
        "this machine meant to download them, else .)",
    )
    download.add_argument("--name", dest="output_name", metavar="OUTPUT", help="only this output")
    return parser


def main(argv: list[str] | None = None) -> int | None:
    skip_collection_at_exit()
    args = build_parser().parse_args(argv)
    args.local = args.local or args.jobs_local
    args.profile = args.profile or args.jobs_profile
    try:
        return _COMMANDS[args.command](args)
    except Error as error:
        exit_on_error(error, PROG, name=jobs_option_for_field)
    except KeyboardInterrupt:
        exit_on_error(Interrupted("interrupted"), PROG)
    except BrokenPipeError:  # `... | head` closed stdout: not an error worth a traceback
        quiet_stdout()
        return 1


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail again
    (the Python documentation's advice for SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _backend(args: argparse.Namespace) -> Any:
    """The local engine (``--local``) or SageMaker, through the API's one choice of backend."""
    from ..api import backend_for

    try:
        return backend_for(local=args.local, profile=args.profile)
    except ImportError as error:
        raise UserError(f"the local engine is not available: {error}", field="local") from None


def _job(args: argparse.Namespace, log_out: TextIO | None = None) -> Job:
    """The job the command names, saying what it hears on stderr (its log lines on
    ``log_out``); NotFound (one line) when there is none."""
    from ..api import attach
    from .follow import Printer

    printer = Printer(jobs_option_for_field, log_out=log_out)
    try:
        return attach(args.name, local=args.local, profile=args.profile, on_event=printer)
    except ImportError as error:
        raise UserError(f"the local engine is not available: {error}", field="local") from None


def _list(args: argparse.Namespace) -> int:
    from .follow import format_seconds, to_datetime
    from .housekeeping import format_bytes, space_line

    backend = _backend(args)
    jobs = backend.list_jobs(args.max + 1, args.name_contains)  # one more: are there more?
    more, jobs = len(jobs) > args.max, jobs[: args.max]
    _say_how_many(args, backend, len(jobs), more)
    if args.json:
        print(to_json(jobs))
        return 0
    if not jobs:
        return 0
    local = backend if isinstance(backend, LocalOperations) else None  # sizes on this disk
    rows = [("NAME", "STATUS", "CREATED", "DURATION", *(("SIZE",) if local else ()))]
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
                *((format_bytes(local.job_size(job["ProcessingJobName"])),) if local else ()),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]).rstrip())
    if local:
        print(space_line(local.space()), file=sys.stderr)
    return 0


def _say_how_many(args: argparse.Namespace, backend: Any, shown: int, more: bool) -> None:
    """On stderr: that the list is empty, or that it is cut at --max ("20 of 23 jobs")."""
    local = backend.local
    matching = f" whose name contains {args.name_contains!r}" if args.name_contains else ""
    if not shown:
        where = "local jobs" if local else "SageMaker processing jobs"
        if local:
            hint = "jobs run with --sagemaker-instance local appear here"
        else:
            region = getattr(getattr(backend, "ctx", None), "region", None)
            where += f" in {region}" if region else ""
            hint = "for the local engine's jobs: --local"
        print(f"no {where}{matching} ({hint})", file=sys.stderr)
    elif more:
        if isinstance(backend, LocalOperations):
            total = backend.count_jobs(args.name_contains)
            said = f"{shown} of {total} jobs{matching} shown"
        else:  # counting them all would list every page of the account's jobs
            said = f"the newest {shown} jobs{matching} shown; there are more"
        print(f"{said} (--max N to see more)", file=sys.stderr)


def _local_only(args: argparse.Namespace) -> LocalOperations:
    """The engine whose jobs and caches live on this machine (``--local``)."""
    backend = _backend(args) if args.local else None
    if not isinstance(backend, LocalOperations):
        raise UserError(
            f"jobs {args.command} removes local jobs only", field="local", fix="add --local"
        )
    return backend


def _rm(args: argparse.Namespace) -> int:
    from .housekeeping import removed_line

    args.local = True  # only the local engine's jobs can be removed
    print(removed_line(_local_only(args).remove_jobs(args.names)), file=sys.stderr)
    for name in args.names:
        forget(name)
    return 0


def _prune(args: argparse.Namespace) -> int:
    from .housekeeping import pruned_line

    if args.keep < 0:
        raise UserError("must be 0 or more", field="keep")
    pruned = _local_only(args).prune(args.keep, args.older_than, dry_run=args.dry_run)
    print(pruned_line(pruned), file=sys.stderr)
    return 0


def _describe(args: argparse.Namespace) -> int:
    print(to_json(_job(args).describe()))
    return 0


def _logs(args: argparse.Namespace) -> int:
    from .follow import follow

    job = _job(args, log_out=sys.stdout)
    if args.follow:
        follow(job, poll_seconds=args.poll_seconds)
        return 0
    description = job.describe()  # "no such job" rather than silence
    if not job.log_streams():
        print(
            f"job {job.name} has no log streams yet (status "
            f"{description.get('ProcessingJobStatus')}); SageMaker creates them when the "
            "instances start",
            file=sys.stderr,
        )
        return 0
    for line in job.logs():
        print(line)
    return 0


def _wait(args: argparse.Namespace) -> int:
    """Follow the job; once it completed, download what a waited run that was cut short
    meant to download, where it meant to (see :mod:`..submission.planned_downloads`)."""
    from .follow import follow

    job = _job(args)
    description = follow(
        job,
        poll_seconds=args.poll_seconds,
        logs=not args.no_logs,
        download_to=None if args.no_download else job.local_outputs,
    )
    # JobFailed unless it completed; its last log lines only if they were not printed
    job.finish(description, download=False, last_lines=args.no_logs)
    if job.local_outputs and not args.no_download:
        if _print_downloads(job.download()):
            return 1  # the record stays: a later download may place what this one refused
        forget(job.name)
    return 0


def _stop(args: argparse.Namespace) -> int:
    _job(args).stop()
    print(f"asked {args.name} to stop", file=sys.stderr)
    return 0


def _download(args: argparse.Namespace) -> int:
    """Exit 0 once a completed job's outputs are here; 1 for a job that ended Failed or
    Stopped (whatever its Continuous outputs uploaded is fetched, and said to be partial)."""
    from ..job.status import UNSUCCESSFUL

    job = _job(args)
    status = job.status()
    if status != COMPLETED and status not in UNSUCCESSFUL:
        print(
            f"warning: job {args.name} is {status}; its outputs may be incomplete", file=sys.stderr
        )
    planned = not args.output and bool(job.local_outputs)  # where a waited run meant
    into = args.output if args.output or planned else "."
    refused = _print_downloads(job.download(into, output=args.output_name))
    if planned and status == COMPLETED and args.output_name is None and not refused:
        forget(job.name)
    if status in UNSUCCESSFUL:
        print(
            f"job {args.name} ended {status}: these are only what its Continuous outputs "
            "uploaded before it ended",
            file=sys.stderr,
        )
        return 1
    return 1 if refused else 0


def _print_downloads(done: dict[str, Any]) -> int:
    """Keys that could not be placed and a line per output on stderr; each path on stdout.
    Returns how many keys were refused."""
    for name, download in done.items():
        for line in download.lines[:-1]:  # keys that could not be placed
            print(line, file=sys.stderr)
        files = count(download.files, "file")
        print(f"{name}: {files} from {download.uri}", file=sys.stderr)
        print(download.path)
    refused = sum(len(download.lines) - 1 for download in done.values())
    if refused:  # a partial download is no success: exit 1, as a failed job (2: a bad flag)
        arrived = count(sum(download.files for download in done.values()), "file")
        print(f"{count(refused, 'object')} refused, {arrived} downloaded", file=sys.stderr)
    return refused


_COMMANDS = {
    "list": _list,
    "describe": _describe,
    "logs": _logs,
    "wait": _wait,
    "stop": _stop,
    "rm": _rm,
    "prune": _prune,
    "download": _download,
}
