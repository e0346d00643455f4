"""A git remote URL loses every credential before it becomes a tag."""

from __future__ import annotations

import pytest

from aws_sagemaker_remote.aws.gittags import strip_credentials


@pytest.mark.parametrize(
    "url, expected",
    [
        # a token in the query string or the fragment (some hosting services hand these out)
        ("https://github.com/o/r.git?access_token=ghp_SECRET", "https://github.com/o/r.git"),
        ("https://host/r.git#token=SECRET", "https://host/r.git"),
        ("https://u:SECRET@host/r.git?private_token=SECRET#x", "https://host/r.git"),
        # user info everywhere, whatever the scheme
        ("ssh://git:SECRET@host:2222/r.git", "ssh://git@host:2222/r.git"),
        ("git+https://oauth2:SECRET@gitlab.example/r.git", "git+https://gitlab.example/r.git"),
        ("ftp://u:SECRET@host/r.git", "ftp://u@host/r.git"),
        # scp-like syntax with a password slipped in
        ("git:SECRET@github.com:o/r.git", "git@github.com:o/r.git"),
        ("deploy@github.com:o/r.git?token=SECRET", "deploy@github.com:o/r.git"),
        # an @ inside the password
        ("https://u:SE@CRET@host/r.git", "https://host/r.git"),
    ],
)
def test_no_credential_survives_in_any_part(url, expected):
    cleaned = strip_credentials(url)
    assert cleaned == expected
    assert "SECRET" not in cleaned and "SE" + "@" not in cleaned
