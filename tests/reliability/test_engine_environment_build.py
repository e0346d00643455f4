"""A job environment's build is said once however many instances share it, and a failed
install gives the line that names the problem as the failure reason."""

from __future__ import annotations

import os
import sys

import pytest
from conftest import run_script
from e2e.test_engine_e2e import LOCAL
from wheels import build_wheel

from aws_sagemaker_remote.backends.local.caches.venvs import BuildError, _run

# What uv printed for a package whose setup.py does not parse, its traceback's carets last
UV_BUILD_FAILURE = "\n".join(
    [
        "Using Python 3.11.7 environment at: venv",
        "error: The build backend returned an error",
        "  cause: Call to `setuptools.build_meta:__legacy__.get_requi"
        "res_for_build_wheel` failed (exit status: 1)",
        "",
        "         [stderr]",
        "         Traceback (most recent call last):",
        '           File "/tmp/build_meta.py", line 317, in run_setup',
        "             exec(code, locals())  # noqa: S102 # exec is intentional here",
        "             ^^^^^^^^^^^^^^^^^^^^",
        '           File "<string>", line 2',
        '             setup(name="brokenpkg", version="1.0", install_requires=[)',
        "                                                                      ^",
        "         SyntaxError: closing parenthesis ')' does not match opening parenthesis '['",
        "             ^^^^^^^",
        "",
    ]
)

USES_WHEEL = """
import os
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    import tinywheel
    print("imported", tinywheel.VALUE)

if __name__ == "__main__":
    sagemaker_processing_main(main=main, requirements="requirements.txt", base_job_name="shared")
"""


def test_a_failed_install_names_the_problem_not_the_carets(tmp_path):
    printed = tmp_path / "uv-output.txt"
    printed.write_text(UV_BUILD_FAILURE)
    fake_uv = [
        sys.executable,
        "-c",
        f"import sys; sys.stdout.write(open({str(printed)!r}).read()); sys.exit(1)",
    ]
    said: list[str] = []
    with pytest.raises(BuildError) as raised:
        _run(fake_uv, said.append)
    reason = str(raised.value)
    assert "^^^" not in reason
    assert "The build backend returned an error" in reason
    assert reason.endswith(
        "SyntaxError: closing parenthesis ')' does not match opening parenthesis '['"
    )
    assert said[-1].strip() == "^^^^^^^"  # the log keeps every line


@pytest.mark.e2e
def test_two_instances_print_the_environment_build_once(tmp_path):
    wheel = build_wheel(tmp_path)
    (tmp_path / "requirements.txt").write_text(f"{wheel}\n")
    (tmp_path / "shared.py").write_text(USES_WHEEL)
    done = run_script(
        tmp_path / "shared.py", *LOCAL, "--sagemaker-instance-count", "2", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("imported from a wheel") == 2  # both instances ran
    assert done.stderr.count("installing requirements from requirements.txt") == 1
    assert done.stderr.count("tinywheel==0.1") == 1


@pytest.mark.e2e
def test_an_unresolvable_requirement_is_the_failure_reason(tmp_path):
    (tmp_path / "requirements.txt").write_text("--no-index\nno-such-package-anywhere==1.0\n")
    (tmp_path / "shared.py").write_text(USES_WHEEL)
    done = run_script(tmp_path / "shared.py", *LOCAL, cwd=tmp_path)
    assert done.returncode == 1
    reason = done.stderr.strip().splitlines()[-1]
    assert "reason: AlgorithmError: uv pip install failed with exit code" in reason
    assert "no-such-package-anywhere" in reason


def test_a_quiet_install_says_it_is_still_running(tmp_path, monkeypatch):
    import aws_sagemaker_remote.backends.local.caches.venvs as venvs

    monkeypatch.setattr(venvs, "HEARTBEAT_SECONDS", 0.0)  # every tick, not every 10 s
    gate = tmp_path / "heard"
    quiet = (  # an installer that prints nothing until it was heard to be still running
        "import os, sys, time\n"
        "deadline = time.monotonic() + 60\n"
        f"while not os.path.exists({str(gate)!r}) and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
        "print('installed')\n"
    )
    said: list[str] = []

    def say(line: str) -> None:
        said.append(line)
        if "still running" in line:
            gate.touch()

    _run([sys.executable, "-c", quiet], say)
    program = os.path.basename(sys.executable)
    assert any(line.startswith(f"{program} -c ") and "still running" in line for line in said)
    assert said[-1] == "installed"
