"""JobSpec: what the command line freezes into, and every mistake named by its field."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.args import OPTIONAL, PathArgument
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.spec import TIMESTAMP_LENGTH
from aws_sagemaker_remote.processing.argv import split_arguments

from .specs import make_project, spec_for


@pytest.fixture
def script(tmp_path):
    return make_project(tmp_path)


def field_of(excinfo) -> str | None:
    return excinfo.value.field


def test_defaults_are_the_documented_ones_and_paths_become_absolute(script, monkeypatch):
    monkeypatch.chdir(script.parent)
    spec = spec_for(script, ["--input", "data", "--output", "out"])
    assert spec.script == str(script)
    assert spec.instance == "ml.t3.medium"
    assert spec.instance_count == 1
    assert spec.role == "aws-sagemaker-remote-processing-role"
    assert (spec.runtime_seconds, spec.volume_size, spec.python) == (3600, 30, "python3")
    assert spec.image is None and spec.profile is None and spec.s3_prefix is None
    (channel,) = spec.inputs
    assert (channel.name, channel.source) == ("input", str(script.parent / "data"))
    assert (channel.mode, channel.distribution) == ("File", "FullyReplicated")
    assert channel.is_local_path and channel.field == "inputs.input" and channel.flag == "--input"
    (output,) = spec.outputs
    assert output.download_dir == str(script.parent / "out")
    assert output.s3 is None and output.mode == "EndOfJob"
    assert not spec.docker and not spec.follow_external_links


def test_the_spec_is_frozen(script):
    spec = spec_for(script)
    with pytest.raises(AttributeError):
        spec.instance = "local"  # type: ignore[misc]


def test_the_job_name_is_the_base_plus_a_millisecond_timestamp(script):
    assert spec_for(script).job_name == "job-20261202-103015-123"
    named = spec_for(script, ["--sagemaker-base-job-name", "wc"])
    assert named.job_name == "wc-20261202-103015-123"
    assert spec_for(script, ["--sagemaker-job-name", "exact-1"]).job_name == "exact-1"


def test_a_long_base_from_the_script_name_is_cut_to_fit_63_characters(tmp_path):
    script = make_project(tmp_path)
    long_script = tmp_path / ("x" * 80 + ".py")
    long_script.write_text(script.read_text())
    name = spec_for(long_script).job_name
    assert len(name) == 63
    assert name == "x" * (63 - TIMESTAMP_LENGTH) + "-20261202-103015-123"


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--sagemaker-job-name", "under_score"], "job_name"),
        (["--sagemaker-job-name=-leading"], "job_name"),
        (["--sagemaker-base-job-name", "!!!"], "base_job_name"),
    ],
)
def test_bad_job_names_name_their_field(script, argv, field):
    with pytest.raises(UserError) as excinfo:
        spec_for(script, argv)
    assert field_of(excinfo) == field


def test_an_explicit_base_job_name_is_cleaned_and_cut_like_the_script_name(script):
    """--sagemaker-base-job-name is cleaned as the script's name is."""
    assert spec_for(script, ["--sagemaker-base-job-name", "not valid!"]).job_name == (
        "not-valid-20261202-103015-123"
    )
    name = spec_for(script, ["--sagemaker-base-job-name", "b" * 50]).job_name
    assert name == "b" * (63 - TIMESTAMP_LENGTH) + "-20261202-103015-123"


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--input", "missing-dir"], "inputs.input"),
        (["--input", "http://example.com/data"], "inputs.input"),
        (["--input", "s3://"], "inputs.input"),
        (["--input", "job://only-a-job"], "inputs.input"),
        (["--output-s3", "not-a-uri"], "outputs.output.s3"),
        (["--sagemaker-requirements", "missing.txt"], "requirements"),
        (["--sagemaker-configuration-script", "missing.sh"], "configuration_script"),
        (["--sagemaker-env", "NOVALUE"], "env"),
        (["--sagemaker-env", "=value"], "env"),
        (["--sagemaker-tag", "aws:owner=me"], "tags"),
        (["--sagemaker-image", "two words"], "image"),
        (["--sagemaker-python", " "], "python"),
        (["--sagemaker-s3-prefix", "s3://aws-sagemaker-remote-local-store/x"], "s3_prefix"),
        (["--sagemaker-instance", "local", "--input-mode", "Pipe"], "inputs.input.mode"),
    ],
)
def test_mistakes_are_user_errors_naming_the_field(script, monkeypatch, argv, field):
    monkeypatch.chdir(script.parent)
    with pytest.raises(UserError) as excinfo:
        spec_for(script, argv)
    assert field_of(excinfo) == field
    assert excinfo.value.fix  # every mistake says how to fix it


def test_a_required_input_left_empty_is_refused_but_an_optional_one_is_recorded(script):
    with pytest.raises(UserError) as excinfo:
        spec_for(script, ["--input", ""])
    assert field_of(excinfo) == "inputs.input"

    data = str(script.parent / "data")
    spec = spec_for(script, inputs={"input": data, "extra": OPTIONAL})
    assert [i.name for i in spec.inputs] == ["input"]
    assert spec.empty_channels == ("inputs.extra",)


def test_s3_and_job_inputs_are_kept_as_given(script):
    spec = spec_for(
        script,
        ["--input", "s3://bucket/data/", "--prior", "job://prep-1/features"],
        inputs={"input": "unused", "prior": PathArgument(distribution="ShardedByS3Key")},
    )
    by_name = {i.name: i for i in spec.inputs}
    assert by_name["input"].source == "s3://bucket/data/" and not by_name["input"].is_local_path
    assert by_name["prior"].source == "job://prep-1/features"
    assert by_name["prior"].distribution == "ShardedByS3Key"


def test_an_s3_output_has_no_local_copy_and_an_explicit_destination_is_kept(script):
    on_s3 = spec_for(script, ["--output", "s3://bucket/results"])
    assert on_s3.outputs[0].download_dir is None
    assert on_s3.outputs[0].s3 == "s3://bucket/results"

    both = spec_for(script, ["--output-s3", "s3://bucket/elsewhere", "--output-mode", "Continuous"])
    assert both.outputs[0].download_dir == str(script.parent / "out")
    assert both.outputs[0].s3 == "s3://bucket/elsewhere"
    assert both.outputs[0].mode == "Continuous"


def test_an_output_that_is_a_file_is_refused(script):
    (script.parent / "out").write_text("a file, not a directory\n")
    with pytest.raises(UserError) as excinfo:
        spec_for(script)
    assert field_of(excinfo) == "outputs.output"


def test_modules_environment_tags_and_mounts(script):
    spec = spec_for(
        script,
        [
            "--sagemaker-env",
            "A=1",
            "--sagemaker-env",
            "B=x=y",
            "--sagemaker-tag",
            "team=data",
            "--sagemaker-s3-prefix",
            "s3://bucket/stage/",
            "--sagemaker-input-mount",
            "/opt/ml/processing/in/",
        ],
        modules={"mylib": str(script.parent / "mylib")},
    )
    assert [(m.name, m.path, m.field) for m in spec.modules] == [
        ("mylib", str(script.parent / "mylib"), "modules.mylib")
    ]
    assert spec.env == (("A", "1"), ("B", "x=y"))
    assert spec.tags == (("team", "data"),)
    assert spec.s3_prefix == "s3://bucket/stage"  # no trailing slash
    assert spec.input_mount == "/opt/ml/processing/in"


def test_the_scripts_own_arguments_pass_through_verbatim_and_ours_do_not(script):
    spec = spec_for(
        script,
        [
            "--seed",
            "7",
            "--sagemaker-run",
            "--input",
            str(script.parent / "data"),
            "--sagemaker-instance=local",
            "--label=a b",
            "--",
            "--not-a-flag",
        ],
        additional_arguments=[
            {"dest": "--seed"},
            {"dest": "--label"},
            {"dest": "rest", "nargs": "*"},
        ],
    )
    assert spec.arguments == ("--seed", "7", "--label=a b", "--", "--not-a-flag")


def test_passthrough_skips_the_value_of_an_owned_flag_but_not_after_a_bare_yes_no_flag():
    import argparse

    parser = argparse.ArgumentParser()
    run = parser.add_argument("--sagemaker-run", nargs="?")
    instance = parser.add_argument("--sagemaker-instance")
    owned = {"--sagemaker-run": run, "--sagemaker-instance": instance}
    argv = ["--sagemaker-run", "--x", "--sagemaker-instance", "local", "--sagemaker-run", "yes"]
    assert split_arguments(argv, owned) == (("--x",), {"sagemaker_run", "sagemaker_instance"})
