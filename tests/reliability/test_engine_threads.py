"""The local engine's backend asked from many threads at once (as ``serve`` asks it)."""

from __future__ import annotations

import threading

from aws_sagemaker_remote.backends.local.submitting import processes


class _EndedRunner:
    """A runner (a Popen, as the backend keeps them) that has exited; ``poll`` lets every
    asking thread through together, so all of them see it ended before any forgets it."""

    def __init__(self, askers: int):
        self._together = threading.Barrier(askers)

    def poll(self) -> int:
        self._together.wait(timeout=30)
        return 0


def test_threads_asking_about_the_same_ended_runner_all_get_an_answer():
    pid = 2**22 + 12345  # no process of this machine: only the backend's table knows it
    askers = 4
    processes._children[pid] = _EndedRunner(askers)  # type: ignore[assignment]
    answers: list[bool] = []
    failures: list[BaseException] = []

    def ask() -> None:
        try:
            answers.append(processes.runner_alive(pid))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=ask) for _ in range(askers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        processes._children.pop(pid, None)
    assert failures == []
    assert answers == [False] * askers
