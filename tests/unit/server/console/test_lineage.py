"""Lineage found by S3 location: a job whose input lies at or under another job's output
is its child; reading the same data as another job makes no parent."""

from __future__ import annotations

from consolekit import fetch, record

from aws_sagemaker_remote.server.console import LocalSource
from aws_sagemaker_remote.server.console.lineage import covers, lineage_of

ROOT = "s3://aws-sagemaker-remote-local-store/staging/jobs"


def chain(engine) -> None:
    """raw -> prep -> train -> report, and a sibling that reads what prep read."""
    record(
        engine,
        "prep",
        inputs=[("data", "s3://raw/data/")],
        outputs=[("clean", f"{ROOT}/prep/clean/")],
    )
    record(engine, "sibling", inputs=[("data", "s3://raw/data/")])
    record(
        engine,
        "train",
        inputs=[("features", f"{ROOT}/prep/clean/train"), ("code", f"{ROOT}/prep/clean/")],
        outputs=[("model", f"{ROOT}/train/model/")],
    )
    record(engine, "report", inputs=[("model", f"{ROOT}/train/model/")])
    record(engine, "other", inputs=[("data", f"{ROOT}/prep/clean_v2/")])


def test_covers_means_the_prefix_as_a_directory():
    assert covers("s3://b/out/", "s3://b/out/")
    assert covers("s3://b/out/", "s3://b/out")
    assert covers("s3://b/out/", "s3://b/out/part/x.csv")
    assert not covers("s3://b/out/", "s3://b/out_v2/")
    assert not covers("s3://b/clean", "s3://b/clean_v2/x")


def test_parents_and_children_are_found_both_ways(engine):
    chain(engine)
    found = lineage_of(LocalSource(engine), "train")
    assert [(link.producer, link.output, link.input) for link in found.parents] == [
        ("prep", "clean", "features")
    ]  # the code channel is shipped code, not data
    assert [(link.consumer, link.input) for link in found.children] == [("report", "model")]
    assert found.depth == {"train": 0, "prep": -1, "report": 1}


def test_reading_the_same_data_is_no_lineage(engine):
    chain(engine)
    found = lineage_of(LocalSource(engine), "sibling")
    assert found.parents == [] and found.children == []
    assert [link.consumer for link in lineage_of(LocalSource(engine), "prep").children] == ["train"]


def test_the_page_links_both_ways_and_draws_a_graph_past_one_hop(engine, console):
    chain(engine)
    record(engine, "one", outputs=[("out", f"{ROOT}/one/out/")])
    record(engine, "two", inputs=[("data", f"{ROOT}/one/out/")])
    train = fetch(console + "/_console/jobs/train").text
    assert 'href="/_console/jobs/prep"' in train and 'href="/_console/jobs/report"' in train
    assert "<svg" in train  # prep -> train -> report: two hops, drawn
    report = fetch(console + "/_console/jobs/report").text
    assert "<svg" in report and 'href="/_console/jobs/prep"' in report  # two hops back
    two = fetch(console + "/_console/jobs/two").text
    assert 'href="/_console/jobs/one"' in two and "<svg" not in two  # one hop: a table
    assert fetch(console + "/_console/jobs/sibling").text.count('href="/_console/jobs/') == 0
