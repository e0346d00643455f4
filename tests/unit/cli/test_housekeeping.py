"""The local engine's data in the jobs command's words: sizes in decimal units, and the
one line ``jobs list``, ``jobs rm`` and ``jobs prune`` print on stderr."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.backends.housekeeping import Pruned, Removed, Space
from aws_sagemaker_remote.cli.housekeeping import (
    format_bytes,
    pruned_line,
    removed_line,
    space_line,
)


@pytest.mark.parametrize(
    "size, said",
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 KB"), (1_500_000, "1.5 MB"), (3e9, "3.0 GB")],
)
def test_sizes_are_in_decimal_units(size, said):
    assert format_bytes(size) == said
    assert format_bytes(5e12) == "5000.0 GB"  # no larger unit: a local disk


def test_the_space_line_names_the_root_the_total_and_each_part():
    space = Space("/s", {"jobs": 2_000_000, "environments": 1_000_000, "store": 0})
    assert space_line(space) == (
        "local engine: 3.0 MB in /s (jobs 2.0 MB, environments 1.0 MB, store 0 B)"
    )


def test_a_removal_says_how_many_jobs_and_what_it_freed():
    assert removed_line(Removed(("a", "b"), 2048)) == "removed 2 jobs, 2.0 KB freed"


def test_a_prune_says_each_kind_and_names_the_environments():
    pruned = Pruned(("a",), 5_000_000, trees=3, bytecode=4, environments=("py3.9-x",))
    assert pruned_line(pruned) == (
        "removed 1 jobs, 3 staged trees, 4 cached compiled modules and 1 job environments "
        "(py3.9-x), 5.0 MB freed"
    )


def test_a_dry_run_says_what_would_go():
    assert pruned_line(Pruned((), 0, dry_run=True)) == (
        "would remove 0 jobs, 0 staged trees, 0 cached compiled modules and 0 job "
        "environments, 0 B to free"
    )
