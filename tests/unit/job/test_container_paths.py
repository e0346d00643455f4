"""Container paths per channel: ``PathArgument(container_path=)`` and
``--NAME-container-path`` place a channel; every path lies under /opt/ml/processing/,
plainly, and no two channels overlap. Pure: specs and requests built in this process."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.args import PathArgument
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.channels import plan_channels
from aws_sagemaker_remote.job.request import Target, render_request
from aws_sagemaker_remote.job.values import container_path

from .specs import make_project, spec_for

P = "/opt/ml/processing"
IN_PATH, OUT_PATH = "inputs.input.container_path", "outputs.output.container_path"
TARGET = Target(
    image="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
    role_arn="arn:aws:iam::123456789012:role/aws-sagemaker-remote-processing-role",
    output_root="s3://bucket/aws-sagemaker-remote/jobs/job",
    instance_type="ml.t3.medium",
)


@pytest.fixture
def script(tmp_path):
    return make_project(tmp_path)


def request_of(spec) -> dict:
    plan = plan_channels(spec, "s3://bucket/aws-sagemaker-remote", {})
    return render_request(spec, plan.channels, TARGET).request


def test_a_declared_container_path_places_the_channel_and_its_flag_value(script):
    data = str(script.parent / "data")
    spec = spec_for(
        script,
        inputs={"train": PathArgument(data, container_path="/opt/ml/processing/train/")},
        outputs={"model": PathArgument(str(script.parent / "out"), container_path=f"{P}/model")},
    )
    assert spec.inputs[0].container_path == "/opt/ml/processing/train"
    request = request_of(spec)
    train = next(i for i in request["ProcessingInputs"] if i["InputName"] == "train")
    assert train["S3Input"]["LocalPath"] == "/opt/ml/processing/train"
    output = request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
    assert output["LocalPath"] == "/opt/ml/processing/model"
    arguments = request["AppSpecification"]["ContainerArguments"]
    assert arguments[arguments.index("--train") + 1] == "/opt/ml/processing/train"
    assert arguments[arguments.index("--model") + 1] == "/opt/ml/processing/model"


def test_the_flag_overrides_the_declaration(script):
    spec = spec_for(
        script,
        ["--input-container-path", f"{P}/raw", "--output-container-path", f"{P}/cooked"],
        inputs={"input": PathArgument(str(script.parent / "data"), container_path=f"{P}/x")},
    )
    assert spec.inputs[0].container_path == "/opt/ml/processing/raw"
    assert spec.outputs[0].container_path == "/opt/ml/processing/cooked"
    assert "--input-container-path" not in spec.arguments  # ours, not the script's


def test_without_one_the_channel_is_under_its_mount(script):
    spec = spec_for(script, ["--sagemaker-input-mount", "/opt/ml/processing/in"])
    assert spec.inputs[0].container_path == "/opt/ml/processing/in/input"
    assert spec.outputs[0].container_path == "/opt/ml/processing/output/output"


@pytest.mark.parametrize(
    "argv,field,text",
    [
        (["--input-container-path", "/data"], IN_PATH, "is not under"),
        (["--input-container-path", P], IN_PATH, "is not under"),
        (["--input-container-path", f"{P}/a/../../x"], IN_PATH, "'..'"),
        (["--input-container-path", f"{P}//a"], IN_PATH, "empty"),
        (
            ["--output-container-path", f"{P}/input/input/o"],
            OUT_PATH,
            f"overlaps {P}/input/input ({{{{inputs.input}}}})",
        ),
        (["--input-container-path", f"{P}/code"], IN_PATH, "the job's code"),
        (["--input-container-path", f"{P}/modules"], IN_PATH, "overlaps"),
        (["--sagemaker-input-mount", "/tmp/in"], "input_mount", "is not under"),
        (["--sagemaker-output-mount", f"{P}/input/input"], "output_mount", "overlaps"),
    ],
)
def test_a_path_outside_or_overlapping_is_refused_naming_its_field(script, argv, field, text):
    with pytest.raises(UserError) as caught:
        spec_for(script, argv, modules={"mylib": str(script.parent / "mylib")})
    assert caught.value.field == field
    assert text in caught.value.message


def test_the_requirements_channel_is_taken_only_when_shipped(script):
    (script.parent / "requirements.txt").write_text("\n")
    argv = ["--input-container-path", "/opt/ml/processing/requirements"]
    assert spec_for(script, argv).inputs[0].container_path == "/opt/ml/processing/requirements"
    with pytest.raises(UserError, match="the requirements"):
        spec_for(
            script, [*argv, "--sagemaker-requirements", str(script.parent / "requirements.txt")]
        )


def test_a_plain_path_is_returned_as_it_is():
    assert container_path("/opt/ml/processing/a.b/c-d", "x") == "/opt/ml/processing/a.b/c-d"
