"""``jobs list --max`` takes 1..10000; anything else is one line, not a traceback."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.cli.jobs import main


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "0", "ten", "10001"])
def test_a_max_out_of_range_is_one_line(capsys, value):
    with pytest.raises(SystemExit) as caught:
        main(["jobs", "list", "--local", "--max", value])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "--max" in err and "1 to 10000" in err
