"""Which Python a local job runs under: the one its image would have.

The default image, scikit-learn 1.2-1, ships Python 3.9; an entrypoint ``python3.8`` means
3.8 whatever the image. The interpreter is looked for among uv's managed Pythons, then
pyenv's versions, then ``PATH``, and every candidate is run to check it: a pyenv shim of a
version that is not selected exists but fails. This runs only when a job's cached
environment (:mod:`.venvs`) is built, never for a job that finds its environment ready.
When none is found the job runs under this machine's Python, and the runner says so in the
job's log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from typing import NamedTuple

# The Python of AWS's scikit-learn images, by framework version (the tag's head, as in
# ``1.2-1-cpu-py3``): the SageMaker SDK's image_uris table lists these versions, all "py3";
# which Python 3 each has is in its Dockerfile (aws/sagemaker-scikit-learn-container).
SKLEARN_IMAGE_PYTHONS = {
    "0.20.0": "3.7",
    "0.23-1": "3.7",
    "1.0-1": "3.8",
    "1.2-1": "3.9",
    "1.4-2": "3.10",
}
SKLEARN_REPOSITORY = "sagemaker-scikit-learn"
_TAG_PYTHON = re.compile(r"(?:^|-)py3(\d{1,2})(?:-|$)")  # DLC tags: 2.1.0-cpu-py310-ubuntu
_INTERPRETER = re.compile(r"python(3(?:\.(\d+))?)?")
_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.executable)"


class Python(NamedTuple):
    """An interpreter found for a job, checked by running it, and how it was found."""

    path: str  # an interpreter that ran
    version: str  # X.Y.Z
    found_by: str  # "uv", "PATH", "pyenv", "host"
    note: str | None = None  # said in the job's log when it is not the Python asked for

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])


def is_interpreter(command: str) -> bool:
    """``python``, ``python3``, ``python3.9`` or a path to one of them."""
    return _INTERPRETER.fullmatch(os.path.basename(command)) is not None


def wanted_version(interpreter: str, image: str | None) -> tuple[str | None, str | None]:
    """(``3.9`` for ``python3.9``; for a bare ``python3``, the image's Python when its tag
    tells, else None; the line to say when that is a guess, else None)."""
    match = _INTERPRETER.fullmatch(os.path.basename(interpreter))
    if match is None:
        return None, None
    if match.group(2):
        return f"3.{match.group(2)}", None
    return image_python(image or "")


def image_python(image: str) -> tuple[str | None, str | None]:
    """The Python an image runs, from its published tag: ``py310`` in the tag, or the
    scikit-learn framework version; a scikit-learn tag the table does not know takes the
    Python of the nearest known version, and the second item says so in one line."""
    repository, _, tag = image.rpartition("/")[2].partition(":")
    named = _TAG_PYTHON.search(tag)
    if named:
        return f"3.{named.group(1)}", None
    official = re.match(r"3\.(\d{1,2})(?:\D|$)", tag)
    if repository == "python" and official:  # Docker's python:3.12-slim
        return f"3.{official.group(1)}", None
    if repository != SKLEARN_REPOSITORY:
        return None, (
            f"the Python of image {image or '(none)'} is not known here; the job runs under "
            "this machine's Python (name one in the entrypoint, e.g. python3.10, to choose)"
        )
    framework = re.split(r"-(?:cpu|gpu)", tag)[0]
    if framework in SKLEARN_IMAGE_PYTHONS:
        return SKLEARN_IMAGE_PYTHONS[framework], None
    nearest = min(SKLEARN_IMAGE_PYTHONS, key=lambda known: _distance(known, framework))
    python = SKLEARN_IMAGE_PYTHONS[nearest]
    return python, (
        f"image tag {tag!r} of {SKLEARN_REPOSITORY} is not one the engine knows; guessing "
        f"Python {python}, as in its nearest known version {nearest}"
    )


def _distance(known: str, framework: str) -> tuple[int, ...]:
    """How far apart two framework versions (``1.2-1``, ``0.20.0``) are, part by part."""

    def parts(version: str) -> list[int]:
        return [int(p) for p in re.findall(r"\d+", version)][:3] + [0] * 3

    a, b = parts(known), parts(framework)
    return tuple(abs(x - y) for x, y in zip(a[:3], b[:3]))


def probe(path: str, timeout: float = 20.0) -> tuple[str, str] | None:
    """(version, executable) of the interpreter at ``path`` if it runs, else None."""
    try:
        done = subprocess.run(
            [path, "-c", _PROBE], capture_output=True, text=True, timeout=timeout, env=_clean()
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 2:
        return None
    return lines[0], lines[1]


def _clean() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def candidates(version: str) -> list[tuple[str, str]]:
    """(path, how it was found) of interpreters that may be Python ``version``, best first:
    uv's own, pyenv's versions (their real binaries, not the shims), then ``PATH``."""
    found: list[tuple[str, str]] = []
    uv = uv_binary()
    if uv:
        try:
            done = subprocess.run(
                [uv, "python", "find", "--no-project", "--managed-python", "--offline", version],
                capture_output=True,
                text=True,
                timeout=30,
            )
            if done.returncode == 0 and done.stdout.strip():
                found.append((done.stdout.strip().splitlines()[-1], "uv"))
        except (OSError, subprocess.TimeoutExpired):
            pass
    import glob  # here: only building an environment looks (the runner imports this module)

    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    versions = glob.glob(os.path.join(root, "versions", f"{version}.*", "bin"))
    for path in sorted(versions, key=_version_order, reverse=True):
        found.append((os.path.join(path, f"python{version}"), "pyenv"))
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append((on_path, "PATH"))
    return found


def _version_order(path: str) -> tuple[int, ...]:
    name = os.path.basename(os.path.dirname(path))
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


def find_python(version: str | None) -> Python:
    """Python ``version`` from uv, PATH or pyenv, checked by running it; else this Python."""
    if version is not None:
        for path, how in candidates(version):
            ran = probe(path)
            if ran is not None and ".".join(ran[0].split(".")[:2]) == version:
                return Python(ran[1], ran[0], how)
    host = ".".join(str(n) for n in sys.version_info[:3])
    note = None
    if version is not None:
        note = (
            f"Python {version} was not found through uv, pyenv or PATH; "
            f"the job runs under this machine's Python {host}"
        )
    return Python(sys.executable, host, "host", note)


def uv_binary() -> str | None:
    """The uv that ships with the ``uv`` package (a dependency), else one on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")
