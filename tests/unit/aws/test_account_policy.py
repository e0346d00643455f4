"""The account policy (VPC, KMS) as data: keys keep their account and region."""

from __future__ import annotations

from aws_sagemaker_remote.aws.account_policy import (
    NOTHING,
    AccountNeeds,
    granted,
    kms_needs,
    request_needs,
    statements,
)

OURS = ("aws", "us-east-1", "123456789012")


def test_keys_in_every_form_become_arns_of_their_own_account_and_region():
    needs = kms_needs(*OURS, ["k1", "alias/a", "arn:aws:kms:eu-west-1:999999999999:alias/b"])
    assert needs.keys == {"arn:aws:kms:us-east-1:123456789012:key/k1"}
    assert needs.aliases == {
        "arn:aws:kms:us-east-1:123456789012:alias/a",
        "arn:aws:kms:eu-west-1:999999999999:alias/b",
    }


def test_statements_and_what_they_grant_round_trip():
    needs = AccountNeeds(True) | kms_needs(*OURS, ["k1", "alias/a"])
    document = {"Statement": statements(needs)}
    assert granted(document) == needs
    assert statements(NOTHING) == []
    assert (needs - needs) == NOTHING and "VPC" in needs.describe()


def test_a_job_needs_its_vpc_and_keys():
    request = {
        "NetworkConfig": {"VpcConfig": {"Subnets": ["s-1"], "SecurityGroupIds": ["sg-1"]}},
        "ProcessingResources": {"ClusterConfig": {"VolumeKmsKeyId": "k1"}},
        "ProcessingOutputConfig": {"KmsKeyId": "alias/out", "Outputs": []},
    }
    needs = request_needs(*OURS, request)
    assert needs.vpc and len(needs.keys) == 1 and len(needs.aliases) == 1
    assert request_needs(*OURS, {}) == NOTHING
