"""serve over a damaged job store: the service's error shape naming the file, no traceback."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from server.conftest import start_serve

pytestmark = pytest.mark.e2e


def test_a_damaged_job_store_is_an_internal_failure_naming_it(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "jobs.sqlite").write_bytes(b"this is not an SQLite database" * 100)
    server = start_serve(state)
    try:
        for call in (
            lambda: server.client("sagemaker").list_processing_jobs(),
            lambda: server.client("logs").describe_log_streams(
                logGroupName="/aws/sagemaker/ProcessingJobs"
            ),
        ):
            with pytest.raises(ClientError) as raised:
                call()
            error = raised.value.response["Error"]
            assert error["Code"] == "InternalFailure"
            assert "jobs.sqlite" in error["Message"] and "damaged" in error["Message"]
    finally:
        code, err = server.stop()
    assert code == 0
    assert "Traceback" not in err
