"""The runner processes, seen from the backend: started, known alive, cleaned up after.

A runner is detached on purpose (its job outlives the submitting command), so the backend
cannot simply wait for it. It starts one (:func:`start_runner`), and later asks whether a
recorded pid is still that runner (:func:`runner_alive`, through ``/proc`` where there is
one, since pids are reused) and kills what a dead runner left behind
(:func:`kill_leftovers`). Runners started by this process are kept to reap their exit.

A fresh interpreter spends a quarter of a second importing what the submitting process
has imported already, so on Linux, from a process with a single thread, the runner is
forked instead (:func:`_fork_runner`): a new session, its own standard streams on
``runner.log``, every other inherited descriptor closed (as ``close_fds`` does), the
submitter's signal handlers and logging handlers dropped, then :func:`.runner.jobrun.main`, and
``os._exit`` so nothing of the submitter's runs at exit. A process with other threads
(whose locks a fork would copy mid-use), or a running event loop, gets a fresh interpreter,
as does everyone with ``AWS_SAGEMAKER_REMOTE_RUNNER_START=exec``.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

from ....script.layout import OPT_ML_ENV
from ....storage.localstore import STATE_ENV
from ..isolation.sandbox import MARKER_ENV, IsolationProbe
from ..store import JobRecord, JobStore

RUNNER_MODULE = "aws_sagemaker_remote.backends.local.runner"
# A forked runner's name in /proc/<pid>/comm (its cmdline is the submitter's): how a
# recorded pid is known to still be a runner
RUNNER_COMM = "asr-runner"
# "exec": always start the runner as a fresh interpreter, never forked
RUNNER_START_ENV = "AWS_SAGEMAKER_REMOTE_RUNNER_START"

# Runners started by this process, so their exit is noticed (and reaped) here.
_children: dict[int, subprocess.Popen] = {}
_forked: set[int] = set()


def start_runner(name: str, store: JobStore, log: IO[bytes]) -> int:
    """Start the detached runner of job ``name``, output to ``log``; its pid. OSError if not."""
    store.close()  # a fork must not copy an open connection; the next statement reopens
    if fork_safe(store.root, log.fileno()):
        return _fork_runner(name, store, log)
    runner = subprocess.Popen(
        [sys.executable, "-m", RUNNER_MODULE, name],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_runner_env(store),
        start_new_session=True,
        close_fds=True,
    )
    _children[runner.pid] = runner
    return runner.pid


def fork_safe(state_root: Path, log_fd: int) -> bool:
    """Whether this process can fork a runner: Linux, one thread (counted by the kernel, so
    a library's native threads count too), no event loop running, no file of the state
    directory open but the runner's log (SQLite keeps per-process lock state that a child
    must not inherit mid-use), not refused by the user."""
    if os.environ.get(RUNNER_START_ENV, "").strip().lower() == "exec":
        return False
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    try:
        with open("/proc/self/status") as status:
            threads = next(line for line in status if line.startswith("Threads:"))
    except (OSError, StopIteration):
        return False
    if int(threads.split()[1]) != 1 or _holds_state_files(state_root, log_fd):
        return False
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        try:
            asyncio.get_running_loop()
            return False
        except RuntimeError:
            pass
    return True


def _holds_state_files(state_root: Path, log_fd: int) -> bool:
    inside = f"{state_root}{os.sep}"
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return True
    for fd in fds:
        if int(fd) == log_fd:
            continue
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith(inside):
                return True
        except OSError:
            continue  # closed since the listing (the listing's own descriptor)
    return False


def _fork_runner(name: str, store: JobStore, log: IO[bytes]) -> int:
    env = _runner_env(store)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # or the child would write the submitter's pending output again
        except (AttributeError, OSError, ValueError):
            pass
    pid = os.fork()
    if pid:
        _forked.add(pid)
        return pid
    code = 1
    try:
        _become_runner(log, env)
        # the probe (a process of its own) first: it answers while the runner imports
        probe = IsolationProbe(dict(os.environ))
        from ..runner.jobrun import main

        code = main([name], forked=True, probe=probe)
    except BaseException:
        import traceback  # here: the submitter and a runner that ends well never need it

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def _become_runner(log: IO[bytes], env: dict[str, str]) -> None:
    """In the forked child: what a fresh interpreter started with Popen would have."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    for fd in os.listdir("/proc/self/fd"):
        if int(fd) > 2:
            try:
                os.close(int(fd))
            except OSError:
                pass  # the listing's own descriptor, closed already
    # The submitter's objects still hold the closed descriptors' numbers: none of them may
    # be collected (and close a number the runner reuses), so all are made permanent.
    gc.freeze()
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", buffering=1, closefd=False, errors="backslashreplace")
    sys.stderr = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")
    for signum in signal.valid_signals():
        try:
            if callable(signal.getsignal(signum)):
                signal.signal(signum, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    logging = sys.modules.get("logging")
    if logging is not None:  # the submitter's handlers write to descriptors now closed
        loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        for logger in loggers:
            if isinstance(logger, logging.Logger):
                logger.handlers = []
    os.environ.clear()
    os.environ.update(env)
    _children.clear()
    _forked.clear()
    with open("/proc/self/comm", "w") as comm:
        comm.write(RUNNER_COMM)


def reap() -> None:
    """Collect the exit of runners this process started, so none lingers as a zombie."""
    for pid, child in list(_children.items()):
        if child.poll() is not None:
            _children.pop(pid, None)  # another thread (serve answers many) may have
    for pid in list(_forked):
        _forked_alive(pid)


def _forked_alive(pid: int) -> bool | None:
    """True/False for a runner forked here (reaping it once ended); None if not ours."""
    if pid not in _forked:
        return None
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): ask /proc instead
        _forked.discard(pid)
        return None
    if done == 0:
        return True
    _forked.discard(pid)
    return False


def runner_alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        _children.pop(pid, None)  # threads of one process may ask at once (serve)
        return False
    ours = _forked_alive(pid)
    if ours is not None:
        return ours
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's process took the pid: the runner is gone
    proc = Path(f"/proc/{pid}")
    if Path("/proc/self").exists():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):
                return False
            forked = (proc / "comm").read_text().strip() == RUNNER_COMM
            if not forked and RUNNER_MODULE.encode() not in (proc / "cmdline").read_bytes():
                return False
        except (OSError, IndexError):
            return False
    return True


def kill_leftovers(record: JobRecord, job_dir: Path) -> None:
    """SIGKILL the process groups of a dead runner's workers (if they are still its own)."""
    markers = [f"{name}={job_dir}{os.sep}".encode() for name in (OPT_ML_ENV, MARKER_ENV)]
    check = Path("/proc/self/environ").exists()
    for pid in record.worker_pids:
        if check:
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes()
                if not any(marker in environ for marker in markers):
                    continue
            except OSError:
                continue
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def _runner_env(store: JobStore) -> dict[str, str]:
    env = dict(os.environ)
    env[STATE_ENV] = str(store.root)
    root = str(Path(__file__).resolve().parents[4])
    importable = {str(Path(p).resolve()) for p in sys.path[1:] if p}
    if root not in importable:  # for the runner only: a job's environment starts afresh
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env
