"""The JSON 1.1 and query wire formats of the non-S3 faces: bodies read with a cap, JSON
that is not an object refused, members rendered as the query protocol's XML."""

from __future__ import annotations

import json

import pytest

from aws_sagemaker_remote.server.protocols import (
    BODY_LIMIT,
    ServiceFault,
    json_error,
    query_error,
    read_form,
    read_json,
    xml_members,
)

from .wire import request, xml_of


@pytest.mark.parametrize("body", [b"[1, 2]", b"{not json", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_serialization_exception(body):
    with pytest.raises(ServiceFault) as fault:
        read_json(request(body=body))
    assert fault.value.code == "SerializationException" and fault.value.status == 400


def test_an_empty_json_body_is_an_empty_request():
    assert read_json(request(body=b"  ")) == {}
    assert read_json(request(body=b'{"a": 1}')) == {"a": 1}


def test_a_body_over_the_cap_is_refused_with_413_and_the_connection_closed():
    with pytest.raises(ServiceFault) as fault:
        read_json(request(body=b" " * (BODY_LIMIT + 1)))
    assert fault.value.status == 413
    assert json_error(fault.value).close
    assert query_error(fault.value, "urn:x").close


def test_form_parameters_come_from_the_query_and_then_the_body():
    req = request("POST", "/", "Action=GetRole&Version=1", b"RoleName=r&Version=2")
    assert read_form(req) == {"Action": "GetRole", "RoleName": "r", "Version": "2"}
    with pytest.raises(ServiceFault) as fault:
        read_form(request(body=b"Action=\xff"))
    assert fault.value.code == "MalformedQueryString"


def test_members_render_nested_lists_booleans_and_escaped_text_leaving_none_out():
    rendered = xml_members(
        {
            "Role": {"Name": "a<b", "Tags": [{"Key": "k"}], "Names": ["x", "y"]},
            "IsTruncated": False,
            "Marker": None,
        }
    )
    root = xml_of(f"<r>{rendered}</r>".encode())
    assert root.findtext("Role/Name") == "a<b"
    assert root.findtext("Role/Tags/member/Key") == "k"
    assert [m.text for m in root.findall("Role/Names/member")] == ["x", "y"]
    assert root.findtext("IsTruncated") == "false"
    assert root.find("Marker") is None


def test_errors_take_each_protocols_shape():
    fault = ServiceFault("Throttled", "slow <down>", 503, sender=False)
    answer = json_error(fault)
    assert answer.status == 503
    assert json.loads(answer.body) == {"__type": "Throttled", "message": "slow <down>"}
    xml = xml_of(query_error(fault, "urn:x").body)
    assert xml.findtext("Error/Type") == "Receiver"
    assert xml.findtext("Error/Message") == "slow <down>"
