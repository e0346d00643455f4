"""A cached job environment is used without running any interpreter, but
never once its interpreter was replaced: the record names the interpreter file, and a
changed file is run once to learn whether the layer still fits."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from aws_sagemaker_remote.backends.local.caches.pythons import find_python, probe
from aws_sagemaker_remote.backends.local.caches.venvs import (
    COMPLETE,
    interpreter_identity,
    requirements_key,
    shared_layer,
    write_record,
)

pytestmark = pytest.mark.e2e  # real interpreters run, one real environment built

HOST = ".".join(str(n) for n in sys.version_info[:2])
HOST_VERSION = ".".join(str(n) for n in sys.version_info[:3])
KEY = b"k" * 32  # the engine's key, as far as these layers know


def wrapper(path: Path, target: str, marker: Path, note: str = "") -> Path:
    """An interpreter file that says when it is run, then runs ``target``."""
    path.write_text(f'#!/bin/sh\n# {note}\necho ran >> "{marker}"\nexec "{target}" "$@"\n')
    path.chmod(0o755)
    return path


def cached_layer(envs: Path, python: Path, version: str, identity=True) -> Path:
    layer = envs / requirements_key(HOST, None)
    (layer / "bin").mkdir(parents=True)
    record = {"python": str(python), "version": version, "found_by": "pyenv"}
    if identity:
        record["identity"] = interpreter_identity(str(python))
    write_record(layer, record, KEY)  # as the engine writes it
    return layer


def lookup(envs: Path):
    layer, python, lease = shared_layer(envs, HOST, None, say=print, log=print, key=KEY)
    lease.close()
    return layer, python


def record(layer: Path) -> dict:
    return json.loads((layer / COMPLETE).read_text())


def test_an_unchanged_interpreter_is_not_run(tmp_path):
    marker = tmp_path / "ran"
    python = wrapper(tmp_path / f"python{HOST}", sys.executable, marker)
    layer = cached_layer(tmp_path / "envs", python, HOST_VERSION)
    found_layer, found = lookup(tmp_path / "envs")
    assert (found_layer, found.path, found.version) == (layer, str(python), HOST_VERSION)
    assert not marker.exists()


def test_an_interpreter_replaced_by_the_same_minor_version_is_run_once(tmp_path):
    marker = tmp_path / "ran"
    python = wrapper(tmp_path / f"python{HOST}", sys.executable, marker)
    layer = cached_layer(tmp_path / "envs", python, f"{HOST}.0")  # as built before an upgrade
    wrapper(python, sys.executable, marker, note="upgraded in place")
    _, found = lookup(tmp_path / "envs")
    assert found.version == HOST_VERSION  # learned from the interpreter, not the record
    assert marker.read_text().count("ran") == 1
    assert record(layer)["identity"] == interpreter_identity(str(python))
    lookup(tmp_path / "envs")
    assert marker.read_text().count("ran") == 1  # recorded: not run again


def test_a_layer_recorded_without_an_identity_is_checked_once(tmp_path):
    marker = tmp_path / "ran"
    python = wrapper(tmp_path / f"python{HOST}", sys.executable, marker)
    layer = cached_layer(tmp_path / "envs", python, HOST_VERSION, identity=False)
    lookup(tmp_path / "envs")
    lookup(tmp_path / "envs")
    assert marker.read_text().count("ran") == 1
    assert record(layer)["identity"] == interpreter_identity(str(python))


def other_python() -> str | None:
    for minor in ("3.9", "3.10", "3.12", "3.13", "3.8"):
        if minor == HOST:
            continue
        found = find_python(minor)
        if found.found_by != "host" and probe(found.path) is not None:
            return found.path
    return None


@pytest.mark.skipif(other_python() is None, reason="no second Python version here")
def test_an_interpreter_replaced_by_another_minor_version_rebuilds_the_layer(tmp_path):
    marker = tmp_path / "ran"
    python = wrapper(tmp_path / f"python{HOST}", sys.executable, marker)
    layer = cached_layer(tmp_path / "envs", python, HOST_VERSION)
    wrapper(python, other_python(), marker, note="now another version")
    found_layer, found = lookup(tmp_path / "envs")
    assert found_layer == layer
    assert found.path != str(python)  # rebuilt with a real Python of the layer's version
    assert found.version.startswith(f"{HOST}.")
    assert record(layer)["python"] == found.path
    assert (layer / "bin" / "python").exists()


def test_a_job_using_an_environment_does_not_hold_up_another_building_it(tmp_path):
    """Two jobs needing the same new environment at once: the lease one holds while it
    runs must not keep the other from building (it waits for a build, never for a job)."""
    import threading

    from aws_sagemaker_remote.backends.local.caches.venvs import take_lease

    envs = tmp_path / "envs"
    envs.mkdir()
    python = find_python(HOST)
    running = take_lease(envs / requirements_key(python.minor, None))  # another job's lease
    built: list = []
    builder = threading.Thread(target=lambda: built.append(lookup(envs)), daemon=True)
    builder.start()
    builder.join(timeout=240)  # far above a venv build; the old lock waited for the job
    running.close()
    assert built, "the build waited for the job holding the environment"
    layer, found = built[0]
    assert (layer / COMPLETE).is_file() and found.minor == python.minor
