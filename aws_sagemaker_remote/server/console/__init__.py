"""The jobs console: server-rendered pages at ``/_console/`` (see :mod:`.face`).

``console_face(source, read_only=...)`` is a Face of its own: ``serve`` mounts it beside
its AWS faces, and ``aws-sagemaker-remote console`` serves it alone. A source reads the
jobs (:class:`LocalSource` over the local engine, :class:`SageMakerSource` over SageMaker)
and the objects (:class:`StoreObjects` over the project's object stores, :class:`S3Objects`
over S3).
"""

from .face import LOOPBACK_HOSTS, console_face
from .objects import ObjectReader, S3Objects, StoreObjects, local_store_objects
from .source import ConsoleSource, LocalSource, SageMakerSource

__all__ = [
    "LOOPBACK_HOSTS",
    "ConsoleSource",
    "LocalSource",
    "ObjectReader",
    "S3Objects",
    "SageMakerSource",
    "StoreObjects",
    "console_face",
    "local_store_objects",
]
