"""STS for ``serve``: who the caller is (one local account), and temporary credentials.

GetCallerIdentity answers the server's account as its root user, so a client that derives
the default bucket ``sagemaker-<region>-<account>`` from it gets one of the server's own.
AssumeRole answers credentials derived from the server's secret (see :mod:`.sigv4`): a
local job's code, which assumes its role as a SageMaker container does, can then sign
requests the server verifies. IAM is not enforced: any role may be assumed.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from .http import Request, Response
from .protocols import ServiceFault, query_error, query_response, read_form
from .sigv4 import TEMPORARY_PREFIX, derived_secret

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
ACTIONS = ("GetCallerIdentity", "AssumeRole")


class Sts:
    """The STS face: ``account_id`` is the local account, ``secret_key`` the server's secret."""

    def __init__(self, account_id: str, secret_key: str):
        self.account_id = account_id
        self.secret_key = secret_key

    def __call__(self, request: Request) -> Response:
        try:
            params = read_form(request)
            action = params.get("Action")
            if action == "GetCallerIdentity":
                result = self.caller_identity()
            elif action == "AssumeRole":
                result = self.assume_role(params)
            else:
                raise ServiceFault("InvalidAction", f"STS operation {action!r} is not supported")
            return query_response(action, NAMESPACE, result)
        except ServiceFault as fault:
            return query_error(fault, NAMESPACE)

    def caller_identity(self) -> dict:
        return {
            "UserId": self.account_id,
            "Account": self.account_id,
            "Arn": f"arn:aws:iam::{self.account_id}:root",
        }

    def assume_role(self, params: dict[str, str]) -> dict:
        role_arn = params.get("RoleArn") or ""
        session = params.get("RoleSessionName") or ""
        if not role_arn.startswith("arn:") or ":role/" not in role_arn:
            raise ServiceFault("ValidationError", f"RoleArn {role_arn!r} is not a role ARN")
        if not session:
            raise ServiceFault("ValidationError", "RoleSessionName is required")
        try:
            seconds = int(params.get("DurationSeconds") or 3600)
        except ValueError:
            raise ServiceFault("ValidationError", "DurationSeconds must be a number") from None
        if not 900 <= seconds <= 43200:
            raise ServiceFault("ValidationError", "DurationSeconds must be 900 to 43200")
        key_id = TEMPORARY_PREFIX + secrets.token_hex(8).upper()
        expires = datetime.now(timezone.utc) + timedelta(seconds=seconds)
        role_name = role_arn.rsplit("/", 1)[1]
        role_id = "AROA" + secrets.token_hex(8).upper()
        return {
            "Credentials": {
                "AccessKeyId": key_id,
                "SecretAccessKey": derived_secret(self.secret_key, key_id),
                "SessionToken": secrets.token_urlsafe(48),
                "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "AssumedRoleUser": {
                "AssumedRoleId": f"{role_id}:{session}",
                "Arn": f"arn:aws:sts::{self.account_id}:assumed-role/{role_name}/{session}",
            },
            "PackedPolicySize": 0,
        }
