"""Compile a local job's modules into the engine's bytecode cache, under the job's Python.

The runner starts ``<the job's python> -I -S compile_pycs.py CACHE_DIR`` with
``{"key": <the engine's key, hex>, "files": [[source path, file name the job sees], ...]}``
on stdin (see :mod:`.bytecode`). Run by path with
the standard library only, on any Python 3.7+: the source hash of a checked pyc (PEP 552)
is keyed by the interpreter's magic number and its algorithm changed in 3.11, so only the
job's own interpreter can write a pyc the job's interpreter accepts.

Each file is read once; the pyc is compiled from those bytes exactly as the import system
compiles a source (``compile(..., dont_inherit=True)``, the interpreter's optimisation
level), given a header that the job's interpreter checks against the source at every
import, and stored as ``<sha256 of those bytes>-<seal of the pyc>.pyc`` (an HMAC-SHA256
with the engine's key, :mod:`.seals`): the runner checks the seal before it uses the pyc,
so an entry the engine did not write never runs, and a damaged body under a valid header
is compiled again instead of failing the import. Stdout: the JSON list of each file's entry name, or
null when it could not be compiled.
"""

import hashlib
import hmac
import importlib.util
import json
import marshal
import os
import sys

_CHECKED_HASH = (0b11).to_bytes(4, "little")  # hash-based, checked against the source


def entry(source_path, shown_as, key):
    """(the cache entry's name, its bytes: the pyc) for one source file."""
    with open(source_path, "rb") as f:
        source = f.read()
    code = compile(source, shown_as, "exec", dont_inherit=True)
    pyc = (
        importlib.util.MAGIC_NUMBER
        + _CHECKED_HASH
        + importlib.util.source_hash(source)
        + marshal.dumps(code)
    )
    mark = hmac.new(key, pyc, hashlib.sha256).hexdigest()
    return f"{hashlib.sha256(source).hexdigest()}-{mark}.pyc", pyc


def store(cache_dir, name, data):
    """Write the entry under its name, through a temporary name: readers see all or nothing."""
    target = os.path.join(cache_dir, name)
    temp = f"{target}.{os.getpid()}.tmp"
    with open(temp, "wb") as f:
        f.write(data)
    os.replace(temp, target)


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    cache_dir = args[0]
    os.makedirs(cache_dir, exist_ok=True)
    names = []
    job = json.load(sys.stdin)
    key = bytes.fromhex(job["key"])
    for source_path, shown_as in job["files"]:
        try:
            name, data = entry(source_path, shown_as, key)
            store(cache_dir, name, data)
        except Exception:  # unreadable, no longer valid Python, ...: the job compiles it
            name = None
        names.append(name)
    json.dump(names, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
