"""The bootstrap, run as the container runs it: a real subprocess on a plain file path.

Each test lays out a temporary directory like ``/opt/ml/processing`` and passes the real
``/opt/ml/...`` paths with ``AWS_SAGEMAKER_REMOTE_OPT_ML`` pointing at it, so the path
mapping the local engine relies on is exercised by every run.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from wheels import build_wheel

from aws_sagemaker_remote.script import bootstrap

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "aws_sagemaker_remote" / "script" / "bootstrap.py"
PREFIX = "[aws-sagemaker-remote] "

SCRIPT = """\
import json, os, sys
report = {
    "argv": sys.argv,
    "executable": sys.executable,
    "MY_EXPORT": os.environ.get("MY_EXPORT"),
    "TO_UNSET present": "TO_UNSET" in os.environ,
    "PYTHONPATH": os.environ.get("PYTHONPATH"),
}
for name in ("mypkg", "tinywheel"):
    try:
        report[name] = __import__(name).VALUE
    except ImportError:
        report[name] = None
with open(sys.argv[1], "w") as f:
    json.dump(report, f)
if "--exit" in sys.argv:
    sys.exit(int(sys.argv[sys.argv.index("--exit") + 1]))
"""

SETUP_SH = """\
export MY_EXPORT="hello world"
unset TO_UNSET
echo "configuring from setup.sh"
"""

REPORT = "/opt/ml/processing/output/report.json"
SCRIPT_PATH = "/opt/ml/processing/code/script.py"


@pytest.fixture()
def opt_ml(tmp_path: Path) -> Path:
    """A directory laid out like /opt/ml in a processing container."""
    root = tmp_path / "opt" / "ml"
    processing = root / "processing"
    files = {
        "code/script.py": SCRIPT,
        "modules/mymod/mypkg/__init__.py": "VALUE = 'from mymod'\n",
        "modules/other/.keep": "",
        "configuration/setup.sh": SETUP_SH,
        "input/data/a.txt": "alpha\n",
        "output/.keep": "",
    }
    for relative, text in files.items():
        path = processing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run(opt_ml: Path, *options: str, args=(), env=None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    full_env.update({"AWS_SAGEMAKER_REMOTE_OPT_ML": str(opt_ml), **(env or {})})
    command = [sys.executable, str(BOOTSTRAP), "--script", SCRIPT_PATH, *options]
    command += ["--", REPORT, *args]
    return subprocess.run(
        command,
        env=full_env,
        cwd=opt_ml.parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


def report(opt_ml: Path) -> dict:
    return json.loads((opt_ml / "processing/output/report.json").read_text())


def failure_line(done: subprocess.CompletedProcess) -> str:
    """The bootstrap's last stderr line: the one-line message of a failed step."""
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(PREFIX)
    return line


@pytest.mark.e2e
def test_arguments_reach_the_script_with_opt_ml_paths_mapped(opt_ml):
    m = str(opt_ml)
    done = run(
        opt_ml,
        args=[
            "--input",
            "/opt/ml/processing/input/data",
            "--flag=/opt/ml/processing/input/data/a.txt",
            "/opt/ml",
            f"{m}/processing/input/data",
            "/opt/mlx/other",
            "s3://bucket/opt/ml/key",
            "relative/opt/ml",
            "--name=value",
            "--sagemaker-run",
            "false",
            "--",
            "--after-separator",
        ],
    )
    assert done.returncode == 0, done.stderr
    assert report(opt_ml)["argv"] == [
        f"{m}/processing/code/script.py",
        f"{m}/processing/output/report.json",
        "--input",
        f"{m}/processing/input/data",
        f"--flag={m}/processing/input/data/a.txt",
        m,
        f"{m}/processing/input/data",
        "/opt/mlx/other",
        "s3://bucket/opt/ml/key",
        "relative/opt/ml",
        "--name=value",
        "--sagemaker-run",
        "false",
        "--",
        "--after-separator",
    ]
    assert done.stdout == ""
    assert f"{PREFIX}/opt/ml is mapped to {m}" in done.stderr.splitlines()
    assert any(line.startswith(f"{PREFIX}running ") for line in done.stderr.splitlines())


@pytest.mark.e2e
def test_module_dirs_are_prepended_to_pythonpath(opt_ml):
    done = run(
        opt_ml,
        "--python-path",
        "/opt/ml/processing/modules/mymod",
        "--python-path",
        "/opt/ml/processing/modules/other",
        env={"PYTHONPATH": "/existing/dir"},
    )
    assert done.returncode == 0, done.stderr
    result = report(opt_ml)
    assert result["mypkg"] == "from mymod"
    assert result["PYTHONPATH"] == os.pathsep.join(
        [
            f"{opt_ml}/processing/modules/mymod",
            f"{opt_ml}/processing/modules/other",
            "/existing/dir",
        ]
    )


@pytest.mark.e2e
def test_configuration_script_exports_and_unsets_reach_the_script(opt_ml):
    done = run(
        opt_ml,
        "--configuration-script",
        "/opt/ml/processing/configuration/setup.sh",
        env={"TO_UNSET": "present"},
    )
    assert done.returncode == 0, done.stderr
    result = report(opt_ml)
    assert result["MY_EXPORT"] == "hello world"
    assert result["TO_UNSET present"] is False
    assert "configuring from setup.sh" in done.stderr
    assert done.stdout == ""


@pytest.mark.e2e
def test_configuration_command_runs_after_the_script_and_sees_its_exports(opt_ml):
    command = (
        "printf '%s' \"$MY_EXPORT\" > "
        '"${AWS_SAGEMAKER_REMOTE_OPT_ML:-/opt/ml}/processing/output/command.txt"; '
        "echo command-output"
    )
    done = run(
        opt_ml,
        "--configuration-script",
        "/opt/ml/processing/configuration/setup.sh",
        "--configuration-command",
        command,
    )
    assert done.returncode == 0, done.stderr
    assert (opt_ml / "processing/output/command.txt").read_text() == "hello world"
    assert "command-output" in done.stderr
    assert done.stdout == ""
    assert report(opt_ml)["MY_EXPORT"] == "hello world"


@pytest.mark.e2e
def test_the_scripts_exit_code_is_the_jobs(opt_ml):
    done = run(opt_ml, args=["--exit", "3"])
    assert done.returncode == 3
    assert report(opt_ml)["argv"][-2:] == ["--exit", "3"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("setup", "code", "words"),
    [
        ("echo about to fail\nreturn 5\n", 5, "configuration script"),
        ("false\n", 1, "configuration script"),
        ("exit 0\n", 1, "configuration script"),
    ],
    ids=["return-5", "false", "exit-0"],
)
def test_a_failing_configuration_script_stops_the_job(opt_ml, setup, code, words):
    (opt_ml / "processing/configuration/setup.sh").write_text(setup)
    done = run(opt_ml, "--configuration-script", "/opt/ml/processing/configuration/setup.sh")
    assert done.returncode == code
    line = failure_line(done)
    assert words in line
    assert f"{opt_ml}/processing/configuration/setup.sh" in line
    assert not (opt_ml / "processing/output/report.json").exists()


@pytest.mark.e2e
def test_a_failing_configuration_command_stops_the_job(opt_ml):
    done = run(opt_ml, "--configuration-command", "echo trying; exit 7")
    assert done.returncode == 7
    assert failure_line(done) == f"{PREFIX}configuration command failed with exit code 7"
    assert not (opt_ml / "processing/output/report.json").exists()


@pytest.mark.e2e
def test_a_missing_interpreter_exits_127(opt_ml):
    done = run(opt_ml, "--python", "no-such-python-interpreter")
    assert done.returncode == 127
    assert failure_line(done) == f"{PREFIX}python interpreter not found: no-such-python-interpreter"


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory) -> Path:
    """A throwaway venv with pip, so installing requirements never touches ours."""
    directory = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True, timeout=120)
    return directory / "bin" / "python"


@pytest.mark.e2e
def test_requirements_are_installed_before_the_script_runs(opt_ml, venv_python):
    requirements = opt_ml / "processing/requirements"
    requirements.mkdir()
    wheel = build_wheel(requirements)
    (requirements / "requirements.txt").write_text(f"{wheel}\n")
    done = run(
        opt_ml,
        "--requirements",
        "/opt/ml/processing/requirements/requirements.txt",
        "--python",
        str(venv_python),
    )
    assert done.returncode == 0, done.stderr
    result = report(opt_ml)
    assert result["tinywheel"] == "from a wheel"
    assert result["executable"] == str(venv_python)
    assert "Successfully installed tinywheel-0.1" in done.stderr
    assert done.stdout == ""


@pytest.mark.e2e
def test_a_failing_pip_install_stops_the_job(opt_ml, venv_python):
    requirements = opt_ml / "processing/requirements"
    requirements.mkdir()
    (requirements / "requirements.txt").write_text(f"{requirements}/missing-0.1-py3-none-any.whl\n")
    done = run(
        opt_ml,
        "--requirements",
        "/opt/ml/processing/requirements/requirements.txt",
        "--python",
        str(venv_python),
    )
    assert done.returncode != 0
    line = failure_line(done)
    assert line.startswith(f"{PREFIX}pip install -r {requirements}/requirements.txt failed")
    assert line.endswith(f"exit code {done.returncode}")
    assert not (opt_ml / "processing/output/report.json").exists()


def test_main_maps_onto_the_given_directory_and_returns_failure_codes(tmp_path, capsys):
    argv = ["--script", "/opt/ml/processing/code/x.py", "--python", "/opt/ml/no/python", "--"]
    assert bootstrap.main(argv, opt_ml=str(tmp_path)) == 127
    assert f"interpreter not found: {tmp_path}/no/python" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/opt/ml", "/m"),
        ("/opt/ml/", "/m/"),
        ("/opt/ml/processing/x", "/m/processing/x"),
        ("/m/processing/x", "/m/processing/x"),
        ("/opt/mlx", "/opt/mlx"),
        ("opt/ml/x", "opt/ml/x"),
        ("", ""),
    ],
)
def test_map_path(value, expected):
    assert bootstrap.map_path(value, "/m/") == expected
    assert bootstrap.map_path(bootstrap.map_path(value, "/m"), "/m") == expected
    assert bootstrap.map_path(value, None) == value


def test_map_argument_maps_only_the_value_of_a_flag():
    assert bootstrap.map_argument("--in=/opt/ml/a=b", "/m") == "--in=/m/a=b"
    assert bootstrap.map_argument("--in=/opt/mlx", "/m") == "--in=/opt/mlx"
    assert bootstrap.map_argument("x=/opt/ml/a", "/m") == "x=/opt/ml/a"


@pytest.mark.e2e
def test_requirements_the_local_engine_installed_are_not_installed_again(opt_ml, venv_python):
    requirements = opt_ml / "processing/requirements"
    requirements.mkdir()
    (requirements / "requirements.txt").write_text("no-such-package-anywhere==0\n")
    path = "/opt/ml/processing/requirements/requirements.txt"
    env = {"AWS_SAGEMAKER_REMOTE_REQUIREMENTS_INSTALLED": path}
    done = run(opt_ml, "--requirements", path, "--python", str(venv_python), env=env)
    assert done.returncode == 0, done.stderr
    assert "installed in the job's environment already" in done.stderr
    assert "AWS_SAGEMAKER_REMOTE_REQUIREMENTS_INSTALLED" not in report(opt_ml)["argv"]


def test_the_file_is_python_3_7_and_standard_library_only():
    tree = ast.parse(BOOTSTRAP.read_text(), feature_version=(3, 7))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative imports cannot work from a plain file"
            imported.add(node.module.split(".")[0])
    assert imported, "the walk found no imports at all"
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
