"""Inputs already on S3 (or outputs of earlier jobs), looked up before the job is planned.

Each is one object or a directory, and SageMaker delivers every key that starts with an
S3Prefix: a directory is sent with a trailing "/" (``clean`` never brings ``clean_v2/``),
and one object that other keys start with is sent as a one-entry manifest (``f.csv``
never brings ``f.csv.bak``). A dry run without credentials cannot look, and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import UserError
from ..job.channels import S3Input
from ..job.spec import JobSpec
from ..storage.stores import needs_aws as _needs_aws

if TYPE_CHECKING:
    from .where import Where


def resolve_s3_inputs(
    spec: JobSpec,
    sources: dict[str, str],
    where: Where,
    backend,
    output_root_of: Callable[[str], str],
) -> dict[str, S3Input]:
    """Input name -> where it is, for inputs already on S3 (or job outputs).
    ``output_root_of(job)``: where a job's outputs go by default (a dry run's guess)."""
    resolved: dict[str, S3Input] = {}
    for spec_input in spec.inputs:
        uri = sources[spec_input.name]
        if spec_input.is_local_path:
            continue
        if uri.startswith("job://"):
            if backend is None:  # a dry run without AWS: where our jobs put their outputs
                from ..job.lineage import parse_job_uri

                job, output, inside = parse_job_uri(uri, spec_input.field)
                guess = "/".join(p for p in (output_root_of(job), output, inside) if p)
                resolved[spec_input.name] = S3Input(guess if inside else guess + "/", False)
                where.notes.append(
                    f"{{{{{spec_input.field}}}}} {uri} assumed at its default location"
                )
                continue
            from ..job.lineage import resolve_job_input

            uri = resolve_job_input(uri, backend, field=spec_input.field)
        if spec_input.data_type == "ManifestFile":  # the URI names the manifest object itself
            resolved[spec_input.name] = S3Input(uri, True)
            continue
        if where.aws is None and _needs_aws(uri):  # a dry run without credentials cannot look
            resolved[spec_input.name] = S3Input(_as_directory(uri), False)
            where.notes.append(f"{{{{{spec_input.field}}}}} {uri} not checked; assumed a directory")
        else:
            resolved[spec_input.name] = _s3_input(where, uri, spec_input.field)
    return resolved


def _as_directory(uri: str) -> str:
    """A directory's prefix ends in "/": SageMaker delivers every key starting with an
    S3Prefix, so ``s3://b/clean`` would bring ``clean_v2/...`` along."""
    return uri if uri.endswith("/") else uri + "/"


def _s3_input(where: Where, uri: str, field: str) -> S3Input:
    """One object as given (or by manifest, see :func:`_one_object_manifest`), a directory
    with "/"."""
    from ..storage.s3objects import keys_beside, s3_input_kind

    is_object = s3_input_kind(where.session, uri, field=field)
    if is_object:
        beside = keys_beside(where.session, uri, field=field)
        return S3Input(uri, True, _one_object_manifest(uri) if beside else None)
    if uri.endswith("/"):
        return S3Input(uri, False)
    try:
        s3_input_kind(where.session, _as_directory(uri), field=field)
    except UserError:  # no such directory: a key prefix ending inside a name (s3://b/data/tr)
        where.notes.append(
            f"{uri} is neither an object nor a directory; the job gets every key "
            "that starts with it"
        )
        return S3Input(uri, False)
    return S3Input(_as_directory(uri), False)


def _one_object_manifest(uri: str) -> str:
    """A manifest naming only the object ``uri``, written under the state directory: as an
    S3Prefix, ``s3://b/f.csv`` would also deliver ``f.csv.bak``; by manifest the job gets
    exactly the object, at the same place (``LocalPath/f.csv``)."""
    import hashlib
    import json

    from ..storage.localstore import state_dir

    prefix, name = uri.rsplit("/", 1)
    body = json.dumps([{"prefix": prefix + "/"}, name]).encode()
    folder = state_dir() / "object-manifests" / hashlib.sha256(body).hexdigest()
    path = folder / f"{name}.manifest"
    if not path.is_file() or path.read_bytes() != body:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return str(path)
