"""The gate before a client's writes: reads go at once, writes wait for it (and stop with
what it raises)."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.aws.writes_after import WritesAfter


class Recorder:
    """Stands in for a botocore client: every method records its call."""

    def __init__(self, calls: list[str]):
        self.calls = calls

    def __getattr__(self, name):
        return lambda **kwargs: self.calls.append(name) or name


def test_reads_go_at_once_and_writes_wait_for_the_gate():
    calls: list[str] = []
    client = WritesAfter(Recorder(calls), lambda: calls.append("gate"))
    assert client.get_role(RoleName="r") == "get_role"
    client.list_role_policies(RoleName="r")
    client.create_role(RoleName="r")
    client.put_role_policy(RoleName="r")
    client.update_assume_role_policy(RoleName="r")
    client.delete_role_policy(RoleName="r")
    assert calls == [
        "get_role",
        "list_role_policies",
        "gate",
        "create_role",
        "gate",
        "put_role_policy",
        "gate",
        "update_assume_role_policy",
        "gate",
        "delete_role_policy",
    ]


def test_what_the_gate_raises_stops_the_write():
    calls: list[str] = []

    def refused():
        raise ValueError("the job name is taken")

    client = WritesAfter(Recorder(calls), refused)
    with pytest.raises(ValueError, match="taken"):
        client.create_role(RoleName="r")
    assert calls == []
