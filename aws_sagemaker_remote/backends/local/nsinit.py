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

MS_BIND = 4096
MS_REC = 16384
MNT_DETACH = 2
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


def cached_code(pyc_path, source, script):
    """The code of ``pyc_path`` if it is a checked hash-based pyc of this interpreter for
    ``source`` (the bytes of ``script``), else None."""
    try:
        with open(pyc_path, "rb") as f:
            data = f.read()
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


def run(command, status_file, in_process=False, pyc=None):
    """Start ``command``; forward stop signals to it; reap everything; its exit code."""
    env = dict(os.environ)
    env.pop(MARKER_ENV, None)
    here = in_process and runs_here(command, env)
    child = os.fork()
    if child == 0:
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
    with open(status_file, "w") as f:
        f.write(str(status))
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def parse(args):
    """``--opt-ml DIR --scratch DIR --status-file FILE [--hostname H] [--in-process 1]
    [--fallback-python PYTHON] [--source NSINIT.PY] [--bootstrap-pyc PYC] -- CMD...``
    (no argparse: this runs before every job and its import costs more than the parsing)."""
    split = args.index("--")
    options = dict(zip(args[:split:2], args[1:split:2]))
    return options, args[split + 1 :]


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    options, command = parse(args)
    fallback = options.get("--fallback-python")
    if ctypes is None and fallback and fallback != sys.executable:
        kept = [part for k, v in options.items() if k != "--in-process" for part in (k, v)]
        this = options.get("--source", __file__)  # run as its pyc: the file itself
        os.execv(fallback, [fallback, "-I", "-S", this, *kept, "--", *command])
    try:
        if ctypes is None:
            raise OSError(f"{sys.executable} has no ctypes to mount /opt/ml with")
        mount_opt_ml(options["--opt-ml"], options["--scratch"])
        if options.get("--hostname"):
            sethostname(options["--hostname"])
    except OSError as error:
        print(
            f"[aws-sagemaker-remote] cannot prepare the job's namespaces: {error}",
            file=sys.stderr,
            flush=True,
        )
        return 125
    in_process = options.get("--in-process") == "1"
    return run(command, options["--status-file"], in_process, options.get("--bootstrap-pyc"))


if __name__ == "__main__":
    sys.exit(main())
