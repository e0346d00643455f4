"""A keyword of the wrong type is one line naming the keyword, never a traceback or text.

``sagemaker_processing_main`` exits 2 with the line; ``submit`` / ``request`` raise a
``KeywordError`` (a UserError that is also a TypeError). Nothing is created either way.
"""

from __future__ import annotations

import argparse
import os
import types

import pytest
from faultproxy import wait_for

import aws_sagemaker_remote as asr
from aws_sagemaker_remote.args import PathArgument
from aws_sagemaker_remote.errors import KeywordError, UserError
from aws_sagemaker_remote.processing import sagemaker_processing_main

SCRIPT = "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"

# keyword -> a value of a type it does not take
MAIN_MISTAKES = [
    ("role", 5),
    ("tags", [1]),
    ("tags", {"team": None}),
    ("env", {"A": None}),
    ("env", ["A=1", None]),
    ("env", "A=1"),
    ("additional_arguments", [{"nodest": 1}]),
    ("additional_arguments", [{"dest": 5}]),
    ("additional_arguments", {"dest": "--x"}),
    ("additional_arguments", [("--x",)]),
    ("inputs", "notadict"),
    ("inputs", {"data": 5}),
    ("inputs", {5: "data"}),
    ("inputs", {"data": PathArgument(local=5)}),
    ("inputs", {"data": PathArgument("data", optional="yes")}),
    ("outputs", ["out"]),
    ("outputs", {"out": ("out", 5)}),
    ("modules", {"lib": 5}),
    ("modules", {"lib": types.ModuleType("nofile")}),
    ("dependencies", "lib"),
    ("instance_count", 2.5),
    ("instance_count", True),
    ("runtime_seconds", [60]),
    ("wait", "perhaps"),
    ("run", 2),
    ("subnets", [1, 2]),
    ("subnets", 7),
    ("image", b"bytes"),
    ("description", 3),
    ("argparse_callback", "not callable"),
    ("argv", "--x"),
    ("argv", [None]),
    ("main", None),
    ("requirements", 12),
    ("no_such_keyword", 1),
]


@pytest.fixture()
def script(tmp_path):
    path = tmp_path / "job.py"
    path.write_text(SCRIPT)
    return str(path)


def one_line_exit(capsys, call) -> str:
    with pytest.raises(SystemExit) as caught:
        call()
    assert caught.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert captured.out == ""
    return lines[0]


@pytest.mark.parametrize("keyword, value", MAIN_MISTAKES)
def test_sagemaker_processing_main_names_the_keyword(script, capsys, keyword, value):
    given = {"main": print, "script": script, "argv": [], keyword: value}
    line = one_line_exit(capsys, lambda: sagemaker_processing_main(**given))
    assert f"{keyword}=" in line, line


def test_a_deeply_nested_local_module_is_not_a_recursion_error(tmp_path, capsys):
    (tmp_path / "deep.py").write_text("x = 1" + "+1" * 100_000 + "\n")
    (tmp_path / "job.py").write_text("import deep\n")
    request = asr.request(tmp_path / "job.py", instance="local")
    assert request["ProcessingJobName"]


API_MISTAKES = [
    ("arguments", [None]),
    ("arguments", ["--x", object()]),
    ("arguments", "--x 1"),
    ("env", {"A": None}),
    ("tags", [1]),
    ("role", 5),
    ("inputs", "notadict"),
    ("on_event", "print"),
    ("network_isolation", "sometimes"),
]


@pytest.mark.parametrize("keyword, value", API_MISTAKES)
def test_the_api_raises_a_keyword_error(script, keyword, value):
    for call in (asr.request, asr.submit):
        with pytest.raises(KeywordError) as caught:
            call(script, instance="local", **{keyword: value})
        assert isinstance(caught.value, (UserError, TypeError))
        assert caught.value.field == keyword
        assert caught.value.one_line().startswith(f"{keyword}=: takes ")


def test_submit_refuses_a_wait_that_is_no_boolean(script):
    with pytest.raises(KeywordError, match="wait=: takes True or False"):
        asr.submit(script, instance="local", wait="later")
    with pytest.raises(KeywordError, match="script=: takes a path"):
        asr.request(5)
    with pytest.raises(KeywordError, match="local=: takes True or False"):
        asr.attach("some-job", local=[])


def test_the_api_keeps_every_argument_as_given(script):
    request = asr.request(script, instance="local", arguments=["--n", 2, "--flag"], env={"N": 3})
    arguments = request["AppSpecification"]["ContainerArguments"]
    assert arguments[:3] == ["--n", "2", "--flag"]
    assert request["Environment"]["N"] == "3"


SLOW_JOB = """
import os, time
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    # the gate is in the job's own /opt/ml: the test's directories are hidden from the job
    opt_ml = os.environ.get("AWS_SAGEMAKER_REMOTE_OPT_ML", "/opt/ml")
    go = os.path.join(opt_ml, "go")
    open(os.path.join(opt_ml, "waiting"), "w").close()
    deadline = time.monotonic() + 120
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.05)

if __name__ == "__main__":
    sagemaker_processing_main(main=main, script=__file__)
"""


@pytest.mark.e2e
def test_submit_wait_no_does_not_wait(tmp_path, private_state):
    (tmp_path / "slow.py").write_text(SLOW_JOB)
    job = asr.submit(tmp_path / "slow.py", instance="local", wait="no", local_host_credentials=True)
    assert job.status() not in ("Completed", "Failed", "Stopped")  # it returned before the end
    opt_ml = private_state / "jobs" / job.name / "algo-1" / "opt" / "ml"
    wait_for((opt_ml / "waiting").exists)  # the job made its /opt/ml and waits
    (opt_ml / "go").write_text("")
    assert job.wait() == "Completed"


def test_additional_arguments_that_argparse_refuses_are_one_line(script, capsys):
    bad = [{"dest": "--width", "nargs": "many"}]
    given = {"main": print, "script": script, "argv": [], "additional_arguments": bad}
    line = one_line_exit(capsys, lambda: sagemaker_processing_main(**given))
    assert "additional_arguments=" in line


def test_good_keywords_still_run_main(script, tmp_path):
    seen = []
    os.makedirs(tmp_path / "data")
    sagemaker_processing_main(
        main=seen.append,
        script=script,
        argv=[],
        inputs={"data": tmp_path / "data"},
        env={"A": 1},
        wait="no",
        additional_arguments=[{"dest": "--width", "default": 3}],
        argparse_callback=lambda p: p.add_argument("--extra", default="e"),
    )
    assert isinstance(seen[0], argparse.Namespace)
    assert (seen[0].data, seen[0].width, seen[0].extra) == (str(tmp_path / "data"), 3, "e")
