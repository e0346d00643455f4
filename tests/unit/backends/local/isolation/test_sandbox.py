"""The sandbox view of an instance, decided without starting anything."""

from __future__ import annotations

import os

from aws_sagemaker_remote.backends.local.isolation import nsinit
from aws_sagemaker_remote.backends.local.isolation.sandbox import sandbox_view


def view(tmp_path, **changes):
    options = dict(
        homes=[str(tmp_path / "home"), str(tmp_path / "home" / "sub"), "/"],
        caches=[tmp_path / "home" / "state", tmp_path / "envs"],
        instance_dir=tmp_path / "home" / "state" / "jobs" / "j" / "algo-1",
        environment=tmp_path / "envs" / "py3.9-x",
        given=tmp_path / "home" / "state" / "jobs" / "j" / "pycs",
        interpreter=str(tmp_path / "home" / ".pyenv" / "versions" / "3.9.1" / "bin" / "python"),
        network=True,
    )
    options.update(changes)
    return sandbox_view(**options)


def test_the_home_the_state_and_the_caches_are_hidden_once_each_never_the_root(tmp_path):
    seen = view(tmp_path)
    assert seen.hidden == tuple(sorted([str(tmp_path / "envs"), str(tmp_path / "home")]))
    assert seen.private == ("/tmp", "/var/tmp", "/dev/shm")
    assert seen.writable == (str(tmp_path / "home" / "state" / "jobs" / "j" / "algo-1"),)


def test_what_the_job_runs_comes_back_read_only_from_under_what_is_hidden(tmp_path):
    seen = view(tmp_path)
    assert str(tmp_path / "envs" / "py3.9-x") in seen.read_only
    assert str(tmp_path / "home" / "state" / "jobs" / "j" / "pycs") in seen.read_only
    assert str(tmp_path / "home" / ".pyenv" / "versions" / "3.9.1") in seen.read_only
    system = view(tmp_path, interpreter="/usr/bin/python3")  # in view already: not bound
    assert "/usr" not in system.read_only


def test_network_isolation_takes_run_and_masks_the_hosts_sockets(tmp_path):
    open_view = view(tmp_path)
    assert "/run" not in open_view.private and open_view.masked == ()
    closed = view(tmp_path, network=False)
    assert "/run" in closed.private
    assert not [m for m in closed.masked if m.startswith(("/run/", "/tmp/"))]


def test_credential_files_outside_what_is_hidden_are_masked(tmp_path):
    elsewhere = "/etc/hostname"  # stands for a credentials file named by AWS_* variables
    under_tmp = tmp_path / "aws" / "credentials"  # /tmp is the job's own: gone already
    under_tmp.parent.mkdir()
    under_tmp.write_text("[default]\n")
    inside = tmp_path / "home" / ".aws" / "credentials"
    seen = view(tmp_path, credential_files=[elsewhere, str(under_tmp), str(inside)])
    assert seen.masked == ((os.path.realpath(elsewhere),) if os.path.isfile(elsewhere) else ())


def test_described_says_what_was_hidden_private_read_only_and_writable(tmp_path):
    described = view(tmp_path).described()
    assert described["ReadOnly"][0] == "/" and described["Writable"][0] == "/opt/ml"
    assert str(tmp_path / "home") in described["Hidden"]
    assert described["MaskedUnixSockets"] == 0


def test_nsinit_takes_the_sandbox_options_given_more_than_once():
    options, command = nsinit.parse(
        ["--opt-ml", "/x", "--hide", "/a", "--hide", "/b", "--bind-ro", "/c", "--", "run", "--hide"]
    )
    assert options == {"--opt-ml": "/x", "--hide": ["/a", "/b"], "--bind-ro": ["/c"]}
    assert command == ["run", "--hide"]


def test_mountinfo_escapes_are_read_back():
    assert nsinit._unescape("/a\\040b\\011c") == "/a b\tc"
    assert nsinit._unescape("/plain") == "/plain"
