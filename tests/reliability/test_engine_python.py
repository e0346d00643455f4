"""A local job runs under its image's Python, with requirements in a cached
environment installed once, and nothing ever installed into this machine's Python."""

from __future__ import annotations

import importlib.util
import json
import os
import stat

import pytest
from conftest import run_script
from e2e.test_engine_e2e import LOCAL, describe, unique
from wheels import build_wheel

from aws_sagemaker_remote.backends.local.caches.pythons import find_python, probe

pytestmark = pytest.mark.e2e  # real jobs, subprocesses or fault timeouts: seconds each

REPORTS = """
import json, os, sys
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    try:
        import tinywheel
        value = tinywheel.VALUE
    except ImportError:
        value = None
    report = {"version": list(sys.version_info[:2]), "tinywheel": value,
              "prefix": sys.prefix}
    with open(os.path.join(args.output, "report.json"), "w") as f:
        json.dump(report, f)
sagemaker_processing_main(main=main, outputs={"output": "out"})
"""


def runnable(version: str) -> bool:
    found = find_python(version)
    return found.found_by != "host" and probe(found.path) is not None


def run_job(tmp_path, *flags: str, source: str = REPORTS, folder=None) -> tuple[dict, dict]:
    script = (folder or tmp_path) / "reports.py"
    script.write_text(source)
    name = unique("py")
    out = tmp_path / name
    done = run_script(
        script, *LOCAL, "--sagemaker-job-name", name, "--output", out, *flags, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    return json.loads((out / "report.json").read_text()), describe(name)


@pytest.mark.skipif(not runnable("3.9"), reason="no runnable Python 3.9 here")
def test_the_default_image_means_python_3_9(tmp_path):
    report, described = run_job(tmp_path)
    assert report["version"] == [3, 9]
    assert described["LocalEngine"]["Python"].startswith("3.9.")


@pytest.mark.skipif(not runnable("3.8"), reason="no runnable Python 3.8 here")
def test_sagemaker_python_names_the_version(tmp_path):
    report, _ = run_job(tmp_path, "--sagemaker-python", "python3.8")
    assert report["version"] == [3, 8]


def test_a_shim_that_does_not_run_is_not_taken_for_the_interpreter(tmp_path, monkeypatch):
    shim = tmp_path / "bin" / "python3.4"
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.4: command not found' >&2\nexit 127\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    found = find_python("3.4")
    assert found.found_by == "host" and found.path != str(shim)
    assert "Python 3.4 was not found" in found.note


@pytest.mark.e2e
def test_requirements_install_once_into_a_shared_environment(tmp_path):
    wheel = build_wheel(tmp_path)
    (tmp_path / "requirements.txt").write_text(f"{wheel}\n")
    first, described = run_job(tmp_path, "--sagemaker-requirements", "requirements.txt")
    second, again = run_job(tmp_path, "--sagemaker-requirements", "requirements.txt")

    assert first["tinywheel"] == second["tinywheel"] == "from a wheel"
    layer = described["LocalEngine"]["Environment"]
    assert again["LocalEngine"]["Environment"] == layer  # the same layer, not a copy
    assert importlib.util.find_spec("tinywheel") is None


@pytest.mark.e2e
def test_pip_install_in_a_configuration_command_stays_in_the_job(tmp_path):
    # shipped with the script (its source_dir): a job sees no host path such as tmp_path
    folder = tmp_path / "src"
    folder.mkdir()
    wheel = build_wheel(folder)
    shipped = f"/opt/ml/processing/code/{wheel.name}"
    command = f"pip install --no-index --disable-pip-version-check {shipped}"
    source = REPORTS.replace(
        'outputs={"output": "out"})',
        'outputs={"output": "out"}, source_dir=os.path.dirname(os.path.abspath(__file__)))',
    )
    installed, described = run_job(
        tmp_path, "--sagemaker-configuration-command", command, source=source, folder=folder
    )
    plain, again = run_job(tmp_path)

    assert installed["tinywheel"] == "from a wheel"
    assert installed["prefix"].startswith(described["LocalEngine"]["JobDirectory"])
    assert plain["tinywheel"] is None  # the shared environment was not changed
    assert again["LocalEngine"]["Environment"] == described["LocalEngine"]["Environment"]
    assert importlib.util.find_spec("tinywheel") is None
