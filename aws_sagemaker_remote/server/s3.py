"""The S3 face of ``serve``: S3's REST-XML protocol, path-style, over local buckets.

``s3_face(buckets)`` is a :data:`~.http.Face`. It routes each request to one operation by
method, path (``/``, ``/bucket``, ``/bucket/key``) and subresource (``?uploads``,
``?delete``, ``?list-type=2``...), and answers every failure in S3's ``<Error>`` shape
with S3's code and status. An operation it does not do is ``NotImplemented`` naming it,
never a silent success. Objects and their records live in
:class:`~..storage.localbuckets.LocalBuckets`; the operations are in ``s3_objects``,
``s3_list`` and ``s3_multipart``, the wire shapes in ``s3_xml`` and ``s3_body``.

Signatures are not checked here (loopback only; ``serve`` verifies SigV4 when it listens
elsewhere), and there is one owner: IAM and ACLs are not enforced.
"""

from __future__ import annotations

from urllib.parse import unquote

from ..errors import UserError
from ..storage import localbuckets as lb
from .http import BodyError, Face, Request, Response
from .s3_body import read_xml_body
from .s3_list import list_objects, owner_xml
from .s3_multipart import (
    abort_upload,
    complete_upload,
    create_upload,
    list_parts,
    list_uploads,
    upload_part,
    upload_part_copy,
)
from .s3_objects import copy_object, delete_object, get_object, put_object
from .s3_xml import (
    MAX_XML_BODY,
    S3Error,
    base_headers,
    child_text,
    element,
    error_response,
    iso_date,
    method_not_allowed,
    parse_xml,
    request_id,
    xml_response,
)

MAX_DELETE = 1000
_REFUSED_UNREAD = ("EntityTooLarge", "MaxMessageLengthExceeded")

# subresources this face does not serve: query parameter -> the operation's name
_BUCKET_EXTRAS = {
    "acl": "BucketAcl", "policy": "BucketPolicy", "tagging": "BucketTagging",
    "cors": "BucketCors", "lifecycle": "BucketLifecycleConfiguration",
    "encryption": "BucketEncryption", "website": "BucketWebsite", "logging": "BucketLogging",
    "notification": "BucketNotificationConfiguration", "replication": "BucketReplication",
    "object-lock": "ObjectLockConfiguration", "ownershipControls": "BucketOwnershipControls",
    "publicAccessBlock": "PublicAccessBlock", "requestPayment": "BucketRequestPayment",
    "accelerate": "BucketAccelerateConfiguration", "policyStatus": "BucketPolicyStatus",
    "intelligent-tiering": "BucketIntelligentTieringConfiguration",
    "inventory": "BucketInventoryConfiguration", "metrics": "BucketMetricsConfiguration",
    "analytics": "BucketAnalyticsConfiguration", "versions": "ObjectVersions",
}  # fmt: skip
_OBJECT_EXTRAS = {
    "acl": "ObjectAcl", "tagging": "ObjectTagging", "retention": "ObjectRetention",
    "legal-hold": "ObjectLegalHold", "restore": "RestoreObject", "select": "SelectObjectContent",
    "torrent": "ObjectTorrent", "attributes": "ObjectAttributes",
}  # fmt: skip
_VERBS = {"GET": "Get", "HEAD": "Head", "PUT": "Put", "DELETE": "Delete", "POST": "Post"}


def _not_implemented(request: Request, operation: str) -> S3Error:
    if operation in ("ObjectVersions", "SelectObjectContent", "RestoreObject"):
        name = {"ObjectVersions": "ListObjectVersions"}.get(operation, operation)
    else:
        name = _VERBS.get(request.method, request.method.title()) + operation
    return S3Error(
        "NotImplemented",
        f"{name} is not implemented by this local S3 (aws-sagemaker-remote serve).",
        status=501,
    )


def _from_storage(error: UserError) -> S3Error:
    """A local-bucket refusal as the S3 error a client expects for it."""
    if isinstance(error, lb.NoSuchBucket):
        return S3Error(
            "NoSuchBucket", "The specified bucket does not exist", BucketName=error.bucket
        )
    if isinstance(error, lb.InvalidBucketName):
        return S3Error(
            "InvalidBucketName", "The specified bucket is not valid.", BucketName=error.bucket
        )
    if isinstance(error, lb.BucketAlreadyOwnedByYou):
        return S3Error(
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
        )
    if isinstance(error, lb.BucketNotEmpty):
        return S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty")
    if isinstance(error, lb.KeyTooLong):
        return S3Error("KeyTooLongError", "Your key is too long")
    return S3Error("InvalidArgument", error.message)


def s3_face(buckets: lb.LocalBuckets) -> Face:
    """S3 (path style) over ``buckets``."""

    def face(request: Request) -> Response:
        try:
            try:
                response = _route(buckets, request)
            except UserError as error:
                raise _from_storage(error) from None
            except (ConnectionError, TimeoutError) as error:  # the client, not the store
                raise BodyError(f"the client went away: {error}") from None
            except OSError as error:
                raise S3Error(
                    "InternalError",
                    f"The local store could not do this: {error.strerror or error}.",
                ) from None
        except S3Error as error:
            response = error_response(error, unquote(request.path), request.method)
            # a body refused for its size is not read; any other is, so the client sees the
            # answer rather than a connection reset in the middle of sending
            response.close = error.code in _REFUSED_UNREAD and not request.body.finished
        return response

    return face


def _route(buckets: lb.LocalBuckets, request: Request) -> Response:
    try:
        path = unquote(request.path, errors="strict")
    except UnicodeDecodeError:
        raise S3Error("InvalidURI", "Couldn't parse the specified URI.") from None
    bucket, _, key = path[1:].partition("/")
    params = {name for name, _ in request.query}
    if not bucket:
        if request.method == "GET":
            return _list_buckets(buckets)
        raise method_not_allowed()
    if not key:
        return _bucket_operation(buckets, bucket, request, params)
    return _object_operation(buckets, bucket, key, request, params)


def _bucket_operation(
    buckets: lb.LocalBuckets, bucket: str, request: Request, params: set[str]
) -> Response:
    method = request.method
    for name, operation in _BUCKET_EXTRAS.items():
        if name in params:
            raise _not_implemented(request, operation)
    if method == "PUT":
        if params - {"x-id"}:
            raise _not_implemented(request, "Bucket" + sorted(params)[0].title())
        return _create_bucket(buckets, bucket, request)
    lb.check_bucket_name(bucket)
    if not buckets.exists(bucket):
        raise lb.NoSuchBucket(bucket)
    if method == "HEAD":
        headers = [("x-amz-bucket-region", buckets.region(bucket))]
        return Response(200, base_headers(request_id()) + headers, b"")
    if method == "DELETE":
        buckets.delete(bucket)
        return Response(204, base_headers(request_id()), b"")
    if method == "POST" and "delete" in params:
        return _delete_objects(buckets, bucket, request)
    if method == "GET":
        if "location" in params:
            region = buckets.region(bucket)
            body = "" if region == "us-east-1" else region
            return xml_response("LocationConstraint", body)
        if "versioning" in params:
            return xml_response("VersioningConfiguration", "")
        if "uploads" in params:
            return list_uploads(buckets, bucket, request)
        return list_objects(buckets, bucket, request, v2=request.param("list-type") == "2")
    raise method_not_allowed()


def _object_operation(
    buckets: lb.LocalBuckets, bucket: str, key: str, request: Request, params: set[str]
) -> Response:
    method = request.method
    for name, operation in _OBJECT_EXTRAS.items():
        if name in params:
            raise _not_implemented(request, operation)
    upload_id = request.param("uploadId")
    if method == "PUT":
        if upload_id is not None:
            if request.header("x-amz-copy-source"):
                return upload_part_copy(buckets, bucket, key, upload_id, request)
            return upload_part(buckets, bucket, key, upload_id, request)
        if request.header("x-amz-copy-source"):
            return copy_object(buckets, bucket, key, request)
        return put_object(buckets, bucket, key, request)
    if method in ("GET", "HEAD"):
        if upload_id is not None and method == "GET":
            return list_parts(buckets, bucket, key, upload_id, request)
        return get_object(buckets, bucket, key, request)
    if method == "DELETE":
        if upload_id is not None:
            return abort_upload(buckets, bucket, key, upload_id)
        return delete_object(buckets, bucket, key)
    if method == "POST":
        if "uploads" in params:
            return create_upload(buckets, bucket, key, request)
        if upload_id is not None:
            return complete_upload(buckets, bucket, key, upload_id, request)
    raise method_not_allowed()


def _list_buckets(buckets: lb.LocalBuckets) -> Response:
    entries = "".join(
        "<Bucket>"
        + element("Name", name)
        + element("CreationDate", iso_date(buckets.created(name)))
        + element("BucketRegion", buckets.region(name))
        + "</Bucket>"
        for name in buckets.names()
    )
    return xml_response("ListAllMyBucketsResult", f"{owner_xml()}<Buckets>{entries}</Buckets>")


def _create_bucket(buckets: lb.LocalBuckets, bucket: str, request: Request) -> Response:
    lb.check_bucket_name(bucket)
    body = read_xml_body(request, MAX_XML_BODY)
    region = "us-east-1"
    if body.strip():
        document = parse_xml(body, "CreateBucketConfiguration")
        region = child_text(document, "LocationConstraint") or "us-east-1"
    buckets.create(bucket, region)
    return Response(200, base_headers(request_id()) + [("Location", f"/{bucket}")], b"")


def _delete_objects(buckets: lb.LocalBuckets, bucket: str, request: Request) -> Response:
    document = parse_xml(read_xml_body(request, MAX_XML_BODY), "Delete")
    quiet = (child_text(document, "Quiet") or "").strip().lower() == "true"
    keys = [child_text(node, "Key") for node in document.findall("Object")]
    if not keys or len(keys) > MAX_DELETE or any(key is None for key in keys):
        raise S3Error(
            "MalformedXML",
            f"The XML you provided must name 1 to {MAX_DELETE} objects, each with a Key.",
        )
    parts = []
    for key in keys:
        try:
            buckets.delete_object(bucket, key or "")
        except UserError as error:
            failed = _from_storage(error)
            parts.append(
                "<Error>" + element("Key", key) + element("Code", failed.code)
                + element("Message", failed.message) + "</Error>"
            )  # fmt: skip
            continue
        if not quiet:
            parts.append("<Deleted>" + element("Key", key) + "</Deleted>")
    return xml_response("DeleteResult", "".join(parts))
