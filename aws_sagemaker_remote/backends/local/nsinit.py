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
"""

import _signal as signal  # type: ignore[import-not-found]  # signal.py builds enums: slow
import ctypes
import os
import sys

MS_BIND = 4096
MS_REC = 16384
MNT_DETACH = 2
OPT = "/opt"
OPT_ML = "/opt/ml"
# sandbox.MARKER_ENV (this file runs standalone): the runner's, not the job's business
MARKER_ENV = "AWS_SAGEMAKER_REMOTE_JOB_DIR"

_libc = ctypes.CDLL(None, use_errno=True)


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


def run(command, status_file):
    """Start ``command``; forward stop signals to it; reap everything; its exit code."""
    env = dict(os.environ)
    env.pop(MARKER_ENV, None)
    child = os.fork()
    if child == 0:
        try:
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
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
    """``--opt-ml DIR --scratch DIR --status-file FILE [--hostname H] -- CMD...``
    (no argparse: this runs before every job and its import costs more than the parsing)."""
    split = args.index("--")
    options = dict(zip(args[:split:2], args[1:split:2]))
    return options, args[split + 1 :]


def main(argv=None):
    options, command = parse(sys.argv[1:] if argv is None else argv)
    try:
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
    return run(command, options["--status-file"])


if __name__ == "__main__":
    sys.exit(main())
