"""A client whose writes wait for a gate while its reads go at once.

A submission looks up its role (GetRole, the role's policies, the running jobs) beside the
checks of the user's mistakes (the job name, the output buckets): nothing may be created
or changed before those pass, but the reads need not wait for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# botocore's operation names as client methods: every IAM call that changes something
_WRITES = ("add_", "attach_", "create_", "delete_", "detach_", "put_", "remove_", "tag_",
           "untag_", "update_")  # fmt: skip


class WritesAfter:
    """``client`` with every write preceded by ``gate()`` (what it raises stops the write)."""

    def __init__(self, client: Any, gate: Callable[[], object]):
        self._client, self._gate = client, gate

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not name.startswith(_WRITES):
            return attribute
        gate = self._gate

        def gated(*args: Any, **kwargs: Any) -> Any:
            gate()
            return attribute(*args, **kwargs)

        return gated
