"""``PathArgument`` takes the keywords it documents and the original package's; a keyword
it does not know (a typo such as ``distrbution=``) is one line naming it and the ones it
takes, exit 2, instead of being ignored while the job runs with the default."""

from __future__ import annotations

import pytest

import aws_sagemaker_remote as asr
from aws_sagemaker_remote.args import PathArgument
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.processing import sagemaker_processing_main


def main(args):
    raise AssertionError("main must not run")


def test_a_misspelt_keyword_stops_the_script_with_one_line(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    declared = PathArgument(str(tmp_path / "data"), distrbution="ShardedByS3Key")
    with pytest.raises(SystemExit) as leaving:
        sagemaker_processing_main(main=main, script=__file__, inputs={"data": declared}, argv=[])
    assert leaving.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "inputs['data']: PathArgument does not take the keyword distrbution=" in err
    assert "did you mean distribution=?" in err
    assert "it takes local=, remote=, optional=, mode=, distribution=, data_type=" in err


def test_the_python_api_refuses_it_too(tmp_path):
    (tmp_path / "job.py").write_text("print(1)\n")
    declared = PathArgument("s3://bucket/out", remot="s3://bucket/x")
    with pytest.raises(
        UserError, match=r"outputs\['out'\]: .* keyword remot= \(did you mean remote=\?\)"
    ):
        asr.request(tmp_path / "job.py", outputs={"out": declared}, instance="local")


def test_the_original_packages_keywords_still_work():
    declared = PathArgument("data", attributes=["a"], repeat=2, shuffle=True, repeated=False)
    assert declared.unknown_keywords == ()
    assert PathArgument("data", split_workers=True).unknown_keywords == ()
