"""A local job's Python environment: a cached, shared layer and a layer of the job's own.

Installing a job's requirements takes tens of seconds and hundreds of MB (pandas: 14 s,
161 MB), so the engine installs them once per (Python version, requirements) into a
virtual environment under ``<state dir>/envs/`` with uv, and every later job with the
same pair uses it as it is: nothing is reinstalled, nothing copied.

A job must not change that shared layer (a ``pip install`` in its configuration command
would leak into later jobs), nor the user's own Python. So each instance gets a small
virtual environment of its own, written by hand in a millisecond: ``pyvenv.cfg``, its
``bin/python`` (a link to the interpreter), ``bin/pip`` and one ``.pth`` file that adds
the shared layer's site-packages. ``pip install`` there lands in the instance's layer
(pip will not uninstall what lies outside its environment), and the job's ``PATH``
starts with that ``bin``.

The key hashes the requirements file and every local file or directory it names (a
wheel rebuilt in place is a different environment). Builds take a lock, and a layer
counts only once its ``complete.json`` is written: a build that died is rebuilt.

``complete.json`` also records the interpreter it was built with, by its real path, size
and modification time, so a later job uses the layer without running any interpreter.
An interpreter replaced since (an upgrade in place) is run once to learn its version: the
same minor version keeps the layer and updates the record, another one rebuilds it.

A layer is used only as the engine built it: ``complete.json`` holds a digest of every
name, size and modification time in the layer and the engine's seal (:mod:`.seals`) over
the record, checked before each use. A file added (a ``.pth``), changed or removed, or a
record the engine did not write, means the layer is built again, said once in the job's
log. Modules are compiled at build time, so a job never writes into the layer (in
namespaces it could not: the layer is read-only in its view).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import IO, Callable

from .pythons import Python, find_python, probe, uv_binary
from .seals import seal, sealed

COMPLETE = "complete.json"
# Where the cached environments live (default: <state dir>/envs), e.g. on a larger disk.
ENVS_ENV = "AWS_SAGEMAKER_REMOTE_ENVS"
_PIP_SCRIPT = "import sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n"


class BuildError(Exception):
    """The job's environment could not be built (the job fails, as a failing pip would)."""


class NotAsBuilt(Exception):
    """A cached layer differs from what the engine built (or was not built by it)."""


def envs_dir(state_root: Path) -> Path:
    return Path(os.environ.get(ENVS_ENV) or state_root / "envs")


def requirements_key(minor: str, requirements: Path | None) -> str:
    """``py3.9-<16 hex>``: the Python's version and what the requirements install."""
    digest = hashlib.sha256(minor.encode())
    if requirements is not None:
        text = requirements.read_bytes()
        digest.update(text)
        for path in _local_paths(text.decode("utf-8", "replace"), requirements.parent):
            digest.update(_path_signature(path))
    return f"py{minor}-{digest.hexdigest()[:16]}"


def _local_paths(text: str, base: Path) -> list[Path]:
    found = []
    for line in text.splitlines():
        for token in line.split("#", 1)[0].split():
            token = token.split("=", 1)[-1] if token.startswith("-") else token
            if token.startswith("-") or "://" in token or not token:
                continue
            path = Path(os.path.expanduser(token))
            path = path if path.is_absolute() else base / path
            if path.exists():
                found.append(path)
    return found


def _path_signature(path: Path) -> bytes:
    if path.is_file():
        return str(path).encode() + hashlib.sha256(path.read_bytes()).digest()
    parts = [str(path)]
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            info = os.stat(os.path.join(root, name))
            parts.append(f"{os.path.join(root, name)}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(parts).encode()


def shared_layer(
    envs_dir: Path,
    wanted: str | None,
    requirements: Path | None,
    say: Callable[[str], None],
    log: Callable[[str], None],
    key: bytes,
) -> tuple[Path, Python, IO[str]]:
    """The cached environment of (Python, requirements), its Python, and the lease that
    keeps it from being pruned or rebuilt while the job runs (close it at the end).

    A cached layer answers without looking for interpreters; only a miss runs them.
    ``say`` goes to the job's log (what a container's pip would print), ``log`` to the
    engine's own; ``key`` is the engine's (:mod:`.seals`)."""
    envs_dir.mkdir(parents=True, exist_ok=True)
    if wanted is not None:
        layer = envs_dir / requirements_key(wanted, requirements)
        lease = take_lease(layer)  # no pruning while we look (or run)
        hit = _checked(layer, key, say)
        if hit is not None:
            return (*hit, lease)
        lease.close()
    python = find_python(wanted)
    if python.note:
        say(python.note)
    layer = envs_dir / requirements_key(python.minor, requirements)
    lease = take_lease(layer)
    try:
        hit = _checked(layer, key, say)
        if hit is None:
            hit = _build_exclusively(layer, python, requirements, say, log, key)
    except BaseException:
        lease.close()
        raise
    return (*hit, lease)


def _checked(layer: Path, key: bytes, say: Callable[[str], None]) -> tuple[Path, Python] | None:
    """:func:`_complete`, saying why a layer that is not as built will be built again."""
    try:
        return _complete(layer, key)
    except NotAsBuilt as problem:
        say(f"environment {layer} is not as the engine built it ({problem}): building it again")
        return None


def _build_exclusively(layer, python, requirements, say, log, key) -> tuple[Path, Python]:
    """Build the layer under its build lock, a file apart from the lease: holding a lease
    must not keep another job from building (two jobs needing the same new environment
    at once: one builds, the other waits for the build only, not for the first job)."""
    import fcntl

    with open(layer.with_name(f"{layer.name}.build"), "a") as building:
        try:
            fcntl.flock(building, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another job building environment {layer.name}")
            fcntl.flock(building, fcntl.LOCK_EX)
        try:
            hit = _complete(layer, key)  # built meanwhile by the job we waited for
        except NotAsBuilt:
            hit = None
        if hit is not None:
            return hit
        _remove_layer(layer)
        started = time.monotonic()
        _build(layer, python, requirements, say)
        record = {"python": python.path, "version": python.version, "found_by": python.found_by}
        write_record(layer, {**record, "identity": interpreter_identity(python.path)}, key)
        log(f"environment {layer.name} built in {time.monotonic() - started:.1f} s")
        return layer, python


def lock_path(layer: Path) -> Path:
    return layer.with_name(f"{layer.name}.lock")


def take_lease(layer: Path) -> IO[str]:
    """The layer's lock file locked shared: a job uses the layer (waits while it is built)."""
    import fcntl

    lock = _locked(layer, fcntl.LOCK_SH)
    assert lock is not None  # a blocking lock is always taken
    return lock


def try_exclusive(layer: Path) -> IO[str] | None:
    """The layer's lock file locked exclusively, or None when a job uses or builds it."""
    import fcntl

    return _locked(layer, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _locked(layer: Path, mode: int) -> IO[str] | None:
    """The lock file locked is checked to still be the one at its path, since pruning
    removes lock files too (a job that waited on a removed one locks the new one)."""
    import fcntl

    while True:
        lock = open(lock_path(layer), "a")
        try:
            fcntl.flock(lock, mode)
        except BlockingIOError:
            lock.close()
            return None
        try:
            if os.stat(lock_path(layer)).st_ino == os.fstat(lock.fileno()).st_ino:
                return lock
        except FileNotFoundError:
            pass
        lock.close()


def interpreter_identity(path: str) -> list | None:
    """What tells an interpreter file apart from the one recorded: real path, size, mtime."""
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
    except OSError:
        return None
    return [real, info.st_size, info.st_mtime_ns]


def _remove_layer(layer: Path) -> None:
    """A layer to build again, gone (read-only directories included)."""
    if layer.is_dir():
        for root, _dirs, _files in os.walk(layer):
            try:
                os.chmod(root, 0o755)
            except OSError:
                pass
    shutil.rmtree(layer, ignore_errors=True)


def tree_digest(layer: Path) -> str:
    """What the layer holds: every name, and each file's size and modification time (one
    ``lstat`` per file, on every use of the layer: kept to that)."""
    digest = hashlib.sha256()
    todo = [str(layer)]
    while todo:
        folder = todo.pop()
        lines, folders = [], []
        with os.scandir(folder) as entries:
            for entry in entries:
                if folder == str(layer) and entry.name.startswith(COMPLETE):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                    lines.append(f"{entry.name}/")
                    continue
                info = entry.stat(follow_symlinks=False)
                target = os.readlink(entry.path) if entry.is_symlink() else ""
                lines.append(f"{entry.name}\0{info.st_size}\0{info.st_mtime_ns}\0{target}")
        todo += sorted(folders, reverse=True)  # the same order whatever the directory's
        lines.sort()
        text = folder[len(str(layer)) :] + "\n" + "\n".join(lines) + "\n"
        digest.update(text.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _sealed_text(record: dict) -> bytes:
    return json.dumps({k: v for k, v in record.items() if k != "seal"}, sort_keys=True).encode()


def write_record(layer: Path, record: dict, key: bytes) -> None:
    """``complete.json``: the layer counts, as it is now (its tree digest), sealed."""
    record = {**record, "tree": tree_digest(layer)}
    record["seal"] = seal(key, _sealed_text(record))
    partial = layer / f"{COMPLETE}.partial"
    partial.write_text(json.dumps(record) + "\n")
    os.replace(partial, layer / COMPLETE)  # a reader sees the old record or the new one


def _complete(layer: Path, key: bytes) -> tuple[Path, Python] | None:
    """The layer and its Python if it is complete, as the engine built it, and its
    interpreter is the recorded one (or, replaced, of the same minor version); None:
    build it; NotAsBuilt: build it, and say why."""
    try:
        record = json.loads((layer / COMPLETE).read_text())
        path, version = record["python"], record["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(record.get("seal"), str) or not sealed(
        key, _sealed_text(record), record["seal"]
    ):
        raise NotAsBuilt("its record was not written by this engine")
    if tree_digest(layer) != record.get("tree"):
        raise NotAsBuilt("a file in it was added, changed or removed")
    identity = interpreter_identity(path)
    if identity is None:
        return None  # its interpreter is gone: rebuild
    if identity != record.get("identity"):
        ran = probe(path)
        minor = ".".join(version.split(".")[:2])
        if ran is None or ".".join(ran[0].split(".")[:2]) != minor:
            return None  # no longer runs, or another Python now: rebuild
        record.update(version=ran[0], identity=identity)
        version = ran[0]
        try:
            write_record(layer, record, key)
        except OSError:
            pass  # checked again next time
    _touch(layer / COMPLETE)
    return layer, Python(path, version, record.get("found_by", "cache"))


def _touch(path: Path) -> None:
    try:
        os.utime(path)  # "last used", for pruning
    except OSError:
        pass


def _build(layer: Path, python: Python, requirements: Path | None, say) -> None:
    uv = uv_binary()
    if uv is None:
        raise BuildError("uv is not installed (pip install uv)")
    _run([uv, "venv", "--quiet", "--no-project", "--python", python.path, str(layer)], say)
    # compiled now: a job's Python then never writes into the layer (see the docstring)
    python_in_layer = str(layer / "bin" / "python")
    install = [uv, "pip", "install", "--compile-bytecode", "--python", python_in_layer]
    pip = bundled_pip(python)
    if pip:
        _run([*install, "--quiet", "--offline", pip], say)  # so `pip install` works in the job
    if requirements is not None:
        say(f"installing requirements from {requirements.name} (Python {python.minor})")
        _run([*install, "-r", str(requirements)], say, cwd=requirements.parent)


def bundled_pip(python: Python) -> str | None:
    """The pip wheel the interpreter ships for ensurepip: installed offline, in a second."""
    import glob  # here: only building an environment looks for it

    prefix = Path(os.path.realpath(python.path)).parent.parent
    wheels = glob.glob(
        str(prefix / "lib" / f"python{python.minor}" / "ensurepip" / "_bundled" / "pip-*.whl")
    )
    return sorted(wheels)[-1] if wheels else None


HEARTBEAT_SECONDS = 10.0  # an install that prints nothing this long says it still runs


def _run(command: list[str], say, cwd: Path | None = None) -> None:
    """Run an installer, saying each line it prints as it prints it, and a line of our own
    whenever it has been quiet for :data:`HEARTBEAT_SECONDS` (resolving and downloading
    pandas prints nothing for longer than that)."""
    import threading

    what = f"{os.path.basename(command[0])} {' '.join(command[1:3])}"
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    started, heard, done = time.monotonic(), [time.monotonic()], threading.Event()

    def heartbeat() -> None:
        while not done.wait(1.0):
            if time.monotonic() - heard[0] >= HEARTBEAT_SECONDS:
                heard[0] = time.monotonic()
                say(f"{what}: still running ({heard[0] - started:.0f} s)")

    beating = threading.Thread(target=heartbeat, daemon=True)
    beating.start()
    printed = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            heard[0] = time.monotonic()
            printed.append(line)
            say(line.rstrip("\n"))
        returncode = proc.wait()
    finally:
        done.set()
        beating.join()
    if returncode != 0:
        raise BuildError(
            f"{what} failed with exit code {returncode}: {problem_line(''.join(printed))}"
        )


_MARKS = "×├╰─▶│ \t"  # uv's tree of causes
_EXCEPTION = re.compile(r"[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)(: .*)?")


def problem_line(output: str) -> str:
    """The line of an installer's output that names the problem, for a one-line reason:
    uv's ``error:`` (or ``×``) line and its last cause, then the exception a package's
    build raised, if any; never a line of carets (``^^^^``) from a traceback."""
    raw = [line.strip() for line in output.splitlines()]
    kept = [(line, line.lstrip(_MARKS)) for line in raw if re.search(r"[A-Za-z0-9]", line)]
    if not kept:
        return "no output"
    heads = [i for i, (line, _) in enumerate(kept) if line.startswith(("error:", "ERROR:", "×"))]
    exceptions = [clean for _, clean in kept if _EXCEPTION.fullmatch(clean)]
    if not heads:
        return exceptions[-1] if exceptions else kept[-1][1]
    said = re.sub(r"^(error|ERROR):\s*", "", kept[heads[0]][1]).rstrip(":")
    causes = [
        re.sub(r"^(cause|Caused by):\s*", "", clean)
        for line, clean in kept[heads[0] + 1 :]
        if line.startswith(("cause:", "Caused by:", "├─▶", "╰─▶"))
    ]
    if causes:
        said += f": {causes[-1]}"
    if exceptions:
        said += f": {exceptions[-1]}"
    return said


def site_packages(layer: Path) -> Path:
    found = sorted(layer.glob("lib/python*/site-packages"))
    if not found:
        raise BuildError(f"{layer} has no site-packages")
    return found[0]


def instance_layer(target: Path, layer: Path, python: Python) -> Path:
    """An instance's own environment over ``layer``; its ``bin`` directory."""
    base = Path(os.path.realpath(layer / "bin" / "python"))
    bin_dir = target / "bin"
    site = target / "lib" / f"python{python.minor}" / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    bin_dir.mkdir(exist_ok=True)
    (target / "pyvenv.cfg").write_text(
        f"home = {base.parent}\ninclude-system-site-packages = false\nversion = {python.version}\n"
    )
    for name in ("python", "python3", f"python{python.minor}"):
        link = bin_dir / name
        if not link.is_symlink():
            link.symlink_to(base)
    shared = str(site_packages(layer))
    (site / "_aws_sagemaker_remote_shared.pth").write_text(
        f"import site; site.addsitedir({shared!r})\n"
    )
    pip = f"#!{bin_dir / 'python'}\n{_PIP_SCRIPT}"
    for name in ("pip", "pip3", f"pip{python.minor}"):
        (bin_dir / name).write_text(pip)
        (bin_dir / name).chmod(0o755)
    return bin_dir
