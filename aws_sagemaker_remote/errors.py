"""The errors a user can see, and nothing else.

    Error               a message, and a hint (what to do next) when there is one
    ├── UserError       a mistake the caller can fix: the field at fault and the fix; exit 2
    │   ├── NotFound    a job, bucket or object that does not exist
    │   └── KeywordError  a keyword that does not exist or a value of the wrong type (also a
    │                   TypeError, as Python's own for a bad call)
    ├── ServiceError    AWS or the network failed (names the endpoint); not the user's fault; exit 3
    ├── JobFailed       the job ran and ended Failed or Stopped; exit 1
    └── Interrupted     Ctrl-C: what was and was not done, and how to go on; exit 130

Every error has a ``message`` (what happened) and a ``hint`` (what to do next, or None),
kept apart so that a front end can say them its own way; ``str(error)`` and
:meth:`Error.one_line` join them (``message (hint)`` unless the class says otherwise).
``UserError(..., fix=...)`` and ``.fix`` are the hint under the name it always had.

Errors name the *field* they are about (``instance``, ``s3_prefix``, ``inputs.data``,
``inputs.data.mode``, ``outputs.out.s3``, ``modules.mylib``), never a command-line flag: the
Python API and the command line spell fields differently. A message or hint may mention
another field as ``{{field}}``. Only the front ends turn errors into text, through
:meth:`Error.one_line` with their own way of naming fields (:func:`keyword_name` for the
Python API; the command line maps fields to flags), and into exit codes
(:func:`exit_on_error`). Library code raises them and never prints a traceback.
"""

from __future__ import annotations

import os
import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
    from collections.abc import Sequence
    from typing import Callable, NoReturn

USER_ERROR_EXIT = 2
JOB_FAILED_EXIT = 1
SERVICE_ERROR_EXIT = 3
INTERRUPTED_EXIT = 130

_FIELD_REF = re.compile(r"\{\{([^{}\n]+)\}\}")  # any channel name: "inputs.bad name!"


def keyword_name(field: str) -> str:
    """The Python API's spelling of a field: ``instance=``, ``inputs['data']``."""
    kind, _, rest = field.partition(".")
    if kind in ("inputs", "outputs", "modules") and rest:
        name, _, attribute = rest.partition(".")
        return f"{kind}[{name!r}]" + (f" {attribute}" if attribute else "")
    return f"{field}="


def render_fields(text: str, name: Callable[[str], str] = keyword_name) -> str:
    """``text`` with each ``{{field}}`` spelled by ``name``, on one line."""
    return " ".join(_FIELD_REF.sub(lambda m: name(m.group(1)), text).split())


class Error(Exception):
    """Base of every error this library reports to a user: ``message``, and ``hint`` (what
    to do next) when there is one."""

    exit_code = 1
    hint_format = "{message} ({hint})"  # how the hint follows the message, in one line

    def __init__(self, message: str = "", *, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        return self.with_hint(self.message)

    def with_hint(self, text: str) -> str:
        """``text`` followed by the hint, if there is one, as this class joins them."""
        return self.hint_format.format(message=text, hint=self.hint) if self.hint else text

    def one_line(self, name: Callable[[str], str] = keyword_name) -> str:
        """The error as one line, its hint included; ``name`` spells the fields it mentions."""
        return render_fields(str(self), name)


class UserError(Error):
    """A mistake in how the library was called: the field at fault and how to fix it
    (``fix``: the hint, by the name it has always had here)."""

    exit_code = USER_ERROR_EXIT
    origin: str | None = None  # the environment variable the bad value came from, if any

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        fix: str | None = None,
        hint: str | None = None,
    ):
        self.field = field
        super().__init__(message, hint=hint if hint is not None else fix)

    @property
    def fix(self) -> str | None:
        """How to fix it: the same as ``hint``."""
        return self.hint

    @fix.setter
    def fix(self, value: str | None) -> None:
        self.hint = value

    def one_line(self, name: Callable[[str], str] = keyword_name) -> str:
        text = f"{{{{{self.field}}}}}: {self.message}" if self.field else self.message
        if self.field and self.origin:
            text = f"{{{{{self.field}}}}} (from {self.origin}): {self.message}"
        return render_fields(self.with_hint(text), name)

    def __str__(self) -> str:
        return self.one_line()


class NotFound(UserError):
    """What was asked for does not exist (a job, a bucket, an object)."""


class KeywordError(UserError, TypeError):
    """A keyword of the Python surfaces that does not exist, or a value of a type it does
    not take; ``field`` is the keyword. Found before anything runs (see keywords.py)."""


class ServiceError(Error):
    """AWS or the network failed: the endpoint and what failed. Never blamed on the user."""

    exit_code = SERVICE_ERROR_EXIT

    def __init__(self, message: str, *, endpoint: str | None = None, hint: str | None = None):
        self.endpoint = endpoint
        super().__init__(message, hint=hint)


class JobFailed(Error):
    """The job ended without completing: its reasons in the message, the hint after them
    (``; hint``), then (on lines of their own, as the job wrote them) its last log lines."""

    exit_code = JOB_FAILED_EXIT
    hint_format = "{message}; {hint}"

    def __init__(self, message: str, *, hint: str | None = None, last_lines: Sequence[str] = ()):
        self.last_lines = list(last_lines)
        super().__init__(message, hint=hint)

    def __str__(self) -> str:
        text = self.with_hint(self.message)
        if self.last_lines:
            text += "\nlast log lines:\n" + "\n".join(f"  {line}" for line in self.last_lines)
        return text

    def one_line(self, name: Callable[[str], str] = keyword_name) -> str:
        """The reason as one line; the log lines after it keep their lines and indents."""
        first, newline, rest = str(self).partition("\n")
        return render_fields(first, name) + newline + rest


class Interrupted(Error):
    """Ctrl-C before the run finished; the message says what state it left, the hint how
    to go on."""

    exit_code = INTERRUPTED_EXIT


def exit_on_error(
    error: Error,
    prog: str = "aws-sagemaker-remote",
    name: Callable[[str], str] = keyword_name,
) -> NoReturn:
    """Print the one line for ``error`` (its message, then its hint) on stderr and exit
    with its code: the one place the command line says an error.

    S3 calls still under way (a transfer given up after Ctrl-C or a fault) would hold the
    exit until their timeouts end; the process leaves at once instead, as they are moot."""
    print(f"{prog}: error: {error.one_line(name)}", file=sys.stderr)
    s3 = sys.modules.get("aws_sagemaker_remote.storage.s3store")
    if s3 is not None and s3.calls_running():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(error.exit_code)
    raise SystemExit(error.exit_code)
