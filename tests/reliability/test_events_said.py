"""What a submission says through ``on_event``: one short line per event when printed,
the code summary as information, and warnings for runs of several instances that would
silently lose files or leave an instance without input."""

from __future__ import annotations

import pytest

import aws_sagemaker_remote as asr
from aws_sagemaker_remote.args import PathArgument
from aws_sagemaker_remote.events import Event


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "data").mkdir()
    for name in ("a.txt", "b.txt"):
        (tmp_path / "data" / name).write_text(f"{name}\n")
    (tmp_path / "helpers.py").write_text("NAME = 'n.txt'\n")
    script = tmp_path / "job.py"
    script.write_text(
        "import os\n"
        "import helpers\n"
        "from aws_sagemaker_remote.processing import sagemaker_processing_main\n"
        "def main(args):\n"
        "    os.makedirs(args.output, exist_ok=True)\n"
        "    open(os.path.join(args.output, helpers.NAME), 'w').write('1')\n"
        "if __name__ == '__main__':\n"
        "    sagemaker_processing_main(main=main, inputs={'input': 'data'},"
        " outputs={'output': 'out'})\n"
    )
    return tmp_path


@pytest.mark.e2e
def test_printing_events_prints_a_short_line_each(project, capsys):
    job = asr.submit(
        project / "job.py",
        instance="local",
        inputs={"input": str(project / "data")},
        outputs={"output": str(project / "out")},
        wait=True,
        on_event=print,
    )
    assert job.status() == "Completed"
    printed = capsys.readouterr().out.splitlines()
    assert any(line == f"{job.name}: Completed" for line in printed), printed
    assert any(line == f"created processing job {job.name}" for line in printed), printed
    assert not [line for line in printed if "ProcessingJobName" in line or len(line) > 300]


def test_str_of_each_kind():
    described = {"ProcessingJobName": "j", "ProcessingJobStatus": "Failed"}
    assert str(Event("status", "j: Failed", described)) == "j: Failed"
    assert str(Event("log", "  indented  log line")) == "  indented  log line"
    assert str(Event("warning", "{{inputs.data.mode}} is odd")) == "inputs['data'] mode is odd"


def test_the_code_summary_is_information_not_a_warning(project):
    events: list[Event] = []
    asr.request(
        project / "job.py",
        instance="local",
        inputs={"input": str(project / "data")},
        outputs={"output": str(project / "out")},
        on_event=events.append,
    )
    code = [e for e in events if e.text.startswith("code: job.py with local module helpers")]
    assert [e.kind for e in code] == ["info"]
    assert not [e for e in events if e.kind == "warning"]


def test_several_instances_warn_about_one_output_prefix_and_idle_instances(project):
    events: list[Event] = []
    asr.request(
        project / "job.py",
        instance="local",
        instance_count=3,
        inputs={"input": PathArgument(str(project / "data"), distribution="ShardedByS3Key")},
        outputs={"output": str(project / "out")},
        on_event=events.append,
    )
    warnings = [str(e) for e in events if e.kind == "warning"]
    assert any(
        "inputs['input'] has 2 files for 3 instances with ShardedByS3Key: algo-3 will get no" in w
        for w in warnings
    ), warnings
    assert any(
        "3 instances upload outputs['output'] to one S3 prefix" in w and "algo-1" in w
        for w in warnings
    ), warnings
    events.clear()
    asr.request(  # replicated to every instance: nobody is idle; outputs still shared
        project / "job.py",
        instance="local",
        instance_count=2,
        inputs={"input": str(project / "data")},
        outputs={"output": str(project / "out")},
        on_event=events.append,
    )
    warnings = [str(e) for e in events if e.kind == "warning"]
    assert len(warnings) == 1 and "2 instances upload" in warnings[0]


def test_a_sharded_s3_object_for_two_instances_warns(project, s3):
    s3.create_bucket(Bucket="sharded-inputs")
    s3.put_object(Bucket="sharded-inputs", Key="one/table.csv", Body=b"a,b\n")
    events: list[Event] = []
    asr.request(
        project / "job.py",
        instance="ml.m5.large",
        instance_count=2,
        inputs={
            "input": PathArgument(
                "s3://sharded-inputs/one/table.csv", distribution="ShardedByS3Key"
            )
        },
        outputs={"output": "s3://sharded-inputs/out"},
        on_event=events.append,
    )
    warnings = [str(e) for e in events if e.kind == "warning"]
    assert any("inputs['input'] has 1 file for 2 instances" in w for w in warnings), warnings
