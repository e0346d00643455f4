"""The errors a user can see, and nothing else.

    Error
    ├── UserError     a mistake the user can fix: one line naming the flag and the fix; exit 2
    ├── JobFailed     the job ran and ended Failed or Stopped; exit 1
    └── Interrupted   Ctrl-C: what was and was not done, and how to go on; exit 130

Only the command-line entry points turn these into output and an exit code
(:func:`exit_on_error`); library code raises them and never prints a traceback.
"""

from __future__ import annotations

import sys

USER_ERROR_EXIT = 2
JOB_FAILED_EXIT = 1


class Error(Exception):
    """Base of every error this library reports to a user."""

    exit_code = 1

    def one_line(self) -> str:
        return str(self)


class UserError(Error):
    """A mistake in how the library was called: the flag at fault and how to fix it."""

    exit_code = USER_ERROR_EXIT

    def __init__(self, message: str, *, flag: str | None = None, fix: str | None = None):
        self.message = message
        self.flag = flag
        self.fix = fix
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = f"{self.flag}: {self.message}" if self.flag else self.message
        if self.fix:
            text = f"{text} ({self.fix})"
        return " ".join(text.split())


class JobFailed(Error):
    """The job ended without completing; the message carries its reason."""

    exit_code = JOB_FAILED_EXIT


class Interrupted(Error):
    """Ctrl-C before the run finished; the message says what state it left."""

    exit_code = 130


def exit_on_error(error: Error, prog: str = "aws-sagemaker-remote") -> None:
    """Print the one line for ``error`` on stderr and exit with its code."""
    print(f"{prog}: error: {error.one_line()}", file=sys.stderr)
    raise SystemExit(error.exit_code)
