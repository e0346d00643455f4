"""A job of an engine that an ordinary user runs cannot change the local store's copy of
its input.

The engine places the local store's files in a job without copying them where that is
safe. A read-only hard link protects the store's file only from a reader that cannot
``chmod`` it back, and a job runs as its engine's user, who owns the store's files. So
such a job gets a clone or a copy, never the store's own inode.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

NOBODY = 65534

JOB_SIDE = """
import os, sys
from pathlib import Path
from aws_sagemaker_remote.backends.local.runner.transfer import Locations
from aws_sagemaker_remote.storage.localstore import LocalStore
from aws_sagemaker_remote.storage.transfer import download_now

root = Path(sys.argv[1])
store = LocalStore(root / "store")
source = store.path_of("data/input.bin")
source.parent.mkdir(parents=True)
source.write_bytes(b"the store's bytes")
target = root / "job" / "input.bin"
target.parent.mkdir()
if not Locations().link(store, "data/input.bin", target):  # the engine copies instead
    download_now(store, "data/input.bin", source.stat().st_size, target, link=False)
# what a job may do to an input file of its own: make it writable, and write it
os.chmod(target, 0o644)
target.write_bytes(b"changed by the job")
print(source.read_bytes().decode())
"""


def _as_ordinary_user() -> dict:
    """Run the child as ``nobody`` when the suite runs as root (the engine's user then)."""
    if os.geteuid() != 0:
        return {}

    def drop() -> None:
        os.setgid(NOBODY)
        os.setgroups([])
        os.setuid(NOBODY)

    return {"preexec_fn": drop}


def _python_for(user: dict, package: Path) -> str:
    """An interpreter the ordinary user may run that imports this checkout (a pyenv
    Python under root's 0700 home is not one; the system's is)."""
    for python in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
        try:
            probe = subprocess.run(
                [python, "-c", "import aws_sagemaker_remote.storage.localstore"],
                capture_output=True,
                cwd="/",
                env={"PYTHONPATH": str(package), "PATH": os.environ.get("PATH", "")},
                timeout=60,
                **user,
            )
        except OSError:
            continue
        if probe.returncode == 0:
            return python
    pytest.skip("no Python that an ordinary user may run imports this checkout")


def test_a_job_of_an_ordinary_user_cannot_write_the_stores_copy_of_its_input():
    user = _as_ordinary_user()
    package = Path(__file__).resolve().parents[2]
    python = _python_for(user, package)
    root = Path(tempfile.mkdtemp(prefix="asr-links-", dir="/tmp"))
    try:
        if os.geteuid() == 0:
            os.chown(root, NOBODY, NOBODY)
        result = subprocess.run(
            [python, "-c", JOB_SIDE, str(root)],
            capture_output=True,
            text=True,
            cwd="/",
            env={**os.environ, "PYTHONPATH": str(package), "HOME": str(root)},
            timeout=60,
            **user,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "the store's bytes"
    finally:
        subprocess.run(["rm", "-rf", str(root)], check=False)
