"""How an instance's process is isolated: namespaces of its own, or paths mapped.

A processing script opens ``/opt/ml/...`` literally. On Linux each instance therefore runs
in unprivileged user, mount, PID and UTS namespaces of its own (``unshare``, util-linux),
where :mod:`.nsinit` binds the instance's directory at ``/opt/ml``: ``algo-2`` sees only
its own ``/opt/ml``, its host name is ``algo-2``, and killing the namespace's first
process ends everything the job started, sessions of their own included.

Where namespaces are unavailable (macOS, a kernel that forbids unprivileged user
namespaces, no ``unshare``, no ``/opt``) the engine maps paths instead: the bootstrap
rewrites ``/opt/ml`` in its options and the script's arguments (``OPT_ML_ENV``), and the
runner becomes a child subreaper so processes that leave their group still end with the
job. :func:`choose_isolation` says which, and why; the runner records it for ``describe``.

In namespaces each instance's view is a sandbox (:class:`SandboxView`, set up by
:mod:`.nsinit`): the host's file system read-only; the user's home, the engine's state
and caches (other jobs' directories with them) hidden under empty tmpfs; a ``/tmp``,
``/var/tmp`` and ``/dev/shm`` of its own; from under what is hidden, only its cached
environment, the pycs it was given and its interpreter (read-only) and its own directory
come back. A job can therefore neither plant code that a later job runs nor read what is
not its own. With network isolation
it gets no ``/run`` and the host's Unix sockets are masked (abstract ones go with the
network namespace). Path mapping isolates nothing: describe and the submission say so.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from ..opt_ml import BOOTSTRAP_SUFFIX

NAMESPACES = "namespaces"
PATH_MAPPING = "path-mapping"
# "no" (or 0/false) makes the engine map paths even where namespaces work.
NAMESPACES_ENV = "AWS_SAGEMAKER_REMOTE_NAMESPACES"
NSINIT = Path(__file__).with_name("nsinit.py")
# On the unshare process, naming the instance's /opt/ml, so a dead runner's leftovers are
# recognised; nsinit (which keeps its own copy: it runs standalone) drops it for the job.
MARKER_ENV = "AWS_SAGEMAKER_REMOTE_JOB_DIR"
STATUS_FILE = "exit-status"  # in the instance's directory: the entrypoint's wait status
# user + mount (/opt/ml), PID (the job's process tree ends with its first process),
# UTS (host name algo-<n>); --kill-child ends the namespace when unshare itself is killed
_UNSHARE_FLAGS = (
    "--user",
    "--map-root-user",
    "--mount",
    "--pid",
    "--fork",
    "--kill-child",
    "--mount-proc",
    "--uts",
)


class Isolation(NamedTuple):
    """How instances are isolated on this machine, and why (``describe`` reports it)."""

    mode: str  # NAMESPACES or PATH_MAPPING
    reason: str  # why: what was used, or what was missing
    unshare: str | None = None


def choose_isolation(env: dict[str, str]) -> Isolation:
    """Namespaces when this machine allows them (checked by running ``unshare``), else mapping."""
    return IsolationProbe(env).result()


class IsolationProbe:
    """:func:`choose_isolation` started now and answered by :meth:`result`: the runner
    starts the probe (a process) first and asks once the job's inputs are in place."""

    def __init__(self, env: dict[str, str]):
        self._answer: Isolation | None = _without_namespaces(env)
        self._probe: subprocess.Popen | None = None
        if self._answer is None:
            self._unshare = unshare = shutil.which("unshare") or "unshare"
            try:
                self._probe = subprocess.Popen(
                    [unshare, *_UNSHARE_FLAGS, "true"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            except OSError as error:
                self._answer = Isolation(PATH_MAPPING, f"unshare failed: {error}")

    def result(self) -> Isolation:
        if self._answer is None:
            assert self._probe is not None
            try:
                _, stderr = self._probe.communicate(timeout=20)
            except subprocess.TimeoutExpired as error:
                self._probe.kill()
                self._probe.communicate()
                self._answer = Isolation(PATH_MAPPING, f"unshare failed: {error}")
                return self._answer
            if self._probe.returncode != 0:
                said = (stderr.strip().splitlines() or [f"exit code {self._probe.returncode}"])[-1]
                self._answer = Isolation(
                    PATH_MAPPING, f"unprivileged namespaces are not allowed here ({said})"
                )
            else:
                self._answer = Isolation(
                    NAMESPACES, "user, mount, PID and UTS namespaces", self._unshare
                )
        return self._answer


NOT_ISOLATED = (
    "none: without namespaces a local job is not isolated: it sees and can change this "
    "machine's files, the engine's caches and other jobs' directories"
)


class SandboxView(NamedTuple):
    """What one instance sees besides its own ``/opt/ml`` (options of :mod:`.nsinit`)."""

    hidden: tuple[str, ...]  # empty read-only tmpfs over each
    private: tuple[str, ...]  # a fresh writable tmpfs of its own over each
    read_only: tuple[str, ...]  # given back read-only from under what is hidden
    writable: tuple[str, ...]  # given back writable: the instance's own directory
    masked: tuple[str, ...]  # /dev/null over each (the host's Unix sockets)

    def options(self) -> list[str]:
        found = ["--read-only", "1", "--lock", "1"]
        for option, paths in (
            ("--hide", self.hidden),
            ("--private", self.private),
            ("--bind-ro", self.read_only),
            ("--bind-rw", self.writable),
            ("--mask", self.masked),
        ):
            for path in paths:
                found += [option, path]
        return found

    def described(self) -> dict:
        """For ``describe``'s LocalEngine block: what the job saw, in words a user reads."""
        return {
            "Hidden": list(self.hidden),
            "Private": list(self.private),
            "ReadOnly": ["/", *self.read_only],
            "Writable": ["/opt/ml", *self.private, *self.writable],
            "MaskedUnixSockets": len(self.masked),
        }


def sandbox_view(
    *,
    homes: list[str],
    caches: list[Path],
    instance_dir: Path,
    environment: Path,
    given: Path,
    interpreter: str,
    network: bool,
    credential_files: list[str] = (),  # type: ignore[assignment]
) -> SandboxView:
    """The view of one instance: ``homes`` (the user's), ``caches`` (the engine's state
    and environments) hidden; ``environment`` (the cached layer), ``given`` (the cached
    pycs the job was given) and ``interpreter``'s installation given back read-only,
    ``instance_dir`` writable."""
    hidden: list[str] = []
    for path in [*homes, *map(str, caches)]:
        real = os.path.realpath(path)
        if real not in ("/", "/opt") and not any(_within(real, h) for h in hidden):
            hidden = [h for h in hidden if not _within(h, real)] + [real]
    private = ["/tmp", "/var/tmp", "/dev/shm"] + ([] if network else ["/run"])
    prefix = str(Path(os.path.realpath(interpreter)).parent.parent)
    read_only = [os.path.realpath(environment), os.path.realpath(given)]
    if any(_within(prefix, h) or _within(prefix, p) for h in hidden for p in private):
        read_only.append(prefix)
    masked = [os.path.realpath(f) for f in credential_files if os.path.isfile(f)]
    if not network:
        masked += _host_unix_sockets()
    gone = [*hidden, *private]
    return SandboxView(
        hidden=tuple(sorted(hidden)),
        private=tuple(private),
        read_only=tuple(read_only),
        writable=(os.path.realpath(instance_dir),),
        masked=tuple(sorted({m for m in masked if not any(_within(m, g) for g in gone)})),
    )


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _host_unix_sockets() -> list[str]:
    """The paths of this machine's bound Unix sockets (``/proc/net/unix``, last column)."""
    try:
        lines = Path("/proc/net/unix").read_text(errors="surrogateescape").splitlines()[1:]
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split(None, 7)
        if len(fields) == 8 and fields[7].startswith("/"):
            found.append(fields[7])
    return found


def _without_namespaces(env: dict[str, str]) -> Isolation | None:
    """Path mapping, when this machine says so without running anything; else None."""
    forced = env.get(NAMESPACES_ENV, "").strip().lower()
    if forced in ("0", "no", "false", "off"):
        return Isolation(PATH_MAPPING, f"{NAMESPACES_ENV}={env[NAMESPACES_ENV]}")
    if not sys.platform.startswith("linux"):
        return Isolation(PATH_MAPPING, f"{sys.platform} has no Linux namespaces")
    if shutil.which("unshare") is None:
        return Isolation(PATH_MAPPING, "unshare (util-linux) is not installed")
    if not os.path.isdir("/opt"):
        return Isolation(PATH_MAPPING, "this machine has no /opt to mount /opt/ml under")
    return None


# Kernel settings that forbid unprivileged user namespaces (Debian's, the general limit,
# Ubuntu's AppArmor restriction), with the value that forbids them.
_FORBIDDING = (
    ("/proc/sys/kernel/unprivileged_userns_clone", "0"),
    ("/proc/sys/user/max_user_namespaces", "0"),
    ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"),
)


def known_without_namespaces(env: dict[str, str]) -> Isolation | None:
    """Path mapping when this machine's settings say so, read in microseconds (the
    submission's one line; the runner's probe runs ``unshare`` and has the last word)."""
    answer = _without_namespaces(env)
    if answer is not None:
        return answer
    for path, forbidding in _FORBIDDING:
        try:
            value = Path(path).read_text().strip()
        except OSError:
            continue
        if value == forbidding:
            return Isolation(
                PATH_MAPPING, f"unprivileged namespaces are not allowed here ({path} is {value})"
            )
    return None


def namespace_command(
    isolation: Isolation,
    command: list[str],
    *,
    opt_ml: Path,
    scratch: Path,
    hostname: str,
    status_file: Path,
    network: bool = True,
    compiled: dict[str, Path] | None = None,
    view: SandboxView | None = None,
) -> list[str]:
    """The command that runs ``command`` as one instance inside namespaces of its own.

    The one place that decides which namespaces a job gets: options such as a network
    namespace for network isolation belong here, as unshare flags and nsinit options.
    ``compiled``: checked pycs of the job's Python for ``nsinit`` and the ``bootstrap``
    (:meth:`.bytecode.JobBytecode.scripts`), which Python would compile on every start.
    """
    assert isolation.mode == NAMESPACES and isolation.unshare

    # our bootstrap (``python -S .../bootstrap.py``): nsinit runs under the job's Python and
    # becomes the bootstrap itself, one interpreter start fewer (see nsinit)
    bootstrap = len(command) > 2 and command[1] == "-S" and command[2].endswith(BOOTSTRAP_SUFFIX)
    compiled = (compiled or {}) if bootstrap else {}  # pycs of the job's Python only
    init = [command[0] if bootstrap else sys.executable, "-I", "-S"]
    if "nsinit" in compiled:
        init += [str(compiled["nsinit"]), "--source", str(NSINIT)]
    else:
        init.append(str(NSINIT))
    init += ["--opt-ml", str(opt_ml), "--scratch", str(scratch)]
    init += ["--hostname", hostname, "--status-file", str(status_file)]
    if bootstrap:
        init += ["--in-process", "1", "--fallback-python", sys.executable]
    if "bootstrap" in compiled:
        init += ["--bootstrap-pyc", str(compiled["bootstrap"])]
    if view is not None:
        init += view.options()
    flags = _UNSHARE_FLAGS if network else (*_UNSHARE_FLAGS, "--net")  # isolation: no network
    return [isolation.unshare, *flags, *init, "--", *command]


# -- without namespaces: the runner as a subreaper ------------------------------------------
_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make orphans of this process's descendants its children (Linux), so none escapes."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _children() -> list[int]:
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == me and fields[0] not in ("Z", "X"):
            found.append(int(entry))
    return found


def kill_orphans(timeout: float = 5.0) -> None:
    """SIGKILL every child left to this subreaper (call once the workers are collected)."""
    if not os.path.isdir("/proc/self"):
        return
    deadline = time.monotonic() + timeout
    while True:
        _reap()
        children = _children()
        if not children or time.monotonic() > deadline:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
