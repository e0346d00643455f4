"""The documented API: every flag, its help and default, and the original package's forms."""

from __future__ import annotations

import argparse
import subprocess
import sys
import types

import pytest

from aws_sagemaker_remote.args import OPTIONAL, PathArgument, parse_bool
from aws_sagemaker_remote.processing.args import build_parser, sagemaker_processing_parser_for_docs

DESIGN_FLAGS = [
    "--sagemaker-run",
    "--sagemaker-wait",
    "--sagemaker-image",
    "--sagemaker-instance",
    "--sagemaker-requirements",
    "--sagemaker-configuration-script",
    "--sagemaker-configuration-command",
    "--sagemaker-profile",
    "--sagemaker-role",
    "--sagemaker-job-name",
    "--sagemaker-base-job-name",
    "--sagemaker-runtime-seconds",
    "--sagemaker-volume-size",
    "--sagemaker-output-json",
    "--sagemaker-python",
    "--sagemaker-dry-run",
    "--sagemaker-script",
    "--sagemaker-input-mount",
    "--sagemaker-output-mount",
    "--sagemaker-module-mount",
    "--sagemaker-s3-prefix",
    "--sagemaker-download",
    "--sagemaker-instance-count",
]


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {o: a for a in parser._actions for o in a.option_strings}


def test_docs_parser_has_every_documented_flag_with_help():
    found = options(sagemaker_processing_parser_for_docs())
    for flag in DESIGN_FLAGS + [
        "--input",
        "--input-mode",
        "--output",
        "--output-mode",
        "--output-s3",
        "--mymodule",
        "--input-distribution",
    ]:
        assert flag in found, flag
        assert found[flag].help and len(found[flag].help) > 10, flag


def test_help_shows_defaults():
    text = sagemaker_processing_parser_for_docs().format_help()
    assert "(default: ml.t3.medium)" in text
    assert "(default: 3600)" in text
    assert "(default: /path/to/input)" in text
    assert "(default: File)" in text and "(default: EndOfJob)" in text


@pytest.mark.parametrize(
    "text,value",
    [("yes", True), ("TRUE", True), ("1", True), ("No", False), ("false", False), ("0", False)],
)
def test_truthy_and_falsy_in_any_case(text, value):
    parser, _ = build_parser(script="s.py")
    assert parser.parse_args(["--sagemaker-run", text]).sagemaker_run is value
    assert parse_bool(text) is value


def test_bare_flag_means_true_and_defaults_come_from_code():
    parser, _ = build_parser(script="s.py", run=False, wait=False)
    assert parser.parse_args(["--sagemaker-run"]).sagemaker_run is True
    args = parser.parse_args([])
    assert args.sagemaker_run is False and args.sagemaker_wait is False


def test_environment_overrides_code_default_and_argv_overrides_both(monkeypatch):
    monkeypatch.setenv("AWS_SAGEMAKER_REMOTE_ROLE", "from-env")
    parser, _ = build_parser(script="s.py", role="from-code")
    assert parser.parse_args([]).sagemaker_role == "from-env"
    assert parser.parse_args(["--sagemaker-role", "from-argv"]).sagemaker_role == "from-argv"


def test_channels_get_flags_modes_and_s3():
    parser, channels = build_parser(
        script="s.py",
        inputs={
            "train_data": "data",
            "extra": OPTIONAL,
            "piped": PathArgument("p", mode="Pipe", distribution="ShardedByS3Key"),
        },
        outputs={"model": "out", "legacy": ("out2", "s3://bucket/legacy")},
        modules={"mylib": "lib"},
    )
    args = parser.parse_args(["--train-data", "d2", "--model-mode", "continuous"])
    assert args.train_data == "d2" and args.extra is None
    assert args.piped_mode == "Pipe" and args.piped_distribution == "ShardedByS3Key"
    assert args.model_mode == "Continuous" and args.model_s3 == "default"
    assert args.legacy == "out2" and args.legacy_s3 == "s3://bucket/legacy"
    assert args.mylib == "lib"
    assert channels.inputs["extra"].optional


def test_module_objects_ship_their_directory():
    parser, channels = build_parser(
        script="s.py", modules={"argparse_mod": argparse, "pytest": pytest}
    )
    assert channels.modules["argparse_mod"] == argparse.__file__
    assert channels.modules["pytest"].endswith("pytest")
    with pytest.raises(TypeError):
        build_parser(script="s.py", modules={"bad": types.ModuleType("nofile")})


def test_additional_arguments_dict_and_tuple_forms_and_callback():
    parser, _ = build_parser(
        script="s.py",
        additional_arguments=[
            {"dest": "--filter-width", "default": 32, "help": "width"},
            (["--name"], {"default": "x"}),
            {"dest": "--verbose", "default": False},
        ],
        argparse_callback=lambda p: p.add_argument("--extra", type=float, default=0.5),
    )
    args = parser.parse_args(["--filter-width", "64", "--verbose", "--extra", "2"])
    assert args.filter_width == 64 and args.name == "x" and args.verbose is True
    assert args.extra == 2.0


@pytest.mark.e2e
@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["--input-mode", "Stream"], "--input-mode: 'Stream' is not one of File, Pipe"),
        (["--output-mode", "Later"], "'Later' is not one of EndOfJob, Continuous"),
        (["--sagemaker-runtime-seconds", "ten"], "--sagemaker-runtime-seconds: invalid int value"),
        (["--sagemaker-run", "maybe"], "expected yes/true/1 or no/false/0"),
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
)
def test_usage_mistakes_are_one_line_exit_2(tmp_path, argv, fragment):
    script = tmp_path / "s.py"
    script.write_text(
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args): pass\n"
        "sagemaker_processing_main(main=main, inputs={'input': '.'}, outputs={'output': 'o'})\n"
    )
    done = subprocess.run([sys.executable, str(script), *argv], capture_output=True, text=True)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert fragment in lines[0]
    assert "Traceback" not in done.stderr
