"""Test helpers that build things: a minimal wheel, installable offline."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def build_wheel(directory: Path) -> Path:
    """A minimal valid pure-Python wheel, written by hand: no build backend needed."""
    dist_info = "tinywheel-0.1.dist-info"
    files = {
        "tinywheel/__init__.py": b"VALUE = 'from a wheel'\n",
        f"{dist_info}/METADATA": b"Metadata-Version: 2.1\nName: tinywheel\nVersion: 0.1\n",
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: test_bootstrap\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = directory / "tinywheel-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel
