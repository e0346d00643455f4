"""Sphinx configuration: ``python -m sphinx -W -b html docs docs/_build/html``."""

from __future__ import annotations

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "_ext"))

# Flag defaults may come from AWS_SAGEMAKER_REMOTE_* variables; the documentation shows
# the code defaults, whatever the shell that builds it has set.
for _name in [n for n in os.environ if n.startswith("AWS_SAGEMAKER_REMOTE_")]:
    del os.environ[_name]

import aws_sagemaker_remote  # noqa: E402

project = "aws-sagemaker-remote"
author = "aws-sagemaker-remote developers"
copyright = "aws-sagemaker-remote developers"
release = aws_sagemaker_remote.__version__
version = release

extensions = ["sphinx.ext.autodoc", "sphinxarg.ext", "myst_parser", "flagref"]
source_suffix = {".rst": "restructuredtext"}  # Markdown only where included (the changelog)
smartquotes_action = "qe"  # keep "--flag" as typed: no dashes turned into en dashes
exclude_patterns = ["_build"]
nitpicky = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "furo"
html_title = f"aws-sagemaker-remote {release}"
