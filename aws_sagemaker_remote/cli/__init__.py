"""The command-line layer: ``aws-sagemaker-remote COMMAND ...``, fields spelled as flags.

Only this layer (and the processing front end) prints. Each command lives in a module of
its own, imported only when that command runs (``jobs`` in :mod:`.jobs`, ``serve`` in
:mod:`.serve`, ``console`` in :mod:`.console`, ``run`` in :mod:`.run`), so rendering an
error (:mod:`.flags`) costs a local run nothing more.
"""

from __future__ import annotations

import importlib

# command -> module of this package whose ``main(argv)`` runs it (argv without the command)
COMMANDS = {"serve": ".serve", "console": ".console", "run": ".run"}


def main(argv: list[str] | None = None) -> int | None:
    """``aws-sagemaker-remote ...``."""
    import sys

    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0] in COMMANDS:
        module = importlib.import_module(COMMANDS[words[0]], __name__)
        return module.main(words[1:])
    from .jobs import main as jobs_main

    return jobs_main(words)


__all__ = ["main"]
