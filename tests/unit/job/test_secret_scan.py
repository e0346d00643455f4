"""job/secret_scan.py: names, whole-file content in chunks, links by their target."""

from __future__ import annotations

from aws_sagemaker_remote.job import secret_scan
from aws_sagemaker_remote.job.secret_scan import ShippedFile, find_secret, name_reason, scan_content

PEM = b"-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n"


def test_names():
    assert name_reason("/p/.env") == "a .env file"
    assert name_reason("/p/.env.production") == "a .env file"
    assert name_reason("/p/id_ed25519") == "a private key"
    assert name_reason("/p/Deploy.PPK") == "a PuTTY private key"
    assert name_reason("/p/settings.cfg") is None


def test_a_key_across_a_chunk_boundary_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(secret_scan, "_CHUNK", 64)
    for offset in range(40, 80):
        path = tmp_path / f"f{offset}"
        path.write_bytes(b"x" * offset + PEM)
        digest, verdict = scan_content(str(path))
        assert verdict == "a private key", offset


def test_the_digest_is_of_the_bytes_scanned(tmp_path):
    import hashlib

    path = tmp_path / "f"
    path.write_bytes(b"plain" * 1000)
    assert scan_content(str(path)) == (hashlib.sha256(b"plain" * 1000).hexdigest(), "")


def test_a_link_is_judged_by_its_target(tmp_path):
    (tmp_path / ".env").write_text("A=1\n")
    (tmp_path / "ok.cfg").symlink_to(".env")
    found = find_secret([ShippedFile("ok.cfg", str(tmp_path / "ok.cfg"))])
    assert found == ("ok.cfg", "a .env file")


def test_a_public_key_or_certificate_is_no_secret(tmp_path):
    path = tmp_path / "cert.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n")
    path2 = tmp_path / "key.pub"
    path2.write_text("-----BEGIN PUBLIC KEY-----\nMII\n-----END PUBLIC KEY-----\n")
    assert find_secret([ShippedFile(str(p), str(p)) for p in (path, path2)]) is None
