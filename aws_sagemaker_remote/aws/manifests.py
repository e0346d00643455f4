"""What the manifest inputs of a job list: the role must read those objects too.

A ManifestFile input names one object, the manifest, and SageMaker then reads every object
it lists, wherever they are (another bucket, say). The role's policy is derived from the
request (:mod:`.role_policy`), which shows only the manifest's URI: this reads each
manifest (a local file not staged yet, or the object on S3) so that the objects it lists
are granted as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .role_policy import manifest_objects


def manifest_inputs(request: dict[str, Any]) -> list[str]:
    """The S3 URIs of the request's ManifestFile inputs."""
    return [
        item["S3Input"]["S3Uri"]
        for item in request.get("ProcessingInputs") or []
        if (item.get("S3Input") or {}).get("S3DataType") == "ManifestFile"
    ]


def manifest_listings(
    request: dict[str, Any], session: Any, local: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Manifest URI -> the object URIs it lists, for each ManifestFile input.

    ``local``: URI -> the local file of a manifest that is being staged there now. A
    manifest that cannot be read lists nothing here: the job fails on it, not the role."""
    from ..errors import ServiceError, UserError
    from ..storage.stores import open_store
    from ..storage.transfer import run

    found: dict[str, list[str]] = {}
    for uri in manifest_inputs(request):
        try:
            if local and uri in local:
                with open(local[uri], "rb") as source:
                    body = source.read()
            else:
                store, key = open_store(uri, session=session)
                body = run(store.get_bytes(key))
        except (OSError, UserError, ServiceError):
            continue
        found[uri] = manifest_objects(body)
    return found
