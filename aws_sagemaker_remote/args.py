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
# SageMaker's defaults, the first of each: what a channel gets when it names none
DEFAULT_INPUT_MODE, DEFAULT_OUTPUT_MODE = INPUT_MODES[0], OUTPUT_MODES[0]
DEFAULT_DISTRIBUTION, DEFAULT_DATA_TYPE = DISTRIBUTIONS[0], DATA_TYPES[0]


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

    :param local: the default path (or ``s3://`` URI; ``job://JOB/OUTPUT`` for an input).
    :param remote: where an output lands on S3 (``"default"``: generated from the job name).
    :param optional: the channel may be left empty; it is then not shipped.
    :param mode: ``File`` or ``Pipe`` for an input, ``EndOfJob`` or ``Continuous`` for an
        output.
    :param distribution: ``FullyReplicated`` or ``ShardedByS3Key`` (an input's objects
        split across instances).
    :param data_type: ``S3Prefix`` (every object under the URI) or ``ManifestFile`` (the
        URI names a manifest listing the objects).
    :param container_path: where the channel is inside the job, under
        ``/opt/ml/processing/`` (default: ``<mount>/<channel name>``).
    :param legacy: the original package's ``attributes``, ``repeat``, ``repeated``,
        ``shuffle`` and ``split_workers``, accepted with no effect. Any other keyword is a
        mistake (``distrbution=``), reported with the keywords it takes when the channel
        is declared (:func:`check_keywords`), never silently ignored.
    """

    __slots__ = (
        "local",
        "remote",
        "optional",
        "mode",
        "distribution",
        "data_type",
        "container_path",
        "unknown_keywords",
    )

    def __init__(
        self,
        local: str | None = None,
        remote: str | None = "default",
        optional: bool = False,
        mode: str | None = None,
        distribution: str | None = None,
        data_type: str | None = None,
        container_path: str | None = None,
        **legacy: object,
    ):
        self.local = local
        self.remote = remote or "default"
        self.optional = optional
        self.mode = mode
        self.distribution = distribution
        self.data_type = data_type
        self.container_path = container_path
        self.unknown_keywords = tuple(sorted(set(legacy) - LEGACY_KEYWORDS))

    def __repr__(self) -> str:
        return (
            f"PathArgument(local={self.local!r}, remote={self.remote!r}, "
            f"optional={self.optional!r}, mode={self.mode!r}, distribution={self.distribution!r}, "
            f"data_type={self.data_type!r}, container_path={self.container_path!r})"
        )


# Keywords of the original package's PathArgument that mean nothing here, kept working.
LEGACY_KEYWORDS = frozenset({"attributes", "repeat", "repeated", "shuffle", "split_workers"})
KEYWORDS = (
    "local",
    "remote",
    "optional",
    "mode",
    "distribution",
    "data_type",
    "container_path",
)

OPTIONAL = PathArgument(optional=True)


def check_keywords(argument: PathArgument, where: str) -> None:
    """UserError naming a keyword ``argument`` was given that PathArgument does not take.

    ``where`` names the channel in the caller's terms (``inputs['data']``)."""
    if not argument.unknown_keywords:
        return
    import difflib

    from .errors import UserError

    keyword = argument.unknown_keywords[0]
    close = difflib.get_close_matches(keyword, KEYWORDS, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}=?)" if close else ""
    raise UserError(
        f"{where}: PathArgument does not take the keyword {keyword}={hint}",
        fix=f"it takes {', '.join(k + '=' for k in KEYWORDS)}",
    )


def as_path_argument(value: object, *, kind: str, name: str) -> PathArgument:
    """Normalise what users write for a channel: a path, None, a PathArgument or (local, s3)."""
    if isinstance(value, PathArgument):
        check_keywords(value, f"{kind}s[{name!r}]")
        return value
    if value is None:
        return PathArgument(optional=True)
    if isinstance(value, str):
        return PathArgument(value)
    if isinstance(value, tuple) and len(value) == 2 and kind == "output":
        return PathArgument(value[0], remote=value[1])
    from .errors import UserError

    raise UserError(
        f"{kind}s[{name!r}] is {value!r}",
        fix="pass a path, an s3:// URI or a PathArgument",
    )


def flag_for(name: str) -> str:
    """``my_input`` -> ``--my-input``."""
    return "--" + name.replace("_", "-")


def dest_for(flag: str) -> str:
    """``--my-input`` -> ``my_input``."""
    return flag.lstrip("-").replace("-", "_")
