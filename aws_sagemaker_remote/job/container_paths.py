"""Where each channel is inside the job: under /opt/ml/processing/, no two in one place.

SageMaker copies each input to its LocalPath before the script starts and each output
from its LocalPath when it ends. A path outside ``/opt/ml/processing/`` is refused by the
service; two channels at one place, or one inside another, would mix their files (an
input inside an output is uploaded with it). So every path is checked when the spec is
built, naming the field that set it: the channel's own ``container_path``, or the mount it
was derived from (``--sagemaker-input-mount``). Pure: no I/O.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from ..args import PathArgument
from ..errors import UserError
from ..script import layout
from .values import container_path


class ChannelPlaces:
    """The container path of each channel of one spec, and the field that chose it."""

    def __init__(self, settings: Mapping[str, Any]):
        self.mounts = {
            name: (settings.get(name) or default).rstrip("/")
            for name, default in (
                ("input_mount", layout.DEFAULT_INPUT_MOUNT),
                ("output_mount", layout.DEFAULT_OUTPUT_MOUNT),
                ("module_mount", layout.DEFAULT_MODULE_MOUNT),
            )
        }
        self.fields: dict[str, str] = {}  # channel field ("inputs.x") -> field of its path

    def input(self, name: str, declared: PathArgument) -> str:
        return self._place(f"inputs.{name}", name, declared, "input_mount")

    def output(self, name: str, declared: PathArgument) -> str:
        return self._place(f"outputs.{name}", name, declared, "output_mount")

    def _place(self, channel: str, name: str, declared: PathArgument, mount: str) -> str:
        if declared.container_path:
            self.fields[channel] = f"{channel}.container_path"
            return declared.container_path.rstrip("/") or "/"
        self.fields[channel] = mount
        return posixpath.join(self.mounts[mount], name)

    def check(
        self,
        inputs: Sequence[Any],
        outputs: Sequence[Any],
        modules: Sequence[Any],
        settings: Mapping[str, Any],
    ) -> None:
        """UserError for a path outside /opt/ml/processing/, or one that overlaps another
        channel's (the job's code, requirements and configuration script included)."""
        taken = [(layout.CODE_DIR, "the job's code")]
        if settings.get("requirements"):
            taken.append((layout.REQUIREMENTS_DIR, "the requirements"))
        if settings.get("configuration_script"):
            taken.append((layout.CONFIGURATION_DIR, "the configuration script"))
        mine = [
            (posixpath.join(self.mounts["module_mount"], m.name), "module_mount", m.field)
            for m in modules
        ]
        mine += [(c.container_path, self.fields[c.field], c.field) for c in (*inputs, *outputs)]
        for path, field, channel in mine:
            container_path(path, field)
            for other, what in taken:
                if _nested(path, other):
                    raise UserError(
                        f"{path} ({{{{{channel}}}}}) overlaps {other} ({what})",
                        field=field,
                        fix="give every channel a directory of its own, none inside another",
                    )
            taken.append((path, f"{{{{{channel}}}}}"))


def _nested(a: str, b: str) -> bool:
    """``a`` and ``b`` are one place, or one lies inside the other."""
    a, b = a + "/", b + "/"
    return a.startswith(b) or b.startswith(a)
