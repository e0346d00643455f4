"""A processing script's channels at container paths of their own, run on the local
engine: the script gets each path as its flag's value, the data is there, and what it
writes there comes back byte for byte."""

from __future__ import annotations

import pytest
from conftest import run_script

SCRIPT = """
import os
from aws_sagemaker_remote.args import PathArgument
from aws_sagemaker_remote.processing import sagemaker_processing_main


def main(args):
    with open(os.path.join(args.output, "where.txt"), "w") as f:
        f.write(f"{args.raw} {args.output}\\n")
    for name in sorted(os.listdir(args.raw)):
        with open(os.path.join(args.raw, name), "rb") as source:
            data = source.read()
        with open(os.path.join(args.output, name + ".rev"), "wb") as target:
            target.write(data[::-1])


if __name__ == "__main__":
    sagemaker_processing_main(
        main=main,
        inputs={"raw": PathArgument("data", container_path="/opt/ml/processing/raw")},
        outputs={"output": "out"},
    )
"""


@pytest.mark.e2e
def test_channels_at_their_own_container_paths_on_the_local_engine(tmp_path):
    (tmp_path / "data").mkdir()
    payload = bytes(range(256)) * 9
    (tmp_path / "data" / "bytes.bin").write_bytes(payload)
    (tmp_path / "job.py").write_text(SCRIPT)
    done = run_script(
        tmp_path / "job.py",
        "--sagemaker-run", "true", "--sagemaker-instance", "local",
        "--output-container-path", "/opt/ml/processing/results/reversed",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    where = (tmp_path / "out" / "where.txt").read_text()
    assert where == "/opt/ml/processing/raw /opt/ml/processing/results/reversed\n"
    assert (tmp_path / "out" / "bytes.bin.rev").read_bytes() == payload[::-1]
