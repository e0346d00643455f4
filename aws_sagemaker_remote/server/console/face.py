"""The console as a Face: every path under ``/_console/``, and nothing changes on a GET.

Routes::

    /_console                      -> 301 /_console/
    /_console/                     the processing jobs list (?status=&name=&page=)
    /_console/jobs/NAME            a job's page
    /_console/jobs/NAME/logs.json  log lines after the page's cursors (?after={...})
    /_console/jobs/NAME/stop       POST: stop the job (not when read-only)
    /_console/s3                   a prefix (?bucket=&prefix=&job=&token=)
    /_console/s3/object            a download (?bucket=&key=&job=)
    /_console/static/FILE          the stylesheet and the script

Any page on the web can make a browser send requests to 127.0.0.1, so the one request
that changes something (stop) must carry this process's random token from the form and,
where the browser says where it came from (``Origin``, ``Sec-Fetch-Site``), come from
the console itself. Every request must also name a loopback host, so a page of another
site that rebinds its DNS name to 127.0.0.1 gets nothing.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Collection
from importlib import resources
from urllib.parse import parse_qsl

from ...errors import Error, NotFound, ServiceError, UserError
from ...job.lineage import JOB_NAME
from ..http import Face, Request, Response
from .browse import browse_page, content_disposition, open_object
from .html import ROOT, esc, job_url, page
from .jobpage import job_page
from .listpage import jobs_list_page
from .logs import logs_update
from .source import ConsoleSource

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_MAX_PAGE = 100_000  # past any real listing; SQLite's OFFSET is a 64-bit integer
_JOB_PATH = re.compile(r"jobs/([^/]+)(/logs\.json|/stop)?")
_SECURITY = [
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),  # "no-referrer" makes a form's Origin "null"
    ("X-Frame-Options", "DENY"),
]


def _html(body: bytes, status: int = 200) -> Response:
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
    return Response(status, headers + _SECURITY, body)


def _error_page(status: int, title: str, message: str) -> Response:
    body = page(
        title,
        f'<div class="title"><h1>{esc(title)}</h1></div>'
        f'<p class="alert">{esc(message)}</p>'
        f'<p><a href="{ROOT}">Back to the processing jobs</a></p>',
    )
    return _html(body, status)


def _redirect(location: str, status: int = 303) -> Response:
    return Response(status, [("Location", location), ("Content-Type", "text/plain")], b"")


def _host_of(value: str | None) -> str:
    """``127.0.0.1:8080`` -> ``127.0.0.1``; ``[::1]:80`` -> ``[::1]``."""
    value = (value or "").strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1]
    return value.rpartition(":")[0] if ":" in value else value


class _Console:
    def __init__(self, source: ConsoleSource, read_only: bool, hosts: Collection[str]):
        self.source = source
        self.read_only = read_only
        self.hosts = frozenset(h.lower() for h in hosts)
        self.token = secrets.token_urlsafe(32)  # per process: a restart invalidates forms

    def __call__(self, request: Request) -> Response:
        path = request.path
        if path == ROOT.rstrip("/"):
            return _redirect(ROOT, 301)
        if _host_of(request.header("Host")) not in self.hosts:
            return _error_page(421, "Wrong host", "the console answers only on loopback names")
        rest = path[len(ROOT) :] if path.startswith(ROOT) else None
        if rest is None:
            return _error_page(404, "Not found", f"no console page at {path}")
        try:
            return self._route(request, rest)
        except NotFound as error:
            return _error_page(404, "Not found", error.one_line())
        except ServiceError as error:
            return _error_page(502, "Service unreachable", error.one_line())
        except UserError as error:
            return _error_page(400, "Cannot do that", error.one_line())
        except Error as error:
            return _error_page(500, "Error", error.one_line())

    def _route(self, request: Request, rest: str) -> Response:
        if request.method == "POST":
            match = _JOB_PATH.fullmatch(rest)
            if match and match.group(2) == "/stop" and not self.read_only:
                return self._stop(request, match.group(1))
            return _error_page(405, "Not allowed", "this console changes nothing here")
        if request.method not in ("GET", "HEAD"):
            return _error_page(405, "Not allowed", f"{request.method} is not answered here")
        if rest == "":
            number = request.param("page") or "1"
            return _html(
                jobs_list_page(
                    self.source,
                    page_number=min(int(number), _MAX_PAGE) if number.isdigit() else 1,
                    status=request.param("status") or None,
                    name_contains=request.param("name") or None,
                )
            )
        if rest.startswith("static/"):
            return _static(rest[len("static/") :])
        if rest == "s3":
            return _html(
                browse_page(
                    self.source,
                    request.param("bucket") or "",
                    request.param("prefix") or "",
                    request.param("job") or None,
                    request.param("token") or None,
                )
            )
        if rest == "s3/object":
            return self._download(request)
        match = _JOB_PATH.fullmatch(rest)
        if match and JOB_NAME.fullmatch(match.group(1)):
            name, tail = match.groups()
            if tail == "/logs.json":
                update = logs_update(self.source, name, request.param("after"))
                headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
                return Response(200, headers + _SECURITY, json.dumps(update).encode())
            if tail is None:
                token = None if self.read_only else self.token
                return _html(job_page(self.source, name, stop_token=token))
        return _error_page(404, "Not found", f"no console page at {request.path}")

    def _download(self, request: Request) -> Response:
        key = request.param("key") or ""
        body = open_object(
            self.source, request.param("bucket") or "", key, request.param("job") or None
        )
        headers = [
            ("Content-Type", "application/octet-stream"),
            ("Content-Disposition", content_disposition(key)),
            ("Cache-Control", "no-store"),
            *_SECURITY,
        ]
        return Response(200, headers, body.chunks, length=body.size)

    def _cross_site(self, request: Request, form: dict[str, str]) -> str | None:
        """Why a POST is refused as cross-site, or None when it comes from this console."""
        if not hmac.compare_digest(form.get("csrf", ""), self.token):
            return "the form's token is missing or stale: reload the page and try again"
        fetch_site = request.header("Sec-Fetch-Site")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return f"a {fetch_site} request cannot stop a job"
        origin = request.header("Origin")  # "null" from a sandboxed or opaque origin
        if (
            origin is not None
            and origin.lower() != "http://" + (request.header("Host") or "").lower()
        ):
            return f"a request from {origin} cannot stop a job"
        return None

    def _stop(self, request: Request, name: str) -> Response:
        if not JOB_NAME.fullmatch(name):
            return _error_page(404, "Not found", f"{name!r} is not a processing job name")
        try:
            form = dict(parse_qsl(request.read_all(64 * 1024).decode("utf-8", "replace")))
        except Exception:
            return _error_page(400, "Bad request", "the form could not be read")
        refused = self._cross_site(request, form)
        if refused:
            return _error_page(403, "Refused", refused)
        self.source.stop(name)
        return _redirect(job_url(name))


def _static(name: str) -> Response:
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or suffix not in _STATIC_TYPES:
        return _error_page(404, "Not found", f"no static file {name}")
    try:
        data = resources.files(__package__).joinpath("static", name).read_bytes()
    except (FileNotFoundError, OSError):
        return _error_page(404, "Not found", f"no static file {name}")
    headers = [("Content-Type", _STATIC_TYPES[suffix]), ("Cache-Control", "no-cache")]
    return Response(200, headers + _SECURITY, data)


def console_face(
    source: ConsoleSource, *, read_only: bool, hosts: Collection[str] = LOOPBACK_HOSTS
) -> Face:
    """The console over ``source``; ``read_only``: no stop button and no POST accepted.
    ``hosts``: the Host names it answers (loopback names: see the module's docstring)."""
    return _Console(source, read_only, hosts)
