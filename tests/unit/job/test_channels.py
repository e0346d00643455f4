"""Channel planning: which channels ship, under which content-addressed URI, to which path."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.channels import S3Input, plan_channels
from aws_sagemaker_remote.script import layout

from .specs import make_project, spec_for

ROOT = "s3://bucket/aws-sagemaker-remote"


@pytest.fixture
def script(tmp_path):
    return make_project(tmp_path)


def by_name(plan):
    return {c.input_name: c for c in plan.channels}


def test_the_code_channel_holds_the_script_and_the_job_side_library(script):
    plan = plan_channels(spec_for(script), ROOT, {})
    code = plan.channels[0]
    assert (code.kind, code.input_name, code.container_path) == ("code", "code", layout.CODE_DIR)
    assert code.arg_path == f"{layout.CODE_DIR}/job.py"
    assert code.uri.startswith(f"{ROOT}/trees/") and code.uri.endswith("/")
    shipped = {e.relpath for e in plan.trees[0].entries}
    assert "job.py" in shipped
    assert "aws_sagemaker_remote/script/bootstrap.py" in shipped
    assert not any(p.startswith("aws_sagemaker_remote/backends/") for p in shipped)


def test_uris_follow_content_only(script, tmp_path):
    first = by_name(plan_channels(spec_for(script), ROOT, {}))
    again = by_name(plan_channels(spec_for(script), ROOT, {}))
    assert first["input"].uri == again["input"].uri
    assert first["code"].uri == again["code"].uri

    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("a.txt", "b.txt"):
        (copy / name).write_bytes((script.parent / "data" / name).read_bytes())
    same_bytes = by_name(plan_channels(spec_for(script, ["--input", str(copy)]), ROOT, {}))
    assert same_bytes["input"].uri == first["input"].uri

    (copy / "b.txt").write_text("changed\n")
    changed = by_name(plan_channels(spec_for(script, ["--input", str(copy)]), ROOT, {}))
    assert changed["input"].uri != first["input"].uri


def test_a_directory_input_is_its_mount_and_a_file_input_is_the_file_inside_it(script):
    directory = by_name(plan_channels(spec_for(script), ROOT, {}))["input"]
    assert directory.container_path == directory.arg_path == "/opt/ml/processing/input/input"
    assert directory.field == "inputs.input" and directory.flag == "--input"

    one_file = str(script.parent / "data" / "a.txt")
    single = by_name(plan_channels(spec_for(script, ["--input", one_file]), ROOT, {}))["input"]
    assert single.container_path == "/opt/ml/processing/input/input"
    assert single.arg_path == "/opt/ml/processing/input/input/a.txt"


def test_s3_inputs_are_referenced_where_they_are(script):
    spec = spec_for(
        script,
        ["--input", "s3://data/prefix/", "--model", "s3://data/model.bin"],
        inputs={"input": "unused", "model": "unused"},
    )
    s3_inputs = {
        "input": S3Input("s3://data/prefix/", False),
        "model": S3Input("s3://data/model.bin", True),
    }
    plan = plan_channels(spec, ROOT, s3_inputs)
    channels = by_name(plan)
    assert channels["input"].uri == "s3://data/prefix/"
    assert channels["input"].arg_path == "/opt/ml/processing/input/input"
    assert channels["model"].arg_path == "/opt/ml/processing/input/model/model.bin"
    assert len(plan.trees) == 1  # only the code is staged


def test_set_up_files_and_modules_get_channels_of_their_own(script):
    (script.parent / "requirements.txt").write_text("\n")
    (script.parent / "setup.sh").write_text("export X=1\n")
    spec = spec_for(
        script,
        [
            "--sagemaker-requirements",
            str(script.parent / "requirements.txt"),
            "--sagemaker-configuration-script",
            str(script.parent / "setup.sh"),
        ],
        modules={"mylib": str(script.parent / "mylib")},
    )
    channels = by_name(plan_channels(spec, ROOT, {}))
    assert list(channels) == ["code", "requirements", "configuration", "module-mylib", "input"]
    assert channels["requirements"].arg_path == f"{layout.REQUIREMENTS_DIR}/requirements.txt"
    assert channels["configuration"].arg_path == f"{layout.CONFIGURATION_DIR}/setup.sh"
    module = channels["module-mylib"]
    assert module.container_path == f"{layout.DEFAULT_MODULE_MOUNT}/mylib"
    assert module.arg_path == f"{layout.DEFAULT_MODULE_MOUNT}/mylib/mylib"
    assert (module.field, module.flag) == ("modules.mylib", "--mylib")


def test_an_empty_directory_cannot_be_a_channel(script):
    (script.parent / "empty").mkdir()
    spec = spec_for(script, ["--input", str(script.parent / "empty")])
    with pytest.raises(UserError) as excinfo:
        plan_channels(spec, ROOT, {})
    assert excinfo.value.field == "inputs.input"


@pytest.mark.parametrize("name", ["code", "requirements", "configuration", "module-x"])
def test_input_names_of_the_code_channels_are_reserved(script, name):
    spec = spec_for(script, inputs={name: str(script.parent / "data")})
    with pytest.raises(UserError) as excinfo:
        plan_channels(spec, ROOT, {})
    assert excinfo.value.field == f"inputs.{name}"
