"""Building a JobSpec from keywords: pure, no server. The API's keywords and the command
line's flags go through the same path and give the same spec."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from aws_sagemaker_remote.api import job_spec
from aws_sagemaker_remote.args import PathArgument
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.spec import build_spec
from aws_sagemaker_remote.processing.args import build_parser
from aws_sagemaker_remote.processing.argv import CommandLine
from aws_sagemaker_remote.settings import resolve

NOW = datetime(2026, 12, 2, 12, 0, 0, 123000, tzinfo=timezone.utc)


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "job.py").write_text("print('hi')\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a\n")
    return tmp_path


def test_defaults_environment_and_keywords_in_that_order():
    values, origins = resolve({"role": "given-role"}, {"instance": "local"}, environ={})
    assert values["instance"] == "local" and origins["instance"] == "default"
    assert values["role"] == "given-role" and origins["role"] == "given"
    assert values["volume_size"] == 30 and values["wait"] is True
    env = {"AWS_SAGEMAKER_REMOTE_INSTANCE": "ml.c5.xlarge", "AWS_SAGEMAKER_REMOTE_ROLE": "env"}
    values, origins = resolve({"role": "given-role"}, {"instance": "local"}, environ=env)
    assert values["instance"] == "ml.c5.xlarge" and origins["instance"] == "environment"
    assert values["role"] == "given-role"  # what the caller gave wins over the environment


def test_kinds_are_converted_and_wrong_kinds_name_the_setting():
    values, _ = resolve({"instance_count": "3", "docker": "yes", "env": {"A": 1}}, environ={})
    assert values["instance_count"] == 3 and values["docker"] is True
    assert values["env"] == (("A", "1"),)
    with pytest.raises(UserError) as caught:
        resolve({"runtime_seconds": "soon"}, environ={})
    assert caught.value.field == "runtime_seconds" and caught.value.origin is None
    with pytest.raises(UserError) as caught:
        resolve({}, environ={"AWS_SAGEMAKER_REMOTE_WAIT": "perhaps"})
    assert caught.value.origin == "AWS_SAGEMAKER_REMOTE_WAIT"
    with pytest.raises(TypeError, match="instanse"):
        resolve({"instanse": "local"})


def test_spec_from_keywords(project):
    values, _ = resolve(
        {
            "script": str(project / "job.py"),
            "instance": "local",
            "base_job_name": "wc",
            "tags": {"team": "a"},
            "env": ["K=V"],
            "input_mount": "/opt/ml/processing/in/",
        },
        environ={},
    )
    spec = build_spec(
        values,
        inputs={"data": PathArgument(str(project / "data"), mode="File")},
        outputs={"out": PathArgument(str(project / "out")), "extra": PathArgument(optional=True)},
        arguments=["--min-count", "2"],
        now=NOW,
    )
    assert spec.job_name == "wc-20261202-120000-123"
    assert spec.on_local_engine and spec.instance_count == 1
    assert spec.inputs[0].source == str(project / "data") and spec.inputs[0].is_local_path
    assert spec.outputs[0].download_dir == str(project / "out")
    assert spec.empty_channels == ("outputs.extra",)
    assert spec.arguments == ("--min-count", "2")
    assert spec.tags == (("team", "a"),) and spec.env == (("K", "V"),)
    assert spec.input_mount == "/opt/ml/processing/in"


@pytest.mark.parametrize(
    "settings, field",
    [
        ({"env": ["NOEQUALS"]}, "env"),
        ({"tags": {"aws:x": "1"}}, "tags"),
        ({"s3_prefix": "s3://"}, "s3_prefix"),
        ({"image": "two words"}, "image"),
        ({"job_name": "bad_name"}, "job_name"),
        ({"requirements": "/no/such/requirements.txt"}, "requirements"),
    ],
)
def test_spec_mistakes_name_the_field(project, settings, field):
    values, _ = resolve({"script": str(project / "job.py"), **settings}, environ={})
    with pytest.raises(UserError) as caught:
        build_spec(values, now=NOW)
    assert caught.value.field == field


def test_pipe_mode_on_the_local_engine_names_the_channel_mode(project):
    values, _ = resolve({"script": str(project / "job.py"), "instance": "local"}, environ={})
    with pytest.raises(UserError) as caught:
        build_spec(values, inputs={"data": PathArgument(str(project / "data"), mode="Pipe")})
    assert caught.value.field == "inputs.data.mode"


def test_keywords_and_flags_give_the_same_spec(project, monkeypatch):
    monkeypatch.chdir(project)
    for name in [n for n in __import__("os").environ if n.startswith("AWS_SAGEMAKER_REMOTE_")]:
        if name != "AWS_SAGEMAKER_REMOTE_HOME":
            monkeypatch.delenv(name)
    script = str(project / "job.py")
    api_spec, _, _ = job_spec(
        script,
        {"data": "data"},
        {"out": "out"},
        None,
        ["--min-count", "2"],
        {"instance": "local", "job_name": "same-1", "env": {"K": "V"}, "volume_size": 9},
    )
    parser, channels = build_parser(script=script, inputs={"data": "data"}, outputs={"out": "out"})
    argv = [
        *("--sagemaker-instance", "local", "--sagemaker-job-name", "same-1"),
        *("--sagemaker-env", "K=V", "--sagemaker-volume-size", "9", "--min-count", "2"),
    ]
    args, _ = parser.parse_known_args(argv)
    command = CommandLine(args, parser=parser, channels=channels, argv=argv)
    cli_spec = build_spec(
        command.settings,
        inputs=command.inputs,
        outputs=command.outputs,
        modules=command.modules,
        arguments=command.arguments,
        explicit=command.explicit,
    )
    assert cli_spec == api_spec
    assert command.origins["volume_size"] == "given" and command.origins["role"] == "default"
