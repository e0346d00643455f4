"""Channels that overlap, and channel declarations that clash.

An output equal to, inside or containing an input or a module would be downloaded into
what the next run ships; a script that declares clashing channels must say so in one line
naming the keyword, before argparse ever sees it.
"""

from __future__ import annotations

import pytest
from conftest import run_script
from scripts import write_script

DRY = ("--sagemaker-dry-run", "true")


def one_line_error(done) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "sub" / "a.txt").write_text("a\n")
    (tmp_path / "data_v2").mkdir()
    (tmp_path / "data_v2" / "b.txt").write_text("b\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    write_script(
        tmp_path,
        'inputs={"input": "data"}, outputs={"output": "out"}, modules={"lib": "lib"},',
    )
    return tmp_path


@pytest.mark.e2e
@pytest.mark.parametrize(
    "output, what",
    [
        ("data", "input"),  # the same directory
        ("data/out", "input"),  # inside it
        ("data/sub", "input"),
        (".", "input"),  # containing it (and the module)
        ("lib/generated", "module"),
    ],
)
def test_an_output_overlapping_an_input_or_module_is_refused(project, output, what, no_aws_env):
    done = run_script(project / "job.py", *DRY, "--output", output, cwd=project, env=no_aws_env)
    line = one_line_error(done)
    assert "--output:" in line and what in line
    assert done.stdout == ""  # no request printed


@pytest.mark.e2e
def test_a_submission_with_overlap_uploads_nothing(project, moto_reset, s3):
    done = run_script(
        project / "job.py", "--sagemaker-run", "true", "--output", "data/out", cwd=project
    )
    assert "--output:" in one_line_error(done)
    assert s3.list_buckets()["Buckets"] == []  # not even the staging bucket


@pytest.mark.e2e
def test_an_s3_output_inside_an_s3_input_is_refused(project, no_aws_env):
    done = run_script(
        project / "job.py",
        *DRY,
        "--input",
        "s3://bucket/data",
        "--output-s3",
        "s3://bucket/data/out",
        cwd=project,
        env=no_aws_env,
    )
    assert "--output-s3:" in one_line_error(done)


@pytest.mark.e2e
def test_siblings_sharing_a_name_prefix_do_not_overlap(project, no_aws_env):
    done = run_script(
        project / "job.py", *DRY, "--output", "data_v2/x", cwd=project, env=no_aws_env
    )
    assert done.returncode == 0, done.stderr
    done = run_script(
        project / "job.py",
        *DRY,
        "--input",
        "s3://bucket/clean",
        "--output-s3",
        "s3://bucket/clean_v2",
        cwd=project,
        env=no_aws_env,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.e2e
@pytest.mark.parametrize(
    "kwargs, names",
    [
        ('inputs={"data": "d"}, outputs={"data": "o"},', ["data", "inputs=", "outputs="]),
        ('inputs={"data": "d"}, modules={"data": "m"},', ["data", "inputs=", "modules="]),
        ('inputs={"my-data": "d"}, outputs={"my_data": "o"},', ["my-data", "my_data", "--my-data"]),
        ('inputs={"my-data": "d", "my_data": "e"},', ["my-data", "my_data", "--my-data"]),
        ('inputs={"sagemaker_run": "d"},', ["sagemaker_run", "--sagemaker-run"]),
        ('outputs={"sagemaker-role": "o"},', ["sagemaker-role", "--sagemaker-role"]),
        ('inputs={"x": "d"}, outputs={"x_mode": "o"},', ["x_mode", "--x-mode"]),
        ('inputs={"help": "d"},', ["help", "--help"]),
    ],
)
def test_clashing_channel_declarations_are_one_line_naming_the_keyword(tmp_path, kwargs, names):
    script = write_script(tmp_path, kwargs)
    done = run_script(script, cwd=tmp_path)
    line = one_line_error(done)
    for name in names:
        assert name in line
