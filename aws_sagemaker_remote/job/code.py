"""What ships as the job's code: the script and the local modules it imports, or a whole
source directory, minus what must never leave this machine.

A script that imports a sibling ``helpers.py`` works here because Python puts the script's
directory first on ``sys.path``; in the job only what was shipped is there. So before a
submission the script is read (``ast``, nothing is imported or run) and every module it
imports that lives under its directory, and is not declared as a module or a requirement,
ships beside it, transitively. A source directory (``source_dir``, as the SDK's
FrameworkProcessor) ships whole instead.

Either way the code honours ``.gitignore`` files (pathspec: git's own matching rules),
never ships ``.git``, ``__pycache__`` or ``.ipynb_checkpoints``, and refuses a ``.env``
file or a private key unless the caller allows secrets. Pure: reads files, writes nothing.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections.abc import Collection, Iterable
from typing import Any, NamedTuple

from ..wording import count
from .secret_scan import ShippedFile, refuse_secrets

NEVER_SHIPPED_DIRS = frozenset({".git", "__pycache__", ".ipynb_checkpoints"})
LIBRARY_PACKAGE = "aws_sagemaker_remote"  # ships itself beside the code
_REQUIREMENT_NAME = r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)"  # compiled once a job has requirements
DirId = tuple  # (st_dev, st_ino) of a directory


class CodeSelection(NamedTuple):
    """The files of the code channel, relative to ``root``, and what was found to ship."""

    root: str  # absolute directory the relpaths are relative to
    relpaths: tuple[str, ...]  # posix, sorted
    local_modules: tuple[str, ...] = ()  # top-level names shipped because the script imports them
    ignored_modules: tuple[str, ...] = ()  # imported, under root, but ignored by .gitignore
    source_dir: bool = False

    def summary(self, script: str) -> str:
        """The line that says what ships as code, e.g.
        ``code: wc.py with local modules helpers, mypkg (5 files)``."""
        if self.source_dir:
            text = f"code: {self.root} ({count(len(self.relpaths), 'file')}, .gitignore honoured)"
        elif self.local_modules:
            text = (
                f"code: {os.path.basename(script)} with local "
                f"{'module' if len(self.local_modules) == 1 else 'modules'} "
                f"{', '.join(self.local_modules)} ({count(len(self.relpaths), 'file')})"
            )
        else:
            text = ""  # just the script: nothing worth a line
        if self.ignored_modules:
            text += f"; not shipped, ignored by .gitignore: {', '.join(self.ignored_modules)}"
        return text


# --- .gitignore ------------------------------------------------------------------------------


class IgnoreRules:
    """Every .gitignore that applies under ``root``: those of its ancestors inside the same
    git work tree, and those found below it while walking."""

    def __init__(self, root: str, *, ancestors: bool = True):
        self._specs: list[tuple[str, Any]] = []  # (directory, GitIgnoreSpec), outer first
        for directory in _ancestors_in_work_tree(root) if ancestors else [root]:
            self.add(directory)

    def add(self, directory: str) -> None:
        path = os.path.join(directory, ".gitignore")
        if not os.path.isfile(path):
            return
        import pathspec  # only where a .gitignore is found: its import costs 30 ms

        with open(path, encoding="utf-8", errors="replace") as handle:
            spec = pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
        self._specs.append((directory, spec))

    def ignored(self, path: str, *, is_dir: bool) -> bool:
        """Whether git would ignore ``path`` (absolute); the deepest deciding file wins."""
        verdict = False
        for directory, spec in self._specs:
            rel = os.path.relpath(path, directory)
            if rel.startswith(".."):
                continue
            rel = rel.replace(os.sep, "/") + ("/" if is_dir else "")
            result = spec.check_file(rel)
            if result.include is not None:
                verdict = result.include
        return verdict


def _ancestors_in_work_tree(root: str) -> list[str]:
    """``root`` and its parents up to the git work tree's top (outermost first); just
    ``root`` when it is not inside a git work tree."""
    chain = []
    current = os.path.abspath(root)
    while True:
        chain.append(current)
        if os.path.exists(os.path.join(current, ".git")):
            return chain[::-1]
        parent = os.path.dirname(current)
        if parent == current:
            return [os.path.abspath(root)]
        current = parent


def walk_code(
    root: str, rules: IgnoreRules, top: str = "", skip_dirs: Collection[DirId] = ()
) -> list[str]:
    """Every file under ``root/top`` that may ship (relpaths to ``root``), pruning ignored
    directories as git does, and ``skip_dirs`` ((device, inode) of directories that are not
    code, such as outputs downloaded into the source directory).

    Links are followed, so a directory link back to one of its own ancestors (``up -> ..``,
    ``self -> .``) would never end; it is skipped, found by the (device, inode) of the
    directories on the way down, so each file ships once, under the path without the loop,
    as the tree scan of a channel does."""
    found: list[str] = []
    start = os.path.join(root, top) if top else root
    stack = [(start, frozenset())]
    while stack:
        directory, ancestors = stack.pop()
        try:
            st = os.stat(directory)
            entries = sorted(os.scandir(directory), key=lambda e: e.name, reverse=True)
        except OSError:
            continue  # vanished or unreadable: as os.walk, nothing of it ships
        here = (st.st_dev, st.st_ino)  # as dir_id()
        if here in ancestors or here in skip_dirs:
            continue
        if directory != root:
            rules.add(directory)
        ancestors = ancestors | {here}
        for entry in entries:
            path = entry.path
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if entry.name not in NEVER_SHIPPED_DIRS and not rules.ignored(path, is_dir=True):
                    stack.append((path, ancestors))
            elif not entry.name.endswith(".pyc") and not rules.ignored(path, is_dir=False):
                found.append(os.path.relpath(path, root).replace(os.sep, "/"))
    return found


# --- local imports ---------------------------------------------------------------------------


def imported_modules(source: str, filename: str = "<script>") -> set[str]:
    """Dotted names of the absolute imports in ``source``; ``from a import b`` gives both
    ``a`` and ``a.b`` (``b`` may be a submodule). A module named by a string literal in
    ``importlib.import_module("a.b")`` or ``__import__("a")`` counts too: plugins loaded
    that way are code the job needs as much as imported ones."""
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()  # the job reports it as the script's own error
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if not first.value.startswith("."):
                    names.add(first.value)
    return names


def _is_dynamic_import(func: ast.expr) -> bool:
    """``import_module(...)``, ``importlib.import_module(...)`` or ``__import__(...)``."""
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module"
    return isinstance(func, ast.Name) and func.id in ("import_module", "__import__")


def _module_at(root: str, dotted: str) -> str | None:
    """Where the top-level module of ``dotted`` lives directly under ``root`` (a relpath:
    ``name.py`` or a package directory ``name/``, regular or namespace), or None."""
    parts = dotted.split(".")
    if os.path.isfile(os.path.join(root, parts[0] + ".py")):
        return parts[0] + ".py"
    path = root
    for part in parts:
        path = os.path.join(path, part)
        if os.path.isfile(os.path.join(path, "__init__.py")) or os.path.isfile(path + ".py"):
            return parts[0] + "/"
        if not os.path.isdir(path):
            return None
    return None


def _read(path: str) -> str:
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def requirement_names(path: str | None) -> set[str]:
    """Import-style names of the requirements a file declares (``my-lib`` -> ``my_lib``)."""
    if not path:
        return set()
    names = set()
    for line in _read(path).splitlines():
        match = re.match(_REQUIREMENT_NAME, line)
        if match and not line.lstrip().startswith(("#", "-")):
            names.add(match.group(1).replace("-", "_").replace(".", "_").lower())
    return names


def local_imports(
    script: str, declared: Iterable[str], rules: IgnoreRules, skip_dirs: Collection[DirId] = ()
) -> tuple[list[str], list[str]]:
    """(relpaths to ship, names ignored by .gitignore): the modules under the script's
    directory that it imports, directly or through each other."""
    root = os.path.dirname(os.path.abspath(script))
    stem = os.path.splitext(os.path.basename(script))[0]
    skip = {n.lower() for n in declared} | {LIBRARY_PACKAGE, stem.lower()}
    skip |= {n.lower() for n in sys.builtin_module_names}
    shipped: dict[str, list[str]] = {}
    ignored: list[str] = []
    pending = [_read(script)]
    while pending:
        for dotted in sorted(imported_modules(pending.pop())):
            name = dotted.partition(".")[0]
            if name in shipped or name in ignored or name.lower() in skip:
                continue
            found = _module_at(root, dotted)
            if found is None:
                continue
            path = os.path.join(root, found)
            if rules.ignored(path.rstrip("/"), is_dir=found.endswith("/")):
                ignored.append(name)
                continue
            files = walk_code(root, rules, found, skip_dirs) if found.endswith("/") else [found]
            shipped[name] = files
            pending += [_read(os.path.join(root, f)) for f in files if f.endswith(".py")]
    return sorted(f for files in shipped.values() for f in files), sorted(ignored)


# --- the selection ---------------------------------------------------------------------------


def select_code(
    script: str,
    *,
    source_dir: str | None = None,
    declared: Iterable[str] = (),
    allow_secrets: bool = False,
    not_code: Iterable[str] = (),
) -> CodeSelection:
    """What the code channel holds (see the module's docstring); UserError for a secret.

    ``not_code``: directories that never ship as code, wherever they are (the outputs a
    waited run downloads: inside a source directory they would ship on the next run)."""
    script = os.path.abspath(script)
    skip = {dir_id(path) for path in not_code if os.path.isdir(path)}
    if source_dir:
        root = os.path.abspath(source_dir)
        rules = IgnoreRules(root)
        relpaths = [
            r
            for r in walk_code(root, rules, skip_dirs=skip)
            if r.partition("/")[0] != LIBRARY_PACKAGE
        ]
        rel_script = os.path.relpath(script, root).replace(os.sep, "/")
        if rel_script not in relpaths:
            relpaths.append(rel_script)  # the script ships even when ignored
        modules: list[str] = []
        ignored: list[str] = []
        field = "source_dir"
    else:
        root = os.path.dirname(script)
        rules = IgnoreRules(root)
        relpaths, ignored = local_imports(script, declared, rules, skip)
        modules = sorted({r.partition("/")[0].removesuffix(".py") for r in relpaths})
        relpaths.append(os.path.basename(script))
        field = "script"
    relpaths = sorted(set(relpaths))
    if not allow_secrets:
        refuse_secrets(_files(root, relpaths), field)
    return CodeSelection(
        root, tuple(relpaths), tuple(modules), tuple(ignored), source_dir=bool(source_dir)
    )


def select_directory(path: str, *, field: str, allow_secrets: bool = False) -> CodeSelection:
    """A module directory as it ships: .gitignore honoured, secrets refused. The rules of
    an enclosing work tree that ignore the directory itself do not apply: it was named."""
    root = os.path.abspath(path)
    rules = IgnoreRules(root)
    if rules.ignored(root, is_dir=True):  # named on purpose (a package in a venv, ~/.pyenv)
        rules = IgnoreRules(root, ancestors=False)
    relpaths = sorted(walk_code(root, rules))
    if not allow_secrets:
        refuse_secrets(_files(root, relpaths), field)
    return CodeSelection(root, tuple(relpaths))


def dir_id(path: str) -> DirId:
    """(device, inode) of the directory at ``path``, links followed."""
    st = os.stat(path)
    return (st.st_dev, st.st_ino)


def _files(root: str, relpaths: Iterable[str]) -> list[ShippedFile]:
    return [ShippedFile(os.path.join(root, rel), os.path.join(root, rel)) for rel in relpaths]
