"""The first process of a local job's namespaces: mounts /opt/ml, runs the command, reaps.

The runner starts ``unshare --user --map-root-user --mount --pid --fork --kill-child ...
python -I -S nsinit.py ...`` (see :mod:`.sandbox`). Inside those namespaces this file, run
by path with the standard library only, puts the job's own directory at the literal path
``/opt/ml`` (a tmpfs over ``/opt`` keeps what ``/opt`` held, bound back in), names the
host ``algo-<n>``, then starts the command and waits for it. As the namespace's PID 1 it
forwards SIGTERM/SIGINT/SIGHUP to the command, reaps every orphan, and exits when the
command does; the kernel then kills whatever the job left behind, sessions of their own
included. The command's wait status goes to ``--status-file``, since an init cannot die
of a signal to say it.

Before the command starts, this file makes the job's view a sandbox (:func:`make_sandbox`),
from options the runner chose (:class:`.sandbox.SandboxView`): empty read-only tmpfs over
what the job must not see (``--hide``: the user's home, the engine's state and caches,
other jobs), a fresh writable tmpfs of its own where a container has one (``--private``:
``/tmp``, ``/dev/shm``; ``/run`` without network), the paths it needs back from under them
(``--bind-ro``: the cached environment, the interpreter; ``--bind-rw``: the instance's own
directory), ``/dev/null`` over single files (``--mask``: host sockets), then every other
mount read-only (``--read-only 1``). Last, a user and mount namespace nested in these
locks the lot: the job is root in its namespaces, but the kernel refuses it to unmount,
or remount writable, what it inherited from a more privileged namespace.

When the command is our bootstrap under this very interpreter (``--in-process``: the
runner then starts this file with the job's Python), the child runs the bootstrap itself
instead of exec'ing a second interpreter to do so: one interpreter start fewer per job.
It is what ``python -S bootstrap.py`` would be, as long as no variable changes how such an
interpreter behaves (any ``PYTHON*`` but PYTHONUNBUFFERED, which the bootstrap cannot
tell: it writes to stderr only, a flushed line at a time); else the child execs as before.
A Python without ctypes starts this file again under ``--fallback-python``.

Python never caches the bytecode of a file it runs by path, so the runner may start this
file's compiled form instead (a pyc it checked against this file; ``--source`` names the
file itself), and ``--bootstrap-pyc`` names a pyc of the bootstrap, which is used only
when it is a checked hash-based pyc of this interpreter for the bootstrap's source as it
is (what the import system checks): else the bootstrap is compiled, as before.
"""

import _frozen_importlib_external as _bootstrap_external
import _imp
import _signal as signal  # type: ignore[import-not-found]  # signal.py builds enums: slow
import marshal
import os
import sys

try:
    import ctypes
except ImportError:  # a Python built without it: main() starts this file again elsewhere
    ctypes = None  # type: ignore[assignment]

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24
ST_RELATIME = 4096  # statvfs's name for MS_RELATIME
MNT_DETACH = 2
EINVAL = 22
CLONE_NEWNS = 0x20000
CLONE_NEWUSER = 0x10000000
# mounts the kernel keeps as they are (proc, sysfs, devices): never remounted read-only
_KERNEL_MOUNTS = ("/proc", "/sys", "/dev")
_STATUS_SIZE = 16  # bytes reserved in the status file: a wait status, in digits
# options given more than once (a list each); see parse()
_LISTS = ("--hide", "--private", "--bind-ro", "--bind-rw", "--mask")
OPT = "/opt"
OPT_ML = "/opt/ml"
# sandbox.MARKER_ENV (this file runs standalone): the runner's, not the job's business
MARKER_ENV = "AWS_SAGEMAKER_REMOTE_JOB_DIR"

# What ``python -S bootstrap.py`` may see in its environment and still behave as this process
# does (started with -I, which ignores every PYTHON* variable): see the module's docstring.
_UNOBSERVED = ("PYTHONUNBUFFERED",)

_libc = ctypes.CDLL(None, use_errno=True) if ctypes is not None else None


def _mount(source, target, fstype=None, flags=0, data=None):
    def enc(value):
        return None if value is None else os.fsencode(value)

    if _libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def mount_opt_ml(opt_ml, scratch):
    """Bind ``opt_ml`` at /opt/ml; when /opt/ml does not exist, a tmpfs over /opt holding
    /opt's own entries (bound from ``scratch``, where /opt was bound first) and /opt/ml."""
    if not os.path.isdir(OPT_ML):
        _mount(OPT, scratch, flags=MS_BIND | MS_REC)
        _mount("tmpfs", OPT, "tmpfs", 0, "mode=755")
        for name in os.listdir(scratch):
            source, target = os.path.join(scratch, name), os.path.join(OPT, name)
            if os.path.islink(source):
                os.symlink(os.readlink(source), target)
                continue
            if os.path.isdir(source):
                os.mkdir(target)
            else:
                open(target, "w").close()
            _mount(source, target, flags=MS_BIND | MS_REC)
        os.mkdir(OPT_ML)
        _libc.umount2(os.fsencode(scratch), MNT_DETACH)
    _mount(opt_ml, OPT_ML, flags=MS_BIND | MS_REC)


def _under(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")


def make_sandbox(options):
    """The job's view, from the runner's options (see the module's docstring); the paths
    it could not make read-only, said on stderr by the caller."""
    keep = []  # (path, O_PATH descriptor, writable): opened while they are still in view
    for option, writable in (("--bind-rw", True), ("--bind-ro", False)):
        for path in options.get(option, []):
            try:
                keep.append((path, os.open(path, os.O_PATH | os.O_CLOEXEC), writable))
            except OSError:
                pass  # nothing there to give back
    try:
        cwd = os.getcwd()
        writable_paths = [OPT_ML]
        covers = [(p, "mode=755,size=1m") for p in options.get("--hide", [])]
        covers += [(p, "mode=1777") for p in options.get("--private", [])]
        writable_paths += options.get("--private", [])
        for path, data in sorted(covers, key=lambda item: len(item[0])):
            if path != "/" and os.path.isdir(path) and not os.path.islink(path):
                _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, data)
        for path, fd, rw in keep:
            _give_back(path, fd, rw)
            if rw:
                writable_paths.append(path)
        masked = [p for p in options.get("--mask", []) if _mask(p)]
        failed = []
        if options.get("--read-only") == "1":
            failed = _read_only(writable_paths, masked)
        os.chdir(cwd if os.path.isdir(cwd) else "/")
    finally:
        for _, fd, _ in keep:
            os.close(fd)
    return failed


def _give_back(path, fd, writable):
    """``path`` (opened as ``fd`` before anything was hidden) at its own place again; a
    writable one always as a mount of its own, which the read-only pass leaves as it is."""
    try:
        here = os.stat(path)
        there = os.fstat(fd)
        if not writable and (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino):
            return  # still in view, and read-only with the rest
    except OSError:
        pass
    os.makedirs(path, exist_ok=True)
    _mount(f"/proc/self/fd/{fd}", path, flags=MS_BIND | MS_REC)


def _mask(path):
    """/dev/null over a file (a socket): whatever opens or connects to it gets nothing."""
    try:
        if os.path.isdir(path) or not os.path.lexists(path) or os.path.islink(path):
            return False
        _mount("/dev/null", path, flags=MS_BIND)
        return True
    except OSError:
        return False


def _read_only(writable, masked):
    """Every mount but the kernel's and ``writable`` remounted read-only (as a bind mount:
    the flags the kernel locked, nosuid and the like, kept); the mount points refused."""
    points = set()
    with open("/proc/self/mountinfo", "rb") as f:
        for line in f:
            point = line.split(b" ")[4].decode("utf-8", "surrogateescape")
            points.add(_unescape(point))
    failed = []
    for point in sorted(points):
        if point in masked or any(_under(point, k) for k in _KERNEL_MOUNTS):
            continue
        if point in writable:  # a mount below one is the host's: read-only as the rest
            continue
        try:
            flags = os.statvfs(point).f_flag
        except OSError:
            continue  # hidden under a tmpfs: out of view already
        kept = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
        if flags & ST_RELATIME:
            kept |= MS_RELATIME
        elif not flags & MS_NOATIME:
            kept |= MS_STRICTATIME  # else the kernel would make it relatime: refused if locked
        try:
            _mount(None, point, flags=MS_REMOUNT | MS_BIND | MS_RDONLY | kept)
        except OSError as error:
            if error.errno != EINVAL:  # EINVAL: no mount point here, covered by another
                failed.append(point)
    return failed


def _unescape(point):
    """A mountinfo field: space, tab, newline and backslash are written as ``\\ooo``."""
    if "\\" not in point:
        return point
    out, i = [], 0
    while i < len(point):
        if point[i] == "\\" and point[i + 1 : i + 4].isdigit():
            out.append(chr(int(point[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(point[i])
            i += 1
    return "".join(out)


def lock_sandbox():
    """A user and mount namespace nested in the job's: every mount above becomes one the
    job cannot unmount or make writable (mounts copied into a less privileged namespace
    are locked by the kernel). The job stays root (uid 0) in it, as in a container."""
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare: {os.strerror(errno)}")
    for name, value in (("setgroups", "deny"), ("uid_map", "0 0 1"), ("gid_map", "0 0 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(value)


def sethostname(name):
    """``socket.sethostname`` without importing socket (it costs as much as the mounts)."""
    encoded = os.fsencode(name)
    if _libc.sethostname(encoded, len(encoded)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"sethostname {name}: {os.strerror(errno)}")


def runs_here(command, env):
    """Whether ``command`` is ``python -S SCRIPT ...`` that this process can be instead."""
    if len(command) < 3 or command[0] != sys.executable or command[1] != "-S":
        return False
    return not any(k.startswith("PYTHON") and k not in _UNOBSERVED for k in env)


def cached_code(pyc, source, script):
    """The code of ``pyc`` (its path, or its bytes read before the sandbox hid it) if it is
    a checked hash-based pyc of this interpreter for ``source`` (the bytes of ``script``),
    else None."""
    try:
        data = pyc if isinstance(pyc, bytes) else _read(pyc)
        if (
            data[:4] != _bootstrap_external.MAGIC_NUMBER
            or data[4:8] != b"\x03\x00\x00\x00"
            or data[8:16] != _imp.source_hash(_bootstrap_external._RAW_MAGIC_NUMBER, source)  # type: ignore[attr-defined]
        ):
            return None
        code = marshal.loads(memoryview(data)[16:])
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if type(code) is not type(cached_code.__code__):
        return None
    _imp._fix_co_filename(code, script)  # type: ignore[attr-defined]  # as imports do
    return code


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def run_script(command, pyc=None):
    """In the forked child: ``python -S SCRIPT ARGS...`` as this interpreter; never returns.
    ``pyc``: the script's compiled form, used when it matches (:func:`cached_code`)."""
    script = command[2]
    sys.argv = command[2:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python SCRIPT` does
    module = type(sys)("__main__")
    module.__file__ = script
    module.__builtins__ = __builtins__  # type: ignore[attr-defined]
    sys.modules["__main__"] = module
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a fresh interpreter's
    code = 1
    try:
        with open(script, "rb") as f:
            source = f.read()
        program = cached_code(pyc, source, script) if pyc else None
        if program is None:
            program = compile(source, script, "exec", dont_inherit=True)
        exec(program, module.__dict__)
        code = 0
    except SystemExit as done:
        code = _exit_code(done.code)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        if isinstance(sys.exc_info()[1], KeyboardInterrupt):
            _flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)  # how an interrupted interpreter ends
    _flush()
    os._exit(code)


def _exit_code(value):
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def reserve_status(path):
    """The status file, opened and filled with spaces before the command starts, so that
    the wait status can be written over them in place on a disk the job filled."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    os.write(fd, b" " * _STATUS_SIZE)
    return fd


def run(command, status_file, in_process=False, pyc=None):
    """Start ``command``; forward stop signals to it; reap everything; its exit code.
    ``status_file``: where its wait status goes, a path or a :func:`reserve_status`."""
    status_fd = status_file if isinstance(status_file, int) else reserve_status(status_file)
    env = dict(os.environ)
    env.pop(MARKER_ENV, None)
    here = in_process and runs_here(command, env)
    child = os.fork()
    if child == 0:
        os.close(status_fd)  # the job's own business is not its status
        try:
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
            if here:
                os.environ.pop(MARKER_ENV, None)
                run_script(command, pyc)
            os.execvpe(command[0], command, env)
        except OSError as error:
            print(f"cannot run {command[0]}: {error}", file=sys.stderr, flush=True)
        os._exit(127)

    def forward(signum, frame):
        try:
            os.kill(child, signum)
        except OSError:
            pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
        if pid == child:
            break
    try:
        os.pwrite(status_fd, str(status).encode().ljust(_STATUS_SIZE), 0)
    except OSError as error:  # the runner then goes by this process's own exit code
        print(f"[aws-sagemaker-remote] cannot record the exit status: {error}", file=sys.stderr)
    os.close(status_fd)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def parse(args):
    """``--opt-ml DIR --scratch DIR --status-file FILE [--hostname H] [--in-process 1]
    [--fallback-python PYTHON] [--source NSINIT.PY] [--bootstrap-pyc PYC] [--read-only 1]
    [--lock 1] [--hide|--private|--bind-ro|--bind-rw|--mask PATH]... -- CMD...``
    (no argparse: this runs before every job and its import costs more than the parsing)."""
    split = args.index("--")
    options = {}  # type: dict
    for key, value in zip(args[:split:2], args[1:split:2]):
        if key in _LISTS:
            options.setdefault(key, []).append(value)
        else:
            options[key] = value
    return options, args[split + 1 :]


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    options, command = parse(args)
    fallback = options.get("--fallback-python")
    if ctypes is None and fallback and fallback != sys.executable:
        kept = [
            part
            for k, v in options.items()
            if k != "--in-process"
            for one in (v if isinstance(v, list) else [v])
            for part in (k, one)
        ]
        this = options.get("--source", __file__)  # run as its pyc: the file itself
        os.execv(fallback, [fallback, "-I", "-S", this, *kept, "--", *command])
    pyc = options.get("--bootstrap-pyc")
    try:
        if ctypes is None:
            raise OSError(f"{sys.executable} has no ctypes to mount /opt/ml with")
        if pyc:
            try:
                pyc = _read(pyc)  # the cache it lies in is hidden from here on
            except OSError:
                pyc = None
        mount_opt_ml(options["--opt-ml"], options["--scratch"])
        refused = make_sandbox(options)
        # opened once the mounts are made: a file open for writing keeps its mount writable
        status = reserve_status(options["--status-file"])
        if options.get("--hostname"):
            sethostname(options["--hostname"])
        if options.get("--lock") == "1":
            lock_sandbox()
    except OSError as error:
        print(
            f"[aws-sagemaker-remote] cannot prepare the job's namespaces: {error}",
            file=sys.stderr,
            flush=True,
        )
        return 125
    if refused:
        print(
            f"[aws-sagemaker-remote] could not make {', '.join(refused)} read-only for the job",
            file=sys.stderr,
            flush=True,
        )
    in_process = options.get("--in-process") == "1"
    return run(command, status, in_process, pyc)


if __name__ == "__main__":
    sys.exit(main())
