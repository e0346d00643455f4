"""Python's cyclic garbage collector, kept off what lives until the process ends.

boto3's modules, service models and clients are some 90,000 objects that stay to the end.
Each full collection walks them all (70 ms on a slow machine): made with the collector on,
they pay for the collections their making sets off, and at exit the interpreter walks them
several times more after the last line is out (0.2 s or more at the end of a submission).
Nothing here changes what is collected while a process works: garbage made while the
collector waits is found by its next collection.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # callers inside collection_paused(), on any thread
_resume = False  # whether the collector was on when the first of them came in
_skipping_at_exit = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """No collection while long-lived objects are made (boto3's import, a client's service
    model); the collector is back as it was when the last caller, of any thread, leaves."""
    global _paused, _resume
    with _lock:
        if _paused == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()


def skip_collection_at_exit() -> None:
    """At exit, leave the objects there are to the end of the process instead of walking
    them again: for processes whose whole work is ours (the CLI, a script's submission,
    where ``main`` did not run). Python does not promise finalizers at exit either."""
    global _skipping_at_exit
    if not _skipping_at_exit:
        import atexit

        atexit.register(gc.freeze)
        _skipping_at_exit = True
