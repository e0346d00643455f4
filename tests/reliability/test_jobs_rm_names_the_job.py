"""``jobs rm`` of a job that does not exist blames the job NAME it was given.

The local engine's removal names the field ``name``, which the ``jobs`` command spells as
``--name``: an option of ``jobs download`` (the output to fetch) that ``jobs rm`` does not
even have. Other commands name the field ``job_name``, spelled NAME.
"""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.cli import jobs


def test_removing_a_job_that_does_not_exist_names_no_option_it_lacks(capsys):
    with pytest.raises(SystemExit) as done:
        jobs.main(["jobs", "rm", "--local", "no-such-job"])
    err = capsys.readouterr().err.strip()
    assert done.value.code == 2 and len(err.splitlines()) == 1
    assert "no-such-job" in err
    assert "--name" not in err
