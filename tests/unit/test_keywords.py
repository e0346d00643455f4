"""keywords.py: the table of what each keyword of the Python surfaces takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from aws_sagemaker_remote.args import PathArgument
from aws_sagemaker_remote.errors import KeywordError, UserError
from aws_sagemaker_remote.keywords import KEYWORDS, SETTING_NAMES, check_keywords

EVERYTHING = set(KEYWORDS)


def test_every_setting_has_an_entry():
    assert SETTING_NAMES <= EVERYTHING


def test_paths_become_strings_and_words_become_booleans():
    checked = check_keywords(
        {"requirements": Path("r.txt"), "wait": "No", "inputs": {"d": Path("data")}},
        "f",
        EVERYTHING,
    )
    assert checked == {"requirements": "r.txt", "wait": False, "inputs": {"d": "data"}}


def test_arguments_keep_numbers_as_text_and_refuse_none():
    assert check_keywords({"arguments": ["--n", 2, 1.5]}, "f", EVERYTHING) == {
        "arguments": ["--n", "2", "1.5"]
    }
    with pytest.raises(KeywordError, match=r"arguments=: takes .*item 1 got None"):
        check_keywords({"arguments": ["--n", None]}, "f", EVERYTHING)


def test_the_error_is_a_user_error_and_a_type_error_naming_the_keyword():
    with pytest.raises(KeywordError) as caught:
        check_keywords({"env": {"A": None}}, "f", EVERYTHING)
    assert isinstance(caught.value, UserError) and isinstance(caught.value, TypeError)
    assert caught.value.field == "env"
    assert caught.value.one_line() == (
        "env=: takes a dict of str -> str, or 'KEY=VALUE' strings; 'A': got None (NoneType)"
    )


def test_an_unknown_keyword_suggests_the_close_one():
    with pytest.raises(KeywordError, match="has no keyword instanse=; did you mean instance="):
        check_keywords({"instanse": "local"}, "submit", EVERYTHING)


def test_path_arguments_are_checked_attribute_by_attribute():
    with pytest.raises(KeywordError, match="'d': mode got 3"):
        check_keywords({"inputs": {"d": PathArgument("x", mode=3)}}, "f", EVERYTHING)
    good = PathArgument(Path("x"), optional=True)
    assert check_keywords({"inputs": {"d": good}}, "f", EVERYTHING)["inputs"]["d"].local == "x"


def test_a_value_nested_too_deeply_is_one_line():
    nested: list = []
    for _ in range(10_000):
        nested = [nested]
    with pytest.raises(KeywordError, match="env=: takes"):
        check_keywords({"env": nested}, "f", EVERYTHING)
