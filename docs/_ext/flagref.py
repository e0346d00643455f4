"""``.. flag-reference:: module:function``: the flags of the parser ``function()`` returns,
grouped as ``--help`` groups them, each spelled with its metavar (``--input-mode
File|Pipe``), its choices when it has any, and its help, which states the default once.

sphinx-argparse shows option names only, and adds a default of its own to the one the
help already states; this page is what ``--help`` says, with anchors.
"""

from __future__ import annotations

import argparse
import importlib

from docutils import nodes
from docutils.parsers.rst import Directive, directives


class FlagReference(Directive):
    required_arguments = 1
    option_spec = {"prog": directives.unchanged, "anchor": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        module, _, function = self.arguments[0].partition(":")
        parser = getattr(importlib.import_module(module), function)()
        if "prog" in self.options:
            parser.prog = self.options["prog"]
        prefix = self.options.get("anchor", function)
        usage = " ".join(parser.format_usage().split())
        found: list[nodes.Node] = [nodes.literal_block(usage, usage)]
        if parser.description:
            found.append(nodes.paragraph(text=parser.description))
        formatter = parser._get_formatter()
        for group in parser._action_groups:
            actions = [a for a in group._group_actions if a.help != argparse.SUPPRESS]
            if not actions:
                continue
            title = group.title or ""
            section = nodes.section(ids=[nodes.make_id(f"{prefix}-{title}")])
            section += nodes.title(title, title)
            if group.description:
                section += nodes.paragraph(text=group.description)
            entries = nodes.definition_list()
            for action in actions:
                spelled = spell(action, formatter)
                term = nodes.term()
                term += nodes.literal(spelled, spelled)
                definition = nodes.definition()
                definition += nodes.paragraph(text=action.help or "")
                choices = action.choices or getattr(action.type, "choices", None)
                if choices:
                    definition += nodes.paragraph(text="One of: " + ", ".join(map(str, choices)))
                entries += nodes.definition_list_item("", term, definition)
            section += entries
            found.append(section)
        if parser.epilog:
            found.append(nodes.paragraph(text=parser.epilog))
        return found


def spell(action: argparse.Action, formatter: argparse.HelpFormatter) -> str:
    """``-h, --help``, ``--input PATH|URI``, ``--sagemaker-run [yes|no]``, ``SCRIPT``."""
    if not action.option_strings:
        return (
            formatter._get_default_metavar_for_positional(action)
            if not action.metavar
            else str(action.metavar)
        )
    names = ", ".join(action.option_strings)
    if action.nargs == 0:
        return names
    default = formatter._get_default_metavar_for_optional(action)
    return f"{names} {formatter._format_args(action, default)}"


def setup(app):
    app.add_directive("flag-reference", FlagReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
