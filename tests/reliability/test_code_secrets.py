"""Secrets in what ships as code are refused, wherever they hide.

Every shipped file is judged by its name and its whole content, links by the file they
lead to, and the files given by flags (requirements, configuration script) as much as the
code; the verdict is remembered under the digest of the bytes scanned, so a warm
submission reads nothing again.
"""

from __future__ import annotations

import pytest

from aws_sagemaker_remote import request
from aws_sagemaker_remote.errors import UserError
from aws_sagemaker_remote.job import secret_scan
from aws_sagemaker_remote.storage.hashcache import StagingCache

SCRIPT = """
from aws_sagemaker_remote.processing import sagemaker_processing_main

if __name__ == "__main__":
    sagemaker_processing_main(main=print, script=__file__)
"""
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r\n-----END OPENSSH PRIVATE KEY-----\n"
PGP = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----\n"
PPK = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\nAAAA\n"


@pytest.fixture()
def project(tmp_path):
    root = tmp_path / "project"  # apart from the state directory under tmp_path
    root.mkdir()
    (root / "job.py").write_text(SCRIPT)
    (root / "README.md").write_text("# a project\n")
    return root


def dry_run(project, **settings):
    return request(project / "job.py", instance="local", **settings)


def refused(project, keyword: str, **settings) -> str:
    with pytest.raises(UserError) as caught:
        dry_run(project, **settings)
    assert caught.value.field == keyword, caught.value
    line = caught.value.one_line()
    assert "allow_secrets=" in line
    assert dry_run(project, allow_secrets=True, **settings)  # allowed on request
    return line


@pytest.mark.parametrize("offset", [9000, 1024 * 1024 - 20, 3 * 1024 * 1024])
def test_a_key_after_any_amount_of_text_is_found(project, offset):
    (project / "notes.txt").write_text("x" * offset + PEM)
    line = refused(project, "source_dir", source_dir=project)
    assert "notes.txt is a private key" in line


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("backup.asc", PGP, "a PGP private key"),
        ("deploy.ppk", "anything\n", "a PuTTY private key"),
        ("deploy-key", PPK, "a PuTTY private key"),
    ],
)
def test_pgp_and_putty_keys_are_found(project, name, content, reason):
    (project / name).write_text(content)
    assert f"{name} is {reason}" in refused(project, "source_dir", source_dir=project)


def test_a_link_is_judged_by_the_file_it_names(project):
    (project / ".gitignore").write_text(".env\n")
    (project / ".env").write_text("TOKEN=abc\n")  # ignored: never shipped itself
    (project / "settings.cfg").symlink_to(".env")
    assert "settings.cfg is a .env file" in refused(project, "source_dir", source_dir=project)


def test_a_link_to_a_key_is_judged_by_its_content(project):
    (project / "keys").mkdir()
    (project / "keys" / "k.txt").write_text(PEM)
    (project / ".gitignore").write_text("keys/\n")
    (project / "config.yaml").symlink_to("keys/k.txt")
    assert "config.yaml is a private key" in refused(project, "source_dir", source_dir=project)


def test_a_env_file_as_the_configuration_script_is_refused(project):
    (project / ".env").write_text("export TOKEN=abc\n")
    line = refused(project, "configuration_script", configuration_script=project / ".env")
    assert ".env is a .env file" in line


def test_a_key_as_the_requirements_file_is_refused(project):
    (project / "requirements.txt").write_text(PEM)
    line = refused(project, "requirements", requirements=project / "requirements.txt")
    assert "requirements.txt is a private key" in line


def test_a_key_in_a_single_file_module_is_refused(project):
    (project / "helper.py").write_text(f"KEY = '''{PEM}'''\n")
    line = refused(project, "modules.helper", modules={"helper": project / "helper.py"})
    assert "helper.py is a private key" in line


def test_the_verdict_is_remembered_under_the_scanned_bytes(project, monkeypatch):
    (project / "data.txt").write_text("plain text\n" * 1000)
    dry_run(project, source_dir=project)
    with StagingCache() as cache:
        known = cache.verdicts(
            secret_scan.CHECKER, [secret_scan.scan_content(str(project / "data.txt"))[0]]
        )
    assert list(known.values()) == [secret_scan.CLEAN]

    read: list[str] = []
    scan = secret_scan.scan_content
    monkeypatch.setattr(secret_scan, "scan_content", lambda p: read.append(p) or scan(p))
    dry_run(project, source_dir=project)
    assert read == []  # warm: every verdict came from the cache
    (project / "data.txt").write_text("plain text\n" * 999 + PEM)
    with pytest.raises(UserError, match="data.txt is a private key"):
        dry_run(project, source_dir=project)
    assert read == [str(project / "data.txt")]
