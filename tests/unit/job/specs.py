"""Build JobSpecs the way a script's command line does, in this process: no subprocess,
no server. Paths live under the test's tmp_path."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from aws_sagemaker_remote.job.spec import JobSpec, build_spec
from aws_sagemaker_remote.processing.args import build_parser
from aws_sagemaker_remote.processing.argv import CommandLine

NOW = datetime(2026, 12, 2, 10, 30, 15, 123000, tzinfo=timezone.utc)


def make_project(root: Path) -> Path:
    """A script, an input directory of two files and a module; returns the script."""
    (root / "data").mkdir()
    (root / "data" / "a.txt").write_text("alpha\n")
    (root / "data" / "b.txt").write_text("beta\n")
    (root / "mylib").mkdir()
    (root / "mylib" / "__init__.py").write_text("VALUE = 1\n")
    script = root / "job.py"
    script.write_text("print('job')\n")
    return script


def spec_for(
    script: Path,
    argv: list[str] = (),
    *,
    inputs: dict | None = None,
    outputs: dict | None = None,
    modules: dict | None = None,
    **settings,
) -> JobSpec:
    """Parse ``argv`` with the script's parser and freeze it, as a remote run would."""
    parser, channels = build_parser(
        script=str(script),
        inputs=inputs if inputs is not None else {"input": str(script.parent / "data")},
        outputs=outputs if outputs is not None else {"output": str(script.parent / "out")},
        modules=modules or {},
        **settings,
    )
    argv = list(argv)
    args = parser.parse_args(argv)
    command = CommandLine(args, parser=parser, channels=channels, argv=argv)
    return build_spec(
        command.settings,
        inputs=command.inputs,
        outputs=command.outputs,
        modules=command.modules,
        arguments=command.arguments,
        explicit=command.explicit,
        now=NOW,
    )
