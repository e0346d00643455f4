"""``aws-sagemaker-remote serve``: a local SageMaker, S3, CloudWatch Logs, STS and IAM.

One process, bound to 127.0.0.1 unless told otherwise, answering with the dispatcher of
:mod:`aws_sagemaker_remote.server.app`. It prints one line, the endpoint and the variable
to export, and then nothing unless something fails. Jobs it creates are the local
engine's (its state directory, its detached runners), so stopping the server stops no job
and a restart finds them all. Beyond loopback it takes only requests signed with the key
pair it is given.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import re
import signal

from ..errors import Error, UserError, exit_on_error
from ..processing.args import OneLineParser
from .flags import serve_option_for_field

PROG = "aws-sagemaker-remote serve"
DEFAULT_PORT = 8642
KEY_ID_ENV = "AWS_SAGEMAKER_REMOTE_SERVE_ACCESS_KEY_ID"
SECRET_ENV = "AWS_SAGEMAKER_REMOTE_SERVE_SECRET_ACCESS_KEY"
_ACCOUNT = re.compile(r"\d{12}")


def build_parser() -> argparse.ArgumentParser:
    from ..server.app import DEFAULT_ACCOUNT

    parser = OneLineParser(
        prog=PROG,
        description="A local SageMaker: the SageMaker, S3, CloudWatch Logs, STS and IAM APIs "
        "on this machine; processing jobs run on the local engine.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0: a free one"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1); any other needs a key pair",
    )
    parser.add_argument(
        "--account-id",
        default=DEFAULT_ACCOUNT,
        help=f"the local account (default {DEFAULT_ACCOUNT})",
    )
    parser.add_argument(
        "--region", help="region of ARNs for unsigned requests (default: AWS_REGION or us-east-1)"
    )
    parser.add_argument(
        "--access-key-id",
        default=os.environ.get(KEY_ID_ENV),
        help=f"with --secret-access-key: refuse requests not signed with them ({KEY_ID_ENV})",
    )
    parser.add_argument(
        "--secret-access-key",
        default=os.environ.get(SECRET_ENV),
        help=f"the secret of --access-key-id ({SECRET_ENV}: kept out of the process list)",
    )
    return parser


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _config(args: argparse.Namespace):
    from ..server.app import DEFAULT_REGION, ServerConfig

    if not _ACCOUNT.fullmatch(args.account_id):
        raise UserError(
            f"{args.account_id!r} is not an account id", field="account_id", fix="give 12 digits"
        )
    if args.port < 0 or args.port > 65535:
        raise UserError(f"{args.port} is not a port", field="port", fix="give 0 to 65535")
    if bool(args.access_key_id) != bool(args.secret_access_key):
        missing = "secret_access_key" if args.access_key_id else "access_key_id"
        raise UserError("a key pair takes both halves", field=missing, fix="give both")
    verify = bool(args.access_key_id)  # a key pair given: every request must be signed with it
    if not is_loopback(args.host) and not verify:
        raise UserError(
            f"{args.host} is not a loopback address, and a server others can reach must "
            "refuse requests not signed with its key",
            field="host",
            fix="give --access-key-id and --secret-access-key, or bind 127.0.0.1",
        )
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return ServerConfig(
        account_id=args.account_id,
        region=region or DEFAULT_REGION,
        access_key_id=args.access_key_id or "local",
        secret_access_key=args.secret_access_key or "local",
        verify_signatures=verify,
    )


def _bind(app, host: str, port: int):
    from ..server.http import HttpServer

    try:
        return HttpServer(app, host, port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise UserError(
                f"{host}:{port} is already in use",
                field="port",
                fix="choose another port, or --port 0 for a free one",
            ) from None
        if error.errno == errno.EACCES:
            raise UserError(
                f"this user may not bind {host}:{port}", field="port", fix="use a port over 1023"
            ) from None
        raise UserError(
            f"cannot bind {host}:{port}: {error.strerror or error}",
            field="host",
            fix="give an address of this machine",
        ) from None


def _point_jobs_here(config, endpoint: str) -> None:
    """What the runners this process starts inherit: jobs' AWS calls come here, signed
    with the server's key (their role's credentials are assumed from this server's STS)."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            del os.environ[name]
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ["AWS_ACCESS_KEY_ID"] = config.access_key_id
    os.environ["AWS_SECRET_ACCESS_KEY"] = config.secret_access_key
    os.environ.setdefault("AWS_DEFAULT_REGION", config.region)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def stop_on_signals(server) -> None:
    """Ctrl-C (even when started with SIGINT ignored, as ``cmd &`` does) and SIGTERM end
    ``serve_forever`` from a thread: no KeyboardInterrupt lands anywhere mid-statement."""
    import threading

    def stop(signum, frame) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def main(argv: list[str] | None = None) -> int:
    """``aws-sagemaker-remote serve [--port N] [--host H] ...``."""
    args = build_parser().parse_args(argv)
    try:
        config = _config(args)
        from ..server.app import make_app

        app = make_app(config)
        server = _bind(app, args.host, args.port)
    except Error as error:
        exit_on_error(error, prog=PROG, name=serve_option_for_field)
    port = server.server_address[1]
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{port}"
    local = f"http://127.0.0.1:{port}" if not is_loopback(args.host) else url
    _point_jobs_here(config, local)
    stop_on_signals(server)
    console = "" if config.verify_signatures else f" (console: {url}/_console/)"
    print(f"serving SageMaker, S3, CloudWatch Logs, STS and IAM at {url}{console}: "
          f"export AWS_ENDPOINT_URL={url}", flush=True)  # fmt: skip
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0
