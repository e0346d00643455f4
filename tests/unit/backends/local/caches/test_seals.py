"""The engine's key and seals: what tells the engine's own cache entries apart."""

from __future__ import annotations

import stat

from aws_sagemaker_remote.backends.local.caches.seals import KEY_FILE, engine_key, seal, sealed


def test_the_key_is_made_once_private_and_kept(tmp_path):
    key = engine_key(tmp_path / "state")
    assert len(key) == 32 and engine_key(tmp_path / "state") == key
    assert stat.S_IMODE((tmp_path / "state" / KEY_FILE).stat().st_mode) == 0o600
    assert engine_key(tmp_path / "other") != key


def test_a_damaged_key_is_replaced(tmp_path):
    (tmp_path / KEY_FILE).write_bytes(b"short")
    assert len(engine_key(tmp_path)) == 32


def test_a_seal_holds_only_for_its_bytes_and_its_key():
    key, other = b"k" * 32, b"o" * 32
    mark = seal(key, b"data")
    assert len(mark) == 64 and sealed(key, b"data", mark)
    assert not sealed(key, b"date", mark) and not sealed(other, b"data", mark)
