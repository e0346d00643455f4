"""S3 channels of a local run: inputs fetched to temporary copies, outputs uploaded after.

Imported only when a local run names an ``s3://`` (or ``job://``) channel, so plain local
runs never import boto3.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

from ..cli.flags import flag_for_field
from ..errors import UserError
from ..job.s3uri import S3Uri, checked_s3_uri
from ..storage.localstore import is_local_store_uri, local_store_path

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds a local run does not need
    from ..backends import Backend


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

    def fetch(self, uri: str, *, field: str) -> str:
        """A local path holding the object or prefix ``uri`` names."""
        if uri.startswith("job://"):
            uri = self._resolve_job_uri(uri, field)
        target = checked_s3_uri(uri, field)
        if is_local_store_uri(uri):
            path = local_store_path(uri)
            if not path.exists():
                raise UserError(
                    f"{uri} does not exist in the local store",
                    field=field,
                    fix="check the URI with `aws-sagemaker-remote jobs describe --local`",
                )
            return str(path)
        from ..storage.s3objects import download_object_or_prefix

        dest = os.path.join(self.root, "inputs", field.split(".")[-1])
        return download_object_or_prefix(self.session(), str(target), dest, field=field)

    def output_dir(self, name: str, uri: str, *, field: str) -> str:
        """A fresh local directory for ``main`` to write; uploaded to ``uri`` after success."""
        target = checked_s3_uri(uri, field)
        if is_local_store_uri(uri):
            path = local_store_path(uri)
            path.mkdir(parents=True, exist_ok=True)
            return str(path)
        self.session()  # no credentials: say so now, not after main has run
        local = os.path.join(self.root, "outputs", name)
        os.makedirs(local)
        self._outputs.append((field, local, target))
        return local

    def upload_outputs(self) -> None:
        self._main_done = True
        for field, local, target in self._outputs:
            count = upload_dir(self.session(), local, target, field=field)
            print(f"uploaded {count} files to {target}", file=sys.stderr)
        self._outputs.clear()

    def _resolve_job_uri(self, uri: str, field: str) -> str:
        from ..job.lineage import resolve_job_input

        backend: Backend
        if self.instance == "local":
            from ..backends.local import LocalBackend

            backend = LocalBackend(profile=self.profile)
        else:
            from ..aws.session import resolve_aws
            from ..backends.sagemaker import SageMakerBackend

            try:
                backend = SageMakerBackend(resolve_aws(self.profile))
                return resolve_job_input(uri, backend, field=field)
            except UserError:
                _refer_to_local_engine(uri, field, self.profile)
                raise
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


def upload_dir(session, local_dir: str, target: S3Uri, *, field: str, max_workers: int = 16) -> int:
    """Upload every file under ``local_dir`` to ``target``, keeping relative paths."""
    from botocore.exceptions import ClientError

    client = session.client("s3")
    files = [
        os.path.join(dirpath, name)
        for dirpath, _dirs, names in os.walk(local_dir)
        for name in names
    ]

    def put(path: str) -> None:
        rel = os.path.relpath(path, local_dir).replace(os.sep, "/")
        client.upload_file(path, target.bucket, target.join(rel).key)

    try:
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            list(pool.map(put, files))
    except ClientError as error:
        raise UserError(
            f"cannot upload to {target}: {error.response['Error'].get('Message', error)}",
            field=field,
            fix="check the bucket exists and you may write to it",
        ) from None
    return len(files)
