"""A local job's inputs are linked from the local store, not copied, where that is safe;
the job cannot change the store's copy through them; ``jobs describe --local`` says how
each input was placed; and placing a large input reports how far it got."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from conftest import run_script
from e2e.test_engine_e2e import LOCAL

from aws_sagemaker_remote.backends.local.runner.transfer import Locations, Placement, plan_input
from aws_sagemaker_remote.storage.localstore import LOCAL_STORE_BUCKET, local_store_path

STORE = f"s3://{LOCAL_STORE_BUCKET}"

TRIES_TO_CHANGE_ITS_INPUT = """
import os
from aws_sagemaker_remote.processing import sagemaker_processing_main

def main(args):
    path = os.path.join(args.input, "big.bin")
    for how in ("append", "chmod"):
        try:
            if how == "append":
                with open(path, "ab") as f:
                    f.write(b"changed by the job")
            else:
                os.chmod(path, 0o666)
            print(f"{how}: changed")
        except PermissionError:
            print(f"{how}: refused")
    print("size", os.path.getsize(path))

if __name__ == "__main__":
    sagemaker_processing_main(main=main, inputs={"input": "data"}, base_job_name="placed")
"""


def describe(name: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "aws_sagemaker_remote", "jobs", "describe", "--local", name],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def job_name(stderr: str) -> str:
    return next(
        line.split()[-1] for line in stderr.splitlines() if "created processing job" in line
    )


@pytest.mark.e2e
def test_two_jobs_share_the_store_copy_of_an_input_and_cannot_change_it(tmp_path):
    data = os.urandom(3 * 1024 * 1024)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "big.bin").write_bytes(data)
    (tmp_path / "placed.py").write_text(TRIES_TO_CHANGE_ITS_INPUT)
    names, outputs = [], []
    for _ in range(2):
        done = run_script(tmp_path / "placed.py", *LOCAL, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        names.append(job_name(done.stderr))
        outputs.append(done.stderr)
    engines = [describe(name)["LocalEngine"] for name in names]
    for engine, said in zip(engines, outputs):
        placed = engine["Inputs"]["input"]
        assert (placed["Files"], placed["Bytes"]) == (1, len(data))
        assert set(placed) - {"Files", "Bytes"} <= {"Linked", "Copied"}
        assert f"size {len(data)}" in said  # what the job saw was never changed
        if "Linked" in placed:  # the store's own file: the job may not change it
            assert placed["Linked"] == {"Files": 1, "Bytes": len(data)}
            assert "append: refused" in said
            if os.geteuid() == 0:  # given to nobody, whom the job's namespace does not map
                assert "chmod: refused" in said
    if os.geteuid() != 0 or engines[0]["Isolation"] == "namespaces":
        assert all("Linked" in engine["Inputs"]["input"] for engine in engines)
        job_copies = [
            os.stat(os.path.join(engine["JobDirectory"], "algo-1", "opt", "ml", "processing",
                                 "input", "input", "big.bin"))
            for engine in engines
        ]  # fmt: skip
        assert len({(s.st_dev, s.st_ino) for s in job_copies}) == 1  # one file on disk
    assert (tmp_path / "data" / "big.bin").read_bytes() == data


def test_placing_an_input_reports_how_far_it_got(tmp_path):
    prefix = f"placed-{uuid.uuid4().hex[:10]}"
    data = os.urandom(3 * 1024 * 1024 + 5)
    path = local_store_path(f"{STORE}/{prefix}/in/big.bin")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    s3_input = {
        "S3Uri": f"{STORE}/{prefix}/in",
        "LocalPath": "/opt/ml/processing/in",
        "S3DataType": "S3Prefix",
        "S3DataDistributionType": "FullyReplicated",
    }
    instances = [tmp_path / "algo-1", tmp_path / "algo-2"]
    locations = Locations()
    tasks = plan_input(locations, s3_input, instances)
    heard = []
    placement = Placement("input in", tasks, heard.append, every_s=0.0)
    locations.fetch_all(tasks, lambda: False, placement)
    assert heard, "no progress was reported"
    last = heard[-1]
    assert (last.what, last.files_done, last.files_total) == ("input in", 2, 2)
    assert last.bytes_done == last.bytes_total == 2 * len(data)
    assert [p.bytes_done for p in heard] == sorted(p.bytes_done for p in heard)
    summary = placement.summary()
    assert (summary["Files"], summary["Bytes"]) == (2, 2 * len(data))
    for instance in instances:
        assert (instance / "processing" / "in" / "big.bin").read_bytes() == data
