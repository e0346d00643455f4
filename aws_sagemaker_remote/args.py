"""Channel declarations and flag values shared by every script (public).

Kept to the standard library's ``argparse`` and ``os`` so that a local run pays for
nothing else.
"""

from __future__ import annotations

import argparse

TRUTHY = frozenset({"yes", "true", "1", "y", "t", "on"})
FALSY = frozenset({"no", "false", "0", "n", "f", "off"})

INPUT_MODES = ("File", "Pipe")
OUTPUT_MODES = ("EndOfJob", "Continuous")
DISTRIBUTIONS = ("FullyReplicated", "ShardedByS3Key")
DATA_TYPES = ("S3Prefix", "ManifestFile")


def parse_bool(text: str | bool) -> bool:
    """yes/true/1 or no/false/0 in any case; argparse turns the ValueError into a usage error."""
    if isinstance(text, bool):
        return text
    lowered = text.strip().lower()
    if lowered in TRUTHY:
        return True
    if lowered in FALSY:
        return False
    from .wording import did_you_mean

    hint = did_you_mean(lowered, sorted(TRUTHY | FALSY), cutoff=0.7)
    raise argparse.ArgumentTypeError(f"expected yes/true/1 or no/false/0, got {text!r}{hint}")


parse_bool.__name__ = "yes/no"  # argparse names the type in its messages


class PathArgument:
    """A channel declared with more than its default path.

    ``local`` is the default path (or ``s3://`` URI); ``optional`` lets the channel be left
    empty, in which case it is not shipped; ``mode`` is File/Pipe for inputs and
    EndOfJob/Continuous for outputs; ``remote`` is where an output lands on S3 ("default":
    generated from the job name); ``distribution`` is FullyReplicated or ShardedByS3Key;
    ``data_type`` is S3Prefix (every object under the URI) or ManifestFile (the URI names a
    manifest listing the objects).
    """

    __slots__ = ("local", "remote", "optional", "mode", "distribution", "data_type")

    def __init__(
        self,
        local: str | None = None,
        remote: str | None = "default",
        optional: bool = False,
        mode: str | None = None,
        distribution: str | None = None,
        data_type: str | None = None,
        **_ignored: object,  # split_workers, attributes...: accepted for old scripts
    ):
        self.local = local
        self.remote = remote or "default"
        self.optional = optional
        self.mode = mode
        self.distribution = distribution
        self.data_type = data_type

    def __repr__(self) -> str:
        return (
            f"PathArgument(local={self.local!r}, remote={self.remote!r}, "
            f"optional={self.optional!r}, mode={self.mode!r}, distribution={self.distribution!r}, "
            f"data_type={self.data_type!r})"
        )


OPTIONAL = PathArgument(optional=True)


def as_path_argument(value: object, *, kind: str, name: str) -> PathArgument:
    """Normalise what users write for a channel: a path, None, a PathArgument or (local, s3)."""
    if isinstance(value, PathArgument):
        return value
    if value is None:
        return PathArgument(optional=True)
    if isinstance(value, str):
        return PathArgument(value)
    if isinstance(value, tuple) and len(value) == 2 and kind == "output":
        return PathArgument(value[0], remote=value[1])
    raise TypeError(
        f"{kind} {name!r}: expected a path, an s3:// URI or a PathArgument, got {value!r}"
    )


def flag_for(name: str) -> str:
    """``my_input`` -> ``--my-input``."""
    return "--" + name.replace("_", "-")


def dest_for(flag: str) -> str:
    """``--my-input`` -> ``my_input``."""
    return flag.lstrip("-").replace("-", "_")
