"""Which channels a job ships, where each one's bytes go, and where it appears in the job.

Local files become trees (content hashes, :mod:`.trees`) under the staging root; the
request references a tree by its digest, so the same content always maps to the same
key and the dry run can print the exact URIs without uploading anything.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from typing import Any, NamedTuple

from ..args import DEFAULT_DATA_TYPE, DEFAULT_DISTRIBUTION, DEFAULT_INPUT_MODE
from ..errors import UserError
from ..script import layout
from ..storage.trees import ExternalLink, Tree, combine_trees, scan_tree, tree_uri
from .code import CodeSelection, requirement_names, select_code, select_directory
from .request import StagedChannel
from .secret_scan import refuse_secrets, tree_files
from .spec import JobSpec

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What runs inside the job: the bootstrap and the local-run path of the script (standard
# library only). Shipping just these keeps the code channel small and stable.
JOB_SIDE_MODULES = (
    "__init__.py",
    "args.py",
    "errors.py",
    "keywords.py",
    "settings.py",
    "cli/__init__.py",
    "cli/flags.py",
    "script/__init__.py",
    "script/layout.py",
    "script/bootstrap.py",
    "script/jobconfig.py",
    "processing/__init__.py",
    "processing/args.py",
    "processing/channel_flags.py",
    "processing/setting_flags.py",
    "processing/main.py",
)
RESERVED_INPUT_NAMES = {
    layout.CODE_CHANNEL,
    layout.REQUIREMENTS_CHANNEL,
    layout.CONFIGURATION_CHANNEL,
}


class S3Input(NamedTuple):
    """An input already on S3 (or a job's output), as looked up before planning."""

    uri: str  # what the request sends: a directory's prefix ends in "/"
    is_object: bool  # names one object (its argument is the object's path in the job)
    manifest: str | None = None  # a local one-object manifest to send instead (see jobs.py)


class ChannelPlan(NamedTuple):
    """The request's code and input channels, and the trees staging must put in place."""

    channels: list[StagedChannel]
    trees: list[Tree]  # what staging must put in place before the job is created
    code_summary: str = ""  # what ships as code, for the summary line
    file_counts: dict[str, int] | None = None  # channel name -> files staged from here


def selected_tree(
    selection: CodeSelection, field: str, follow_external_links: bool, top: str | None = None
) -> Tree:
    """The Tree of exactly the files a code selection names (hashing via scan_tree)."""
    wanted = set(selection.relpaths)
    dirs = {rel.rsplit("/", 1)[0] + "/" for rel in wanted if "/" in rel}
    dirs |= {d[: i + 1] for d in list(dirs) for i, c in enumerate(d) if c == "/"}
    return scan_channel(
        selection.root,
        field,
        follow_external_links,
        top=top,
        exclude=lambda rel: rel not in (dirs if rel.endswith("/") else wanted),
    )


def code_selection(spec: JobSpec) -> CodeSelection:
    """What ships as the code channel: see :mod:`.code`."""
    declared = {os.path.splitext(os.path.basename(m.path.rstrip(os.sep)))[0] for m in spec.modules}
    return select_code(
        spec.script,
        source_dir=spec.source_dir,
        declared=declared | requirement_names(spec.requirements),
        allow_secrets=True,  # refused by the caller once links are checked
        not_code=[o.download_dir for o in spec.outputs if o.download_dir],
    )


def library_tree() -> Tree:
    """The job-side part of this package, shipped beside the script so any Python 3 image works."""
    wanted = {"processing/", "script/", "cli/"} | set(JOB_SIDE_MODULES)
    return scan_tree(
        PACKAGE_DIR,
        top="aws_sagemaker_remote",
        exclude=lambda rel: rel not in wanted,
        follow_external_links=True,  # our own code, wherever it is installed from
    )


def scan_channel(
    path: str,
    field: str,
    follow_external_links: bool,
    top: str | None = None,
    exclude: Callable[[str], bool] | None = None,
) -> Tree:
    """The tree of a channel's file or directory; a link out of it is the user's to allow,
    and a file that cannot be read is named (a traceback would blame no one)."""
    try:
        return scan_tree(
            path, top=top, exclude=exclude, follow_external_links=follow_external_links
        )
    except ExternalLink as link:
        raise UserError(
            f"{os.path.join(path, link.relpath)} links to {link.target}, outside {path}",
            field=field,
            fix="copy what it points to into the directory or remove the link; "
            "or pass {{follow_external_links}} yes to ship it",
        ) from None
    except OSError as error:
        raise UserError(
            f"cannot read {error.filename or path}: {error.strerror or error}",
            field=field,
            fix="make it readable, or move it out of what ships",
        ) from None


def plan_channels(spec: JobSpec, staging_root: str, s3_inputs: dict[str, S3Input]) -> ChannelPlan:
    """Every ProcessingInput of the job. ``s3_inputs``: where the inputs not given locally are."""
    planner = _Planner(staging_root)
    planner.code(spec)
    for module in spec.modules:
        planner.module(spec, module)
    for spec_input in spec.inputs:
        planner.input(spec, spec_input, s3_inputs.get(spec_input.name))
    return ChannelPlan(planner.channels, planner.trees, planner.code_summary, planner.file_counts)


class _Planner:
    """Collects the channels of one job and the trees staging must put in place."""

    def __init__(self, staging_root: str):
        self.staging_root = staging_root
        self.channels: list[StagedChannel] = []
        self.trees: list[Tree] = []
        self.code_summary = ""
        self.file_counts: dict[str, int] = {}

    def ship(
        self,
        kind: str,
        name: str,
        field: str,
        tree: Tree,
        container_path: str,
        arg_path: str,
        mode: str = DEFAULT_INPUT_MODE,
        distribution: str = DEFAULT_DISTRIBUTION,
        flag: str = "",
        data_type: str = DEFAULT_DATA_TYPE,
    ) -> None:
        """A channel whose files are staged here: its tree, referenced by digest."""
        if not tree.entries:
            raise UserError(
                "is an empty directory; SageMaker cannot deliver an empty channel",
                field=field,
                fix="put at least one file in it, or leave the channel out",
            )
        self.trees.append(tree)
        self.file_counts[name] = len(tree.entries)
        uri = tree_uri(self.staging_root, tree)
        if data_type == "ManifestFile":  # the manifest itself, a single file
            uri += tree.entries[0].relpath
        self.channels.append(
            StagedChannel(
                kind,
                name,
                uri,
                container_path,
                flag,
                arg_path,
                mode,
                distribution,
                field,
                data_type,
            )
        )

    def code(self, spec: JobSpec) -> None:
        """The script's code (see :mod:`.code`) with the job-side library, then requirements
        and configuration."""
        selection = code_selection(spec)
        self.code_summary = selection.summary(spec.script)
        script = os.path.relpath(spec.script, selection.root).replace(os.sep, "/")
        code_field = "source_dir" if spec.source_dir else "script"
        selected = selected_tree(selection, code_field, spec.follow_external_links)
        if not spec.allow_secrets:  # after the link check: a link out is said first
            refuse_secrets(tree_files(selected), code_field)
        code = combine_trees(selected, library_tree())
        arg = posixpath.join(layout.CODE_DIR, script)
        self.ship("code", layout.CODE_CHANNEL, code_field, code, layout.CODE_DIR, arg)
        for kind, channel, field, directory in (
            ("requirements", layout.REQUIREMENTS_CHANNEL, "requirements", layout.REQUIREMENTS_DIR),
            (
                "configuration",
                layout.CONFIGURATION_CHANNEL,
                "configuration_script",
                layout.CONFIGURATION_DIR,
            ),
        ):
            path = getattr(spec, field)
            if path:
                arg = posixpath.join(directory, os.path.basename(path))
                tree = scan_channel(path, field, follow_external_links=False)
                if not spec.allow_secrets:
                    refuse_secrets(tree_files(tree), field)
                self.ship(kind, channel, field, tree, directory, arg)

    def module(self, spec: JobSpec, module: Any) -> None:
        base = os.path.basename(module.path.rstrip(os.sep))
        container_path = posixpath.join(spec.module_mount, module.name)
        if os.path.isdir(module.path):
            chosen = select_directory(module.path, field=module.field, allow_secrets=True)
            tree = selected_tree(chosen, module.field, spec.follow_external_links, top=base)
        else:
            tree = scan_channel(module.path, module.field, spec.follow_external_links)
        if not spec.allow_secrets:  # after the link check: a link out is said first
            refuse_secrets(tree_files(tree), module.field)
        self.ship(
            "module",
            layout.MODULE_CHANNEL_PREFIX + module.name,
            module.field,
            tree,
            container_path,
            posixpath.join(container_path, base),
            flag=module.flag,
        )

    def input(self, spec: JobSpec, spec_input: Any, on_s3: S3Input | None) -> None:
        """A local input is staged; one on S3 is not (but a one-object manifest for it is)."""
        name = spec_input.name
        if name in RESERVED_INPUT_NAMES or name.startswith(layout.MODULE_CHANNEL_PREFIX):
            raise UserError(
                f"the input name {name!r} is reserved for the job's code",
                field=spec_input.field,
                fix="give the input another name",
            )
        container_path = spec_input.container_path
        modes = (spec_input.mode, spec_input.distribution)
        if spec_input.is_local_path:
            tree = scan_channel(spec_input.source, spec_input.field, spec.follow_external_links)
            arg = container_path
            if os.path.isfile(spec_input.source) and spec_input.data_type == DEFAULT_DATA_TYPE:
                arg = posixpath.join(container_path, tree.entries[0].relpath)
            self.ship(
                "input", name, spec_input.field, tree, container_path, arg, *modes,
                flag=spec_input.flag, data_type=spec_input.data_type,
            )  # fmt: skip
            return
        assert on_s3 is not None, name  # prepare() resolved every input not given locally
        uri, is_object = on_s3.uri, on_s3.is_object
        if on_s3.manifest is not None:
            self.ship(
                "input", name, spec_input.field, scan_tree(on_s3.manifest), container_path,
                posixpath.join(container_path, posixpath.basename(uri)), *modes,
                flag=spec_input.flag, data_type="ManifestFile",
            )  # fmt: skip
            return
        if spec_input.data_type == "ManifestFile":  # its objects land under LocalPath
            is_object = False
        arg = (
            posixpath.join(container_path, posixpath.basename(uri)) if is_object else container_path
        )
        self.channels.append(
            StagedChannel(
                "input",
                name,
                uri,
                container_path,
                spec_input.flag,
                arg,
                *modes,
                spec_input.field,
                spec_input.data_type,
            )  # fmt: skip
        )
