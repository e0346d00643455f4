"""A local job whose code is unchanged imports it from cached bytecode, and
no shortcut goes unchecked: a changed source runs as changed, a damaged cache entry is
compiled again, pruning removes what no job names, and the job sees nothing else new."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
import subprocess
import sys
from pathlib import Path

import pytest
from e2e.test_local_engine import STORE, log_messages, make_request, put_store, unique, wait_status

import aws_sagemaker_remote
from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.backends.local.caches.bytecode import COMPILER, bytecode_dir, code_inputs
from aws_sagemaker_remote.backends.local.caches.pycfiles import entry_holds, source_of
from aws_sagemaker_remote.backends.local.caches.pythons import find_python
from aws_sagemaker_remote.backends.local.caches.seals import engine_key
from aws_sagemaker_remote.backends.local.isolation import nsinit
from aws_sagemaker_remote.backends.local.isolation.sandbox import NAMESPACES_ENV, NSINIT
from aws_sagemaker_remote.script.layout import BOOTSTRAP

CODE = "/opt/ml/processing/code"
ENTRYPOINT = ["python3", BOOTSTRAP, "--script", f"{CODE}/job.py", "--"]
# what the job's import of ``mymod`` found and left: the pyc before and after, its flags
JOB = """
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
pyc = os.path.join(here, "__pycache__", "mymod.%s.pyc" % sys.implementation.cache_tag)
def seen(path):
    if not os.path.exists(path):
        return None
    info = os.stat(path)
    return [info.st_ino, info.st_mtime_ns]
before = seen(pyc)
import mymod
flags = None
if os.path.exists(pyc):
    with open(pyc, "rb") as f:
        flags = f.read(8)[4:].hex()
python = sorted(k for k in os.environ if k.startswith("PYTHON"))
files = sorted(os.path.relpath(os.path.join(r, n), here) for r, _, ns in os.walk(here) for n in ns)
print("RESULT " + json.dumps({"value": mymod.VALUE, "before": before, "after": seen(pyc),
      "cached": mymod.__spec__.cached == pyc, "flags": flags, "python": python,
      "files": [f for f in files if "__pycache__" not in f]}), flush=True)
"""


def stage_code(value: int) -> str:
    """A code channel in the local store: the bootstrap, job.py and the module it imports."""
    prefix = unique("bytecode")
    bootstrap = Path(aws_sagemaker_remote.__file__).parent / "script" / "bootstrap.py"
    put_store(f"{prefix}/code/aws_sagemaker_remote/script/bootstrap.py", bootstrap.read_bytes())
    put_store(f"{prefix}/code/job.py", JOB)
    put_module(prefix, value)
    return f"{STORE}/{prefix}/code"


def put_module(prefix: str, value: int) -> None:
    put_store(f"{prefix}/code/mymod.py", f"VALUE = {value}\n")


def run_job(backend: LocalBackend, code_uri: str, env: dict | None = None) -> dict:
    name = unique("bytecode")
    request = make_request(name, code_uri, env=env)
    request["AppSpecification"]["ContainerEntrypoint"] = ENTRYPOINT
    backend.create_job(request)
    described = wait_status(backend, name, timeout=120)
    messages = log_messages(backend, name)
    assert described["ProcessingJobStatus"] == "Completed", messages
    line = next(m for m in messages if m.startswith("RESULT "))
    return {"name": name, **json.loads(line[len("RESULT ") :])}


def entries(backend: LocalBackend, value: int | None = None) -> list[Path]:
    """The cache's entries; with ``value``: those of mymod.py holding it."""
    prefix = "" if value is None else hashlib.sha256(f"VALUE = {value}\n".encode()).hexdigest()
    return sorted(bytecode_dir(backend.store.root).glob(f"*/{prefix}*.pyc"))


@pytest.fixture(params=["namespaces", "path-mapping"])
def isolation(request, monkeypatch):
    if request.param == "path-mapping":
        monkeypatch.setenv(NAMESPACES_ENV, "no")
    else:
        monkeypatch.delenv(NAMESPACES_ENV, raising=False)
    return request.param


@pytest.mark.e2e
def test_the_second_job_of_the_same_code_imports_the_cached_bytecode(isolation):
    backend = LocalBackend()
    code = stage_code(1)
    first = run_job(backend, code)
    assert first["before"] is None and first["value"] == 1  # nothing cached yet: compiled
    second = run_job(backend, code)

    assert second["value"] == 1 and second["cached"]
    assert second["before"] is not None  # there before the job started
    assert second["after"] == second["before"]  # and imported as it was: not compiled again
    assert second["flags"] == "03000000"  # checked hash-based: validated at every import
    assert second["before"][0] in {path.stat().st_ino for path in entries(backend)}
    described = backend.describe_job(second["name"])
    assert described["LocalEngine"]["Isolation"] == isolation
    if isolation == "namespaces":  # nsinit started as its pyc, and given the bootstrap's
        started = (backend.store.job_dir(second["name"]) / "runner.log").read_text()
        assert f"-I -S {NSINIT} " not in started and "--bootstrap-pyc" in started
    # nothing else differs: no variable of ours, no file beside the sources
    assert second["python"] == first["python"] == ["PYTHONUNBUFFERED"]
    assert second["files"] == first["files"]


@pytest.mark.e2e
def test_a_changed_source_never_runs_stale_bytecode():
    backend = LocalBackend()
    code = stage_code(1)
    run_job(backend, code)
    put_module(code[len(STORE) + 1 : -len("/code")], 2)  # the same URI, another source

    changed = run_job(backend, code)
    assert changed["value"] == 2  # the placed pyc was made from VALUE = 1: refused
    assert changed["before"] is not None and changed["after"] != changed["before"]
    again = run_job(backend, code)
    assert again["value"] == 2 and again["after"] == again["before"]  # the cache learned it


@pytest.mark.e2e
@pytest.mark.parametrize("damage", ["truncated", "garbage", "unchecked"])
def test_a_damaged_cache_entry_is_compiled_again(damage):
    backend = LocalBackend()
    code = stage_code(1)
    run_job(backend, code)
    for path in entries(backend):
        data = path.read_bytes()
        if damage == "truncated":  # a valid header over half a body fails an import
            path.write_bytes(data[: 16 + (len(data) - 16) // 2])
        elif damage == "garbage":
            path.write_bytes(b"\0" * len(data))
        else:  # a hash-based pyc Python would not check against its source
            path.write_bytes(data[:4] + (0b01).to_bytes(4, "little") + data[8:])

    damaged = run_job(backend, code)
    assert damaged["value"] == 1 and damaged["before"] is None  # not placed: compiled
    repaired = run_job(backend, code)
    assert repaired["value"] == 1 and repaired["after"] == repaired["before"] is not None


@pytest.mark.e2e
def test_a_job_that_writes_no_bytecode_gets_none():
    backend = LocalBackend()
    code = stage_code(1)
    run_job(backend, code)
    quiet = run_job(backend, code, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert quiet["before"] is None and quiet["after"] is None


@pytest.mark.e2e
def test_prune_removes_the_bytecode_no_remaining_job_names():
    backend = LocalBackend()
    run_job(backend, stage_code(1))
    run_job(backend, stage_code(2))
    assert entries(backend, 1) and entries(backend, 2)
    assert backend.space().parts["bytecode"] > 0

    pruned = backend.prune(keep=1)
    assert entries(backend, 1) == [] and entries(backend, 2)  # the newer job's is named
    assert len(pruned.jobs) == 1 and pruned.bytecode >= 1
    backend.prune()
    assert entries(backend) == []


# -- the parts, without jobs ---------------------------------------------------------------


def test_only_sources_python_writes_a_pyc_for_are_recognised():
    assert source_of("a/b/__pycache__/m.cpython-39.pyc") == "a/b/m.py"
    assert source_of("__pycache__/m.cpython-313.pyc") == "m.py"
    for rel in (
        "__pycache__/m.cpython-39.opt-1.pyc",
        "m.cpython-39.pyc",
        "../__pycache__/m.cpython-39.pyc",
        "/__pycache__/m.cpython-39.pyc",
        "a/__pycache__/not-a-module.cpython-39.pyc",
    ):
        assert source_of(rel) is None, rel


def test_the_code_inputs_are_the_bootstraps_script_and_module_directories():
    request = make_request("j", f"{STORE}/t/code")
    assert code_inputs(request) == []  # not our bootstrap: what it imports is unknown
    request["AppSpecification"]["ContainerEntrypoint"] = [
        *ENTRYPOINT[:-1],
        "--python-path=/opt/ml/processing/modules/lib",
        "--",
    ]
    for name, local in (("lib", "/opt/ml/processing/modules/lib"), ("data", "/opt/ml/data")):
        s3 = {"S3Uri": f"s3://b/{name}/", "LocalPath": local}
        request["ProcessingInputs"].append({"InputName": name, "S3Input": s3})
    assert code_inputs(request) == [
        (f"{STORE}/t/code", CODE),
        ("s3://b/lib/", "/opt/ml/processing/modules/lib"),
    ]
    request["Environment"] = {"PYTHONPYCACHEPREFIX": "/tmp/pycs"}
    assert code_inputs(request) == []


def test_the_compiler_writes_an_entry_named_by_both_digests(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("VALUE = 1\n")
    cache = tmp_path / "cache"
    key = engine_key(tmp_path / "state")
    files = [[str(source), "/opt/ml/processing/code/m.py"], [str(tmp_path), "x"]]
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(COMPILER), str(cache)],
        input=json.dumps({"key": key.hex(), "files": files}),
        capture_output=True,
        text=True,
        check=True,
    )
    name, missing = json.loads(done.stdout)
    assert missing is None  # a directory: not compiled, no failure
    entry = cache / name
    assert entry_holds(entry, key)
    assert not entry_holds(entry, engine_key(tmp_path / "another state"))  # not its seal
    entry.write_bytes(entry.read_bytes() + b"\0")
    assert not entry_holds(entry, key)


def interpreters() -> list[str]:
    """Each Python 3.7-3.13 this machine runs (found by running them), as a parameter."""
    found = []
    for minor in range(7, 14):
        python = find_python(f"3.{minor}")
        if python.found_by != "host" or python.minor == f"3.{minor}":
            found.append(python.path)
    return found or [sys.executable]


@pytest.mark.e2e
@pytest.mark.parametrize("python", interpreters())
def test_every_python_accepts_the_pyc_and_refuses_it_for_another_source(tmp_path, python):
    source = tmp_path / "mymod.py"
    source.write_text("VALUE = 1\n")
    tag = subprocess.run(
        [python, "-c", "import sys; print(sys.implementation.cache_tag)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    done = subprocess.run(
        [python, "-I", "-S", str(COMPILER), str(tmp_path / "cache")],
        input=json.dumps({"key": "00" * 32, "files": [[str(source), str(source)]]}),
        capture_output=True,
        text=True,
        check=True,
    )
    (name,) = json.loads(done.stdout)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "cache" / name).rename(tmp_path / "__pycache__" / f"mymod.{tag}.pyc")

    def imported() -> tuple[str, str]:
        ran = subprocess.run(
            [python, "-E", "-s", "-v", "-c", "import mymod; print(mymod.VALUE)"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        how = [line for line in ran.stderr.splitlines() if str(source) in line]
        return ran.stdout.strip(), "\n".join(how)

    value, how = imported()
    assert value == "1" and " matches " in how and "code object from" not in how
    source.write_text("VALUE = 2\n")
    value, how = imported()
    assert value == "2" and f"code object from {source}" in how


def test_nsinit_runs_a_bootstrap_pyc_only_for_the_source_it_was_made_from(tmp_path, capsys):
    """The pyc says it was made from ``source`` but holds other code: what nsinit runs
    shows which it took."""
    script, source = str(tmp_path / "bootstrap.py"), b"print('compiled from the source')\n"
    other = compile("print('taken from the pyc')", "x", "exec", dont_inherit=True)
    header = importlib.util.MAGIC_NUMBER + (0b11).to_bytes(4, "little")
    pyc = tmp_path / "bootstrap.pyc"
    pyc.write_bytes(header + importlib.util.source_hash(source) + marshal.dumps(other))

    code = nsinit.cached_code(str(pyc), source, script)
    assert code is not None and code.co_filename == script  # as an import fixes it
    exec(code, {})
    assert capsys.readouterr().out == "taken from the pyc\n"
    assert nsinit.cached_code(str(pyc), source + b"# changed\n", script) is None
    unchecked = header[:4] + (0b01).to_bytes(4, "little") + pyc.read_bytes()[8:]
    for bad in (pyc.read_bytes()[:20], unchecked, b""):
        pyc.write_bytes(bad)
        assert nsinit.cached_code(str(pyc), source, script) is None
