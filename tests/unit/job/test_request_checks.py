"""A rendered request checked against the service model, each violation laid at the field
the user set (the model itself is tested in tests/test_model_checks.py)."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.args import OPTIONAL
from aws_sagemaker_remote.cli.flags import flag_for_field
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.request import check_request, render_request

from .specs import make_project, spec_for
from .test_request import TARGET, code_channel, input_channel

ROOT = "s3://bucket/aws-sagemaker-remote"


@pytest.fixture
def script(tmp_path):
    return make_project(tmp_path)


def checked(spec, channels=None):
    channels = channels or [code_channel(), input_channel("input", f"{ROOT}/trees/da7a/")]
    check_request(render_request(spec, channels, TARGET))


def refusal(spec, channels=None) -> UserError:
    with pytest.raises(UserError) as excinfo:
        checked(spec, channels)
    return excinfo.value


def test_a_valid_request_passes(script):
    checked(spec_for(script, ["--sagemaker-env", "A=1", "--sagemaker-tag", "team=data"]))


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--sagemaker-runtime-seconds", "0"], "runtime_seconds"),
        (["--sagemaker-runtime-seconds", "777601"], "runtime_seconds"),
        (["--sagemaker-instance-count", "0"], "instance_count"),
        (["--sagemaker-volume-size", "0"], "volume_size"),
        (["--sagemaker-env", "1BAD=x"], "env"),
        (["--sagemaker-env", "A=" + "x" * 257], "env"),
    ],
)
def test_a_setting_beyond_the_model_is_laid_at_its_field(script, argv, field):
    error = refusal(spec_for(script, argv))
    assert error.field == field
    assert "CreateProcessingJob" in error.message


def test_a_long_argument_is_laid_at_the_scripts_own_flag(script):
    spec = spec_for(script, ["--label", "x" * 300], additional_arguments=[{"dest": "--label"}])
    error = refusal(spec)
    assert error.field == "--label"
    assert flag_for_field(error.field) == "--label"
    assert "256" in error.fix


def test_too_many_arguments_name_the_limit_not_a_field(script):
    spec = spec_for(
        script,
        ["--", *[str(i) for i in range(100)]],
        additional_arguments=[{"dest": "rest", "nargs": "*"}],
    )
    error = refusal(spec)
    assert error.field is None
    assert "100 arguments" in error.fix


def test_eleven_channels_say_that_the_code_counts_too(script):
    names = [f"in{i}" for i in range(10)]
    spec = spec_for(script, inputs={n: OPTIONAL for n in names})
    channels = [code_channel()] + [
        input_channel(n, f"{ROOT}/trees/{i}/") for i, n in enumerate(names)
    ]
    error = refusal(spec, channels)
    assert "11 input channels" in error.message
    assert "code" in error.fix


def test_fields_read_as_flags_on_the_command_line(script):
    error = refusal(spec_for(script, ["--sagemaker-runtime-seconds", "0"]))
    assert error.one_line(flag_for_field).startswith("--sagemaker-runtime-seconds: ")
    assert error.one_line().startswith("runtime_seconds=: ")
