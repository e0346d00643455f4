"""What only an engine on this machine offers beyond the Backend Protocol: its disk space,
and removing what is no longer needed.

The engine answers with data (:class:`Space`, :class:`Removed`, :class:`Pruned`), never
with sentences: the command line words them. A front end asks
``isinstance(backend, LocalOperations)`` rather than which backend it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Space:
    """Disk space the engine holds under ``root``: bytes by what holds them (``jobs``,
    ``environments``, ``store``, ``bytecode``), each inode counted once."""

    root: str
    parts: dict[str, int] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return sum(self.parts.values())


@dataclass(frozen=True)
class Removed:
    """The jobs ``remove_jobs`` deleted (record and directory) and the bytes that freed."""

    jobs: tuple[str, ...]
    freed_bytes: int  # freed for real: each inode once, and only once no link to it is left


@dataclass(frozen=True)
class Pruned:
    """What a prune deleted (or, with ``dry_run``, would delete) and the bytes that frees."""

    jobs: tuple[str, ...]
    freed_bytes: int  # measured as Removed's
    trees: int = 0  # staged trees of the local store no remaining job references
    bytecode: int = 0  # cached compiled modules
    environments: tuple[str, ...] = ()  # cached job environments, by name
    dry_run: bool = False


@runtime_checkable
class LocalOperations(Protocol):
    """Operations on the jobs and caches of an engine on this machine."""

    def count_jobs(self, name_contains: str | None = None) -> int:
        """How many jobs ``list_jobs`` could list (for "20 of 23")."""

    def job_size(self, job_name: str) -> int:
        """Bytes of disk the job's directory takes."""

    def space(self) -> Space:
        """The disk space the engine holds, by what holds it."""

    def remove_jobs(self, names: list[str]) -> Removed:
        """Delete ended jobs (record and directory); refused, nothing deleted, if one is
        unknown (NotFound) or still in progress (UserError)."""

    def prune(
        self, keep: int = 0, older_than: float | None = None, *, dry_run: bool = False
    ) -> Pruned:
        """Delete ended jobs but the newest ``keep`` (only those ended ``older_than``
        seconds ago, when given), then the caches no remaining job needs."""
