"""Cutting a listing into pages (pure: no server)."""

from __future__ import annotations

from aws_sagemaker_remote.server.s3_list import _page, _token, _untoken

KEYS = [(k, 1) for k in ["a/1", "a/2", "b", "c/x/1", "c/y", "d"]]


def pages(prefix: str, delimiter: str, size: int) -> list[tuple[list[str], list[str]]]:
    found, after, skip = [], "", False
    keys = [(k, n) for k, n in KEYS if k.startswith(prefix)]  # as the store lists them
    while True:
        objects, prefixes, truncated, last = _page(keys, prefix, delimiter, after, skip, size)
        found.append(([k for k, _ in objects], prefixes))
        if not truncated:
            return found
        after, skip = _untoken(_token(last, last in prefixes))


def test_pages_of_a_delimited_listing_skip_keys_under_a_prefix_already_given():
    assert pages("", "/", 2) == [(["b"], ["a/"]), (["d"], ["c/"])]


def test_pages_without_a_delimiter_give_every_key_once():
    keys = [k for page, _ in pages("", "", 4) for k in page]
    assert keys == [k for k, _ in KEYS]


def test_a_prefix_groups_below_itself():
    assert pages("c/", "/", 10) == [(["c/y"], ["c/x/"])]


def test_max_keys_zero_is_not_truncated():
    assert _page(KEYS, "", "", "", False, 0) == ([], [], False, "")
