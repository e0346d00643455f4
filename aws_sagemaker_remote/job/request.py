"""JobSpec + staged channel locations -> the CreateProcessingJob request; model checks.

Pure: no I/O. The same dict is printed by the dry run, sent to SageMaker and executed by
the local engine. Every item of ContainerArguments remembers the field it came from, so a
request that breaks the service model is reported against the user's setting.
"""

from __future__ import annotations

import posixpath
from typing import Any, NamedTuple

from ..args import DEFAULT_DISTRIBUTION, DEFAULT_INPUT_MODE, flag_for
from ..errors import UserError
from ..script import bootstrap, layout
from ..wording import count
from .spec import JobSpec

# The members of a CreateProcessingJob request that DescribeProcessingJob gives back.
REQUEST_MEMBERS = (
    "ProcessingJobName",
    "ProcessingInputs",
    "ProcessingOutputConfig",
    "ProcessingResources",
    "StoppingCondition",
    "AppSpecification",
    "Environment",
    "NetworkConfig",
    "RoleArn",
    "ExperimentConfig",
)


class StagedChannel(NamedTuple):
    """One ProcessingInput: where its data is on S3 and where it appears in the container."""

    kind: str  # "code", "requirements", "configuration", "module" or "input"
    input_name: str
    uri: str
    container_path: str
    flag: str  # the script's flag that receives this channel inside the job
    arg_path: str | None  # what that flag says inside the job (a file in container_path, or it)
    mode: str = DEFAULT_INPUT_MODE
    distribution: str = DEFAULT_DISTRIBUTION
    field: str = ""  # the setting this channel comes from, for messages
    data_type: str = "S3Prefix"  # ManifestFile: uri names a manifest of the objects


class Target(NamedTuple):
    """What the account and region decide: image, role, where outputs land, the instance."""

    image: str
    role_arn: str
    output_root: str  # default outputs land at <output_root>/<output-name>
    instance_type: str
    tags: tuple[tuple[str, str], ...] = ()


class Rendered(NamedTuple):
    """The CreateProcessingJob request, with the field behind each item for error messages."""

    request: dict[str, Any]
    argument_fields: tuple[str | None, ...]  # per ContainerArguments item: the field behind it
    entrypoint_fields: tuple[str | None, ...]
    input_fields: tuple[str, ...]  # per ProcessingInputs item


def output_uri(spec: JobSpec, target: Target, name: str) -> str:
    output = next(o for o in spec.outputs if o.name == name)
    return output.s3 or f"{target.output_root.rstrip('/')}/{name}"


def render_request(spec: JobSpec, channels: list[StagedChannel], target: Target) -> Rendered:
    """The CreateProcessingJob request for ``spec`` with its code and inputs at ``channels``."""
    entry = _entrypoint(spec, channels)
    arguments = _container_arguments(spec, channels)
    request: dict[str, Any] = {
        "ProcessingJobName": spec.job_name,
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": spec.instance_count,
                "InstanceType": target.instance_type,
                "VolumeSizeInGB": spec.volume_size,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": spec.runtime_seconds},
        "AppSpecification": {
            "ImageUri": target.image,
            "ContainerEntrypoint": [item for item, _ in entry],
            "ContainerArguments": [item for item, _ in arguments],
        },
        "RoleArn": target.role_arn,
        "ProcessingInputs": [_processing_input(c) for c in channels],
        "Environment": _environment(spec),
        "Tags": [{"Key": k, "Value": v} for k, v in target.tags],
    }
    if spec.outputs:
        request["ProcessingOutputConfig"] = {
            "Outputs": [
                {
                    "OutputName": output.name,
                    "S3Output": {
                        "S3Uri": output_uri(spec, target, output.name),
                        "LocalPath": output.container_path,
                        "S3UploadMode": output.mode,
                    },
                }
                for output in spec.outputs
            ]
        }
    if not request["AppSpecification"]["ContainerArguments"]:  # the model wants 1 or more
        del request["AppSpecification"]["ContainerArguments"]
    _set_optional_members(request, spec)
    return Rendered(
        request,
        tuple(f for _, f in arguments),
        tuple(f for _, f in entry),
        tuple(c.field for c in channels),
    )


def _entrypoint(spec: JobSpec, channels: list[StagedChannel]) -> list[tuple[str, str | None]]:
    """The bootstrap's command line: interpreter, script, PYTHONPATH, configuration. The
    script runs under the bootstrap's own interpreter, so no ``--python``."""
    options = bootstrap.Options(
        script=_channel(channels, layout.CODE_CHANNEL).arg_path or "",
        python_path=[posixpath.join(spec.module_mount, m.name) for m in spec.modules],
    )
    if spec.requirements:
        options.requirements = _channel(channels, layout.REQUIREMENTS_CHANNEL).arg_path or ""
    if spec.configuration_script:
        conf = _channel(channels, layout.CONFIGURATION_CHANNEL)
        options.configuration_script = conf.arg_path or ""
    options.configuration_command = spec.configuration_command or None
    # an option's attribute is the field of its setting; each --python-path is a module's
    module_fields = iter([m.field for m in spec.modules])
    entry: list[tuple[str, str | None]] = [(spec.python, "python"), (layout.BOOTSTRAP, None)]
    for token, attribute in bootstrap.option_tokens(options):
        entry.append((token, next(module_fields) if attribute == "python_path" else attribute))
    return entry


def _container_arguments(
    spec: JobSpec, channels: list[StagedChannel]
) -> list[tuple[str, str | None]]:
    """The script's command line inside the job. A plain script (``run``) gets its own
    arguments and nothing else: a strict parser would refuse more, and an option such as
    ``--train-split`` would take an added ``--train`` for its abbreviation. A
    sagemaker_processing_main script gets the user's arguments first, then each channel's
    flag with its container path (the script's flags, not ours), then
    ``--sagemaker-run false``; anything after a "--" stays after everything else."""
    if spec.plain_script:
        return [(a, "arguments") for a in spec.arguments]
    split = spec.arguments.index("--") if "--" in spec.arguments else len(spec.arguments)
    options, positionals = spec.arguments[:split], spec.arguments[split:]
    arguments = _user_arguments(options)
    for channel in channels:
        if channel.kind in ("input", "module"):
            arguments += [(channel.flag, channel.field), (channel.arg_path or "", channel.field)]
    for output in spec.outputs:
        arguments += [(output.flag, output.field), (output.container_path, output.field)]
    for field in spec.empty_channels:
        arguments += [(flag_for(field.split(".", 1)[1]), field), ("", field)]
    arguments += [("--sagemaker-run", None), ("false", None)]
    arguments += [(a, "arguments") for a in positionals]  # after "--": no flags
    return arguments


def _user_arguments(tokens: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Each of the user's own arguments with the field it belongs to, for messages: the
    script's own flag (spelled the same everywhere), or ``arguments`` before any flag."""
    paired: list[tuple[str, str | None]] = []
    field = "arguments"
    for token in tokens:
        if token.startswith("-") and len(token) > 1:
            field = token.split("=", 1)[0]
        paired.append((token, field))
    return paired


def _environment(spec: JobSpec) -> dict[str, str]:
    """The user's variables, plus unbuffered output so logs arrive as lines are printed
    (unless that would take one of the 100 places SageMaker allows)."""
    env = dict(spec.env)
    if len(env) < 100:
        env = {"PYTHONUNBUFFERED": "1", **env}
    return env


def _channel(channels: list[StagedChannel], name: str) -> StagedChannel:
    return next(c for c in channels if c.input_name == name)


def _processing_input(channel: StagedChannel) -> dict[str, Any]:
    return {
        "InputName": channel.input_name,
        "S3Input": {
            "S3Uri": channel.uri,
            "LocalPath": channel.container_path,
            "S3DataType": channel.data_type,
            "S3InputMode": channel.mode,
            "S3DataDistributionType": channel.distribution,
        },
    }


# Optional members, one row each: (member path, the JobSpec attribute and field it comes
# from). A member is left out when its setting is unset, so a job that needs none of them
# gets the request it always got.
OPTIONAL_MEMBERS = (
    ("NetworkConfig.VpcConfig.SecurityGroupIds", "security_groups"),
    ("NetworkConfig.VpcConfig.Subnets", "subnets"),
    ("NetworkConfig.EnableNetworkIsolation", "network_isolation"),
    ("NetworkConfig.EnableInterContainerTrafficEncryption", "inter_container_encryption"),
    ("ProcessingResources.ClusterConfig.VolumeKmsKeyId", "volume_kms_key"),
    ("ProcessingOutputConfig.KmsKeyId", "output_kms_key"),
    ("ExperimentConfig.ExperimentName", "experiment"),
    ("ExperimentConfig.TrialName", "trial"),
    ("ExperimentConfig.RunName", "experiment_run"),
)


def _set_optional_members(request: dict[str, Any], spec: JobSpec) -> None:
    if spec.output_kms_key and not spec.outputs:
        raise UserError(
            "the job has no outputs to encrypt",
            field="output_kms_key",
            fix="leave it out, or declare an output",
        )
    for path, attribute in OPTIONAL_MEMBERS:
        value = getattr(spec, attribute)
        if value in (None, False, (), ""):
            continue
        *parents, last = path.split(".")
        node = request
        for name in parents:
            node = node.setdefault(name, {})
        node[last] = list(value) if isinstance(value, tuple) else value


# Which setting each part of the request comes from.
_MEMBER_FIELDS = [
    *((path, field) for path, field in OPTIONAL_MEMBERS),
    ("ProcessingJobName", "job_name"),
    ("ProcessingResources.ClusterConfig.InstanceType", "instance"),
    ("ProcessingResources.ClusterConfig.InstanceCount", "instance_count"),
    ("ProcessingResources.ClusterConfig.VolumeSizeInGB", "volume_size"),
    ("StoppingCondition.MaxRuntimeInSeconds", "runtime_seconds"),
    ("AppSpecification.ImageUri", "image"),
    ("RoleArn", "role"),
    ("Environment", "env"),
    ("Tags", "tags"),
]
_FIXES = {
    "job_name": "use 1-63 letters, digits and hyphens",
    "runtime_seconds": "use 1 to 777600 seconds",
    "env": "SageMaker allows 100 variables, names like NAME_1, values up to 256 characters",
    "tags": "SageMaker allows 50 tags, keys up to 128 and values up to 256 characters "
    "of letters, digits, spaces and _.:/=+-@",
    "arguments": "SageMaker allows 100 arguments of at most 256 characters each; "
    "pass long values in a file",
    "subnets": "SageMaker allows 1-16 subnet IDs like subnet-0123abcd",
    "security_groups": "SageMaker allows 1-5 security group IDs like sg-0123abcd",
    "volume_kms_key": "pass a KMS key ID, key ARN, alias name or alias ARN",
    "output_kms_key": "pass a KMS key ID, key ARN, alias name or alias ARN",
    "experiment": "use 1-120 letters, digits and hyphens",
    "trial": "use 1-120 letters, digits and hyphens",
    "experiment_run": "use 1-120 letters, digits and hyphens",
}


def check_request(rendered: Rendered) -> None:
    """Raise UserError for the first way the request breaks the ``sagemaker`` model."""
    from .model_checks import find_violations

    violations = find_violations(rendered.request)
    if not violations:
        return
    first = violations[0]
    field = _field_for(first.path, rendered)
    others = len(violations) - 1
    more = f"; {count(others, 'more problem')}" if others else ""
    if first.path == "ProcessingInputs":
        raise UserError(
            f"the job would have {len(rendered.request['ProcessingInputs'])} input channels "
            f"({first.message}){more}",
            fix="the code, requirements, configuration script and each module count too: "
            "merge inputs or modules",
        )
    text = f"{first.message} (CreateProcessingJob {first.path}){more}"
    fix: str | None
    if first.path.startswith("AppSpecification.ContainerArguments"):
        fix = _FIXES["arguments"]
    else:
        fix = _FIXES.get(field or "")
    if field == "arguments":  # no flag to name: say whose they are
        raise UserError(f"the script's arguments: {text}", fix=fix)
    raise UserError(text, field=field, fix=fix)


def _field_for(path: str, rendered: Rendered) -> str | None:
    for prefix, field in _MEMBER_FIELDS:
        if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "["):
            return field
    for member, fields in (
        ("AppSpecification.ContainerArguments", rendered.argument_fields),
        ("AppSpecification.ContainerEntrypoint", rendered.entrypoint_fields),
    ):
        if path.startswith(member + "["):
            index = int(path[len(member) + 1 : path.index("]")])
            return fields[index] if index < len(fields) else None
        if path == member:
            return "arguments"
    if path.startswith("ProcessingInputs["):
        index = int(path[len("ProcessingInputs[") : path.index("]")])
        return rendered.input_fields[index]
    return None
