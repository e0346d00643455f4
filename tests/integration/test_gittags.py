"""Git tags of a job: commit, branch, remote without credentials, dirty state."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from aws_sagemaker_remote.aws.gittags import clean_tag, git_tags, strip_credentials

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

TAG_CHARSET = re.compile(r"[A-Za-z0-9 _.:/=+\-@]*")


def _git(repo, *args):
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture()
def repo(tmp_path):
    root = tmp_path / "project"
    (root / "jobs").mkdir(parents=True)
    _git(root, "init", "-q", "-b", "feature/wc#1")
    script = root / "jobs" / "wc.py"
    script.write_text("print('hi')\n")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "first")
    _git(root, "remote", "add", "origin", "https://alice:s3cret@git.example.com/team/wc.git")
    return root


def _as_dict(tags):
    for tag in tags:
        assert TAG_CHARSET.fullmatch(tag["Key"]) and len(tag["Key"]) <= 128
        assert TAG_CHARSET.fullmatch(tag["Value"]) and len(tag["Value"]) <= 256
    return {t["Key"]: t["Value"] for t in tags}


@pytest.mark.e2e
def test_clean_repository(repo):
    tags = _as_dict(git_tags(str(repo / "jobs" / "wc.py")))
    assert tags == {
        "aws-sagemaker-remote:git-commit": _git(repo, "rev-parse", "HEAD"),
        "aws-sagemaker-remote:git-branch": "feature/wc_1",
        "aws-sagemaker-remote:git-remote": "https://git.example.com/team/wc.git",
        "aws-sagemaker-remote:git-dirty": "false",
    }
    assert "s3cret" not in str(tags) and "alice" not in str(tags)


@pytest.mark.e2e
def test_dirty_repository(repo):
    (repo / "jobs" / "wc.py").write_text("print('changed')\n")
    assert (
        _as_dict(git_tags(str(repo / "jobs" / "wc.py")))["aws-sagemaker-remote:git-dirty"] == "true"
    )


@pytest.mark.e2e
def test_untracked_files_do_not_make_it_dirty(repo):
    (repo / "scratch.txt").write_text("notes")
    assert (
        _as_dict(git_tags(str(repo / "jobs" / "wc.py")))["aws-sagemaker-remote:git-dirty"]
        == "false"
    )


@pytest.mark.e2e
def test_detached_head_and_no_remote(repo):
    _git(repo, "remote", "remove", "origin")
    _git(repo, "checkout", "-q", "--detach")
    tags = _as_dict(git_tags(str(repo / "jobs" / "wc.py")))
    assert set(tags) == {"aws-sagemaker-remote:git-commit", "aws-sagemaker-remote:git-dirty"}


@pytest.mark.e2e
def test_outside_a_repository(tmp_path):
    script = tmp_path / "alone.py"
    script.write_text("")
    assert git_tags(str(script)) == []


@pytest.mark.e2e
def test_repository_without_commits(tmp_path):
    _git(tmp_path, "init", "-q")
    assert git_tags(str(tmp_path / "x.py")) == []


@pytest.mark.e2e
def test_git_missing(repo, monkeypatch):
    monkeypatch.setenv("PATH", str(repo))  # no git on this PATH
    assert git_tags(str(repo / "jobs" / "wc.py")) == []


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://user:password@github.com/o/r.git", "https://github.com/o/r.git"),
        ("https://ghp_token@github.com/o/r.git", "https://github.com/o/r.git"),
        ("http://u:p@host:8080/r", "http://host:8080/r"),
        ("ssh://git:pw@host/r.git", "ssh://git@host/r.git"),
        ("ssh://git@host/r.git", "ssh://git@host/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
    ],
)
def test_strip_credentials(url, expected):
    assert strip_credentials(url) == expected


def test_clean_tag():
    assert clean_tag("a#b%c d_e.f:g/h=i+j-k@l", 256) == "a_b_c d_e.f:g/h=i+j-k@l"
    assert clean_tag("x" * 300, 256) == "x" * 256


@pytest.mark.e2e
def test_where_git_could_find_a_repository(repo, tmp_path, monkeypatch):
    """git is started only where its discovery could succeed; elsewhere the answer is the
    one git would give (no repository) without starting it."""
    from aws_sagemaker_remote.aws.gittags import may_be_in_repository

    monkeypatch.delenv("GIT_DIR", raising=False)
    alone = tmp_path / "alone"
    alone.mkdir()
    assert not may_be_in_repository(str(alone))
    assert may_be_in_repository(str(repo / "jobs"))
    (tmp_path / "link").symlink_to(repo / "jobs")  # git resolves it: so is it here
    assert may_be_in_repository(str(tmp_path / "link"))
    worktree = tmp_path / "worktree" / "sub"
    worktree.mkdir(parents=True)
    (tmp_path / "worktree" / ".git").write_text(f"gitdir: {repo / '.git'}\n")
    assert may_be_in_repository(str(worktree))
    bare = tmp_path / "bare.git"
    _git(tmp_path, "init", "-q", "--bare", str(bare))
    assert may_be_in_repository(str(bare))
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    assert may_be_in_repository(str(alone))


@pytest.mark.e2e
def test_git_dir_outside_the_tree(repo, tmp_path, monkeypatch):
    """GIT_DIR names the repository wherever the script is: its tags are still taken."""
    script = tmp_path / "elsewhere" / "wc.py"
    script.parent.mkdir()
    script.write_text("")
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(repo))
    tags = _as_dict(git_tags(str(script)))
    assert tags["aws-sagemaker-remote:git-commit"] == _git(repo, "rev-parse", "HEAD")
