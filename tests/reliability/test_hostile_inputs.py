"""The audit of hostile and mistaken inputs (``hostile_inputs.py``), one test per case.

Every bad input must be refused in one line (exit 2, no traceback, nothing printed on
stdout, no request and no job); every good one accepted. Cases that run the script in a
subprocess (bad files on disk) are end-to-end. ``python -m tests.reliability.hostile_inputs``
prints the totals.
"""

from __future__ import annotations

import pytest

from .hostile_inputs import all_cases, environment, run_case

CASES = [
    pytest.param(case, id=case.id, marks=[pytest.mark.e2e] if case.surface == "file" else [])
    for case in all_cases()
]


@pytest.fixture()
def hostile_environment(tmp_path, monkeypatch):
    """No credentials and an endpoint that answers nothing: nothing of a case reaches AWS."""
    wanted = environment(tmp_path)
    for name in list(__import__("os").environ):
        if name.startswith("AWS_") and name not in wanted:
            monkeypatch.delenv(name)
    for name, value in wanted.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("case", CASES)
def test_each_input_is_refused_in_one_line_or_accepted(case, tmp_path, hostile_environment):
    outcome = run_case(case, tmp_path / "project")
    expected = "one-line" if case.refused else "accepted"
    assert outcome.kind == expected, f"{outcome.kind} (exit {outcome.code}): {outcome.err}"
