"""S3 channels of a local run: inputs fetched to temporary copies, outputs uploaded after.

Imported only when a local run names an ``s3://`` (or ``job://``) channel, so plain local
runs never import boto3. Inputs are fetched as SageMaker fetches an S3Prefix (every key
starting with the prefix, placed by the same containment check as every download); the
local store's files are hard-linked, read-only, where the file system allows. Outputs are
written to a temporary directory and uploaded only after ``main`` succeeded, wherever they
go. All through :mod:`aws_sagemaker_remote.storage`: this module never asks which store.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from ..cli.flags import flag_for_field
from ..errors import UserError
from ..uris import S3Uri, checked_s3_uri
from ..wording import count as counted


class S3Mirror:
    """Temporary local copies of S3 channels for the duration of one local run."""

    def __init__(self, profile: str | None = None, instance: str | None = None):
        self.profile = profile
        self.instance = instance
        self.root = tempfile.mkdtemp(prefix="aws-sagemaker-remote-")
        self._outputs: list[tuple[str, str, S3Uri]] = []  # (field, local dir, destination)
        self._session = None
        self._main_done = False

    def session(self):
        if self._session is None:
            from ..aws.session import resolve_aws

            self._session = resolve_aws(self.profile).session
        return self._session

    def session_for(self, uri: str):
        """The boto3 session, for a URI whose store needs AWS (None for the local store)."""
        from ..storage.stores import needs_aws

        return self.session() if needs_aws(uri) else None

    def fetch(self, uri: str, *, field: str) -> str:
        """A local path holding the object or prefix ``uri`` names."""
        from ..cli.progress import ProgressPrinter
        from ..storage.s3objects import download_object_or_prefix

        if uri.startswith("job://"):
            uri = self._resolve_job_uri(uri, field)
        target = checked_s3_uri(uri, field)
        dest = os.path.join(self.root, "inputs", field.split(".")[-1])
        path, report = download_object_or_prefix(
            self.session_for(uri), str(target), dest, field=field, progress=ProgressPrinter()
        )
        for line in report.lines(flag_for_field(field), uri)[:-1]:
            print(line, file=sys.stderr)
        return path

    def output_dir(self, name: str, uri: str, *, field: str) -> str:
        """A fresh local directory for ``main`` to write; uploaded to ``uri`` after success."""
        from ..storage.stores import check_location

        target = checked_s3_uri(uri, field)
        check_location(uri, field)
        self.session_for(uri)  # no credentials: say so now, not after main has run
        local = os.path.join(self.root, "outputs", name)
        os.makedirs(local)
        self._outputs.append((field, local, target))
        return local

    def upload_outputs(self) -> None:
        from ..cli.progress import ProgressPrinter
        from ..storage.uploads import upload_directory

        self._main_done = True
        for field, local, target in self._outputs:
            session = self.session_for(str(target))
            count = upload_directory(
                session, local, str(target), field=field, progress=ProgressPrinter()
            )
            print(f"uploaded {counted(count, 'file')} to {target}", file=sys.stderr)
        self._outputs.clear()

    def _resolve_job_uri(self, uri: str, field: str) -> str:
        from ..job.lineage import resolve_job_input
        from ..submission.backends import open_backend

        if self.instance != "local":
            try:
                backend = open_backend(local=False, profile=self.profile)
                return resolve_job_input(uri, backend, field=field)
            except UserError:
                _refer_to_local_engine(uri, field, self.profile)
                raise
        backend = open_backend(local=True, profile=self.profile)
        return resolve_job_input(uri, backend, field=field)

    def __enter__(self) -> S3Mirror:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and self._outputs:
            for field, local, target in self._outputs:
                if self._main_done:
                    said = f"the upload failed; {target} may be incomplete; output kept in {local}"
                else:
                    said = (
                        f"main failed; nothing uploaded to {target}; partial output kept in {local}"
                    )
                print(f"{flag_for_field(field)}: {said}", file=sys.stderr)
            shutil.rmtree(os.path.join(self.root, "inputs"), ignore_errors=True)
            return
        shutil.rmtree(self.root, ignore_errors=True)


def _refer_to_local_engine(uri: str, field: str, profile: str | None) -> None:
    """A job:// of a local-engine job, asked of SageMaker: say where the job is."""
    from ..backends.local import LocalBackend
    from ..job.lineage import parse_job_uri

    job_name = parse_job_uri(uri, field)[0]
    if LocalBackend(profile=profile).store.get(job_name) is not None:
        raise UserError(
            f"{uri} names a job of the local engine",
            field=field,
            fix="add {{instance}} local to read the local engine's jobs",
        ) from None
