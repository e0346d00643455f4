"""The command-line layer: the ``jobs`` commands, following a job, the one-line error printer."""

from .jobs import main

__all__ = ["main"]
