"""How counts and sizes read in messages, the same everywhere ("1 file", "2 files", "3.0 MiB")."""

from __future__ import annotations


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 file``, ``2 files`` (``plural`` for irregular words)."""
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


def size(n: float) -> str:
    """Bytes in binary units: ``512 B``, ``1.5 KiB``, ``3.0 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{int(n)} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def did_you_mean(value: object, choices: list[str] | tuple[str, ...], cutoff: float = 0.6) -> str:
    """``; did you mean 'local'?`` for the choice nearest to ``value`` (difflib, any case),
    or "" when none is near: the one hint every check of a value against a set gives."""
    import difflib

    by_lower = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(str(value).lower(), list(by_lower), n=1, cutoff=cutoff)
    return f"; did you mean {by_lower[found[0]]!r}?" if found else ""
