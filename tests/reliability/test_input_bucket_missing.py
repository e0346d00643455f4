"""An input naming a bucket that does not exist is blamed on that input's flag.

The S3 store reports a missing bucket as a mistake of the staging prefix (``s3_prefix``),
which is right while staging; but the input checks re-raise any error that already names
a field as it is, so ``--data s3://missing/x`` is answered with
"--sagemaker-s3-prefix: bucket missing does not exist", a flag the user never passed.
"""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.processing import sagemaker_processing_main
from aws_sagemaker_remote.storage.s3objects import s3_input_kind

MISSING = "no-such-input-bucket"


def test_the_input_check_names_the_input_field(moto_reset):
    with pytest.raises(UserError) as caught:
        s3_input_kind(None, f"s3://{MISSING}/data/train.csv", field="inputs.data")
    assert caught.value.field == "inputs.data"


def test_a_local_run_blames_the_input_flag(moto_reset, tmp_path, capsys):
    script = tmp_path / "job.py"
    script.write_text("")
    ran = []
    with pytest.raises(SystemExit) as done:
        sagemaker_processing_main(
            ran.append,
            script=str(script),
            inputs={"data": str(tmp_path)},
            argv=["--data", f"s3://{MISSING}/data/"],
        )
    err = capsys.readouterr().err
    assert done.value.code == 2 and not ran
    assert "--data" in err and "--sagemaker-s3-prefix" not in err
