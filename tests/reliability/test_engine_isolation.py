"""A local job sees the container's /opt/ml at its literal path, each instance
its own; where namespaces are unavailable, the failure says why and what to do."""

from __future__ import annotations

import os

import pytest
from e2e.test_local_engine import (
    NAMESPACES_HERE,
    STORE,
    make_request,
    put_store,
    s3_input,
    s3_output,
    stage_script,
    store_file,
    unique,
    wait_status,
)

from aws_sagemaker_remote.backends.local import LocalBackend
from aws_sagemaker_remote.backends.local.isolation.sandbox import (
    NAMESPACES,
    NAMESPACES_ENV,
    PATH_MAPPING,
)

pytestmark = pytest.mark.e2e  # real jobs, subprocesses or fault timeouts: seconds each

# A script written for SageMaker: every path literal, nothing from the engine.
LITERAL = """
import json, os, socket

config = json.load(open("/opt/ml/config/processingjobconfig.json"))
resources = json.load(open("/opt/ml/config/resourceconfig.json"))
host = resources["current_host"]
data = open("/opt/ml/processing/input/data/a.txt").read()
out = "/opt/ml/processing/output"
open(os.path.join(out, host + ".txt"), "w").write(data + " " + config["ProcessingJobName"])
json.dump({"host": host, "hostname": socket.gethostname(), "seen": sorted(os.listdir(out)),
           "mapped": os.environ.get("AWS_SAGEMAKER_REMOTE_OPT_ML")},
          open(os.path.join(out, host + ".json"), "w"))
"""


def literal_request(name: str, prefix: str, count: int = 1) -> dict:
    put_store(f"{prefix}/data/a.txt", "alpha")
    return make_request(
        name,
        stage_script(prefix, LITERAL),
        inputs=[s3_input("data", f"{STORE}/{prefix}/data/", "/opt/ml/processing/input/data")],
        outputs=[s3_output("out", f"{STORE}/{prefix}/out", "/opt/ml/processing/output")],
        count=count,
    )


@pytest.mark.skipif(not NAMESPACES_HERE, reason="no unprivileged namespaces on this machine")
def test_a_script_opening_opt_ml_literally_runs_unchanged_each_instance_its_own(monkeypatch):
    monkeypatch.delenv(NAMESPACES_ENV, raising=False)
    import json

    backend = LocalBackend()
    prefix, name = unique("t"), unique("literal")
    backend.create_job(literal_request(name, prefix, count=2))
    described = wait_status(backend, name)

    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["LocalEngine"]["Isolation"] == NAMESPACES
    for host in ("algo-1", "algo-2"):
        assert store_file(f"{prefix}/out/{host}.txt").read_text() == f"alpha {name}"
        seen = json.loads(store_file(f"{prefix}/out/{host}.json").read_text())
        # its own /opt/ml only: the other instance's files are not there
        assert seen == {"host": host, "hostname": host, "seen": [f"{host}.txt"], "mapped": None}


def test_without_namespaces_a_literal_opt_ml_fails_saying_why_and_what_to_do(monkeypatch):
    if os.path.exists("/opt/ml"):
        pytest.skip("this machine has a real /opt/ml")
    monkeypatch.setenv(NAMESPACES_ENV, "no")
    backend = LocalBackend()
    prefix, name = unique("t"), unique("mapped")
    backend.create_job(literal_request(name, prefix))
    described = wait_status(backend, name)

    assert described["ProcessingJobStatus"] == "Failed"
    assert described["LocalEngine"]["Isolation"] == PATH_MAPPING
    reason = described["FailureReason"]
    assert "/opt/ml/config/processingjobconfig.json" in reason
    assert "without namespaces" in reason and f"{NAMESPACES_ENV}=no" in reason
    assert "take paths from the script's arguments" in reason
