"""What the library has to say while it works, for whoever listens.

The API prints nothing: progress and announcements go to an optional ``on_event``
callback as :class:`Event` values (as s3transfer reports to subscribers). The command line
passes a callback that prints them; a notebook may log them or ignore them.

Kinds: ``info`` (what ships as code: worth knowing, nothing to act on), ``warning`` (what
SageMaker may refuse once the job exists, what a backend records but cannot apply, outputs
that several instances overwrite, an instance a sharded input leaves idle), ``note`` (an
assumption a dry run had to make), ``staged`` (what was uploaded or reused), ``created``
(the job exists), ``status`` (the job's status changed; ``data`` is its description),
``log`` (one line of its logs), ``role`` (the IAM role was created, granted more, or its
policy replaced) and ``progress`` (a transfer moved on; ``data`` is a
:class:`~aws_sagemaker_remote.storage.transfer.TransferProgress`, ``text`` is empty).
Each has a short ``str()``: ``on_event=print`` prints one line per event.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional


class Event(NamedTuple):
    kind: str
    text: str  # one line for a person; may name fields as {{field}}
    data: Any = None

    def __str__(self) -> str:
        """The line a person reads (``on_event=print``): the text with fields spelled as
        the Python API's keywords, never the description or request in ``data``."""
        if self.kind == "progress" and not self.text and self.data is not None:
            return str(self.data)  # a TransferProgress says itself in one line
        if "{{" not in self.text:
            return self.text
        from .errors import render_fields

        return render_fields(self.text)


Sink = Optional[Callable[[Event], None]]


def emit(sink: Sink, kind: str, text: str, data: Any = None) -> None:
    """Tell ``sink``, if there is one."""
    if sink is not None:
        sink(Event(kind, text, data))
