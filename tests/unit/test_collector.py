"""The garbage collector kept off long-lived objects: paused while they are made, and
not walked over them again at exit."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

from aws_sagemaker_remote.collector import collection_paused


def test_collection_is_paused_inside_and_back_after():
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer caller is still making its objects
    assert gc.isenabled()


def test_collection_comes_back_when_the_last_thread_leaves():
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collection_paused():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    with collection_paused():
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other thread is still inside
    leave.set()
    thread.join(10)
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off():
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_at_exit_what_exists_is_left_to_the_end_of_the_process():
    # atexit runs handlers last-registered first: the probe, registered before, runs after
    code = (
        "import atexit, gc\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
        "from aws_sagemaker_remote.collector import skip_collection_at_exit\n"
        "skip_collection_at_exit(); skip_collection_at_exit()\n"
        "print('before', gc.get_freeze_count())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["before", "0", "frozen", "True"]
