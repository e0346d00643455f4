"""The console's small renderings: durations, escaping, URLs and file names."""

from __future__ import annotations

from aws_sagemaker_remote.server.console.browse import content_disposition
from aws_sagemaker_remote.server.console.html import duration, esc, url
from aws_sagemaker_remote.server.console.logs import instance_label


def test_durations_read_as_people_say_them():
    assert [duration(s) for s in (0, 59, 60, 3600, 3661, None)] == [
        "0s",
        "59s",
        "1m",
        "1h",
        "1h 1m 1s",
        "-",
    ]


def test_values_are_escaped_attributes_included():
    assert esc('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;" and esc(None) == ""


def test_urls_carry_only_given_values_encoded():
    assert (
        url("s3", bucket="b", prefix="a b/&c", job=None)
        == "/_console/s3?bucket=b&prefix=a+b%2F%26c"
    )


def test_a_download_name_cannot_break_its_header():
    header = content_disposition('dir/evil"\r\nSet-Cookie: x=1;.txt')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="evil___Set-Cookie: x=1_.txt"')
    assert content_disposition("dir/") == "attachment; filename=\"dir\"; filename*=UTF-8''dir"


def test_streams_are_labelled_by_instance():
    assert instance_label("job-1/algo-2-1733577600") == "algo-2"
