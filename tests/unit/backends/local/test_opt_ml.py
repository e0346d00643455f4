"""A local job's /opt/ml stand-in: container paths under it, the bootstrap's options."""

import pytest

from aws_sagemaker_remote.backends.local.opt_ml import (
    TransferError,
    bootstrap_options,
    container_relpath,
)
from aws_sagemaker_remote.script.bootstrap import Options, option_tokens

BOOTSTRAP = "/opt/ml/processing/input/code/lib/aws_sagemaker_remote/script/bootstrap.py"


def test_a_container_path_lands_relative_to_the_stand_in():
    assert container_relpath("/opt/ml/processing/input/data") == "processing/input/data"
    assert container_relpath("/opt/ml/processing/out/") == "processing/out"


@pytest.mark.parametrize("path", ["/opt/ml/processing/../../etc", "/opt/ml/processing/./x"])
def test_a_container_path_that_would_leave_the_stand_in_is_refused(path):
    with pytest.raises(TransferError, match="container path"):
        container_relpath(path)


def test_the_bootstrap_entrypoint_is_read_back_as_its_options():
    options = Options(script="/opt/ml/code/s.py", requirements="/opt/ml/code/req.txt")
    tokens = [token for token, _ in option_tokens(options)]
    read = bootstrap_options(["python3", BOOTSTRAP, *tokens])
    assert read is not None
    assert (read.script, read.requirements) == ("/opt/ml/code/s.py", "/opt/ml/code/req.txt")


@pytest.mark.parametrize(
    "entrypoint",
    [
        ["python3", "/opt/ml/code/other.py", "--script", "x"],  # not our bootstrap
        [BOOTSTRAP, "--script", "x"],  # the bootstrap as the program: it has no shebang
        ["python3", BOOTSTRAP, "--no-such-option"],  # malformed: the bootstrap says so itself
        ["python3"],
    ],
)
def test_any_other_entrypoint_has_no_bootstrap_options(entrypoint):
    assert bootstrap_options(entrypoint) is None
