"""Bytecode of a local job's code kept between jobs, so unchanged modules are not compiled again.

Every job gets its code channel afresh from the local store, without ``__pycache__``, so
its Python compiled every shipped module again: about 30 ms of each trivial job for the
library's own modules alone. The runner keeps what a job compiled and gives the next job
of the same code the compiled modules before it starts, where Python itself writes them
(``<dir>/__pycache__/<module>.<tag>.pyc``); nothing else the job sees changes: no
variable, no path, no other file.

No shortcut goes unchecked:

- Entries are *checked* hash-based pycs (PEP 552): the job's interpreter compares the hash
  in the header with the source at every import, so an entry made from other bytes costs
  a compile, never runs stale code. The cache only ever holds that kind.
- Entries are compiled by :mod:`.compile_pycs` under the job's own interpreter from the
  bytes it read, and named by the sha256 of those bytes; the pycs a job wrote itself only
  say which modules it imported. (The source hash is keyed by the magic number and its
  algorithm changed in 3.11: the runner's Python could not write them.)
- An entry's name ends with the seal of the pyc (an HMAC with the engine's key,
  :mod:`.seals`), checked every time before the pyc is used: an entry the engine did not
  write (however valid its name) never runs, a damaged body under a valid header would
  fail the import instead of recompiling, and a job could write into the file it was given.
- Entries are given to a job as hard links in ``<job dir>/pycs/`` (creating a file costs
  20 times as much here as linking one; a copy where links fail), each checked there, and
  placed among its files as symbolic links to them. In namespaces that directory is
  read-only in the job's view (:mod:`.sandbox`), so no job can write into an entry
  another job runs: Python never writes into a pyc (it replaces the link).

Layout, under ``<state dir>/bytecode/<interpreter>/`` (the interpreter by real path, size
and modification time, as :func:`.venvs.interpreter_identity`): entries
``<source sha256>-<seal of the pyc>.pyc``, and ``inputs/<sha256 of the S3Uri>.json`` naming,
for each code input, the pycs the last job of it had (path under LocalPath -> entry).
Pruning keeps the records of inputs a remaining job names, and the entries those records
name (:mod:`.space`).

Only the bootstrap's jobs take part (their code: the script's directory and the module
directories), and none whose Environment changes where or whether Python reads pycs.

Two files are run by path, which Python never caches, under the job's Python before its
script: :mod:`.nsinit` and the bootstrap (about 5 ms of compiling each). They are compiled
into the cache too but never placed among the job's files: :meth:`JobBytecode.scripts`
names their entries to nsinit (:func:`.sandbox.namespace_command`), which starts as its own
entry (found by the sha256 of nsinit.py as it is) and uses the bootstrap's only after the
checks the import system makes (:func:`.nsinit.cached_code`).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from ..isolation.sandbox import NSINIT
from ..opt_ml import bootstrap_options, container_relpath
from .pycfiles import (
    ENTRY,
    entry_holds,
    link_entry,
    place_pyc,
    read_record,
    signature,
    source_of,
    write_record,
    written_pycs,
)
from .venvs import interpreter_identity

COMPILER = Path(__file__).with_name("compile_pycs.py")
GIVEN = "pycs"  # in a job's directory: the entries it was given (read-only in its view)
# With any of these set (non-empty) a job would not read, or not check, __pycache__ pycs.
_UNCACHED_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONOPTIMIZE")
COMPILE_TIMEOUT_S = 300.0
RECORDS = "inputs"  # <interpreter>/inputs/<sha256 of an S3Uri>.json


def bytecode_dir(state_root: Path) -> Path:
    return state_root / "bytecode"


def code_inputs(request: dict) -> list[tuple[str, str]]:
    """(S3Uri, LocalPath) of the inputs holding the job's code: the bootstrap's script
    directory and ``--python-path`` directories, or inputs inside them. Another entrypoint's
    imports are unknown: none."""
    entrypoint = list((request.get("AppSpecification") or {}).get("ContainerEntrypoint") or [])
    options = bootstrap_options(entrypoint)
    if options is None:
        return []
    environment = request.get("Environment") or {}
    if any(environment.get(name) for name in _UNCACHED_ENV):
        return []
    if environment.get("PYTHONCHECKHASHBASEDPYCS", "default") not in ("default", "always"):
        return []
    dirs = [posixpath.dirname(options.script), *(d.rstrip("/") for d in options.python_path)]
    found = []
    for item in request.get("ProcessingInputs") or []:
        s3 = item.get("S3Input") or {}
        local = (s3.get("LocalPath") or "").rstrip("/")
        if local and any(local == d or local.startswith(d + "/") for d in dirs if d):
            found.append((s3["S3Uri"], local))
    return found


class JobBytecode:
    """The cached bytecode of one job's code: placed before its instances start
    (:meth:`place`), kept once they have ended (:meth:`keep`)."""

    def __init__(
        self,
        root: Path,
        python: str,
        request: dict,
        opt_ml_dirs: Sequence[Path],
        log: Callable[[str], None],
        key: bytes,
        given: Path,
    ):
        identity = interpreter_identity(python)
        self.inputs = code_inputs(request) if identity is not None else []
        self.python = python
        self.dir = root
        if identity is not None:
            digest = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]
            self.dir = root / f"{os.path.basename(identity[0])}-{digest}"
        self.opt_ml_dirs = list(opt_ml_dirs)
        self.log = log
        self.key = key  # the engine's (:mod:`.seals`): every entry used carries its seal
        self.given = given  # <job dir>/pycs: the entries this job was given
        self._checked: dict[str, Path | None] = {}  # entry name -> given, checked link
        self.records: dict[str, dict[str, str]] = {}  # S3Uri -> pyc path -> entry name
        self.placed: dict[Path, tuple[int, int]] = {}  # first instance's pycs as written
        entrypoint = (request.get("AppSpecification") or {}).get("ContainerEntrypoint") or []
        self.bootstrap = _within(entrypoint[1], self.inputs) if self.inputs else None
        self._scripts: dict[str, Path] | None = None
        self._uncompiled: set[str] = set()  # "nsinit", "bootstrap": no entry found

    def record_path(self, uri: str) -> Path:
        return self.dir / RECORDS / f"{hashlib.sha256(uri.encode()).hexdigest()}.json"

    def place(self) -> int:
        """Link the cached pycs of each code input into every instance; how many modules."""

        count, made = 0, set[Path]()
        for uri, local in self.inputs:
            files = read_record(self.record_path(uri))
            self.records[uri] = files
            for rel, name in files.items():
                source = source_of(rel)
                entry = self._give(name) if source is not None and "/" not in name else None
                if source is None or entry is None:
                    continue
                count += 1
                for index, opt_ml in enumerate(self.opt_ml_dirs):
                    base = opt_ml / container_relpath(local)
                    signature = place_pyc(entry, base / rel, base / source, made, symlink=True)
                    if index == 0 and signature is not None:
                        self.placed[base / rel] = signature
        if count:
            self.log(f"bytecode: {count} cached modules placed")
        return count

    def _give(self, name: str) -> Path | None:
        """The entry ``name`` linked into this job's ``pycs`` and checked there (the very
        file the job reads), or None when it is not one the engine wrote."""
        if name not in self._checked:
            given = None
            if ENTRY.fullmatch(name) and (self.dir / name).is_file():
                self.given.mkdir(exist_ok=True)
                link_entry(self.dir / name, self.given / name)
                given = self.given / name
                if not entry_holds(given, self.key):
                    given.unlink(missing_ok=True)
                    given = None
                    self.log(f"bytecode: {name} is not as the engine wrote it: compiled again")
            self._checked[name] = given
        return self._checked[name]

    def scripts(self) -> dict[str, Path]:
        """The checked entries of ``nsinit`` and the ``bootstrap`` compiled from their
        files as they are; one missing is compiled by :meth:`keep`."""

        if self._scripts is None:
            self._scripts = {}
            sources = {"nsinit": NSINIT}
            if self.bootstrap is not None:
                _, local, rel = self.bootstrap
                sources["bootstrap"] = self.opt_ml_dirs[0] / container_relpath(local) / rel
            for script, source in sources.items():
                entry = self._script_entry(script, source)
                if entry is None:
                    self._uncompiled.add(script)
                else:
                    self._scripts[script] = entry
        return self._scripts

    def _script_entry(self, script: str, source: Path) -> Path | None:
        try:
            sha = hashlib.sha256(source.read_bytes()).hexdigest()
        except OSError:
            return None
        if script == "bootstrap" and self.bootstrap is not None:
            uri, _, rel = self.bootstrap
            candidates = [self.dir / self.records.get(uri, {}).get(rel, "-")]
        else:
            candidates = sorted(self.dir.glob(f"{sha}-*.pyc"))
        for entry in candidates:
            if entry.name.startswith(f"{sha}-") and entry_holds(entry, self.key):
                return entry
        return None

    def keep(self) -> int:
        """Compile into the cache what the job's Python compiled itself (new or changed
        modules) and record each code input's pycs; how many modules were compiled."""

        if not self.inputs:
            return 0
        records: dict[str, dict[str, str]] = {}
        todo: list[tuple[str, str, Path, str]] = []  # uri, pyc path, source, job's name
        for uri, local in self.inputs:
            base = self.opt_ml_dirs[0] / container_relpath(local)
            records[uri] = {}
            known = self.records.get(uri, {})
            for rel, source in written_pycs(base):
                path = base / rel
                if rel in known and self.placed.get(path) == signature(path):
                    records[uri][rel] = known[rel]  # ours, used as it was
                else:
                    todo.append((uri, rel, base / source, posixpath.join(local, source)))
        todo += self._scripts_todo(records)
        if todo:
            names = self._compile([(str(source), shown) for _, _, source, shown in todo])
            for (uri, rel, _, _), name in zip(todo, names):
                if uri and isinstance(name, str) and ENTRY.fullmatch(name):
                    records[uri][rel] = name
            self.log(f"bytecode: {sum(map(bool, names))} of {len(todo)} modules compiled")
        for uri, files in records.items():
            if files != self.records.get(uri):
                write_record(self.record_path(uri), uri, files)
        return len(todo)

    def _scripts_todo(self, records: dict[str, dict[str, str]]) -> list[tuple[str, str, Path, str]]:
        """The scripts :meth:`scripts` found no entry for, to compile; the bootstrap's
        entry carried over into ``records`` otherwise (it is not a pyc Python writes)."""

        todo = []
        if self.bootstrap is not None:
            uri, local, rel = self.bootstrap
            known = self.records.get(uri, {}).get(rel)
            if "bootstrap" in self._uncompiled:
                source = self.opt_ml_dirs[0] / container_relpath(local) / rel
                todo.append((uri, rel, source, posixpath.join(local, rel)))
            elif known:
                records[uri][rel] = known
        if "nsinit" in self._uncompiled:
            todo.append(("", "", NSINIT, str(NSINIT)))  # found by its source's digest
        return todo

    def _compile(self, files: list[tuple[str, str]]) -> list:
        """Each file's entry name (None: not compiled), from the job's interpreter."""
        try:
            done = subprocess.run(
                [self.python, "-I", "-S", str(COMPILER), str(self.dir)],
                input=json.dumps({"key": self.key.hex(), "files": files}),
                capture_output=True,
                text=True,
                timeout=COMPILE_TIMEOUT_S,
                env={"LANG": "C.UTF-8"},
            )
            names = json.loads(done.stdout) if done.returncode == 0 else None
        except (OSError, ValueError, subprocess.TimeoutExpired) as error:
            self.log(f"bytecode: not compiled: {error}")
            return [None] * len(files)
        if not isinstance(names, list) or len(names) != len(files):
            self.log(f"bytecode: not compiled: {done.stderr.strip()[-500:]}")
            return [None] * len(files)
        return names


def _within(path: str, inputs: list[tuple[str, str]]) -> tuple[str, str, str] | None:
    """(S3Uri, LocalPath, path under it) of the code input that holds container ``path``."""
    for uri, local in inputs:
        if path.startswith(local + "/"):
            return uri, local, path[len(local) + 1 :]
    return None


def nsinit_digest() -> str:
    """The sha256 of nsinit.py as it is: the name of its entries begins with it."""
    return hashlib.sha256(NSINIT.read_bytes()).hexdigest()
