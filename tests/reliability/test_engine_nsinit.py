"""nsinit runs our bootstrap in its own child instead of a second interpreter: only when
that child is what ``python -S SCRIPT`` would be, and with the script's own exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aws_sagemaker_remote.backends.local.isolation import nsinit
from aws_sagemaker_remote.backends.local.isolation.sandbox import (
    NAMESPACES,
    NSINIT,
    Isolation,
    namespace_command,
)

SCRIPT = """
import os, sys
print("argv", sys.argv[1:])
print("name", __name__, os.path.basename(__file__))
print("path0", sys.path[0] == os.path.dirname(os.path.abspath(__file__)))
print("in-process", "ctypes" in sys.modules)
print("marker", os.environ.get("AWS_SAGEMAKER_REMOTE_JOB_DIR"))
sys.exit(int(sys.argv[1]))
"""

RUN = (
    "import sys; sys.path.insert(0, sys.argv[3]); "
    "from aws_sagemaker_remote.backends.local.isolation import nsinit; "
    "sys.exit(nsinit.run([sys.executable, '-S', sys.argv[1], *sys.argv[4:]], sys.argv[2], True))"
)
ROOT = str(Path(nsinit.__file__).parents[4])


def _nsinit_run(script: Path, status: Path, *args: str, env: dict[str, str]):
    """nsinit.run in a process started as the runner starts nsinit (-I -S)."""
    command = [sys.executable, "-I", "-S", "-c", RUN, str(script), str(status), ROOT, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env)


def test_the_bootstrap_runs_in_nsinits_child_as_its_script(tmp_path):
    script = tmp_path / "bootstrap.py"
    script.write_text(SCRIPT)
    status = tmp_path / "status"
    env = {"PATH": "/usr/bin:/bin", "AWS_SAGEMAKER_REMOTE_JOB_DIR": "/x", "PYTHONUNBUFFERED": "1"}
    done = _nsinit_run(script, status, "3", "a b", env=env)
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines() == [
        "argv ['3', 'a b']",
        "name __main__ bootstrap.py",
        "path0 True",
        "in-process True",
        "marker None",  # the runner's marker is not the job's
    ]
    assert status.read_text().strip() == str(3 << 8)  # a wait status, as for an exec'd child
    done = _nsinit_run(script, status, "0", env={**env, "PYTHONPATH": "/m"})
    assert done.returncode == 0 and "in-process False" in done.stdout, done.stderr


def test_an_interpreter_variable_or_another_python_means_exec():
    env = {"PATH": "/bin", "PYTHONUNBUFFERED": "1"}
    assert nsinit.runs_here([sys.executable, "-S", "b.py"], env)
    assert not nsinit.runs_here([sys.executable, "-S", "b.py"], {**env, "PYTHONPATH": "/m"})
    assert not nsinit.runs_here([sys.executable, "b.py"], env)  # site would be imported
    assert not nsinit.runs_here(["/other/python", "-S", "b.py"], env)


def test_an_uncaught_exception_in_the_script_is_a_traceback_and_exit_1(tmp_path):
    script = tmp_path / "bootstrap.py"
    script.write_text("raise RuntimeError('boom')\n")
    done = _nsinit_run(script, tmp_path / "status", env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "RuntimeError: boom" in done.stderr


def test_the_bootstrap_gets_nsinit_under_the_jobs_python(tmp_path):
    isolation = Isolation(NAMESPACES, "test", "/usr/bin/unshare")
    python = str(tmp_path / "env" / "bin" / "python")
    bootstrap = "/opt/ml/processing/code/aws_sagemaker_remote/script/bootstrap.py"
    paths = dict(opt_ml=tmp_path, scratch=tmp_path, hostname="algo-1", status_file=tmp_path)
    command = namespace_command(isolation, [python, "-S", bootstrap, "--", "x"], **paths)
    init = command[command.index(python) :]
    assert init[1:4] == ["-I", "-S", str(NSINIT)]
    assert init[init.index("--in-process") + 1] == "1"
    assert init[init.index("--fallback-python") + 1] == sys.executable
    other = namespace_command(isolation, ["bash", "-c", "true"], **paths)
    assert sys.executable in other and "--in-process" not in other


def test_a_python_without_ctypes_starts_nsinit_again_under_the_fallback(monkeypatch):
    started = []
    monkeypatch.setattr(nsinit, "ctypes", None)
    monkeypatch.setattr(nsinit.os, "execv", lambda path, argv: started.append(argv))
    argv = ["--opt-ml", "/o", "--scratch", "/s", "--status-file", "/f", "--in-process", "1"]
    argv += ["--fallback-python", "/engine/python", "--", "/job/python", "-S", "b.py"]
    nsinit.main(argv)  # the exec is captured; main then fails to mount, as it would
    assert started[0][:4] == ["/engine/python", "-I", "-S", nsinit.__file__]
    again = started[0][4:]
    assert "--in-process" not in again
    assert again[again.index("--") + 1 :] == ["/job/python", "-S", "b.py"]
