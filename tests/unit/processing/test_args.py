"""A processing script's parser: its own flags and channels first in --help, the
--sagemaker-* flags grouped after them, each default stated once."""

from __future__ import annotations

import argparse
import re

import pytest

from aws_sagemaker_remote.processing.args import build_parser, sagemaker_processing_parser_for_docs
from aws_sagemaker_remote.processing.setting_flags import SETTING_GROUPS
from aws_sagemaker_remote.settings import SETTINGS


def script_parser() -> argparse.ArgumentParser:
    def more(parser: argparse.ArgumentParser) -> None:
        parser.add_argument_group("tuning").add_argument("--rate", type=float, help="how fast")

    parser, _ = build_parser(
        script="job.py",
        inputs={"data": "data"},
        outputs={"out": "out"},
        additional_arguments=[{"dest": "--filter-width", "default": 32, "help": "how wide"}],
        argparse_callback=more,
    )
    return parser


def test_the_scripts_own_flags_and_channels_come_before_the_library_groups():
    text = script_parser().format_help()
    where = {flag: text.index(flag) for flag in ("--filter-width", "--rate", "--data", "--out")}
    first_library = text.index("SageMaker:")
    assert max(where.values()) < first_library
    assert text.index("--sagemaker-instance") > first_library


def test_the_usage_names_the_scripts_flags_and_sums_up_the_rest():
    usage = " ".join(script_parser().format_usage().split())
    assert "[--filter-width FILTER_WIDTH]" in usage and "[--data PATH|URI]" in usage
    assert "[--sagemaker-* ...]" in usage and "--sagemaker-instance" not in usage
    assert "--data-mode" not in usage and "[--NAME-* ...]" in usage
    assert len(script_parser().format_usage().splitlines()) <= 4


def test_every_setting_is_in_exactly_one_group():
    grouped = [name for _, _, names in SETTING_GROUPS for name in names]
    assert sorted(grouped) == sorted(s.name for s in SETTINGS)
    parser = script_parser()
    titles = [g.title for g in parser._action_groups]
    assert titles[-len(SETTING_GROUPS) :] == [title for title, _, _ in SETTING_GROUPS]


def test_each_default_is_stated_once_and_channel_helps_do_not_repeat_the_name():
    text = " ".join(sagemaker_processing_parser_for_docs().format_help().split())
    assert not re.search(r"\(default: [^)]*\) \(default:", text)
    assert "(default: the script's name)" in text
    assert "input input" not in text and "output output" not in text


@pytest.mark.parametrize(
    "flag,metavar",
    [
        ("--sagemaker-instance", "TYPE"),
        ("--sagemaker-requirements", "FILE"),
        ("--input-mode", "File|Pipe"),
        ("--input-container-path", "PATH"),
        ("--output-s3", "S3_URI"),
        ("--mymodule", "DIR"),
    ],
)
def test_flags_that_take_a_value_name_it(flag, metavar):
    parser = sagemaker_processing_parser_for_docs()
    action = next(a for a in parser._actions if flag in a.option_strings)
    assert action.metavar == metavar
