"""The local engine's disk space and removals in words, for ``jobs list``, ``rm`` and
``prune``: the engine answers with data (:mod:`..backends.housekeeping`), this module
says it."""

from __future__ import annotations

from ..backends.housekeeping import Pruned, Removed, Space


def format_bytes(size: float) -> str:
    """Bytes in decimal units, as disk tools say them: ``512 B``, ``1.5 KB``, ``3.0 GB``."""
    for unit in ("B", "KB", "MB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def space_line(space: Space) -> str:
    """``local engine: 5.0 MB in ROOT (jobs 3.0 MB, environments 2.0 MB, ...)``."""
    each = ", ".join(f"{what} {format_bytes(size)}" for what, size in space.parts.items())
    return f"local engine: {format_bytes(space.total_bytes)} in {space.root} ({each})"


def removed_line(removed: Removed) -> str:
    """``removed 2 jobs, 5.0 MB freed``."""
    return f"removed {len(removed.jobs)} jobs, {format_bytes(removed.freed_bytes)} freed"


def pruned_line(pruned: Pruned) -> str:
    """``removed 2 jobs, 3 staged trees, ... and 1 job environments (x), 5.0 MB freed``;
    ``would remove ..., 5.0 MB to free`` for a dry run."""
    verb = "would remove" if pruned.dry_run else "removed"
    said = (
        f"{verb} {len(pruned.jobs)} jobs, {pruned.trees} staged trees, "
        f"{pruned.bytecode} cached compiled modules and {len(pruned.environments)} job "
        "environments"
    )
    if pruned.environments:
        said += f" ({', '.join(pruned.environments)})"
    freed = "to free" if pruned.dry_run else "freed"
    return f"{said}, {format_bytes(pruned.freed_bytes)} {freed}"
