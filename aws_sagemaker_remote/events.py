"""What the library has to say while it works, for whoever listens.

The API prints nothing: progress and announcements go to an optional ``on_event``
callback as :class:`Event` values (as s3transfer reports to subscribers). The command line
passes a callback that prints them; a notebook may log them or ignore them.

Kinds: ``warning`` (what SageMaker may refuse once the job exists, what a backend records
but cannot apply, what ships as code), ``note`` (an assumption a dry run had to make),
``staged`` (what was uploaded or reused), ``created`` (the job exists), ``status`` (the
job's status changed; ``data`` is its description), ``log`` (one line of its logs),
``role`` (the IAM role was created, granted more, or its policy replaced) and ``progress``
(a transfer moved on; ``data`` is a
:class:`~aws_sagemaker_remote.storage.transfer.TransferProgress`, ``text`` is empty).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional


class Event(NamedTuple):
    kind: str
    text: str  # one line for a person; may name fields as {{field}}
    data: Any = None


Sink = Optional[Callable[[Event], None]]


def emit(sink: Sink, kind: str, text: str, data: Any = None) -> None:
    """Tell ``sink``, if there is one."""
    if sink is not None:
        sink(Event(kind, text, data))
