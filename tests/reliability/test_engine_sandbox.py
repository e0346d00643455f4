"""No local job changes what another job runs or sees: a job's view is a sandbox.

Each test runs a job that tries to plant something or to read what is not its own, then
shows (often through a second, unrelated job) that it did not happen. They run where this
machine gives unprivileged namespaces; elsewhere jobs are not isolated, and say so.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from e2e.test_local_engine import (
    NAMESPACES_HERE,
    STORE,
    log_messages,
    make_request,
    put_store,
    unique,
    wait_for,
    wait_status,
)

import aws_sagemaker_remote
from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.backends.local.caches.bytecode import bytecode_dir
from aws_sagemaker_remote.backends.local.caches.venvs import envs_dir
from aws_sagemaker_remote.backends.local.isolation.sandbox import NAMESPACES_ENV, NSINIT
from aws_sagemaker_remote.script.layout import BOOTSTRAP

# our bootstrap as the entrypoint: the jobs whose code and nsinit use the bytecode cache
BOOTSTRAP_ENTRYPOINT = ["python3", BOOTSTRAP, "--script", "/opt/ml/processing/code/job.py", "--"]

pytestmark = pytest.mark.e2e  # real jobs: seconds each
needs_namespaces = pytest.mark.skipif(
    not NAMESPACES_HERE, reason="no unprivileged namespaces on this machine"
)


@pytest.fixture(autouse=True)
def namespaces(monkeypatch):
    monkeypatch.delenv(NAMESPACES_ENV, raising=False)


def stage(source: str, *, bootstrap: bool = False, files: dict | None = None) -> str:
    """A code channel holding job.py (and the bootstrap, for a bootstrap entrypoint, and
    ``files``: name -> bytes)."""
    prefix = unique("sandbox")
    put_store(f"{prefix}/code/job.py", source)
    for name, data in (files or {}).items():
        put_store(f"{prefix}/code/{name}", data)
    if bootstrap:
        shipped = Path(aws_sagemaker_remote.__file__).parent / "script" / "bootstrap.py"
        put_store(f"{prefix}/code/aws_sagemaker_remote/script/bootstrap.py", shipped.read_bytes())
    return f"{STORE}/{prefix}/code"


def run(
    backend: LocalBackend, source: str, *, env=None, bootstrap=False, files=None, **options
) -> dict:
    """Run ``source`` as a job; its RESULT line (JSON) and its description."""
    name = unique("sandbox")
    code = stage(source, bootstrap=bootstrap, files=files)
    request = make_request(name, code, env=env, **options)
    if bootstrap:
        request["AppSpecification"]["ContainerEntrypoint"] = BOOTSTRAP_ENTRYPOINT
    return submit(backend, request)


def submit(backend: LocalBackend, request: dict) -> dict:
    name = request["ProcessingJobName"]
    backend.create_job(request)
    described = wait_status(backend, name, timeout=120)
    messages = log_messages(backend, name)
    assert described["ProcessingJobStatus"] == "Completed", (described, messages)
    results = [json.loads(m[len("RESULT ") :]) for m in messages if m.startswith("RESULT ")]
    return {"described": described, "results": results, "messages": messages}


# A job's attempt: one statement, its outcome as a word (never an exception of its own).
ATTEMPT = """
import json, os, sys
def attempt(what):
    try:
        what()
        return "done"
    except OSError as error:
        return type(error).__name__
"""

PLANT_PTH = (
    ATTEMPT
    + """
found = [p for p in sys.path if p.endswith("site-packages") and "/envs/" in p]
def plant():
    for site in found:
        with open(os.path.join(site, "zz_planted.pth"), "w") as f:
            f.write("import os; os.environ['PLANTED'] = 'yes'\\n")
print("RESULT " + json.dumps({"shared": len(found), "planted": attempt(plant)}), flush=True)
"""
)

SHOW_PLANTED = """
import json, os
print("RESULT " + json.dumps({"planted": os.environ.get("PLANTED")}), flush=True)
"""


@needs_namespaces
def test_a_pth_written_into_the_cached_environment_never_runs_in_a_later_job():
    backend = LocalBackend()
    first = run(backend, PLANT_PTH)["results"][0]
    assert first["shared"] >= 1  # the shared layer is on the job's path
    assert first["planted"] != "done"  # read-only in the job's view
    later = run(backend, SHOW_PLANTED)["results"][0]
    assert later == {"planted": None}
    assert not list(envs_dir(backend.store.root).glob("*/lib/*/site-packages/zz_planted.pth"))


@needs_namespaces
def test_a_pth_put_into_the_cached_environment_from_outside_is_noticed_and_rebuilt():
    """What the engine did not write is not used: a changed layer is built again, said once."""
    backend = LocalBackend()
    run(backend, SHOW_PLANTED)
    layers = [p for p in envs_dir(backend.store.root).iterdir() if p.is_dir()]
    assert len(layers) == 1
    (site,) = layers[0].glob("lib/python*/site-packages")
    (site / "zz_planted.pth").write_text("import os; os.environ['PLANTED'] = 'yes'\n")
    later = run(backend, SHOW_PLANTED)
    assert later["results"][0] == {"planted": None}
    said = [m for m in later["messages"] if "not as the engine built it" in m]
    assert len(said) == 1 and str(layers[0]) in said[0], later["messages"]
    again = run(backend, SHOW_PLANTED)  # rebuilt once: the next job uses it as it is
    assert not [m for m in again["messages"] if "not as the engine built it" in m]


# Writes a checked pyc of nsinit's source whose code leaves a mark on the host, under the
# name the bytecode cache gives nsinit's entry, into every interpreter's cache directory
# (instead of the genuine one).
PLANT_PYC = (
    ATTEMPT
    + """
import glob, hashlib, importlib.util, marshal
source = open(os.environ["NSINIT"], "rb").read()
evil = compile("open(%r, 'w').write('pwned')" % os.environ["MARK"], "nsinit.py", "exec")
pyc = (importlib.util.MAGIC_NUMBER + (3).to_bytes(4, "little")
       + importlib.util.source_hash(source) + marshal.dumps(evil))
name = "%s-%s.pyc" % (hashlib.sha256(source).hexdigest(), hashlib.sha256(pyc).hexdigest())
dirs = glob.glob(os.path.join(os.environ["CACHE"], "*", ""))
def plant():
    if not dirs:
        raise FileNotFoundError(os.environ["CACHE"])
    for folder in dirs:
        for genuine in glob.glob(os.path.join(folder, name[:65] + "*.pyc")):
            os.remove(genuine)  # so that the planted one is the only one found
        with open(os.path.join(folder, name), "wb") as f:
            f.write(pyc)
print("RESULT " + json.dumps({"planted": attempt(plant)}), flush=True)
"""
)


@needs_namespaces
def test_a_pyc_planted_in_the_bytecode_cache_never_runs(tmp_path):
    backend = LocalBackend()
    run(backend, SHOW_PLANTED, bootstrap=True)  # the cache has an interpreter's directory
    mark = tmp_path / "pwned"
    # the job knows nsinit's source (it is public): a copy ships with it, since the
    # engine's own files may be hidden from its view (a checkout under /tmp or home)
    env = {
        "NSINIT": "/opt/ml/processing/code/nsinit_source.py",
        "MARK": str(mark),
        "CACHE": str(bytecode_dir(backend.store.root)),
    }
    files = {"nsinit_source.py": NSINIT.read_bytes()}
    first = run(backend, PLANT_PYC, env=env, bootstrap=True, files=files)["results"][0]
    assert first["planted"] != "done"
    run(backend, SHOW_PLANTED, bootstrap=True)
    assert not mark.exists()


@needs_namespaces
def test_a_pyc_put_into_the_bytecode_cache_from_outside_is_not_used(tmp_path):
    """An entry the engine did not record is never run, however valid its name: here
    written by a process outside any sandbox, as a job without namespaces could."""
    backend = LocalBackend()
    python = run(backend, SHOW_PLANTED, bootstrap=True)["described"]["LocalEngine"]["PythonPath"]
    mark = tmp_path / "pwned"
    env = {"NSINIT": str(NSINIT), "MARK": str(mark), "CACHE": str(bytecode_dir(backend.store.root))}
    done = subprocess.run(
        [python, "-c", PLANT_PYC], env=env, capture_output=True, text=True, check=True
    )
    assert '"planted": "done"' in done.stdout  # it is there, under a valid name
    run(backend, SHOW_PLANTED, bootstrap=True)
    assert not mark.exists()


READ_PATHS = (
    ATTEMPT
    + """
def read(path):
    return lambda: open(path, "rb").read()
def listing(path):
    def go():
        print("LISTED %s %s" % (path, sorted(os.listdir(path))), flush=True)
    return go
def write(path):
    return lambda: open(path, "w").write("planted")
checks = json.loads(os.environ["CHECKS"])
results = {}
for key, (how, path) in sorted(checks.items()):
    results[key] = attempt({"read": read, "list": listing, "write": write}[how](path))
print("RESULT " + json.dumps(results), flush=True)
"""
)


@needs_namespaces
def test_the_users_home_and_the_engines_state_are_not_in_a_jobs_view(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text("[default]\naws_secret_access_key = SECRET\n")
    monkeypatch.setenv("HOME", str(home))
    backend = LocalBackend()
    earlier = run(backend, SHOW_PLANTED)["described"]["ProcessingJobName"]
    root = backend.store.root
    package = Path(aws_sagemaker_remote.__file__).parent
    planted = package / f"planted-{uuid.uuid4().hex}.py"
    checks = {
        "credentials": ("read", str(home / ".aws" / "credentials")),
        "home": ("list", str(home)),
        "earlier job": ("list", str(backend.store.job_dir(earlier))),
        "store": ("list", str(root / "store")),
        "bytecode": ("list", str(bytecode_dir(root))),
        "jobs": ("list", str(root / "jobs")),
        "engine code": ("write", str(planted)),
        "etc": ("write", f"/etc/planted-{uuid.uuid4().hex}"),
        "own output": ("write", "/opt/ml/output/mine.txt"),
        "tmp": ("write", "/tmp/scratch.txt"),
    }
    try:
        job = run(backend, READ_PATHS, env={"CHECKS": json.dumps(checks)})
    finally:
        planted.unlink(missing_ok=True)
    seen = job["results"][0]
    assert seen["own output"] == "done" and seen["tmp"] == "done"  # its own places
    for key in ("credentials", "home", "earlier job", "store", "bytecode"):
        assert seen[key] == "FileNotFoundError", (key, seen)
    # the way back to its own directory, nothing beside it
    name = job["described"]["ProcessingJobName"]
    assert f"LISTED {root / 'jobs'} {[name]}" in job["messages"]
    assert seen["engine code"] != "done" and seen["etc"] != "done", seen
    sandbox = job["described"]["LocalEngine"]["Sandbox"]
    assert str(home) in sandbox["Hidden"] and str(root) in sandbox["Hidden"]
    assert "/" in sandbox["ReadOnly"] and "/tmp" in sandbox["Private"]


@needs_namespaces
def test_an_instance_cannot_reach_another_instances_directory():
    backend = LocalBackend()
    name = unique("sandbox")
    other = backend.store.job_dir(name) / "algo-1" / "opt" / "ml"
    checks = {
        "config": ("read", str(other / "config" / "resourceconfig.json")),
        "output": ("write", str(other / "output" / "planted")),
        "relative": ("read", "../algo-1/opt/ml/config/resourceconfig.json"),  # from its start
    }
    request = make_request(name, stage(READ_PATHS), env={"CHECKS": json.dumps(checks)}, count=2)
    job = submit(backend, request)
    (algo_1, algo_2) = sorted(job["results"], key=lambda seen: seen["config"] != "done")
    assert set(algo_2.values()) == {"FileNotFoundError"}, algo_2
    assert algo_1 == {"config": "done", "output": "done", "relative": "done"}  # its own
    assert (other / "output" / "planted").read_text() == "planted"


CONNECT = (
    ATTEMPT
    + """
import socket
def connect(address):
    def go():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(address)
            s.sendall(b"hello")
    return go
addresses = json.loads(os.environ["SOCKETS"])
print("RESULT " + json.dumps({k: attempt(connect(a.replace("@", "\\0", 1)))
                              for k, a in addresses.items()}), flush=True)
"""
)


@needs_namespaces
def test_network_isolation_cuts_the_hosts_unix_sockets(tmp_path):
    heard: list[bytes] = []
    servers = []
    addresses = {"file": str(tmp_path / "host.sock"), "abstract": f"@asr-{uuid.uuid4().hex}"}
    for address in addresses.values():
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(address.replace("@", "\0", 1))
        server.listen(4)
        servers.append(server)

        def accept(server=server):
            try:
                connection, _ = server.accept()
            except OSError:
                return
            heard.append(connection.recv(16))
            connection.close()

        threading.Thread(target=accept, daemon=True).start()
    try:
        backend = LocalBackend()
        name = unique("sandbox")
        request = make_request(name, stage(CONNECT), env={"SOCKETS": json.dumps(addresses)})
        request["NetworkConfig"] = {"EnableNetworkIsolation": True}
        seen = submit(backend, request)["results"][0]
    finally:
        for server in servers:
            server.close()
    assert seen["file"] != "done" and seen["abstract"] != "done", seen
    assert heard == []


def test_without_namespaces_the_submission_and_describe_say_jobs_are_not_isolated(monkeypatch):
    monkeypatch.setenv(NAMESPACES_ENV, "no")
    backend = LocalBackend()
    name = unique("sandbox")
    request = make_request(name, stage(SHOW_PLANTED))
    notes = backend.check_request(request)
    assert [n for n in notes if "jobs are not isolated here" in n and NAMESPACES_ENV in n]
    described = submit(backend, request)["described"]
    assert described["LocalEngine"]["Sandbox"].startswith("none: ")
    assert "not isolated" in described["LocalEngine"]["Sandbox"]


# A job of the same code as another: with ATTACK, it rewrites the body of the pyc it was
# given (the header still matches the source); with WAIT, it imports mymod only once
# /opt/ml/go exists; else at once. Its RESULT: the attack's outcome, or mymod.VALUE.
SHARED_CODE = (
    ATTEMPT
    + """
import marshal, time
here = os.path.dirname(os.path.abspath(__file__))
pyc = os.path.join(here, "__pycache__", "mymod.%s.pyc" % sys.implementation.cache_tag)
if os.environ.get("ATTACK"):
    def rewrite():
        with open(pyc, "r+b") as f:
            f.seek(16)
            f.write(marshal.dumps(compile("VALUE = 'pwned'", "mymod.py", "exec")))
            f.truncate()
    print("RESULT " + json.dumps({"attack": attempt(rewrite)}), flush=True)
else:
    deadline = time.monotonic() + 120
    while os.environ.get("WAIT") and not os.path.exists("/opt/ml/go"):
        if time.monotonic() > deadline:
            raise SystemExit("never told to go on")
        time.sleep(0.05)
    import mymod
    print("RESULT " + json.dumps({"value": mymod.VALUE}), flush=True)
"""
)


@needs_namespaces
def test_a_job_cannot_change_the_cached_pyc_another_job_was_given():
    backend = LocalBackend()
    code = stage(SHARED_CODE, bootstrap=True)
    put_store(code[len(STORE) + 1 :] + "/mymod.py", "VALUE = 1\n")

    def request(env: dict) -> dict:
        made = make_request(unique("sandbox"), code, env=env)
        made["AppSpecification"]["ContainerEntrypoint"] = BOOTSTRAP_ENTRYPOINT
        return made

    assert submit(backend, request({}))["results"] == [{"value": 1}]  # compiled, kept
    victim = request({"WAIT": "1"})
    name = victim["ProcessingJobName"]
    backend.create_job(victim)  # its pyc placed, not yet imported
    placed = backend.store.job_dir(name) / "algo-1" / "opt" / "ml" / "processing" / "code"
    wait_for(lambda: list(placed.glob("__pycache__/mymod.*.pyc")), timeout=120, what="the pyc")
    attacker = submit(backend, request({"ATTACK": "1"}))["results"][0]
    assert attacker["attack"] != "done"
    (placed.parents[1] / "go").touch()
    described = wait_status(backend, name, timeout=120)
    assert described["ProcessingJobStatus"] == "Completed", described
    results = [m for m in log_messages(backend, name) if m.startswith("RESULT ")]
    assert results == ['RESULT {"value": 1}']


@needs_namespaces
def test_a_masked_unix_socket_refuses_a_job_where_no_hidden_directory_holds_it(tmp_path):
    """Network isolation masks each socket this machine has bound (/proc/net/unix), for
    those outside the directories the sandbox hides or replaces: here, nsinit alone."""
    import sys

    from aws_sagemaker_remote.backends.local.isolation.sandbox import (
        choose_isolation,
        namespace_command,
    )

    path = tmp_path / "host.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    (tmp_path / "ml").mkdir()
    (tmp_path / "scratch").mkdir()
    probe = "import socket; s = socket.socket(socket.AF_UNIX); s.connect(%r); print('reached')"
    try:
        command = namespace_command(
            choose_isolation({}),
            [sys.executable, "-c", probe % str(path)],
            opt_ml=tmp_path / "ml",
            scratch=tmp_path / "scratch",
            hostname="algo-1",
            status_file=tmp_path / "status",
            network=False,
        )
        init = command.index("--")
        sandbox = ["--mask", str(path), "--bind-rw", str(tmp_path), "--read-only", "1"]
        command[init:init] = [*sandbox, "--lock", "1"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    finally:
        server.close()
    assert "reached" not in done.stdout
    assert "ConnectionRefusedError" in done.stderr, done.stderr
