"""Every dataclass of the package has a docstring of its own: without one, ``@dataclass``
computes ``inspect.signature`` of the class at import time to make one, in every process
that imports it. (The records of a submission and of the local engine are NamedTuples:
no dataclass is made on that path at all.)"""

from __future__ import annotations

import ast
from pathlib import Path

import aws_sagemaker_remote

PACKAGE = Path(aws_sagemaker_remote.__file__).parent


def _is_dataclass(node: ast.ClassDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "dataclass":
            return True
    return False


def test_every_dataclass_has_a_docstring():
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef) and _is_dataclass(node):
                if ast.get_docstring(node) is None:
                    missing.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert not missing, missing
