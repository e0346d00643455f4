"""The request rendered from a JobSpec and its channels: pure, and exactly what is sent."""

from __future__ import annotations

import copy

import pytest

from aws_sagemaker_remote.args import OPTIONAL
from aws_sagemaker_remote.job.request import StagedChannel, Target, render_request
from aws_sagemaker_remote.script import bootstrap, layout

from .specs import make_project, spec_for

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ROLE = "arn:aws:iam::123456789012:role/aws-sagemaker-remote-processing-role"
ROOT = "s3://bucket/aws-sagemaker-remote"
TARGET = Target(
    image=IMAGE,
    role_arn=ROLE,
    output_root=f"{ROOT}/jobs/wc-1",
    instance_type="ml.m5.large",
    tags=(("git:commit", "abc123"),),
)


def code_channel() -> StagedChannel:
    return StagedChannel(
        "code",
        layout.CODE_CHANNEL,
        f"{ROOT}/trees/c0de/",
        layout.CODE_DIR,
        "--sagemaker-script",
        f"{layout.CODE_DIR}/job.py",
        field="script",
    )


def input_channel(name: str, uri: str, arg_path: str | None = None, **kw) -> StagedChannel:
    local = f"{layout.DEFAULT_INPUT_MOUNT}/{name}"
    return StagedChannel(
        "input", name, uri, local, f"--{name}", arg_path or local, field=f"inputs.{name}", **kw
    )


@pytest.fixture
def script(tmp_path):
    return make_project(tmp_path)


def test_the_request_carries_every_setting_of_the_spec(script):
    spec = spec_for(
        script,
        [
            "--sagemaker-job-name",
            "wc-1",
            "--sagemaker-instance-count",
            "2",
            "--sagemaker-volume-size",
            "50",
            "--sagemaker-runtime-seconds",
            "600",
            "--sagemaker-env",
            "A=1",
        ],
    )
    channels = [code_channel(), input_channel("input", f"{ROOT}/trees/da7a/")]
    request = render_request(spec, channels, TARGET).request
    assert request["ProcessingJobName"] == "wc-1"
    assert request["ProcessingResources"] == {
        "ClusterConfig": {"InstanceCount": 2, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 50}
    }
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 600}
    assert request["RoleArn"] == ROLE
    assert request["AppSpecification"]["ImageUri"] == IMAGE
    assert request["Environment"] == {"PYTHONUNBUFFERED": "1", "A": "1"}
    assert request["Tags"] == [{"Key": "git:commit", "Value": "abc123"}]
    assert request["ProcessingInputs"] == [
        {
            "InputName": "code",
            "S3Input": {
                "S3Uri": f"{ROOT}/trees/c0de/",
                "LocalPath": layout.CODE_DIR,
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
                "S3DataDistributionType": "FullyReplicated",
            },
        },
        {
            "InputName": "input",
            "S3Input": {
                "S3Uri": f"{ROOT}/trees/da7a/",
                "LocalPath": "/opt/ml/processing/input/input",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
                "S3DataDistributionType": "FullyReplicated",
            },
        },
    ]


def test_the_entrypoint_is_the_bootstrap_with_every_set_up_step(script):
    (script.parent / "requirements.txt").write_text("\n")
    (script.parent / "setup.sh").write_text("export X=1\n")
    spec = spec_for(
        script,
        [
            "--sagemaker-requirements",
            str(script.parent / "requirements.txt"),
            "--sagemaker-configuration-script",
            str(script.parent / "setup.sh"),
            "--sagemaker-configuration-command",
            "echo ready",
            "--sagemaker-python",
            "python3.9",
        ],
        modules={"mylib": str(script.parent / "mylib")},
    )
    channels = [
        code_channel(),
        StagedChannel(
            "requirements",
            layout.REQUIREMENTS_CHANNEL,
            f"{ROOT}/trees/4e9/",
            layout.REQUIREMENTS_DIR,
            "--sagemaker-requirements",
            f"{layout.REQUIREMENTS_DIR}/requirements.txt",
        ),
        StagedChannel(
            "configuration",
            layout.CONFIGURATION_CHANNEL,
            f"{ROOT}/trees/5e7/",
            layout.CONFIGURATION_DIR,
            "--sagemaker-configuration-script",
            f"{layout.CONFIGURATION_DIR}/setup.sh",
        ),
    ]
    rendered = render_request(spec, channels, TARGET)
    entrypoint = rendered.request["AppSpecification"]["ContainerEntrypoint"]
    assert entrypoint == [
        "python3.9",
        layout.BOOTSTRAP,
        "--script",
        f"{layout.CODE_DIR}/job.py",
        "--python-path",
        f"{layout.DEFAULT_MODULE_MOUNT}/mylib",
        "--requirements",
        f"{layout.REQUIREMENTS_DIR}/requirements.txt",
        "--configuration-script",
        f"{layout.CONFIGURATION_DIR}/setup.sh",
        "--configuration-command",
        "echo ready",
        "--",
    ]
    values = entrypoint[3:-1:2]  # each value, with the setting behind it for messages
    assert list(zip(values, rendered.entrypoint_fields[3:-1:2])) == [
        (f"{layout.CODE_DIR}/job.py", "script"),
        (f"{layout.DEFAULT_MODULE_MOUNT}/mylib", "modules.mylib"),
        (f"{layout.REQUIREMENTS_DIR}/requirements.txt", "requirements"),
        (f"{layout.CONFIGURATION_DIR}/setup.sh", "configuration_script"),
        ("echo ready", "configuration_command"),
    ]
    assert rendered.entrypoint_fields[:2] == ("python", None)
    assert set(rendered.entrypoint_fields[2::2]) == {None}  # the options' names and "--"
    options, script_args = bootstrap.parse_arguments(entrypoint[2:])  # what the job reads
    assert (options.python_path, options.configuration_command, script_args) == (
        [f"{layout.DEFAULT_MODULE_MOUNT}/mylib"],
        "echo ready",
        [],
    )


def test_arguments_user_options_first_then_channels_then_run_false_then_positionals(script):
    spec = spec_for(
        script,
        ["--seed", "7", "--", "tail"],
        inputs={"input": str(script.parent / "data"), "extra": OPTIONAL},
        additional_arguments=[{"dest": "--seed"}, {"dest": "rest", "nargs": "*"}],
    )
    one_file = f"{layout.DEFAULT_INPUT_MOUNT}/input/a.txt"
    channels = [code_channel(), input_channel("input", f"{ROOT}/trees/da7a/", one_file)]
    rendered = render_request(spec, channels, TARGET)
    assert rendered.request["AppSpecification"]["ContainerArguments"] == [
        "--seed",
        "7",
        "--input",
        one_file,
        "--output",
        "/opt/ml/processing/output/output",
        "--extra",
        "",
        "--sagemaker-run",
        "false",
        "--",
        "tail",
    ]
    # each item remembers the field behind it, for messages about the request
    assert rendered.argument_fields == (
        "--seed",
        "--seed",
        "inputs.input",
        "inputs.input",
        "outputs.output",
        "outputs.output",
        "inputs.extra",
        "inputs.extra",
        None,
        None,
        "arguments",
        "arguments",
    )
    assert rendered.input_fields == ("script", "inputs.input")


def test_outputs_land_under_the_output_root_unless_given(script):
    spec = spec_for(
        script,
        ["--output-mode", "Continuous", "--logs-s3", "s3://other/logs"],
        outputs={"output": str(script.parent / "out"), "logs": str(script.parent / "logs")},
    )
    request = render_request(spec, [code_channel()], TARGET).request
    assert request["ProcessingOutputConfig"]["Outputs"] == [
        {
            "OutputName": "output",
            "S3Output": {
                "S3Uri": f"{ROOT}/jobs/wc-1/output",
                "LocalPath": "/opt/ml/processing/output/output",
                "S3UploadMode": "Continuous",
            },
        },
        {
            "OutputName": "logs",
            "S3Output": {
                "S3Uri": "s3://other/logs",
                "LocalPath": "/opt/ml/processing/output/logs",
                "S3UploadMode": "EndOfJob",
            },
        },
    ]


def test_no_outputs_means_no_output_config(script):
    spec = spec_for(script, outputs={})
    assert "ProcessingOutputConfig" not in render_request(spec, [code_channel()], TARGET).request


def test_rendering_is_pure_the_same_inputs_give_the_same_request(script):
    spec = spec_for(script, ["--sagemaker-job-name", "wc-1"])
    channels = [code_channel(), input_channel("input", f"{ROOT}/trees/da7a/")]
    before = copy.deepcopy(channels)
    first = render_request(spec, channels, TARGET)
    second = render_request(spec, channels, TARGET)
    assert first == second
    assert channels == before
    first.request["Environment"]["MUTATED"] = "1"
    assert "MUTATED" not in render_request(spec, channels, TARGET).request["Environment"]


def test_a_hundred_variables_leave_no_room_for_the_unbuffered_default(script):
    argv = []
    for i in range(100):
        argv += ["--sagemaker-env", f"V{i}=x"]
    spec = spec_for(script, argv)
    env = render_request(spec, [code_channel()], TARGET).request["Environment"]
    assert len(env) == 100 and "PYTHONUNBUFFERED" not in env
