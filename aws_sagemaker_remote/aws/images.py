"""The default image: the AWS scikit-learn processing image of the job's region.

Any image with Python 3 works (the library ships itself with the script); this one is the
default because AWS hosts it in every region. Its ECR account differs by region; the table
is copied from the SageMaker Python SDK's ``image_uri_config/sklearn.json`` (SDK 2.257.7).
Pure: no AWS library, no file read at run time.
"""

from __future__ import annotations

import re

from ..errors import UserError

REPOSITORY = "sagemaker-scikit-learn"
DEFAULT_TAG = "1.2-1-cpu-py3"

# Region -> AWS account hosting the sagemaker-scikit-learn repository.
SKLEARN_REGISTRIES: dict[str, str] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "ca-west-1": "190319476487",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-east-1": "237065988967",
    "us-gov-west-1": "414596584902",
    "us-iso-east-1": "833128469047",
    "us-isob-east-1": "281123927165",
    "us-isof-east-1": "108575199400",
    "us-isof-south-1": "124985052026",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}

# DNS suffix by region prefix, for partitions other than the commercial one
# (facts from botocore's endpoints.json); checked in order, longest prefix first.
_DOMAINS = (
    ("cn-", "amazonaws.com.cn"),
    ("us-isob-", "sc2s.sgov.gov"),
    ("us-isof-", "csp.hci.ic.gov"),
    ("us-iso-", "c2s.ic.gov"),
)


def ecr_domain(region: str) -> str:
    for prefix, domain in _DOMAINS:
        if region.startswith(prefix):
            return domain
    return "amazonaws.com"


def default_image(region: str) -> str:
    """``<account>.dkr.ecr.<region>.<domain>/sagemaker-scikit-learn:1.2-1-cpu-py3``."""
    account = SKLEARN_REGISTRIES.get(region)
    if account is None:
        raise UserError(
            f"no default image is known for region {region!r}",
            field="image",
            fix="pass an image URI",
        )
    return f"{account}.dkr.ecr.{region}.{ecr_domain(region)}/{REPOSITORY}:{DEFAULT_TAG}"


# compiled on first use (re caches it): a local-engine run never asks
_ECR_IMAGE = (
    r"(?P<account>\d{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.(?P<domain>[a-z0-9.]+)/.+"
)


def image_warning(image: str, region: str) -> str | None:
    """One line when SageMaker is unlikely to pull ``image``: not in Amazon ECR, or in
    another region's ECR. A warning, not an error: the service is the judge."""
    found = re.fullmatch(_ECR_IMAGE, image)
    if found is None:
        return (
            f"warning: image {image} is not an Amazon ECR image; SageMaker processing jobs "
            "run images from ECR (push it to ECR, or use the default image)"
        )
    if found["region"] != region or found["domain"] != ecr_domain(region):
        return (
            f"warning: image {image} is in the ECR of {found['region']}, and the job runs in "
            f"{region}; SageMaker pulls processing images from the job's own region"
        )
    return None
