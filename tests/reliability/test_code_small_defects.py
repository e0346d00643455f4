"""What ships as code, and what messages say about it: outputs inside a source directory
stay out of the code, modules loaded with importlib ship, the job says why a module is
missing, channel names of any spelling are named in messages, and git remote URLs lose
their credentials in every form."""

from __future__ import annotations

import pytest

import aws_sagemaker_remote as asr
from aws_sagemaker_remote.aws.gittags import strip_credentials
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job.code import select_code
from aws_sagemaker_remote.processing import sagemaker_processing_main


def code_files(request: dict) -> str:
    return next(i for i in request["ProcessingInputs"] if i["InputName"] == "code")["S3Input"][
        "S3Uri"
    ]


def test_an_output_inside_the_source_dir_does_not_ship_as_code(tmp_path):
    project = tmp_path / "project"
    (project / "out").mkdir(parents=True)
    (project / "job.py").write_text("")
    before = asr.request(project / "job.py", instance="local", source_dir=project)
    (project / "out" / "result.py").write_text("downloaded by the last run\n")
    (project / "out" / "big.bin").write_bytes(b"\0" * 1000)
    after = asr.request(
        project / "job.py",
        instance="local",
        source_dir=project,
        outputs={"out": str(project / "out")},
    )
    assert code_files(after) == code_files(before)
    chosen = select_code(
        str(project / "job.py"), source_dir=str(project), not_code=[str(project / "out")]
    )
    assert chosen.relpaths == ("job.py",)


DYNAMIC = """
import importlib
from importlib import import_module

plugin = importlib.import_module("plugins.csv_reader")
other = import_module("helpers")
legacy = __import__("legacy_mod")
"""


def test_modules_loaded_through_importlib_ship(tmp_path):
    (tmp_path / "job.py").write_text(DYNAMIC)
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "__init__.py").write_text("")
    (tmp_path / "plugins" / "csv_reader.py").write_text("")
    (tmp_path / "helpers.py").write_text("")
    (tmp_path / "legacy_mod.py").write_text("")
    (tmp_path / "unused.py").write_text("")
    chosen = select_code(str(tmp_path / "job.py"))
    assert chosen.relpaths == (
        "helpers.py",
        "job.py",
        "legacy_mod.py",
        "plugins/__init__.py",
        "plugins/csv_reader.py",
    )


HIDDEN = """
import importlib, sys
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    importlib.import_module("hid" + "den")

if __name__ == "__main__":
    sagemaker_processing_main(main=main, script=__file__)
"""


@pytest.mark.e2e
def test_a_module_missing_in_the_job_gets_a_hint(tmp_path):
    (tmp_path / "job.py").write_text(HIDDEN)
    (tmp_path / "hidden.py").write_text("")
    job = asr.submit(tmp_path / "job.py", instance="local", local_host_credentials=True)
    assert job.wait() == "Failed"
    logs = "\n".join(job.logs())
    assert "ModuleNotFoundError" in logs
    assert "hint: 'hidden' is not in the job" in logs and "modules=" in logs


def test_a_channel_name_of_any_spelling_is_named_not_left_as_a_placeholder(tmp_path, capsys):
    (tmp_path / "job.py").write_text("")
    with pytest.raises(UserError) as caught:
        asr.request(tmp_path / "job.py", instance="local", inputs={"bad name!": "nowhere"})
    assert "{{" not in caught.value.one_line()
    assert caught.value.one_line().startswith("inputs['bad name!']: ")
    with pytest.raises(SystemExit):
        sagemaker_processing_main(
            main=print,
            script=str(tmp_path / "job.py"),
            inputs={"bad name!": "nowhere"},
            argv=["--sagemaker-dry-run", "true"],
        )
    err = capsys.readouterr().err
    assert "{{" not in err and "error: --bad name!: nowhere does not exist" in err


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://github.com/o/r.git;access_token=SECRET", "https://github.com/o/r.git"),
        ("ssh://git:SECRET@host/r.git;token=SECRET", "ssh://git@host/r.git"),
        ("user:SECRET@host:/path?x=://y", "user@host:/path"),
        ("user:SECRET@host:path;x=SECRET", "user@host:path"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
    ],
)
def test_git_remote_credentials_never_reach_tags(url, expected):
    assert strip_credentials(url) == expected


@pytest.mark.parametrize("where", [".", ".."])
def test_an_output_holding_the_source_dir_is_refused(tmp_path, where):
    project = tmp_path / "project"
    project.mkdir()
    (project / "job.py").write_text("")
    with pytest.raises(UserError) as caught:
        asr.request(
            project / "job.py",
            instance="local",
            source_dir=project,
            outputs={"out": str(project / where)},
        )
    assert caught.value.field == "outputs.out"
    assert "holds the code" in caught.value.one_line()
