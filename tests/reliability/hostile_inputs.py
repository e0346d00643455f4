"""Hostile and mistaken inputs, tried the way the audit of issue 18 tried them, with totals.

Every case states what it expects: *refused* (exit 2, exactly one line on stderr, no
traceback, nothing printed on stdout, so no request and no job) or *accepted* (exit 0).
Each outcome is classified:

- ``one-line``: refused as expected, in one clear line;
- ``traceback``: an exception escaped (a Python traceback);
- ``silent``: accepted although it should have been refused, or a hang (a subprocess
  case that does not end within its timeout);
- ``messy``: refused, but not in one line, or with another exit code;
- ``accepted`` / ``refused-wrongly``: the outcome of the cases that must be accepted.

The goal is 0 tracebacks, 0 silent and 0 messy. Cases run in this process where they can
(a processing script's ``sagemaker_processing_main(argv=...)``, the Python API's
``request``, the ``jobs`` command's ``main``), as dry runs on the local engine or against
SageMaker with no credentials, so nothing reaches AWS and nothing is created; bad files on
disk (symlink loops, fifos, secrets) run the script in a subprocess with a timeout.

Run it from the repository root::

    python -m tests.reliability.hostile_inputs        # the totals, and every case not as expected
    python -m tests.reliability.hostile_inputs -v     # every case with its first stderr line
    python -m tests.reliability.hostile_inputs -v api # only the cases whose id holds "api"

``tests/reliability/test_hostile_inputs.py`` runs the same table under pytest.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import subprocess
import sys
import tempfile
import traceback
import types
from collections import Counter
from pathlib import Path
from typing import Any, Callable, NamedTuple

from aws_sagemaker_remote.args import PathArgument

SCRIPT = """
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    print("main ran")

if __name__ == "__main__":
    sagemaker_processing_main(
        main=main, script=__file__,
        inputs={"data": "data"}, outputs={"out": "out"}, modules={"lib": "lib"},
    )
"""
DRY = ["--sagemaker-dry-run", "true", "--sagemaker-instance", "local"]
SUBPROCESS_TIMEOUT = 60
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"


class Case(NamedTuple):
    """One input. ``surface``: cli (the script's argv), main (keywords of
    sagemaker_processing_main), api (keywords of request), jobs (the jobs command's argv)
    or file (``setup`` changes the project; the script runs in a subprocess)."""

    id: str
    surface: str
    args: Any = ()  # argv (cli, jobs, file) or keywords (main, api)
    refused: bool = True
    setup: Callable[[Path], Any] | None = None


class Outcome(NamedTuple):
    kind: str  # one-line, traceback, silent, messy, accepted, refused-wrongly
    code: Any
    err: str


# --- the project every case starts from ------------------------------------------------------


def make_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "job.py").write_text(SCRIPT)
    (root / "data").mkdir()
    (root / "data" / "a.txt").write_text("a\n")
    (root / "lib").mkdir()
    (root / "lib" / "__init__.py").write_text("")
    (root / "requirements.txt").write_text("six\n")
    (root / "conf.sh").write_text("export A=1\n")
    (root / "file.txt").write_text("x\n")
    (root / "empty").mkdir()
    (root / "other").mkdir()
    return root


def environment(state: Path) -> dict[str, str]:
    """No credentials, an endpoint on 127.0.0.1 that answers nothing, a private state dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(state / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(state / "no-aws-credentials"),
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_SAGEMAKER_REMOTE_HOME=str(state / "state"),
    )
    return env


# --- the cases -------------------------------------------------------------------------------


def _cli(flag_values: dict[str, list[str]]) -> list[Case]:
    return [
        Case(f"cli {flag} {value!r}"[:90], "cli", [flag, value])
        for flag, values in flag_values.items()
        for value in values
    ]


CLI_BAD = {
    "--sagemaker-run": ["maybe", "", "2"],
    "--sagemaker-wait": ["perhaps", "yess"],
    "--sagemaker-dry-run": ["sometimes"],
    "--sagemaker-download": ["x"],
    "--sagemaker-instance": ["ml.t3.mediun", "", "ml.x", "local ", "ml.t3.medium;rm"],
    "--sagemaker-instance-count": ["0", "-1", "x", "1.5", "99999999999999999999", "101"],
    "--sagemaker-runtime-seconds": ["0", "777601", "-5", "abc", "1e3", "99999999999999999999"],
    "--sagemaker-volume-size": ["0", "-1", "x", "99999999"],
    "--sagemaker-job-name": ["bad name", "-lead", "a" * 64, "名前", "a_b", "a-", "job/x"],
    "--sagemaker-base-job-name": ["---", "!!!"],
    "--sagemaker-image": ["has space", " ", "x" * 300],
    "--sagemaker-role": ["role with space", "arn:aws:iam::123:role/x", "r" * 200, "arn:bad"],
    "--sagemaker-env": ["NOEQUALS", "=v", "1BAD=x", "A=" + "x" * 257, "A B=c", "A-B=c"],
    "--sagemaker-tag": ["k", "aws:x=y", "k=" + "v" * 257, "k" * 129 + "=v", "k=bad#char", "=v"],
    "--sagemaker-subnets": ["subnet 1", "subnet-1"],
    "--sagemaker-security-groups": ["sg-1", "sg 1"],
    "--sagemaker-s3-prefix": [
        "notaurl",
        "s3://",
        "s3:///key",
        "s3://BAD_BUCKET/x",
        "s3://aws-sagemaker-remote-local-store/x",
        "http://host/x",
        "s3://b/" + "k" * 1100,
    ],
    "--sagemaker-requirements": ["missing.txt", "data", "/dev/null"],
    "--sagemaker-configuration-script": ["missing.sh", "data"],
    "--sagemaker-source-dir": ["missing", "file.txt", "other", "/"],
    "--sagemaker-output-json": ["/nonexistent/dir/x.json", "data"],
    "--sagemaker-python": ["", "py thon"],
    "--sagemaker-volume-kms-key": ["has space", " "],
    "--sagemaker-output-kms-key": ["has space"],
    "--sagemaker-experiment-run": ["r"],
    "--sagemaker-trial": ["t t"],
    "--sagemaker-experiment": ["e e"],
    "--sagemaker-input-mount": [
        "relative",
        "/",
        "/opt/ml/x",
        "../../etc",
        "/opt/ml/processing/code",
    ],
    "--sagemaker-output-mount": [
        "/opt/ml/processing/..",
        "/tmp/out",
        "/opt/ml/processing/input/data",
    ],
    "--sagemaker-module-mount": ["/opt/ml/processing/./m", "opt/ml/processing/m"],
    "--sagemaker-profile": ["no-such-profile"],
    "--sagemaker-docker": ["twice"],
    "--sagemaker-network-isolation": ["x"],
    "--sagemaker-follow-external-links": ["y e s"],
    "--sagemaker-allow-secrets": ["of course"],
    "--sagemaker-script": ["missing.py", "data"],
    "--data": [
        "missing",
        "http://host/x",
        "s3://",
        "s3://b/../x",
        "job://",
        "job://bad name/out",
        "job://j",
        "empty",
        "/dev/null",
        "",
        "ftp://x/y",
    ],
    "--data-mode": ["Pip", "pipe-ish", "Pipe"],
    "--data-distribution": ["Sharded", "x"],
    "--data-data-type": ["Manifest", "ManifestFile"],
    "--out": ["file.txt", "data", "data/sub", "", "/proc/self/x"],
    "--out-s3": ["notaurl", "s3://", "http://x/y"],
    "--out-mode": ["Sometimes"],
    "--lib": ["missing", "file.txt"],
    "--bogus": ["1"],
}


def _cli_cases() -> list[Case]:
    cases = _cli(CLI_BAD)
    cases += [
        Case(
            "cli 101 env entries",
            "cli",
            [a for i in range(101) for a in ("--sagemaker-env", f"V{i}=1")],
        ),
        Case("cli 51 tags", "cli", [a for i in range(51) for a in ("--sagemaker-tag", f"k{i}=v")]),
        Case(
            "cli subnets without security groups on SageMaker",
            "cli",
            ["--sagemaker-subnets", "subnet-1", "--sagemaker-instance", "ml.t3.medium"],
        ),
        Case(
            "cli instance count 2 with an instance typo",
            "cli",
            ["--sagemaker-instance-count", "2", "--sagemaker-instance", "ml.t3.mediun"],
        ),
        Case(
            "cli output s3 overlaps input s3",
            "cli",
            ["--data", "s3://b/in", "--out", "s3://b/in/out"],
        ),
        Case("cli an output inside a module", "cli", ["--out", "lib/out"]),
        Case("cli a positional argument", "cli", ["stray"]),
        Case("cli abbreviated flag", "cli", ["--sagemaker-inst", "local"]),
        Case("cli Pipe on the local engine", "cli", ["--data-mode", "Pipe"]),
        Case(
            "cli runtime too long on SageMaker",
            "cli",
            ["--sagemaker-instance", "ml.t3.medium", "--sagemaker-runtime-seconds", "777601"],
        ),
        Case(
            "cli volume 0 on SageMaker",
            "cli",
            ["--sagemaker-instance", "ml.t3.medium", "--sagemaker-volume-size", "0"],
        ),
        Case("cli instance typo on SageMaker", "cli", ["--sagemaker-instance", "ml.m5.xlarg"]),
        Case(
            "cli image with a space on SageMaker",
            "cli",
            ["--sagemaker-instance", "ml.t3.medium", "--sagemaker-image", "a b"],
        ),
    ]
    accepted = [
        ["--sagemaker-wait", "no"],
        ["--sagemaker-env", "A=1"],
        ["--sagemaker-tag", "k=v"],
        ["--sagemaker-runtime-seconds", "777600"],
        ["--sagemaker-input-mount", "/opt/ml/processing/in/"],
        ["--sagemaker-input-mount", "/opt/ml/processing"],
        ["--data", "s3://bucket/prefix/"],
        ["--sagemaker-instance", "ml.t3.medium"],
        ["--sagemaker-job-name", "a" * 63],
        ["--data-mode", "file"],
        ["--lib", ""],  # a module left empty is not shipped, as an optional input
    ]
    cases += [Case(f"cli accepts {' '.join(a)[:60]}", "cli", a, refused=False) for a in accepted]
    return cases


def _main_cases() -> list[Case]:
    bad: list[tuple[str, Any]] = [
        ("role", 5),
        ("tags", [1]),
        ("tags", {"team": None}),
        ("tags", {"k": ["v"]}),
        ("env", {"A": None}),
        ("env", {"A": {"B": 1}}),
        ("env", ["A=1", None]),
        ("env", "A=1"),
        ("env", {1: "x"}),
        ("additional_arguments", [{"nodest": 1}]),
        ("additional_arguments", [{"dest": 5}]),
        ("additional_arguments", {"dest": "--x"}),
        ("additional_arguments", [("--x",)]),
        ("additional_arguments", [{"dest": "--w", "nargs": "many"}]),
        ("additional_arguments", [{"dest": "--sagemaker-run"}]),
        ("additional_arguments", "--x"),
        ("inputs", "notadict"),
        ("inputs", {"data": 5}),
        ("inputs", {5: "data"}),
        ("inputs", {"": "data"}),
        ("inputs", {"a": {"b": 1}}),
        ("inputs", {"sagemaker-run": "data"}),
        ("inputs", {f"i{i}": "data" for i in range(11)}),
        ("outputs", ["out"]),
        ("outputs", {"out": ("out", 5)}),
        ("outputs", {"out": ("out", "s3://b/x", "extra")}),
        ("modules", {"lib": 5}),
        ("modules", {"lib": types.ModuleType("nofile")}),
        ("modules", {"data": "lib"}),
        ("dependencies", "lib"),
        ("instance_count", 2.5),
        ("instance_count", True),
        ("instance_count", "x"),
        ("runtime_seconds", [60]),
        ("runtime_seconds", 0),
        ("runtime_seconds", 777601),
        ("volume_size", -1),
        ("wait", "perhaps"),
        ("run", 2),
        ("dry_run", [True]),
        ("subnets", [1, 2]),
        ("subnets", 7),
        ("security_groups", {"sg": 1}),
        ("image", b"bytes"),
        ("instance", 5),
        ("instance", "ml.t3.mediun"),
        ("job_name", "bad name"),
        ("job_name", 12),
        ("description", 3),
        ("argparse_callback", "not callable"),
        ("argv", "--x"),
        ("argv", [None]),
        ("main", None),
        ("main", "main"),
        ("requirements", 12),
        ("requirements", "missing.txt"),
        ("source_dir", 3.5),
        ("env", {f"V{i}": "1" for i in range(101)}),
        ("env", {"A": "x" * 257}),
        ("tags", {f"k{i}": "v" for i in range(51)}),
        ("input_mount", "relative"),
        ("input_mount", 5),
        ("no_such_keyword", 1),
        ("instanse", "local"),
        ("inputs", {"a/b": "data"}),
        ("inputs", {"..": "data"}),
        ("inputs", {"code": "data"}),
        ("inputs", {"-x": "data"}),
        ("inputs", {"x" * 300: "data"}),
        ("inputs", {"d": PathArgument("data", mode="Bogus")}),
        ("inputs", {"d": PathArgument("data", distribution="All")}),
        ("inputs", {"d": PathArgument("data", data_type="Prefix")}),
        ("outputs", {"o": PathArgument("out", mode="Never")}),
        ("outputs", {"o": PathArgument(None, remote="notaurl")}),
        ("outputs", {"o": PathArgument(None, remote="s3://b/*")}),
    ]
    cases = [Case(f"main {k}={v!r}"[:90], "main", {k: v}) for k, v in bad]
    nested: list = []
    for _ in range(5000):
        nested = [nested]
    cases.append(Case("main env nested 5000 deep", "main", {"env": nested}))
    cases += [
        Case("main accepts env={'A': 1}", "main", {"env": {"A": 1}}, refused=False),
        Case("main accepts wait='no'", "main", {"wait": "no"}, refused=False),
        Case(
            "main accepts a module object",
            "main",
            {"modules": {"jsonmod": __import__("json")}},
            refused=False,
        ),
    ]
    return cases


def _api_cases() -> list[Case]:
    bad: list[tuple[str, Any]] = [
        ("arguments", [None]),
        ("arguments", ["--x", object()]),
        ("arguments", "--x 1"),
        ("arguments", [["a"]]),
        ("arguments", [b"x"]),
        ("arguments", ["x"] * 101),
        ("arguments", ["x" * 300000]),
        ("env", {"A": None}),
        ("env", {"A": ["x"]}),
        ("env", {f"V{i}": "1" for i in range(101)}),
        ("env", {"A": "x" * 257}),
        ("env", {"1A": "x"}),
        ("tags", [1]),
        ("tags", {"aws:k": "v"}),
        ("tags", {"k": "v" * 257}),
        ("tags", {f"k{i}": "v" for i in range(51)}),
        ("role", 5),
        ("role", ""),
        ("inputs", "notadict"),
        ("inputs", {"a": "missing"}),
        ("inputs", {"a": None}),  # None: optional and left empty -> accepted? see below
        ("inputs", {f"i{i}": "s3://b/x" for i in range(11)}),
        ("outputs", {"o": 3}),
        ("outputs", {f"o{i}": "s3://b/o" for i in range(11)}),
        ("modules", {"m": "missing"}),
        ("on_event", "print"),
        ("network_isolation", "sometimes"),
        ("instance", "local "),
        ("instance", None),  # None: the default -> accepted
        ("instance_count", 0),
        ("instance_count", "2x"),
        ("runtime_seconds", 0),
        ("runtime_seconds", 777601),
        ("runtime_seconds", 10**30),
        ("volume_size", 0),
        ("job_name", "x" * 64),
        ("job_name", "-x"),
        ("base_job_name", "!!!"),
        ("s3_prefix", "s3://"),
        ("s3_prefix", 5),
        ("source_dir", "missing"),
        ("configuration_script", "missing.sh"),
        ("output_mount", "/"),
        ("module_mount", "../x"),
        ("experiment_run", "r"),
        ("subnets", ["subnet-1"]),
        ("docker", "maybe"),
        ("run", True),
        ("dry_run", True),
        ("wait", "later"),
        ("download", 3),
        ("output_json", "/nonexistent/x.json"),
        ("inputs", {"d": PathArgument("data", mode="Bogus")}),
        ("inputs", {"d": PathArgument("data", distribution="All")}),
        ("inputs", {"d": PathArgument("data", data_type="Prefix")}),
        ("outputs", {"o": PathArgument("out", mode="Never")}),
        ("outputs", {"o": PathArgument(None, remote="s3://b/*")}),
        ("inputs", {"a/b": "data"}),
        ("inputs", {"x" * 300: "data"}),
        ("env", {"A\nB": "x"}),
    ]
    accepted_none = {("inputs", "{'a': None}"), ("instance", "None")}
    cases = []
    for k, v in bad:
        refused = (k, repr(v)) not in accepted_none
        cases.append(Case(f"api {k}={v!r}"[:90], "api", {k: v}, refused=refused))
    cases += [
        Case("api accepts arguments=['--n', 2]", "api", {"arguments": ["--n", 2]}, refused=False),
        Case("api accepts env={'A': 1}", "api", {"env": {"A": 1}}, refused=False),
        Case(
            "api accepts subnets as a tuple",
            "api",
            {"subnets": ("subnet-1",), "security_groups": ["sg-1"]},
            refused=False,
        ),
    ]
    return cases


def _jobs_cases() -> list[Case]:
    bad = [
        ["list", "--local", "--max", "99999999999999999999"],
        ["list", "--local", "--max", "-1"],
        ["list", "--local", "--max", "0"],
        ["list", "--local", "--max", "x"],
        ["list", "--local", "--bogus"],
        ["describe", "--local", "no-such-job"],
        ["describe", "--local", "bad name"],
        ["describe", "--local", ""],
        ["describe", "--local", "a" * 64],
        ["describe", "--local", "../../etc/passwd"],
        ["logs", "--local", "no-such-job"],
        ["logs", "--local", "bad/name"],
        ["stop", "--local", "no-such-job"],
        ["stop", "--local", "-x"],
        ["download", "--local", "no-such-job"],
        ["download", "--local", "no-such-job", "--output", "/nonexistent/x"],
        ["wait", "--local", "no-such-job"],
        ["bogus"],
        [],
        ["describe"],
    ]
    cases = [Case(f"jobs {' '.join(a)}"[:90], "jobs", a) for a in bad]
    cases.append(
        Case(
            "jobs accepts list --local --max 5",
            "jobs",
            ["list", "--local", "--max", "5"],
            refused=False,
        )
    )
    return cases


def _link(path: str, target: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).symlink_to(target)

    return setup


def _write(path: str, text: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)

    return setup


def _fifo(path: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        os.mkfifo(root / path)

    return setup


def _both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        for step in steps:
            step(root)

    return setup


def _deep(root: Path) -> None:
    path = root / "lib"
    for i in range(150):
        path = path / f"d{i}"
    path.mkdir(parents=True)
    (path / "leaf.py").write_text("")


def _unreadable(root: Path) -> None:
    target = root / "data" / "secret.bin"
    target.write_text("x")
    target.chmod(0)


SRC = ["--sagemaker-source-dir", "."]


def _file_cases() -> list[Case]:
    return [
        Case("file source dir with sub/up -> ..", "file", SRC, False, _link("sub/up", "..")),
        Case("file lib/self -> .", "file", [], False, _link("lib/self", ".")),
        Case("file data/loop -> .", "file", [], False, _link("data/loop", ".")),
        Case(
            "file data/a -> b, b -> a",
            "file",
            [],
            False,
            _both(_link("data/x", "y"), _link("data/y", "x")),
        ),
        Case("file key after 9000 bytes", "file", SRC, True, _write("notes.txt", "x" * 9000 + PEM)),
        Case(
            "file PGP private key block",
            "file",
            SRC,
            True,
            _write("k.asc", PEM.replace("RSA", "PGP").replace("KEY-", "KEY BLOCK-")),
        ),
        Case("file PuTTY .ppk", "file", SRC, True, _write("deploy.ppk", "x\n")),
        Case(
            "file settings.cfg -> .env (ignored)",
            "file",
            SRC,
            True,
            _both(
                _write(".gitignore", ".env\n"),
                _write(".env", "T=1\n"),
                _link("settings.cfg", ".env"),
            ),
        ),
        Case(
            "file .env as configuration script",
            "file",
            ["--sagemaker-configuration-script", ".env"],
            True,
            _write(".env", "T=1\n"),
        ),
        Case(
            "file a key as the requirements",
            "file",
            ["--sagemaker-requirements", "key.txt"],
            True,
            _write("key.txt", PEM),
        ),
        Case("file a key in a module", "file", [], True, _write("lib/id_rsa", "x\n")),
        Case("file .env in a module", "file", [], True, _write("lib/.env", "x\n")),
        Case("file a fifo in the source dir", "file", SRC, False, _fifo("pipe")),
        Case("file a fifo in an input dir", "file", [], False, _fifo("data/pipe")),
        Case("file a fifo as the input", "file", ["--data", "pipe"], True, _fifo("pipe")),
        Case(
            "file a fifo as the requirements",
            "file",
            ["--sagemaker-requirements", "pipe"],
            True,
            _fifo("pipe"),
        ),
        Case("file a fifo as a module", "file", ["--lib", "pipe.py"], True, _fifo("pipe.py")),
        Case("file a link out of an input", "file", [], True, _link("data/out", "/etc")),
        Case("file a link out of the source dir", "file", SRC, True, _link("etc", "/etc")),
        Case("file a dangling link in an input", "file", [], False, _link("data/gone", "nowhere")),
        Case(
            "file a dangling link as the input",
            "file",
            ["--data", "gone"],
            True,
            _link("gone", "nowhere"),
        ),
        Case("file an unreadable file in an input", "file", [], os.geteuid() != 0, _unreadable),
        Case(
            "file a file that fails to read (EIO) in an input",
            "file",
            ["--sagemaker-follow-external-links", "yes"],
            True,
            _link("data/mem", "/proc/self/mem"),
        ),
        Case("file a module nested 150 deep", "file", [], False, _deep),
        Case(
            "file a local import of 100000 terms",
            "file",
            [],
            False,
            _both(
                _write("deep.py", "x = 1" + "+1" * 100000 + "\n"),
                _write("job.py", "def later():\n    import deep\n" + SCRIPT),
            ),
        ),
        Case(
            "file importlib plugin ships",
            "file",
            [],
            False,
            _both(
                _write("plug.py", ""),
                _write("job.py", "import importlib\nimportlib.import_module('plug')\n" + SCRIPT),
            ),
        ),
        Case(
            "file an output inside the source dir",
            "file",
            SRC + ["--out", "out"],
            False,
            _write("out/old.py", ""),
        ),
        Case(
            "file an output that is the source dir",
            "file",
            [*SRC, "--out", ".", "--data", "../elsewhere"],
            True,
            _write("../elsewhere/a.txt", "a\n"),
        ),
        Case(
            "file an output above the source dir",
            "file",
            [*SRC, "--out", "..", "--data", "../elsewhere"],
            True,
            _write("../elsewhere/a.txt", "a\n"),
        ),
        Case("file an empty input dir", "file", ["--data", "empty"], True),
        Case(
            "file the input is a socket path that does not exist",
            "file",
            ["--data", "/run/nothing.sock"],
            True,
        ),
    ]


def all_cases() -> list[Case]:
    return _cli_cases() + _main_cases() + _api_cases() + _jobs_cases() + _file_cases()


# --- running a case --------------------------------------------------------------------------


def _classify(case: Case, code: Any, out: str, err: str, crashed: bool) -> Outcome:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    if crashed or "Traceback (most recent call last)" in err:
        return Outcome("traceback", code, err)
    if not case.refused:
        return Outcome("accepted" if code == 0 else "refused-wrongly", code, err)
    if code == 0:
        return Outcome("silent", code, err)
    if code == 2 and len(lines) == 1 and not out.strip():
        return Outcome("one-line", code, err)
    return Outcome("messy", code, err)


def _in_process(call: Callable[[], Any]) -> tuple[Any, str, str, bool]:
    from aws_sagemaker_remote.errors import UserError

    out, err = io.StringIO(), io.StringIO()
    crashed = False
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            call()
            code: Any = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except UserError as error:  # the Python API raises what a script prints
            print(error.one_line(), file=sys.stderr)
            code = 2
        except BaseException:  # noqa: BLE001 - what the audit counts
            traceback.print_exc()
            crashed, code = True, "exception"
    return code, out.getvalue(), err.getvalue(), crashed


def run_case(case: Case, root: Path) -> Outcome:
    """Run one case in a fresh project under ``root`` (the environment is the caller's)."""
    project = make_project(root)
    if case.setup:
        case.setup(project)
    script = str(project / "job.py")
    channels = {
        "inputs": {"data": str(project / "data")},
        "outputs": {"out": str(project / "out")},
        "modules": {"lib": str(project / "lib")},
    }
    if case.surface == "file":
        try:
            done = subprocess.run(
                [sys.executable, "job.py", *DRY, *case.args],
                cwd=project,
                capture_output=True,
                text=True,
                timeout=SUBPROCESS_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return Outcome("silent", "hang", f"no end within {SUBPROCESS_TIMEOUT} s")
        return _classify(case, done.returncode, done.stdout, done.stderr, False)
    cwd = os.getcwd()
    os.chdir(project)
    try:
        if case.surface == "cli":
            from aws_sagemaker_remote.processing import sagemaker_processing_main

            call = lambda: sagemaker_processing_main(  # noqa: E731
                main=print, script=script, argv=[*DRY, *case.args], **channels
            )
        elif case.surface == "main":
            from aws_sagemaker_remote.processing import sagemaker_processing_main

            argv = DRY if "instance" not in case.args else DRY[:2]  # the code default counts
            given = {"main": print, "script": script, "argv": argv, **channels, **case.args}
            call = lambda: sagemaker_processing_main(**given)  # noqa: E731
        elif case.surface == "api":
            from aws_sagemaker_remote import request

            given = {"instance": "local", **channels, **case.args}
            call = lambda: request(script, **given)  # noqa: E731
        else:
            from aws_sagemaker_remote.cli import main as cli_main

            call = lambda: cli_main(["jobs", *case.args])  # noqa: E731
        return _classify(case, *_in_process(call))
    finally:
        os.chdir(cwd)
        _make_removable(root)


def _make_removable(root: Path) -> None:
    for directory, _, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            with contextlib.suppress(OSError):
                if not os.path.islink(path):
                    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verbose = "-v" in argv
    only = next((a for a in argv if not a.startswith("-")), "")  # a part of case ids
    cases = all_cases()
    totals: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        os.environ.clear()
        os.environ.update(environment(Path(tmp)))
        for i, case in enumerate(cases):
            if only and only not in case.id:
                continue
            outcome = run_case(case, Path(tmp) / f"case-{i}")
            totals[outcome.kind] += 1
            expected = outcome.kind in ("one-line", "accepted")
            if verbose or not expected:
                first = (outcome.err.strip().splitlines() or [""])[-1 if not expected else 0]
                print(f"{outcome.kind:16} {case.id}: {first[:160]}", flush=True)
    refused = sum(1 for c in cases if c.refused)
    print(
        f"bad inputs tried: {refused}; one-line: {totals['one-line']}, "
        f"traceback: {totals['traceback']}, silent: {totals['silent']}, "
        f"messy: {totals['messy']}; good inputs tried: {len(cases) - refused}, accepted: "
        f"{totals['accepted']}, refused wrongly: {totals['refused-wrongly']}"
    )
    bad = totals["traceback"] + totals["silent"] + totals["messy"] + totals["refused-wrongly"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
