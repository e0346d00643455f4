"""IAM for ``serve``: roles and their inline policies, recorded, never enforced.

The remote path of this library looks up the job's role, creates it when missing and
puts its S3 grants (:mod:`aws_sagemaker_remote.aws.roles`); this face answers those calls
(GetRole, CreateRole, PutRolePolicy, GetRolePolicy, DeleteRolePolicy, ListRoleTags,
UpdateAssumeRolePolicy, plus ListRoles, ListRolePolicies, DeleteRole) from one JSON file
in the server's state directory, so a restart keeps the roles. Nothing a policy says is
applied to a local job: the docs say so plainly.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

from .http import Request, Response
from .protocols import ServiceFault, query_error, query_response, read_form

NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")


def _members(params: dict[str, str], name: str) -> list[dict[str, str]]:
    """``Tags.member.1.Key`` ... as a list of dicts, in member order."""
    items: dict[int, dict[str, str]] = {}
    prefix = f"{name}.member."
    for key, value in params.items():
        if key.startswith(prefix):
            index, _, field = key[len(prefix) :].partition(".")
            if index.isdigit() and field:
                items.setdefault(int(index), {})[field] = value
    return [items[i] for i in sorted(items)]


class Iam:
    """The IAM face over ``<state>/iam.json`` (one lock: a read-modify-write per call)."""

    def __init__(self, account_id: str, path: Path):
        self.account_id = account_id
        self.path = path
        self._lock = threading.Lock()
        self._actions: dict[str, Callable[[dict, dict[str, str]], dict | None]] = {
            "GetRole": self._get_role,
            "CreateRole": self._create_role,
            "DeleteRole": self._delete_role,
            "ListRoles": self._list_roles,
            "UpdateAssumeRolePolicy": self._update_trust,
            "PutRolePolicy": self._put_policy,
            "GetRolePolicy": self._get_policy,
            "DeleteRolePolicy": self._delete_policy,
            "ListRolePolicies": self._list_policies,
            "ListRoleTags": self._list_tags,
        }

    def __call__(self, request: Request) -> Response:
        try:
            params = read_form(request)
            action = params.get("Action") or ""
            handler = self._actions.get(action)
            if handler is None:
                raise ServiceFault("InvalidAction", f"IAM operation {action!r} is not supported")
            with self._lock:
                roles = self._load()
                result = handler(roles, params)
                if action.startswith(("Create", "Delete", "Put", "Update")):
                    self._save(roles)
            return query_response(action, NAMESPACE, result)
        except ServiceFault as fault:
            return query_error(fault, NAMESPACE)

    # -- the file ---------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise ServiceFault(
                "ServiceFailure", f"the server's IAM file {self.path} is unreadable: {error}", 500
            ) from None
        return data if isinstance(data, dict) else {}

    def _save(self, roles: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".partial")
        temp.write_text(json.dumps(roles, indent=1))
        temp.replace(self.path)

    # -- roles ------------------------------------------------------------------------------
    def _role(self, roles: dict, params: dict[str, str]) -> dict:
        name = params.get("RoleName") or ""
        role = roles.get(name)
        if role is None:
            raise ServiceFault("NoSuchEntity", f"The role with name {name} cannot be found.", 404)
        return role

    def _described(self, role: dict) -> dict:
        return {
            "Path": role["Path"],
            "RoleName": role["RoleName"],
            "RoleId": role["RoleId"],
            "Arn": role["Arn"],
            "CreateDate": role["CreateDate"],
            "AssumeRolePolicyDocument": quote(role["AssumeRolePolicyDocument"]),
            "Description": role.get("Description"),
            "MaxSessionDuration": role.get("MaxSessionDuration", 3600),
            "Tags": role.get("Tags") or None,
        }

    def _get_role(self, roles: dict, params: dict[str, str]) -> dict:
        return {"Role": self._described(self._role(roles, params))}

    def _create_role(self, roles: dict, params: dict[str, str]) -> dict:
        name = params.get("RoleName") or ""
        if not _ROLE_NAME.fullmatch(name):
            raise ServiceFault("ValidationError", f"RoleName {name!r} is not a valid role name")
        if name in roles:
            raise ServiceFault("EntityAlreadyExists", f"Role with name {name} already exists.", 409)
        document = params.get("AssumeRolePolicyDocument") or ""
        try:
            json.loads(document)
        except ValueError:
            raise ServiceFault(
                "MalformedPolicyDocument", "AssumeRolePolicyDocument is not JSON"
            ) from None
        path = params.get("Path") or "/"
        roles[name] = {
            "Path": path,
            "RoleName": name,
            "RoleId": "AROA" + secrets.token_hex(8).upper(),
            "Arn": f"arn:aws:iam::{self.account_id}:role{path}{name}",
            "CreateDate": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "AssumeRolePolicyDocument": document,
            "Description": params.get("Description"),
            "MaxSessionDuration": int(params.get("MaxSessionDuration") or 3600),
            "Tags": _members(params, "Tags"),
            "Policies": {},
        }
        return {"Role": self._described(roles[name])}

    def _delete_role(self, roles: dict, params: dict[str, str]) -> None:
        role = self._role(roles, params)
        if role["Policies"]:
            raise ServiceFault(
                "DeleteConflict", "Cannot delete entity, must delete policies first.", 409
            )
        del roles[role["RoleName"]]

    def _list_roles(self, roles: dict, params: dict[str, str]) -> dict:
        described = [self._described(role) for _, role in sorted(roles.items())]
        return {"Roles": described, "IsTruncated": False}

    def _update_trust(self, roles: dict, params: dict[str, str]) -> None:
        self._role(roles, params)["AssumeRolePolicyDocument"] = params.get("PolicyDocument") or ""

    # -- inline policies --------------------------------------------------------------------
    def _put_policy(self, roles: dict, params: dict[str, str]) -> None:
        role = self._role(roles, params)
        document = params.get("PolicyDocument") or ""
        try:
            json.loads(document)
        except ValueError:
            raise ServiceFault("MalformedPolicyDocument", "PolicyDocument is not JSON") from None
        role["Policies"][params.get("PolicyName") or ""] = document

    def _policy_name(self, role: dict, params: dict[str, str]) -> str:
        name = params.get("PolicyName") or ""
        if name not in role["Policies"]:
            raise ServiceFault(
                "NoSuchEntity",
                f"The role policy with name {name} cannot be found.",
                404,
            )
        return name

    def _get_policy(self, roles: dict, params: dict[str, str]) -> dict:
        role = self._role(roles, params)
        name = self._policy_name(role, params)
        return {
            "RoleName": role["RoleName"],
            "PolicyName": name,
            "PolicyDocument": quote(role["Policies"][name]),
        }

    def _delete_policy(self, roles: dict, params: dict[str, str]) -> None:
        role = self._role(roles, params)
        del role["Policies"][self._policy_name(role, params)]

    def _list_policies(self, roles: dict, params: dict[str, str]) -> dict:
        role = self._role(roles, params)
        return {"PolicyNames": sorted(role["Policies"]), "IsTruncated": False}

    def _list_tags(self, roles: dict, params: dict[str, str]) -> dict:
        return {"Tags": self._role(roles, params).get("Tags") or [], "IsTruncated": False}
