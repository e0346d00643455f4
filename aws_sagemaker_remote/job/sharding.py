"""What a run of several instances silently gets wrong, said before the job exists.

Every instance uploads an output's LocalPath to the same S3 prefix, so files of the same
name from two instances overwrite each other and one instance's copy is kept; and
``ShardedByS3Key`` deals the objects out one by one, so an input with fewer objects than
instances leaves some instance with nothing. Pure: it reads the spec and the count of
files staging found, and returns lines that may name fields as ``{{field}}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .spec import JobSpec

SHARDED = "ShardedByS3Key"


def sharding_warnings(spec: JobSpec, file_counts: Mapping[str, int]) -> list[str]:
    """One line per output several instances share, and per sharded input that leaves an
    instance without data."""
    count = spec.instance_count or 1
    if count < 2:
        return []
    found = []
    for spec_input in spec.inputs:
        files = file_counts.get(spec_input.name)
        if spec_input.distribution == SHARDED and files is not None and files < count:
            idle = ", ".join(f"algo-{n}" for n in range(files + 1, count + 1))
            found.append(
                f"warning: {{{{{spec_input.field}}}}} has {files} file"
                f"{'' if files == 1 else 's'} for {count} instances with {SHARDED}: "
                f"{idle} will get no input (pass fewer instances or split the input further)"
            )
    if spec.outputs:
        names = ", ".join(f"{{{{{o.field}}}}}" for o in spec.outputs)
        found.append(
            f"warning: {count} instances upload {names} to one S3 prefix each: files of the "
            "same name overwrite one another and one instance's copy is kept, unless each "
            "instance writes into a subfolder of its own (its host name, algo-1, algo-2, "
            "..., is current_host in /opt/ml/config/resourceconfig.json)"
        )
    return found
