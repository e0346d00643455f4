"""The command-line layer: the ``jobs`` commands, following a job, fields spelled as flags.

Only this layer (and the processing front end) prints; ``main`` is imported lazily so that
rendering an error (:mod:`.flags`) costs a local run nothing more.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int | None:
    """``aws-sagemaker-remote ...``."""
    from .jobs import main as jobs_main

    return jobs_main(argv)


__all__ = ["main"]
