"""The examples run locally, exactly as the README shows, and give the expected files."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES, REPO, run_script

EXPECTED = REPO / "tests" / "expected"


@pytest.mark.e2e
def test_wordcount_runs_locally_on_the_shipped_data(tmp_path):
    done = run_script(EXAMPLES / "wordcount.py", "--output", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "55 words, 37 distinct"
    produced = (tmp_path / "out" / "counts.tsv").read_bytes()
    assert produced == (EXPECTED / "wordcount-counts.tsv").read_bytes()


@pytest.mark.e2e
def test_wordcount_default_output_is_relative_to_the_working_directory(tmp_path):
    done = run_script(EXAMPLES / "wordcount.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "output" / "wordcount" / "counts.tsv").read_bytes() == (
        EXPECTED / "wordcount-counts.tsv"
    ).read_bytes()


@pytest.mark.e2e
def test_textstats_runs_locally_with_its_module_and_arguments(tmp_path):
    done = run_script(
        EXAMPLES / "textstats" / "textstats.py",
        "--output",
        tmp_path / "out",
        "--min-length",
        "4",
        "--top",
        "5",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    produced = (tmp_path / "out" / "stats.json").read_bytes()
    assert produced == (EXPECTED / "textstats-stats.json").read_bytes()
