"""Fields -> flags in one place: every field an error can name has its flag, and the
command line names the environment variable a bad value came from."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.cli.flags import flag_for_field, jobs_option_for_field
from aws_sagemaker_remote.errors import UserError, keyword_name
from aws_sagemaker_remote.processing.args import build_parser
from aws_sagemaker_remote.settings import SETTINGS, blamed

CHANNELS = dict(
    inputs={"data": "in", "my_data": "in2"},
    outputs={"out": "o"},
    modules={"mylib": "lib"},
)


@pytest.mark.parametrize(
    "field, flag",
    [
        ("instance", "--sagemaker-instance"),
        ("s3_prefix", "--sagemaker-s3-prefix"),
        ("tags", "--sagemaker-tag"),
        ("env", "--sagemaker-env"),
        ("inputs.data", "--data"),
        ("inputs.my_data.mode", "--my-data-mode"),
        ("inputs.data.distribution", "--data-distribution"),
        ("outputs.out", "--out"),
        ("outputs.out.s3", "--out-s3"),
        ("outputs.out.mode", "--out-mode"),
        ("modules.mylib", "--mylib"),
        ("--min-count", "--min-count"),
        ("arguments", "script arguments"),
    ],
)
def test_each_field_has_its_flag_on_the_parser(field, flag):
    assert flag_for_field(field) == flag
    if flag.startswith("--") and flag != "--min-count":
        parser, _ = build_parser(script="job.py", **CHANNELS)
        assert flag in parser._option_string_actions


def test_every_setting_is_a_flag_of_the_parser():
    parser, _ = build_parser(script="job.py")
    for setting in SETTINGS:
        assert flag_for_field(setting.name) in parser._option_string_actions, setting.name


def test_references_in_messages_and_fixes_are_spelled_too():
    error = UserError(
        "is not a bucket of {{s3_prefix}}", field="outputs.out.s3", fix="pass {{profile}} NAME"
    )
    assert error.one_line(flag_for_field) == (
        "--out-s3: is not a bucket of --sagemaker-s3-prefix (pass --sagemaker-profile NAME)"
    )
    assert error.one_line(keyword_name) == (
        "outputs['out'] s3: is not a bucket of s3_prefix= (pass profile= NAME)"
    )
    assert error.one_line(jobs_option_for_field) == (
        "--out-s3: is not a bucket of --sagemaker-s3-prefix (pass --profile NAME)"
    )
    assert jobs_option_for_field("job_name") == "NAME"
    assert (
        jobs_option_for_field("dir") == "--output" and jobs_option_for_field("output") == "--name"
    )


def test_a_value_from_the_environment_names_its_variable():
    error = blamed(UserError("is not valid", field="role"), {"role": "environment"})
    assert error.origin == "AWS_SAGEMAKER_REMOTE_ROLE"
    assert error.one_line(flag_for_field) == (
        "--sagemaker-role (from AWS_SAGEMAKER_REMOTE_ROLE): is not valid"
    )
    given = blamed(UserError("is not valid", field="role"), {"role": "given"})
    assert (
        given.origin is None and given.one_line(flag_for_field) == "--sagemaker-role: is not valid"
    )
