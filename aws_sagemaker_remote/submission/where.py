"""Where a submission goes: the account and region, or placeholders when no AWS is involved."""

from __future__ import annotations

from typing import Any


class Where:
    """The account and region a run targets; ``aws`` is None when no AWS is involved."""

    __slots__ = ("region", "account_id", "aws", "notes")

    def __init__(
        self, region: str, account_id: str, aws: Any = None, notes: list[str] | None = None
    ):
        self.region = region
        self.account_id = account_id
        self.aws = aws  # AwsContext
        self.notes = [] if notes is None else notes  # what a dry run had to guess

    @property
    def session(self):
        return self.aws.session if self.aws else None
