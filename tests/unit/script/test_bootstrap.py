"""The bootstrap's command line: what the request writes is what the bootstrap reads."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.script.bootstrap import (
    USAGE,
    Options,
    main,
    option_tokens,
    parse_arguments,
)

ODD = ["--", "-", "-x", "--script", "--python-path=/p", "a b", " ", "k=v", "=", "", "'\"$x"]


def command_line(options: Options, script_args: list[str]) -> list[str]:
    return [token for token, _ in option_tokens(options)] + script_args


def parsed(argv: list[str]) -> tuple[dict, list[str]]:
    """The options read from ``argv`` (as a dict, to compare) and the script's arguments."""
    options, script_args = parse_arguments(argv)
    return vars(options), script_args


@pytest.mark.parametrize(
    "options",
    [
        Options(script="/opt/ml/processing/code/job.py"),
        Options(
            script="/opt/ml/processing/code/job.py",
            python_path=["/opt/ml/processing/modules/a", "/opt/ml/processing/modules/b"],
            requirements="/opt/ml/processing/requirements/requirements.txt",
            configuration_script="/opt/ml/processing/configuration/setup.sh",
            configuration_command="echo 'a b' && export X=1 -- --y",
            python="/usr/bin/python3",
        ),
        Options(script="--", python_path=ODD, requirements="", configuration_command=""),
        Options(script="-x", requirements="--", configuration_script="k=v", python="a b"),
        Options(script="=", configuration_command="--configuration-command"),
    ],
)
@pytest.mark.parametrize(
    "script_args", [[], ["--input", "/opt/ml/x", "--sagemaker-run", "false"], ODD]
)
def test_what_is_built_parses_back_as_it_was(options, script_args):
    assert parsed(command_line(options, script_args)) == (vars(options), script_args)


@pytest.mark.parametrize("value", ODD)
def test_any_value_reads_back_whatever_it_looks_like(value):
    options = Options(script=value or "s", python_path=[value], configuration_command=value)
    assert parsed(command_line(options, [value])) == (vars(options), [value])


def test_each_value_is_paired_with_its_attribute_and_unset_options_are_left_out():
    options = Options(script="s.py", python_path=["a", "b"], requirements="")
    assert option_tokens(options) == [
        ("--script", None),
        ("s.py", "script"),
        ("--python-path", None),
        ("a", "python_path"),
        ("--python-path", None),
        ("b", "python_path"),
        ("--requirements", None),
        ("", "requirements"),
        ("--", None),
    ]


def test_options_may_be_written_with_an_equals_sign_and_the_separator_left_out():
    argv = ["--script=s.py", "--python-path=a=b", "--python-path", "c", "--python=--"]
    expected = Options(script="s.py", python_path=["a=b", "c"], python="--")
    assert parsed(argv) == (vars(expected), [])
    assert parsed(["--script", "s.py", "--", "--"]) == (vars(Options(script="s.py")), ["--"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--script", "s.py", "--unknown", "x", "--"],
            "unrecognized or incomplete option: --unknown",
        ),
        (["--script", "s.py", "--unknown=x"], "unrecognized option: --unknown"),
        (
            ["--script", "s.py", "--requirements"],
            "unrecognized or incomplete option: --requirements",
        ),
        (["s.py", "--"], "unrecognized or incomplete option: s.py"),
        (["--python-path", "a", "--", "s.py"], "the following arguments are required: --script"),
        (["--script", "", "--"], "the following arguments are required: --script"),
    ],
)
def test_a_malformed_command_line_is_refused_with_what_is_wrong(argv, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        parse_arguments(argv)


def test_the_bootstrap_prints_the_usage_and_exits_2_on_a_malformed_command_line(capsys):
    assert main(["--script", "s.py", "--nope", "x", "--"]) == 2
    assert capsys.readouterr().err == (
        f"{USAGE}\nbootstrap.py: error: unrecognized or incomplete option: --nope\n"
    )
