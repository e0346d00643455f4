"""``aws-sagemaker-remote console``: the jobs console alone, on 127.0.0.1.

Over a SageMaker account it is read-only and asks for no more than ``jobs list``,
``describe`` and ``logs`` do (ListProcessingJobs, DescribeProcessingJob,
DescribeLogStreams, GetLogEvents; ``s3:ListBucket`` and ``s3:GetObject`` only when a
person opens a path). With ``--local`` it shows the local engine's jobs, and can stop them.
"""

from __future__ import annotations

import sys
from typing import Any

from ..errors import Error, UserError, exit_on_error
from .flags import jobs_option_for_field

PROG = "aws-sagemaker-remote console"
DEFAULT_PORT = 9321
_OPTIONS = {"port": "--port", "region": "--region"}


def _option(field: str) -> str:
    return _OPTIONS.get(field) or jobs_option_for_field(field)


def build_parser() -> Any:
    from ..processing.args import OneLineParser

    parser = OneLineParser(
        prog=PROG,
        description="Serve the processing jobs console on 127.0.0.1: a SageMaker account's "
        "jobs (read-only), or the local engine's with --local.",
    )
    parser.add_argument("--profile", metavar="P", help="AWS profile (default: the usual chain)")
    parser.add_argument("--region", metavar="R", help="AWS region (default: the profile's)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, metavar="N", help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--local", action="store_true", help="the local engine's jobs, with a stop button"
    )
    return parser


def _source(args: Any) -> tuple[Any, bool]:
    """(the console's source, whether it is read-only)."""
    if args.local:
        from ..server.console import LocalSource

        try:
            from ..backends.local import LocalBackend
        except ImportError as error:
            raise UserError(f"the local engine is not available: {error}", field="local") from None
        return LocalSource(LocalBackend(profile=args.profile)), False
    from ..aws.session import resolve_aws
    from ..backends.sagemaker import SageMakerBackend
    from ..server.console import S3Objects, SageMakerSource

    context = resolve_aws(args.profile, args.region)
    objects = S3Objects(context.session, context.region)
    return SageMakerSource(SageMakerBackend(context), objects), True


def _server(face: Any, port: int) -> Any:
    from ..server.http import HttpServer

    if not 0 <= port <= 65535:
        raise UserError(
            f"{port} is not a port", field="port", fix="use 1-65535, or 0 for any free port"
        )
    try:
        return HttpServer(face, "127.0.0.1", port)
    except OSError as error:
        raise UserError(
            f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}",
            field="port",
            fix="pick another with {{port}} N (0: any free port)",
        ) from None


def main(argv: list[str] | None = None) -> int | None:
    args = build_parser().parse_args(argv)
    try:
        from ..server.console import console_face

        source, read_only = _source(args)
        server = _server(console_face(source, read_only=read_only), args.port)
    except Error as error:
        exit_on_error(error, PROG, name=_option)
    except KeyboardInterrupt:
        return 130
    where = "the local engine" if args.local else "SageMaker (read-only)"
    print(f"{server.url}/_console/  ({where}; Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("console stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0
